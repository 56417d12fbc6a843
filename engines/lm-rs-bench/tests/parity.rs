//! Greedy parity of lm-rs on the default model with the recorded llama.cpp and candle
//! references, under the rules every engine's parity test shares (`worker_testkit::parity`),
//! each reference within `LOGPROB_TOL` nats on first-step log-probabilities: lm-rs dots `Q8`
//! activation blocks as both references do, and keeps its KV cache in f32.
//!
//! Skipped, with a message, when the model file is absent.

use bench_worker::TokenSink;
use lm_rs_bench::LmRs;
use shared_protocol::{Request, Sampling};
use worker_testkit::parity::{self, Fixture, LOGPROB_TOL, Output};

#[test]
fn greedy_tokens_match_llama_cpp() {
    check_against(&parity::llama_cpp(), "llama.cpp");
}

#[test]
fn greedy_tokens_match_candle() {
    check_against(&parity::candle(), "candle");
}

/// Run every case of a reference through lm-rs and compare.
fn check_against(fixture: &Fixture, reference: &str) {
    let Some(path) = worker_testkit::default_model() else {
        return;
    };
    let mut engine = LmRs::open(&path, None).expect("model loads");
    let outputs: Vec<Output> = fixture
        .cases
        .iter()
        .map(|case| {
            let logits = engine.prompt_logits(&case.prompt_ids).expect("prefill");
            let n = case.tokens.len() as u32;
            let request = Request {
                id: case.dataset_row as u64,
                text: String::new(),
                prompt_token_ids: Some(case.prompt_ids.clone()),
                chat: true,
                max_tokens: n,
                ignore_eos: false,
                sampling: Sampling::default(),
            };
            let mut sink = TokenSink::new(None);
            sink.prepare(n).expect("prepare");
            sink.start();
            engine
                .run(&case.prompt_ids, &request, &mut sink)
                .expect("generate");
            Output {
                tokens: sink.ids().to_vec(),
                first_step: parity::log_softmax(&logits),
            }
        })
        .collect();
    let verdict = parity::compare(fixture, reference, "lm-rs", LOGPROB_TOL, &outputs);
    assert!(verdict.failures.is_empty(), "{:#?}", verdict.failures);
}
