//! Replies that reasoned before answering: when the answer began and how many reasoning tokens
//! came first.

use bench_stats::Summary;
use serde::{Deserialize, Serialize};
use shared_protocol::TokenSource;

use super::stat;
use crate::metrics::{self, Request};

/// Time to the first answer token and reasoning tokens per request, over every successful
/// measured request of an engine (a reply that did not reason answers at its TTFT, with no
/// reasoning tokens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningFigures {
    /// Successful measured requests that reasoned.
    pub requests: u64,
    /// [`metrics::time_to_first_answer_ms`] of each request that answered.
    pub time_to_first_answer_ms: Option<Summary>,
    /// Reasoning tokens of each request whose count is known.
    pub reasoning_tokens: Option<Summary>,
    /// Requests that reasoned, by where their reasoning token count came from.
    pub tokens_from_server_usage: u64,
    pub tokens_from_tokenizer: u64,
    pub tokens_unknown: u64,
}

/// The reasoning figures of `ok` (successful measured requests), when any of them reasoned.
pub fn reasoning_figures(ok: &[&Request]) -> Option<ReasoningFigures> {
    let reasoned = ok.iter().filter_map(|r| r.reasoning.as_ref());
    let requests = reasoned.clone().count() as u64;
    if requests == 0 {
        return None;
    }
    let from = |source: Option<TokenSource>| {
        reasoned
            .clone()
            .filter(|r| r.tokens.is_some() && r.tokens_source == source)
            .count() as u64
    };
    Some(ReasoningFigures {
        requests,
        time_to_first_answer_ms: stat(
            ok.iter()
                .filter_map(|r| metrics::time_to_first_answer_ms(r))
                .collect(),
        ),
        reasoning_tokens: stat(
            ok.iter()
                .filter_map(|r| match &r.reasoning {
                    Some(x) => x.tokens.map(f64::from),
                    None => Some(0.0),
                })
                .collect(),
        ),
        tokens_from_server_usage: from(Some(TokenSource::ServerUsage)),
        tokens_from_tokenizer: from(Some(TokenSource::Tokenizer)),
        tokens_unknown: reasoned.filter(|r| r.tokens.is_none()).count() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::sample;
    use shared_protocol::{EngineId, Reasoning};

    #[test]
    fn none_without_reasoning_and_plain_replies_answer_at_ttft() {
        let plain = Request::of(0, EngineId::Sim, 0, &sample(10, 50, 5));
        assert_eq!(reasoning_figures(&[&plain]), None);

        // Two replies reasoned: 12 tokens (server) answering at 30 ms, and 20 (tokenizer)
        // answering at 50 ms; a third did not reason and answers at its TTFT, 10 ms, with 0
        // reasoning tokens. A fourth reasoned and never answered, its count unknown.
        let with = |ttft_ms: u64, first_answer_ms: Option<u64>, tokens, source| {
            let mut s = sample(ttft_ms, 100, 30);
            s.reasoning = Some(Reasoning {
                first_answer_ns: first_answer_ms.map(|ms| ms * 1_000_000),
                chunks: 8,
                tokens,
                tokens_source: source,
                ..Reasoning::default()
            });
            Request::of(0, EngineId::Sim, 0, &s)
        };
        let a = with(5, Some(30), Some(12), Some(TokenSource::ServerUsage));
        let b = with(6, Some(50), Some(20), Some(TokenSource::Tokenizer));
        let c = with(7, None, None, None);
        let f = reasoning_figures(&[&a, &b, &plain, &c]).expect("three replies reasoned");
        assert_eq!(f.requests, 3);
        let answer = f.time_to_first_answer_ms.expect("three answered");
        assert_eq!(answer.n, 3);
        assert!((answer.mean - 30.0).abs() < 1e-9, "(30 + 50 + 10) / 3");
        let tokens = f.reasoning_tokens.expect("three counts known");
        assert_eq!(tokens.n, 3);
        assert!((tokens.mean - 32.0 / 3.0).abs() < 1e-9, "(12 + 20 + 0) / 3");
        assert_eq!(
            (
                f.tokens_from_server_usage,
                f.tokens_from_tokenizer,
                f.tokens_unknown
            ),
            (1, 1, 1)
        );
    }
}
