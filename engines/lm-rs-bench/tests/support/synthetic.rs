//! A tiny llama model with random weights, written as GGUF with `gguf::GgufWriter`, and a naive
//! `f32` forward pass over the same weights to check the engine against.

use std::path::Path;

use gguf::{GgmlType, GgufWriter};
use half::f16;
use lm_rs_bench::sampler::Rng;

pub const EMBD: usize = 64;
pub const HEADS: usize = 4;
pub const KV_HEADS: usize = 2;
pub const HEAD_DIM: usize = EMBD / HEADS;
pub const FF: usize = 96;
pub const LAYERS: usize = 2;
pub const VOCAB: usize = 80;
pub const CONTEXT: usize = 64;
pub const THETA: f32 = 10_000.0;
pub const EPS: f32 = 1e-5;
pub const EOS: u32 = 2;

/// A weight matrix: `rows` rows of `cols` values, and how it is stored.
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f32>,
}

fn random(rng: &mut Rng, n: usize, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|_| (rng.next_f32() * 2.0 - 1.0) * scale)
        .collect()
}

/// Quantise to `Q8_0`, returning the bytes and the values they decode to.
fn q8_0(x: &[f32]) -> (Vec<u8>, Vec<f32>) {
    let mut bytes = Vec::new();
    let mut values = Vec::new();
    for b in x.chunks(32) {
        let amax = b.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = f16::from_f32(amax / 127.0);
        let inv = if d.to_f32() == 0.0 {
            0.0
        } else {
            1.0 / d.to_f32()
        };
        bytes.extend_from_slice(&d.to_le_bytes());
        for &v in b {
            let q = (v * inv).round().clamp(-127.0, 127.0) as i8;
            bytes.push(q as u8);
            values.push(f32::from(q) * d.to_f32());
        }
    }
    (bytes, values)
}

/// Quantise to `Q4_1`, returning the bytes and the values they decode to.
fn q4_1(x: &[f32]) -> (Vec<u8>, Vec<f32>) {
    let mut bytes = Vec::new();
    let mut values = vec![0f32; x.len()];
    for (bi, b) in x.chunks(32).enumerate() {
        let min = b.iter().copied().fold(f32::INFINITY, f32::min);
        let max = b.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let (d, m) = (f16::from_f32((max - min) / 15.0), f16::from_f32(min));
        let (df, mf) = (d.to_f32(), m.to_f32());
        bytes.extend_from_slice(&d.to_le_bytes());
        bytes.extend_from_slice(&m.to_le_bytes());
        let q = |v: f32| ((v - mf) / df).round().clamp(0.0, 15.0) as u8;
        for j in 0..16 {
            let (lo, hi) = (q(b[j]), q(b[j + 16]));
            bytes.push(lo | (hi << 4));
            values[bi * 32 + j] = f32::from(lo) * df + mf;
            values[bi * 32 + j + 16] = f32::from(hi) * df + mf;
        }
    }
    (bytes, values)
}

fn f16s(x: &[f32]) -> (Vec<u8>, Vec<f32>) {
    let h: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    (
        h.iter().flat_map(|v| v.to_le_bytes()).collect(),
        h.iter().map(|v| v.to_f32()).collect(),
    )
}

/// The weights of the synthetic model as the engine sees them (after quantisation).
pub struct Weights {
    pub embd: Matrix,
    pub layers: Vec<[Matrix; 7]>,
    pub norms: Vec<[Vec<f32>; 2]>,
    pub output_norm: Vec<f32>,
}

