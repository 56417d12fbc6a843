//! Running the model directly, for the tests that compare burn with itself and with the
//! references.

#![allow(dead_code, reason = "each test file uses a part")]

use bench_worker::TokenSink;
use burn_bench::model::Llama;
use shared_protocol::{Request, Sampling};
use worker_testkit::parity::{Output, log_softmax};

/// For each prompt: the first step's log-probabilities (the prompt's forward pass) and the greedy
/// tokens of one request through `generate`, as the worker runs it.
pub fn run(
    model: &mut Llama,
    eos_ids: &[u32],
    prompts: &[&[u32]],
    max_tokens: &[u32],
    ignore_eos: bool,
) -> Vec<Output> {
    prompts
        .iter()
        .zip(max_tokens)
        .map(|(prompt, &max_tokens)| {
            let logits = model
                .forward(prompt, 0)
                .into_data()
                .try_into_vec::<f32>()
                .expect("f32 logits");
            let request = Request {
                id: 0,
                text: String::new(),
                prompt_token_ids: Some(prompt.to_vec()),
                chat: true,
                max_tokens,
                ignore_eos,
                sampling: Sampling::default(),
            };
            let mut sink = TokenSink::new(None);
            sink.prepare(max_tokens).expect("prepare");
            sink.start();
            burn_bench::generate::generate(model, eos_ids, &request, &mut sink).expect("generate");
            Output {
                tokens: sink.ids().to_vec(),
                first_step: log_softmax(&logits),
            }
        })
        .collect()
}

/// The largest difference between two outputs' first-step log-probabilities, in nats.
pub fn worst_difference(a: &Output, b: &Output) -> f32 {
    a.first_step
        .iter()
        .zip(&b.first_step)
        .map(|(x, y)| (x.1 - y.1).abs())
        .fold(0f32, f32::max)
}
