//! Causal grouped-query attention over the KV cache, one head per task.

use rayon::prelude::*;

use crate::config::LlamaConfig;
use crate::ops::softmax;
use crate::quant::float::dot_f32s;

/// Attention of a batch of `n` queries at positions `pos0..pos0 + n` over one layer's cache.
///
/// `q` is `[n][q_dim]`; `k_cache` and `v_cache` are `[position][kv_dim]` and already hold the
/// batch's own keys and values; `scores` is `[head][capacity]`; the result goes to `out` as
/// `[head][n][head_dim]`.
#[allow(
    clippy::too_many_arguments,
    reason = "the buffers of one step, named at the call"
)]
pub fn attend(
    c: &LlamaConfig,
    q: &[f32],
    k_cache: &[f32],
    v_cache: &[f32],
    pos0: usize,
    n: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let hd = c.head_dim;
    let (q_dim, kv_dim) = (c.q_dim(), c.kv_dim());
    let group = c.n_head / c.n_head_kv;
    let capacity = scores.len() / c.n_head;
    let scale = 1.0 / (hd as f32).sqrt();
    out[..c.n_head * n * hd]
        .par_chunks_mut(n * hd)
        .zip(scores.par_chunks_mut(capacity))
        .enumerate()
        .for_each(|(h, (out_h, sc))| {
            let kv_off = (h / group) * hd;
            for (t, o) in out_h.chunks_exact_mut(hd).enumerate() {
                let len = pos0 + t + 1;
                let qv = &q[t * q_dim + h * hd..t * q_dim + (h + 1) * hd];
                let sc = &mut sc[..len];
                for (j, s) in sc.iter_mut().enumerate() {
                    let kv = &k_cache[j * kv_dim + kv_off..j * kv_dim + kv_off + hd];
                    *s = dot_f32s(qv, kv) * scale;
                }
                softmax(sc);
                o.fill(0.0);
                for (j, &w) in sc.iter().enumerate() {
                    let vv = &v_cache[j * kv_dim + kv_off..j * kv_dim + kv_off + hd];
                    for (a, &b) in o.iter_mut().zip(vv) {
                        *a += w * b;
                    }
                }
            }
        });
}
