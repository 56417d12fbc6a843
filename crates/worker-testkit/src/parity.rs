//! Greedy parity on the default model against two recorded references, for every engine's
//! parity test to apply the same rules. The references were recorded for the chat-templated
//! first 20 problems of the default dataset (same prompt ids):
//!
//! - llama.cpp, `engines/lm-rs-bench/tests/fixtures/llamacpp-greedy.json`, made by that
//!   directory's `make_reference.py`;
//! - candle-bench, `candle-greedy.json` beside it, made by candle-bench's `greedy_reference`
//!   example (`scripts/make-parity-references.sh` remakes both).
//!
//! For each prompt ([`compare`]):
//!
//! - the log-probabilities of the reference's five best first tokens must agree within a
//!   tolerance ([`LOGPROB_TOL`], plus [`F16_KV`] against llama.cpp for an engine that keeps its
//!   KV cache in f32);
//! - the greedy tokens (up to 16, or up to end-of-sequence) must equal the reference's, except
//!   that a divergence is accepted at a step where the reference found the engine's token at
//!   most [`NEAR_TIE`] nats less likely than its own; the first differing position is printed
//!   either way;
//! - at least [`MIN_FULL_MATCHES`] prompts must match all the way.
//!
//! The tolerances reflect how sensitive this 135M-parameter model is to rounding: rounding only
//! the keys, values and queries to `f16` (llama.cpp's KV cache type) moves these
//! log-probabilities by up to 0.1 nats, and dotting with unquantised activations instead of `Q8`
//! blocks by up to 0.15. The references differ from each other as much: candle (which rounds
//! the activation blocks' sums differently and keeps its KV cache in `f32`) matches llama.cpp on
//! 18 of the 20 prompts, and its first-step log-probabilities are up to 0.28 nats from
//! llama.cpp's.

use serde::Deserialize;

use crate::prompts::EOS;

/// The model file both references ran.
pub const MODEL: &str = "smollm2-135m-instruct-q4_1.gguf";
/// Largest accepted difference of first-step log-probabilities, in nats.
pub const LOGPROB_TOL: f32 = 0.35;
/// A step may go either way where the reference found the engine's token at most this many nats
/// less likely than its own pick: each log-probability may be `LOGPROB_TOL` off, so the
/// difference of two may be off by twice that.
pub const NEAR_TIE: f32 = 2.0 * LOGPROB_TOL;
/// What rounding keys, values and queries to `f16` alone moves these log-probabilities by.
pub const F16_KV: f32 = 0.1;
/// Prompts that must match all the way.
pub const MIN_FULL_MATCHES: usize = 10;

/// A recorded reference.
#[derive(Debug, Deserialize)]
pub struct Fixture {
    pub model: String,
    pub cases: Vec<Case>,
}

/// One prompt of a reference: its greedy tokens (ending with end-of-sequence where it stopped)
/// and its best tokens with their log-probabilities at each step.
#[derive(Debug, Deserialize)]
pub struct Case {
    pub dataset_row: usize,
    pub prompt_ids: Vec<u32>,
    pub tokens: Vec<u32>,
    pub top_logprobs: Vec<Vec<(u32, f32)>>,
}

/// llama.cpp's reference.
pub fn llama_cpp() -> Fixture {
    parse(include_str!(
        "../../../engines/lm-rs-bench/tests/fixtures/llamacpp-greedy.json"
    ))
}

/// candle-bench's reference.
pub fn candle() -> Fixture {
    parse(include_str!(
        "../../../engines/lm-rs-bench/tests/fixtures/candle-greedy.json"
    ))
}

fn parse(text: &str) -> Fixture {
    let f: Fixture = serde_json::from_str(text).expect("fixture parses");
    assert_eq!(f.model, MODEL);
    f
}

/// What an engine produced for one case.
#[derive(Debug, Clone)]
pub struct Output {
    /// Its greedy tokens, without the end-of-sequence token it stopped at.
    pub tokens: Vec<u32>,
    /// Log-probabilities of the first step's tokens: at least every token the references list
    /// for that step (a listed token that is missing counts as a failure).
    pub first_step: Vec<(u32, f32)>,
}

/// Log-probabilities of every token from one step's logits, as `(id, log-probability)`.
pub fn log_softmax(logits: &[f32]) -> Vec<(u32, f32)> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
    let lse = max + sum.ln() as f32;
    logits
        .iter()
        .zip(0u32..)
        .map(|(&l, i)| (i, l - lse))
        .collect()
}

/// The verdict of one engine against one reference.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Why the engine fails, one line per reason; empty when it passes.
    pub failures: Vec<String>,
    /// The worst first-step log-probability difference, in nats.
    pub worst: f32,
    /// Prompts whose tokens match all the way.
    pub full_matches: usize,
}

