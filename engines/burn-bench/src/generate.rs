//! The prefill-then-decode loop of one request, pushing every token into the sink.

use bench_worker::sampler::Sampler;
use bench_worker::{Flow, TokenSink};
use shared_protocol::Request;

use crate::model::Llama;

/// Run `request` on `model`: one forward pass over the prompt, `prefill_done`, then one token
/// per forward pass until the sink says stop or the model emits end-of-sequence (unless
/// `ignore_eos`). Logits come back to the host for sampling, which waits for the device: on a
/// GPU backend every token's time is its pass's host time after that wait.
pub fn generate(
    model: &mut Llama,
    eos_ids: &[u32],
    request: &Request,
    sink: &mut TokenSink,
) -> anyhow::Result<()> {
    let prompt = bench_worker::inputs::prompt_ids(
        request,
        "burn-bench",
        model.config().max_seq_len,
        "the positions held (engine option max_seq_len)",
    )?;
    let s = &request.sampling;
    let mut sampler = Sampler::new(s.temperature, s.top_p, s.seed, model.config().vocab);
    let mut logits = read(model.forward(prompt, 0))?;
    sink.prefill_done();
    let mut next = sampler.sample(&mut logits);
    let mut pos = prompt.len();
    loop {
        if !request.ignore_eos && eos_ids.contains(&next) {
            sink.end_of_sequence();
            return Ok(());
        }
        if sink.token(next) == Flow::Stop {
            return Ok(());
        }
        logits = read(model.forward(&[next], pos))?;
        pos += 1;
        next = sampler.sample(&mut logits);
    }
}

/// Bring `[1, vocab]` logits to the host, waiting for the work that produces them.
fn read(logits: burn::tensor::Tensor<2>) -> anyhow::Result<Vec<f32>> {
    logits
        .try_into_data()
        .map_err(|e| anyhow::anyhow!("reading the logits failed: {e:?}"))?
        .try_into_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("logits are not f32: {e:?}"))
}
