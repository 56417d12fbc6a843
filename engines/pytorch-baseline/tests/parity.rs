//! Greedy parity of the worker on the default model with the recorded llama.cpp and candle
//! references, under the rules every engine's parity test shares (`worker_testkit::parity`).
//! The worker reports its own best `TOP_LOGPROBS` tokens per step when asked with the
//! `top_logprobs` option; a reference token outside them is a failure.
//!
//! The worker runs the GGUF weights dequantised to f32 with f32 activations and KV cache: it rounds
//! nothing the references do not, so its distance to each is that reference's own rounding
//! (both dot products with `Q8` activation blocks; llama.cpp also an `f16` KV cache). It must
//! sit closer to candle (f32 KV cache) than to llama.cpp. Skipped, with a message, when the
//! model or torch is absent.

use serde_json::json;
use worker_testkit::parity::{self, Case, Output};

mod support;

/// How many of its best tokens per step the worker reports.
const TOP_LOGPROBS: usize = 50;

/// One worker session over the cases' prompts (both references share them), with each
/// request's decode rate.
fn run_worker(cases: &[Case]) -> Option<(Vec<Output>, Vec<f64>)> {
    let path = support::model()?;
    if !support::torch_available() {
        return None;
    }
    let mut lines = vec![support::load(&path, &json!({"top_logprobs": TOP_LOGPROBS}))];
    for case in cases {
        lines.push(support::generate(
            case.dataset_row as u64,
            Some(&case.prompt_ids),
            case.tokens.len() as u32,
            false,
        ));
    }
    let messages = support::run(&lines);
    worker_testkit::loaded(&messages);
    let samples = support::samples(&messages);
    assert_eq!(samples.len(), cases.len());
    Some(
        samples
            .iter()
            .map(|s| {
                assert_eq!(s["outcome"]["status"], "ok", "{s}");
                let first_step: Vec<(u32, f32)> =
                    serde_json::from_value(s["engine_metrics"]["top_logprobs"][0].clone())
                        .expect("first step's top log-probabilities");
                assert_eq!(first_step.len(), TOP_LOGPROBS);
                let gaps: Vec<u64> = serde_json::from_value(s["itl_ns"].clone()).expect("gaps");
                let decode_tok_s = gaps.len() as f64 / (gaps.iter().sum::<u64>() as f64 / 1e9);
                (
                    Output {
                        tokens: support::ids(s),
                        first_step,
                    },
                    decode_tok_s,
                )
            })
            .unzip(),
    )
}

#[test]
fn greedy_tokens_match_the_references() {
    let llama_cpp = parity::llama_cpp();
    let candle = parity::candle();
    let same_prompts = llama_cpp
        .cases
        .iter()
        .zip(&candle.cases)
        .all(|(a, b)| a.prompt_ids == b.prompt_ids);
    assert!(same_prompts, "the references cover the same prompts");
    let Some((outputs, rates)) = run_worker(&llama_cpp.cases) else {
        return;
    };
    eprintln!(
        "pytorch decode rate over the 20 prompts: median {:.1} tok/s",
        median(&rates)
    );
    parity::assert_f32_engine("pytorch", &outputs);
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
