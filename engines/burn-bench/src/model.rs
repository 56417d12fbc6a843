//! A llama-family decoder written on burn's modules: token embedding, RMS norms, grouped-query
//! attention with rotary encoding and a preallocated KV cache, a `SwiGLU` feed-forward block, and
//! the output projection (tied to the embedding where the model ties them).
//!
//! Every tensor is `[batch = 1, ...]`. Rotary encoding rotates adjacent pairs of each head's
//! dimensions, the layout GGUF llama files store their query and key weights in.

use burn::module::Param;
use burn::nn::{Embedding, Linear, RmsNorm, RotaryEncoding, RotaryEncodingConfig, SwiGlu};
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Shapes and constants of a llama-family model.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub vocab: usize,
    pub d_model: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub d_ff: usize,
    pub rope_theta: f32,
    pub rms_eps: f64,
    /// Positions the KV cache and the rotary table hold.
    pub max_seq_len: usize,
}

impl Config {
    /// Size of one attention head.
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }

    /// Bytes of f32 keys and values one cached position holds, over every layer.
    pub fn kv_bytes_per_position(&self) -> u64 {
        (2 * self.n_layers * self.n_kv_heads * self.head_dim() * 4) as u64
    }

    /// Refuse shapes the forward pass cannot run; `source` names the file in the error.
    pub fn validate(&self, source: &std::path::Path) -> anyhow::Result<()> {
        if self.n_heads == 0
            || self.n_kv_heads == 0
            || !self.d_model.is_multiple_of(self.n_heads)
            || !self.n_heads.is_multiple_of(self.n_kv_heads)
            || !self.head_dim().is_multiple_of(2)
            || self.max_seq_len == 0
        {
            anyhow::bail!(
                "{}: inconsistent shapes ({} heads, {} key-value heads, width {})",
                source.display(),
                self.n_heads,
                self.n_kv_heads,
                self.d_model
            );
        }
        Ok(())
    }
}

/// A weight matrix as the model files store it: `rows` outputs of `cols` inputs each,
/// row-major (`PyTorch`'s `[out, in]`).
#[derive(Debug)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    fn tensor(self, device: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(self.data, [self.rows, self.cols]), device)
    }

    /// The matrix transposed, `[cols, rows]`, as a contiguous tensor: burn's `x @ W` layout.
    /// Transposed once here on the host rather than viewed transposed, since a strided right
    /// operand would be made contiguous again by the CPU backend at every product.
    fn transposed(self, device: &Device) -> Tensor<2> {
        let (rows, cols) = (self.rows, self.cols);
        let mut t = vec![0f32; self.data.len()];
        for (r, row) in self.data.chunks_exact(cols).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                t[c * rows + r] = v;
            }
        }
        Tensor::from_data(TensorData::new(t, [cols, rows]), device)
    }

    /// A bias-free [`Linear`] (burn's weight is `[in, out]`).
    fn linear(self, device: &Device) -> Linear {
        Linear {
            weight: Param::from_tensor(self.transposed(device)),
            bias: None,
        }
    }
}

/// The weights of one block, as loaded.
#[derive(Debug)]
pub struct BlockWeights {
    pub attn_norm: Vec<f32>,
    pub wq: Matrix,
    pub wk: Matrix,
    pub wv: Matrix,
    pub wo: Matrix,
    pub ffn_norm: Vec<f32>,
    pub gate: Matrix,
    pub up: Matrix,
    pub down: Matrix,
}

/// Every weight of a model, as loaded.
#[derive(Debug)]
pub struct Weights {
    /// `[vocab, d_model]`.
    pub embedding: Matrix,
    pub blocks: Vec<BlockWeights>,
    pub norm: Vec<f32>,
    /// `[vocab, d_model]`; `None` where the output projection is the embedding (tied).
    pub output: Option<Matrix>,
}

impl Weights {
    /// Bytes of f32 weights one decode step reads: every block, the final norm and the output
    /// projection (the embedding's size when tied), not the embedding table, of which a step
    /// reads one row. (The device holds the embedding besides, and a tied output projection as
    /// a transposed copy of it.)
    pub fn bytes_per_step(&self) -> u64 {
        let m = |m: &Matrix| m.data.len();
        let blocks: usize = self
            .blocks
            .iter()
            .map(|b| {
                b.attn_norm.len()
                    + b.ffn_norm.len()
                    + [&b.wq, &b.wk, &b.wv, &b.wo, &b.gate, &b.up, &b.down]
                        .into_iter()
                        .map(m)
                        .sum::<usize>()
            })
            .sum();
        let output = self.output.as_ref().map_or(m(&self.embedding), m);
        ((blocks + self.norm.len() + output) * 4) as u64
    }
}

#[derive(Debug)]
struct Block {
    attn_norm: RmsNorm,
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    ffn_norm: RmsNorm,
    /// `silu(gate(x)) * up(x)`.
    mlp: SwiGlu,
    down: Linear,
}

/// Keys and values of one layer, `[1, kv_heads, max_seq_len, head_dim]`, filled up to the
/// sequence's length.
#[derive(Debug)]
struct Cache {
    k: Tensor<4>,
    v: Tensor<4>,
}