/// Write the model to `path` with `architecture`; returns its decoded weights.
pub fn write_model(path: &Path, architecture: &str, seed: u64) -> Weights {
    let mut rng = Rng::new(seed);
    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", architecture)
        .add_metadata("llama.block_count", LAYERS as u32)
        .add_metadata("llama.context_length", CONTEXT as u32)
        .add_metadata("llama.embedding_length", EMBD as u32)
        .add_metadata("llama.feed_forward_length", FF as u32)
        .add_metadata("llama.attention.head_count", HEADS as u32)
        .add_metadata("llama.attention.head_count_kv", KV_HEADS as u32)
        .add_metadata("llama.rope.freq_base", THETA)
        .add_metadata("llama.attention.layer_norm_rms_epsilon", EPS)
        .add_metadata("tokenizer.ggml.eos_token_id", EOS);
    let add = |w: &mut GgufWriter<'_>,
               rng: &mut Rng,
               name: &str,
               rows: usize,
               cols: usize,
               ty: GgmlType| {
        let x = random(rng, rows * cols, 0.5);
        let (bytes, values) = match ty {
            GgmlType::Q8_0 => q8_0(&x),
            GgmlType::Q4_1 => q4_1(&x),
            _ => f16s(&x),
        };
        w.add_tensor(name, &[cols as u64, rows as u64], ty, bytes)
            .expect("valid tensor");
        Matrix { rows, cols, values }
    };
    let embd = add(
        &mut w,
        &mut rng,
        "token_embd.weight",
        VOCAB,
        EMBD,
        GgmlType::Q8_0,
    );
    let (q, kv) = (HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM);
    let mut layers = Vec::new();
    let mut norms = Vec::new();
    for l in 0..LAYERS {
        let n = |t: &str| format!("blk.{l}.{t}.weight");
        layers.push([
            add(&mut w, &mut rng, &n("attn_q"), q, EMBD, GgmlType::F16),
            add(&mut w, &mut rng, &n("attn_k"), kv, EMBD, GgmlType::Q4_1),
            add(&mut w, &mut rng, &n("attn_v"), kv, EMBD, GgmlType::Q8_0),
            add(&mut w, &mut rng, &n("attn_output"), EMBD, q, GgmlType::Q4_1),
            add(&mut w, &mut rng, &n("ffn_gate"), FF, EMBD, GgmlType::Q4_1),
            add(&mut w, &mut rng, &n("ffn_up"), FF, EMBD, GgmlType::Q8_0),
            add(&mut w, &mut rng, &n("ffn_down"), EMBD, FF, GgmlType::Q4_1),
        ]);
        let mut pair = Vec::new();
        for t in ["attn_norm", "ffn_norm"] {
            let v: Vec<f32> = random(&mut rng, EMBD, 0.5)
                .iter()
                .map(|x| 1.0 + x)
                .collect();
            let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            w.add_tensor(n(t), &[EMBD as u64], GgmlType::F32, bytes)
                .expect("valid tensor");
            pair.push(v);
        }
        norms.push([pair.remove(0), pair.remove(0)]);
    }
    let output_norm = vec![1.0f32; EMBD];
    let bytes = output_norm.iter().flat_map(|x| x.to_le_bytes()).collect();
    w.add_tensor("output_norm.weight", &[EMBD as u64], GgmlType::F32, bytes)
        .expect("valid tensor");
    w.write_file(path).expect("write model");
    Weights {
        embd,
        layers,
        norms,
        output_norm,
    }
}

fn matvec(m: &Matrix, x: &[f32]) -> Vec<f32> {
    m.values
        .chunks(m.cols)
        .map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum())
        .collect()
}

fn rms_norm(x: &[f32], w: &[f32]) -> Vec<f32> {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let s = 1.0 / (ms + EPS).sqrt();
    x.iter().zip(w).map(|(v, g)| v * s * g).collect()
}

fn rope(v: &mut [f32], pos: usize) {
    for head in v.chunks_mut(HEAD_DIM) {
        for i in 0..HEAD_DIM / 2 {
            let angle = pos as f32 * THETA.powf(-2.0 * i as f32 / HEAD_DIM as f32);
            let (s, c) = angle.sin_cos();
            let (a, b) = (head[2 * i], head[2 * i + 1]);
            head[2 * i] = a * c - b * s;
            head[2 * i + 1] = a * s + b * c;
        }
    }
}

/// Next-token logits after `tokens`, computed naively in `f32` with tied embeddings.
pub fn reference_logits(w: &Weights, tokens: &[u32]) -> Vec<f32> {
    let mut keys: Vec<Vec<Vec<f32>>> = vec![Vec::new(); LAYERS];
    let mut values: Vec<Vec<Vec<f32>>> = vec![Vec::new(); LAYERS];
    let mut x = Vec::new();
    for (pos, &t) in tokens.iter().enumerate() {
        x = w.embd.values[t as usize * EMBD..(t as usize + 1) * EMBD].to_vec();
        for (l, m) in w.layers.iter().enumerate() {
            let h = rms_norm(&x, &w.norms[l][0]);
            let (mut q, mut k, v) = (matvec(&m[0], &h), matvec(&m[1], &h), matvec(&m[2], &h));
            rope(&mut q, pos);
            rope(&mut k, pos);
            keys[l].push(k);
            values[l].push(v);
            let mut att = vec![0f32; HEADS * HEAD_DIM];
            for hd in 0..HEADS {
                let kvh = hd / (HEADS / KV_HEADS);
                let qh = &q[hd * HEAD_DIM..(hd + 1) * HEAD_DIM];
                let scores: Vec<f32> = keys[l]
                    .iter()
                    .map(|k| {
                        let kh = &k[kvh * HEAD_DIM..(kvh + 1) * HEAD_DIM];
                        qh.iter().zip(kh).map(|(a, b)| a * b).sum::<f32>()
                            / (HEAD_DIM as f32).sqrt()
                    })
                    .collect();
                let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
                let sum: f32 = e.iter().sum();
                for (p, v) in values[l].iter().enumerate() {
                    for i in 0..HEAD_DIM {
                        att[hd * HEAD_DIM + i] += e[p] / sum * v[kvh * HEAD_DIM + i];
                    }
                }
            }
            for (a, b) in x.iter_mut().zip(matvec(&m[3], &att)) {
                *a += b;
            }
            let h = rms_norm(&x, &w.norms[l][1]);
            let g = matvec(&m[4], &h);
            let u = matvec(&m[5], &h);
            let act: Vec<f32> = g
                .iter()
                .zip(&u)
                .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
                .collect();
            for (a, b) in x.iter_mut().zip(matvec(&m[6], &act)) {
                *a += b;
            }
        }
    }
    matvec(&w.embd, &rms_norm(&x, &w.output_norm))
}
