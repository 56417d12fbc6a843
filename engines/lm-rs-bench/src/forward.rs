//! The llama forward pass over a batch of tokens: embeddings, then per block RMS norm,
//! Q/K/V projections, rotary embeddings, grouped-query attention over the KV cache, output
//! projection and residual, RMS norm, `SwiGLU` MLP and residual; finally the output norm and
//! head for the last token.

use crate::attention::attend;
use crate::matmul::{Ctx, matmul};
use crate::model::Model;
use crate::ops::{add_assign, rms_norm, swiglu};
use crate::state::State;

/// Run `tokens` (at most `s.max_batch`, ids below the vocabulary size) at positions
/// `pos0..pos0 + tokens.len()` (within `s.capacity`), appending their keys and values to the
/// cache and leaving the logits of the last token in `s.logits`.
#[allow(
    clippy::many_single_char_names,
    reason = "s (state), c (config), n (tokens), e (width) recur on every line"
)]
pub fn forward(model: &Model, ctx: Ctx<'_>, s: &mut State, tokens: &[u32], pos0: usize) {
    let c = &model.config;
    let n = tokens.len();
    let (e, hd, q_dim, kv_dim) = (c.n_embd, c.head_dim, c.q_dim(), c.kv_dim());
    let cap = s.capacity;
    debug_assert!(n > 0 && n <= s.max_batch && pos0 + n <= cap);

    for (t, &id) in tokens.iter().enumerate() {
        model
            .token_embd
            .dequantize_row(ctx.file, id as usize, &mut s.x[t * e..(t + 1) * e]);
    }
    for (l, layer) in model.layers.iter().enumerate() {
        // Attention.
        for t in 0..n {
            let r = t * e..(t + 1) * e;
            rms_norm(&mut s.xn[r.clone()], &s.x[r], &layer.attn_norm, c.rms_eps);
        }
        let xn = &s.xn[..n * e];
        matmul(ctx, &layer.wq, xn, &mut s.scratch, &mut s.q[..n * q_dim]);
        matmul(ctx, &layer.wk, xn, &mut s.scratch, &mut s.k[..n * kv_dim]);
        matmul(ctx, &layer.wv, xn, &mut s.scratch, &mut s.v[..n * kv_dim]);
        for t in 0..n {
            let pos = pos0 + t;
            for head in s.q[t * q_dim..(t + 1) * q_dim].chunks_exact_mut(hd) {
                s.rope.apply(&mut head[..c.n_rot], pos);
            }
            for head in s.k[t * kv_dim..(t + 1) * kv_dim].chunks_exact_mut(hd) {
                s.rope.apply(&mut head[..c.n_rot], pos);
            }
        }
        let layer_cache = l * cap * kv_dim..(l + 1) * cap * kv_dim;
        let k_cache = &mut s.k_cache[layer_cache.clone()];
        let v_cache = &mut s.v_cache[layer_cache];
        let batch = pos0 * kv_dim..(pos0 + n) * kv_dim;
        k_cache[batch.clone()].copy_from_slice(&s.k[..n * kv_dim]);
        v_cache[batch].copy_from_slice(&s.v[..n * kv_dim]);
        attend(
            c,
            &s.q[..n * q_dim],
            k_cache,
            v_cache,
            pos0,
            n,
            &mut s.scores,
            &mut s.att_by_head,
        );
        // [head][token][hd] -> [token][head * hd]
        for (h, by_tok) in s.att_by_head[..n * q_dim].chunks_exact(n * hd).enumerate() {
            for (t, v) in by_tok.chunks_exact(hd).enumerate() {
                s.att[t * q_dim + h * hd..t * q_dim + (h + 1) * hd].copy_from_slice(v);
            }
        }
        matmul(
            ctx,
            &layer.wo,
            &s.att[..n * q_dim],
            &mut s.scratch,
            &mut s.proj[..n * e],
        );
        add_assign(&mut s.x[..n * e], &s.proj[..n * e]);

        // Feed-forward.
        for t in 0..n {
            let r = t * e..(t + 1) * e;
            rms_norm(&mut s.xn[r.clone()], &s.x[r], &layer.ffn_norm, c.rms_eps);
        }
        let f = n * c.n_ff;
        let xn = &s.xn[..n * e];
        matmul(ctx, &layer.w_gate, xn, &mut s.scratch, &mut s.gate[..f]);
        matmul(ctx, &layer.w_up, xn, &mut s.scratch, &mut s.up[..f]);
        swiglu(&mut s.gate[..f], &s.up[..f]);
        matmul(
            ctx,
            &layer.w_down,
            &s.gate[..f],
            &mut s.scratch,
            &mut s.proj[..n * e],
        );
        add_assign(&mut s.x[..n * e], &s.proj[..n * e]);
    }
    let last = (n - 1) * e..n * e;
    rms_norm(&mut s.xn[..e], &s.x[last], &model.output_norm, c.rms_eps);
    matmul(
        ctx,
        &model.output,
        &s.xn[..e],
        &mut s.scratch,
        &mut s.logits,
    );
}
