//! The prefill-then-decode loop of one request, pushing every token into the sink.

use anyhow::{Context, bail};
use bench_worker::{Flow, TokenSink};
use candle_core::Device;
use shared_protocol::Request;

use crate::model::Model;
use crate::sampler::Sampler;

/// What the loop needs besides the model.
#[derive(Debug, Clone)]
pub struct Limits<'a> {
    /// Ids that end a sequence.
    pub eos_ids: &'a [u32],
    /// Most positions the model holds.
    pub max_seq_len: usize,
}

/// Run `request` on `model`: one forward pass over the prompt, `prefill_done`, then one token
/// per forward pass until the sink says stop or the model emits end-of-sequence (unless
/// `ignore_eos`).
pub fn generate(
    model: &mut Model,
    device: &Device,
    limits: &Limits<'_>,
    request: &Request,
    sink: &mut TokenSink,
) -> anyhow::Result<()> {
    let prompt = request
        .prompt_token_ids
        .as_deref()
        .context("candle-bench needs prompt_token_ids: the runner tokenizes every prompt")?;
    if prompt.is_empty() {
        bail!("empty prompt: at least one input token is needed");
    }
    let needed = prompt.len() + request.max_tokens as usize;
    if needed > limits.max_seq_len {
        bail!(
            "prompt of {} tokens plus max_tokens {} exceeds the model's {} positions",
            prompt.len(),
            request.max_tokens,
            limits.max_seq_len
        );
    }
    let mut sampler = Sampler::new(&request.sampling);
    let logits = model.prefill(prompt, device)?;
    // On CUDA the passes are only queued here: the device clock marks their ends on the
    // device's timeline (the first token comes from the prefill's pass). No-ops on the CPU.
    sink.prefill_queued();
    sink.step_queued();
    device.synchronize()?;
    sink.prefill_done();
    let mut next = sampler.sample(&logits)?;
    let mut pos = prompt.len();
    loop {
        if !request.ignore_eos && limits.eos_ids.contains(&next) {
            sink.end_of_sequence();
            return Ok(());
        }
        if sink.token(next) == Flow::Stop {
            return Ok(());
        }
        sink.step_begins();
        let logits = model.step(next, pos, device)?;
        sink.step_queued();
        pos += 1;
        next = sampler.sample(&logits)?;
    }
}
