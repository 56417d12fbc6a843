//! Per-request working memory: activations for a batch of tokens, the KV cache, rotary tables and
//! the logits. Sized before the first token and reused while it is big enough, so decoding
//! allocates nothing.

use crate::matmul::MatmulScratch;
use crate::model::Model;
use crate::rope::Rope;

/// Most prompt tokens one prefill pass takes; longer prompts run in several passes.
pub const MAX_BATCH: usize = 256;

/// Buffers of one sequence.
#[derive(Debug)]
pub struct State {
    /// Positions the KV cache holds.
    pub capacity: usize,
    /// Tokens one forward pass takes at most.
    pub max_batch: usize,
    /// Residual stream, `[batch][n_embd]`.
    pub x: Vec<f32>,
    /// Normalised input of a sub-layer, `[batch][n_embd]`.
    pub xn: Vec<f32>,
    pub q: Vec<f32>,
    pub k: Vec<f32>,
    pub v: Vec<f32>,
    /// Attention output, `[batch][q_dim]`.
    pub att: Vec<f32>,
    /// Attention output as computed, `[head][batch][head_dim]`.
    pub att_by_head: Vec<f32>,
    /// Attention weights, `[head][capacity]`.
    pub scores: Vec<f32>,
    /// Output of a sub-layer's last projection, `[batch][n_embd]`.
    pub proj: Vec<f32>,
    pub gate: Vec<f32>,
    pub up: Vec<f32>,
    pub logits: Vec<f32>,
    /// Keys, `[layer][position][kv_dim]`.
    pub k_cache: Vec<f32>,
    /// Values, `[layer][position][kv_dim]`.
    pub v_cache: Vec<f32>,
    pub rope: Rope,
    pub scratch: MatmulScratch,
}

impl State {
    /// Buffers for `capacity` positions and batches of up to `max_batch` tokens.
    pub fn new(model: &Model, capacity: usize, max_batch: usize) -> State {
        let c = &model.config;
        let b = max_batch;
        State {
            capacity,
            max_batch,
            x: vec![0.0; b * c.n_embd],
            xn: vec![0.0; b * c.n_embd],
            q: vec![0.0; b * c.q_dim()],
            k: vec![0.0; b * c.kv_dim()],
            v: vec![0.0; b * c.kv_dim()],
            att: vec![0.0; b * c.q_dim()],
            att_by_head: vec![0.0; b * c.q_dim()],
            scores: vec![0.0; c.n_head * capacity],
            proj: vec![0.0; b * c.n_embd],
            gate: vec![0.0; b * c.n_ff],
            up: vec![0.0; b * c.n_ff],
            logits: vec![0.0; model.vocab_size],
            k_cache: vec![0.0; c.n_layer * capacity * c.kv_dim()],
            v_cache: vec![0.0; c.n_layer * capacity * c.kv_dim()],
            rope: Rope::new(
                c.n_rot,
                c.rope_theta,
                c.rope_linear_factor,
                model.rope_freqs.as_deref(),
                capacity,
            ),
            scratch: MatmulScratch::default(),
        }
    }

    /// Whether these buffers serve a sequence of `capacity` positions in batches of `batch`.
    pub fn fits(&self, capacity: usize, batch: usize) -> bool {
        self.capacity >= capacity && self.max_batch >= batch
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        let floats = self.x.len()
            + self.xn.len()
            + self.q.len()
            + self.k.len()
            + self.v.len()
            + self.att.len()
            + self.att_by_head.len()
            + self.scores.len()
            + self.proj.len()
            + self.gate.len()
            + self.up.len()
            + self.logits.len()
            + self.k_cache.len()
            + self.v_cache.len();
        floats * 4
    }
}