/// Compare `engine`'s `outputs` (one per case, in order) with `fixture`, named `reference`,
/// allowing `tolerance` nats on first-step log-probabilities; prints what it finds.
pub fn compare(
    fixture: &Fixture,
    reference: &str,
    engine: &str,
    tolerance: f32,
    outputs: &[Output],
) -> Verdict {
    assert_eq!(outputs.len(), fixture.cases.len(), "one output per case");
    let mut v = Verdict::default();
    for (case, out) in fixture.cases.iter().zip(outputs) {
        let row = case.dataset_row;
        for &(id, want) in &case.top_logprobs[0] {
            let got = out.first_step.iter().find(|t| t.0 == id).map(|t| t.1);
            let diff = got.map_or(f32::INFINITY, |g| (g - want).abs());
            v.worst = v.worst.max(diff);
            if diff > tolerance {
                v.failures.push(format!(
                    "row {row}: first-step log-prob of token {id} differs by {diff:.4} \
                     (> {tolerance}): {engine} {got:?}, {reference} {want}"
                ));
            }
        }
        // The references list the end-of-sequence token they stopped at; engines stop before
        // it, so it is put back to compare like with like (an early stop is then a difference
        // at that position, like any other token).
        let mut got = out.tokens.clone();
        if got.len() < case.tokens.len() {
            got.push(EOS);
        }
        let want = &case.tokens;
        match got.iter().zip(want).position(|(a, b)| a != b) {
            None if got.len() == want.len() => v.full_matches += 1,
            None => v.failures.push(format!(
                "row {row}: {engine} gave {} tokens, {reference} {}",
                got.len(),
                want.len()
            )),
            Some(pos) => {
                // How much less likely the reference found the engine's token than its own
                // pick (infinite when it is not among the reference's top candidates).
                let top = &case.top_logprobs[pos];
                let gap = top
                    .iter()
                    .find(|t| t.0 == got[pos])
                    .map_or(f32::INFINITY, |t| top[0].1 - t.1);
                let msg = format!(
                    "row {row}: first difference at position {pos}: {engine} {} vs {reference} {} \
                     (the reference ranks {engine}'s token {gap:.3} nats below its own)",
                    got[pos], want[pos]
                );
                eprintln!("{msg}");
                if gap > NEAR_TIE {
                    v.failures.push(msg);
                }
            }
        }
    }
    eprintln!(
        "{} of {} prompts match {reference}'s greedy tokens; worst first-step log-prob \
         difference {:.3} nats",
        v.full_matches,
        fixture.cases.len(),
        v.worst
    );
    if v.full_matches < MIN_FULL_MATCHES {
        v.failures.push(format!(
            "only {} of {} prompts match {reference} all the way (need {MIN_FULL_MATCHES})",
            v.full_matches,
            fixture.cases.len()
        ));
    }
    v
}

/// Compare `engine`'s `outputs` (for the references' cases, in order) with both references,
/// allowing `to_llama_cpp` and `to_candle` nats on first-step log-probabilities; panics with
/// every failure, else returns both verdicts.
pub fn assert_engine(
    engine: &str,
    outputs: &[Output],
    to_llama_cpp: f32,
    to_candle: f32,
) -> (Verdict, Verdict) {
    let llama = compare(&llama_cpp(), "llama.cpp", engine, to_llama_cpp, outputs);
    let cand = compare(&candle(), "candle", engine, to_candle, outputs);
    let failures: Vec<_> = llama.failures.iter().chain(&cand.failures).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    (llama, cand)
}

/// The verdict for an engine that computes in f32 throughout (weights dequantised, f32
/// activations and KV cache): against llama.cpp within `LOGPROB_TOL + F16_KV` (llama.cpp also
/// rounds keys, values and queries to f16), against candle within `LOGPROB_TOL`, and closer to
/// candle (f32 KV cache) than to llama.cpp, since it rounds nothing the references do not.
/// `outputs` are for the references' cases, in order. Panics with every failure.
pub fn assert_f32_engine(engine: &str, outputs: &[Output]) {
    let (to_llama_cpp, to_candle) =
        assert_engine(engine, outputs, LOGPROB_TOL + F16_KV, LOGPROB_TOL);
    assert!(
        to_candle.worst < to_llama_cpp.worst,
        "f32 {engine} should sit closer to candle ({:.3} nats) than to llama.cpp ({:.3} nats)",
        to_candle.worst,
        to_llama_cpp.worst
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output_of(case: &Case) -> Output {
        let mut tokens = case.tokens.clone();
        if tokens.last() == Some(&EOS) {
            tokens.pop();
        }
        Output {
            tokens,
            first_step: case.top_logprobs[0].clone(),
        }
    }

    #[test]
    fn a_reference_passes_against_itself_and_a_wrong_engine_fails() {
        let f = llama_cpp();
        let same: Vec<Output> = f.cases.iter().map(output_of).collect();
        let v = compare(&f, "llama.cpp", "itself", LOGPROB_TOL, &same);
        assert!(v.failures.is_empty(), "{:?}", v.failures);
        assert_eq!(v.full_matches, f.cases.len());

        // An engine one nat off on every first-step token and always starting with a token the
        // reference ranks nowhere.
        let wrong: Vec<Output> = same
            .iter()
            .map(|o| Output {
                tokens: std::iter::once(49_000)
                    .chain(o.tokens[1..].iter().copied())
                    .collect(),
                first_step: o.first_step.iter().map(|&(i, l)| (i, l - 1.0)).collect(),
            })
            .collect();
        let v = compare(&f, "llama.cpp", "wrong", LOGPROB_TOL, &wrong);
        assert!(v.failures.len() > f.cases.len(), "{:?}", v.failures);
        assert!((v.worst - 1.0).abs() < 1e-4, "{}", v.worst);
        assert_eq!(v.full_matches, 0);
    }

    #[test]
    fn log_softmax_normalises() {
        let l = log_softmax(&[1.0, 2.0, 3.0]);
        let total: f32 = l.iter().map(|&(_, x)| x.exp()).sum();
        assert!((total - 1.0).abs() < 1e-6);
        assert!(l[2].1 > l[1].1 && l[1].1 > l[0].1);
    }
}