/// A loaded model with its KV cache.
#[derive(Debug)]
pub struct Llama {
    config: Config,
    device: Device,
    embedding: Embedding,
    blocks: Vec<Block>,
    norm: RmsNorm,
    /// `[d_model, vocab]`.
    output: Tensor<2>,
    rope: RotaryEncoding,
    cache: Vec<Cache>,
}

fn rms_norm(gamma: Vec<f32>, eps: f64, device: &Device) -> RmsNorm {
    let n = gamma.len();
    RmsNorm {
        gamma: Param::from_tensor(Tensor::from_data(TensorData::new(gamma, [n]), device)),
        epsilon: eps,
    }
}

impl Llama {
    /// Move `weights` onto `device`.
    pub fn new(config: Config, weights: Weights, device: &Device) -> Llama {
        let eps = config.rms_eps;
        let output = match weights.output {
            Some(m) => m.transposed(device),
            // Tied: the embedding, transposed into a copy of its own.
            None => Matrix {
                rows: weights.embedding.rows,
                cols: weights.embedding.cols,
                data: weights.embedding.data.clone(),
            }
            .transposed(device),
        };
        let embedding = weights.embedding.tensor(device);
        let blocks = weights
            .blocks
            .into_iter()
            .map(|b| Block {
                attn_norm: rms_norm(b.attn_norm, eps, device),
                wq: b.wq.linear(device),
                wk: b.wk.linear(device),
                wv: b.wv.linear(device),
                wo: b.wo.linear(device),
                ffn_norm: rms_norm(b.ffn_norm, eps, device),
                mlp: SwiGlu {
                    linear_inner: b.gate.linear(device),
                    linear_outer: b.up.linear(device),
                },
                down: b.down.linear(device),
            })
            .collect();
        let rope = RotaryEncodingConfig::new(config.max_seq_len, config.head_dim())
            .with_theta(config.rope_theta)
            .init(device);
        let cache = (0..config.n_layers)
            .map(|_| {
                let shape = [1, config.n_kv_heads, config.max_seq_len, config.head_dim()];
                Cache {
                    k: Tensor::zeros(shape, device),
                    v: Tensor::zeros(shape, device),
                }
            })
            .collect();
        Llama {
            norm: rms_norm(weights.norm, eps, device),
            embedding: Embedding {
                weight: Param::from_tensor(embedding),
            },
            output,
            blocks,
            rope,
            cache,
            device: device.clone(),
            config,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Run `tokens` at positions `pos..pos + tokens.len()` and return the logits of the last,
    /// `[1, vocab]`. Positions before `pos` come from the cache, so a request starts with
    /// `pos = 0` (which overwrites whatever an earlier request left) and then decodes one
    /// token at a time. Queues the work; reading the logits waits for it.
    ///
    /// # Panics
    ///
    /// If several tokens are given at a position other than 0 (prefill is the only multi-token
    /// pass), or the sequence would pass `max_seq_len` (the caller checks both).
    #[allow(
        clippy::many_single_char_names,
        reason = "the textbook names of attention: q, k, v, x, h"
    )]
    pub fn forward(&mut self, tokens: &[u32], pos: usize) -> Tensor<2> {
        let s = tokens.len();
        let c = &self.config;
        assert!(
            s == 1 || pos == 0,
            "a multi-token pass starts at position 0"
        );
        assert!(pos + s <= c.max_seq_len, "sequence longer than the cache");
        let (nh, nkv, hd, d) = (c.n_heads, c.n_kv_heads, c.head_dim(), c.d_model);
        let groups = nh / nkv;
        let end = pos + s;
        let ids: Vec<i64> = tokens.iter().map(|&t| i64::from(t)).collect();
        let ids = Tensor::<2, Int>::from_data(TensorData::new(ids, [1, s]), &self.device);
        let mut x = self.embedding.forward(ids);
        let options = AttentionModuleOptions {
            scale: None,
            softcap: None,
            is_causal: s > 1,
        };
        for (block, cache) in self.blocks.iter().zip(&mut self.cache) {
            let h = block.attn_norm.forward(x.clone());
            let heads = |t: Tensor<3>, n: usize| t.reshape([1, s, n, hd]).swap_dims(1, 2);
            let q = self.rope.apply(heads(block.wq.forward(h.clone()), nh), pos);
            let k = self
                .rope
                .apply(heads(block.wk.forward(h.clone()), nkv), pos);
            let v = heads(block.wv.forward(h), nkv);
            let at = [0..1, 0..nkv, pos..end, 0..hd];
            cache.k.inplace(|t| t.slice_assign(at.clone(), k));
            cache.v.inplace(|t| t.slice_assign(at, v));
            // Grouped-query attention: query head i reads key-value head i / groups.
            let expand = |t: &Tensor<4>| {
                t.clone()
                    .slice([0..1, 0..nkv, 0..end, 0..hd])
                    .unsqueeze_dim::<5>(2)
                    .expand([1, nkv, groups, end, hd])
                    .reshape([1, nh, end, hd])
            };
            let a = attention(q, expand(&cache.k), expand(&cache.v), None, None, options);
            let a = a.swap_dims(1, 2).reshape([1, s, nh * hd]);
            x = x + block.wo.forward(a);
            let h = block.ffn_norm.forward(x.clone());
            x = x + block.down.forward(block.mlp.forward(h));
        }
        let last = self
            .norm
            .forward(x)
            .slice([0..1, s - 1..s, 0..d])
            .reshape([1, d]);
        last.matmul(self.output.clone())
    }
}
