//! The prefill-then-decode loop of one request, pushing every token into the sink.

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
    let prompt = bench_worker::inputs::prompt_ids(
        request,
        "candle-bench",
        limits.max_seq_len,
        "the model's positions",
    )?;
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
