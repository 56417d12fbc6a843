//! Model FLOPs utilisation: the FLOPs a forward pass of the model needs, counted from its shape,
//! over the time the engine took, over the peak of the device it ran on.
//!
//! # Convention
//!
//! One multiply-add is 2 FLOPs. Only matrix products count: per layer the Q, K, V and output
//! projections, the three matrices of the `SwiGLU` feed-forward block, and attention's two
//! products (scores `Q K^T` and the weighted sum of values) over the positions attended; then
//! the LM head. Norms, softmax, rotary embeddings, activations, residual adds and the embedding
//! lookup are left out (a fraction of a percent). Attention is causal: the token at position `i`
//! (1-based) attends over `i` positions, masked ones are not counted. A prefill produces the
//! logits of its last position only, so it counts the LM head once per request.

use bench_inputs::ModelShape;
use serde::{Deserialize, Serialize};

use super::peaks::device_peak;
use crate::manifest::Host;
use crate::metrics::Request;
use crate::plan::Device;
use crate::store::EngineRun;

/// Multiply-adds of one token through one layer's weight matrices.
fn weight_macs_per_layer(s: &ModelShape) -> f64 {
    let d = s.hidden_size as f64;
    let q = (s.heads * s.head_dim) as f64;
    let kv = (s.kv_heads * s.head_dim) as f64;
    let attention = d * q + 2.0 * d * kv + q * d;
    let ffn = 3.0 * d * s.ffn_size as f64;
    attention + ffn
}

/// FLOPs of one token through every layer's weight matrices: `2 L (d (2 H h + 2 K h) + 3 d f)`.
fn weight_flops_per_token(s: &ModelShape) -> f64 {
    2.0 * s.layers as f64 * weight_macs_per_layer(s)
}

/// FLOPs of the LM head for one token: `2 d V`.
fn head_flops(s: &ModelShape) -> f64 {
    2.0 * s.hidden_size as f64 * s.vocab_size as f64
}

/// FLOPs of attention over one position, summed over layers: scores and weighted sum,
/// `2 * 2 L H h`.
pub fn attention_flops_per_position(s: &ModelShape) -> f64 {
    4.0 * (s.layers * s.heads * s.head_dim) as f64
}

/// FLOPs of one decode step attending over `context` positions (cached ones and its own):
/// weights, attention and the LM head.
pub fn decode_flops_per_token(s: &ModelShape, context: f64) -> f64 {
    weight_flops_per_token(s) + attention_flops_per_position(s) * context + head_flops(s)
}

/// FLOPs of the prefill of a `prompt_tokens`-token prompt: every token through the weights,
/// causal attention over `P (P + 1) / 2` (token, position) pairs, and the LM head once.
pub fn prefill_flops(s: &ModelShape, prompt_tokens: f64) -> f64 {
    let p = prompt_tokens;
    weight_flops_per_token(s) * p
        + attention_flops_per_position(s) * p * (p + 1.0) / 2.0
        + head_flops(s)
}

/// Compute figures of one engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfuFigures {
    /// Prefill FLOPs of a prompt of the mean length, per prompt token.
    pub flops_per_prefill_token: f64,
    /// FLOPs of a decode step at the mean decode context.
    pub flops_per_decode_token: f64,
    /// Mean prompt tokens of the successful measured requests.
    pub mean_prompt_tokens: f64,
    /// Mean positions a decode step attends over (mean prompt tokens plus half the mean
    /// completion tokens, as for MBU).
    pub mean_decode_context: f64,
    /// Median over successful measured requests of the request's prefill FLOPs over its
    /// prefill time (`prefill_tok_s` times FLOPs per prefill token at its own prompt length).
    pub prefill_flops_per_s: Option<f64>,
    /// `prefill_flops_per_s / peak_flops_per_s`.
    pub prefill_mfu: Option<f64>,
    /// `flops_per_decode_token` over the TPOT median.
    pub decode_flops_per_s: Option<f64>,
    /// `decode_flops_per_s / peak_flops_per_s`: small, decoding is bound by memory.
    pub decode_mfu: Option<f64>,
    /// Dense peak of the engine's device.
    pub peak_flops_per_s: f64,
    /// Where the peak comes from: the datasheet row and URL, or the host's measurement.
    pub peak_source: String,
}

impl MfuFigures {
    /// Says so when a utilisation is above 100%: the FLOPs counted or the peak used do not
    /// fit what ran (another data type, a different device, or timings that are not real).
    pub fn implausible(&self) -> Option<String> {
        let over: Vec<String> = [("prefill", self.prefill_mfu), ("decode", self.decode_mfu)]
            .into_iter()
            .filter_map(|(phase, mfu)| {
                mfu.filter(|m| *m > 1.0)
                    .map(|m| format!("{phase} {:.0}%", m * 100.0))
            })
            .collect();
        (!over.is_empty()).then(|| {
            format!(
                "MFU above 100% ({}) against {}: the peak or the FLOPs counted do not fit what ran",
                over.join(", "),
                self.peak_source
            )
        })
    }
}

/// MFU of an engine on `device` for a model of shape `shape` (none when either the shape or
/// the device's peak is unknown). `ok` are the successful measured requests, `tokens` the mean
/// prompt and completion tokens, `tpot_ms` the TPOT median.
pub fn mfu(
    device: Option<Device>,
    host: &Host,
    runs: &[&EngineRun],
    shape: Option<&ModelShape>,
    ok: &[&Request],
    tokens: Option<(f64, f64)>,
    tpot_ms: Option<f64>,
) -> Option<MfuFigures> {
    let shape = shape?;
    let dtype = runs.iter().find_map(|r| {
        r.loaded
            .as_ref()?
            .details
            .get("dtype")?
            .as_str()
            .map(str::to_owned)
    });
    let peak = device_peak(device?, host, dtype.as_deref())?;
    let (prompt, completion) = tokens?;
    let prefill_rates: Vec<f64> = ok
        .iter()
        .filter_map(|r| {
            let p = f64::from(r.prompt_tokens?);
            Some(prefill_flops(shape, p) / p * crate::metrics::prefill_tok_s(r)?)
        })
        .collect();
    let prefill_flops_per_s = bench_stats::Sample::new(prefill_rates)
        .ok()
        .map(|s| bench_stats::quantile::median(&s));
    let context = super::mbu::mean_decode_context(prompt, completion);
    let flops_per_decode_token = decode_flops_per_token(shape, context);
    let decode_flops_per_s = tpot_ms
        .filter(|t| *t > 0.0)
        .map(|t| flops_per_decode_token / (t / 1e3));
    let utilisation = |f: Option<f64>| f.map(|f| f / peak.flops_per_s);
    Some(MfuFigures {
        flops_per_prefill_token: if prompt > 0.0 {
            prefill_flops(shape, prompt) / prompt
        } else {
            0.0
        },
        flops_per_decode_token,
        mean_prompt_tokens: prompt,
        mean_decode_context: context,
        prefill_mfu: utilisation(prefill_flops_per_s),
        prefill_flops_per_s,
        decode_mfu: utilisation(decode_flops_per_s),
        decode_flops_per_s,
        peak_flops_per_s: peak.flops_per_s,
        peak_source: peak.source,
    })
}

#[cfg(test)]
#[path = "mfu_tests.rs"]
mod tests;
