//! Chat replies that reason before answering, and answers that are tool calls, against the mock:
//! TTFT is the first token of any kind, the first answer token is recorded beside it, ITL spans
//! every chunk, and reasoning tokens come from the server's usage or else the tokenizer.

mod common;

use common::{median, mock, ms, near, near_or_late, request, run, workload};
use http_bench::mock::MockConfig;
use serde_json::json;
use shared_protocol::{LoadPattern, TokenSource};

#[test]
fn reasoning_then_answer_with_the_servers_reasoning_count() {
    // Ten chunks per reply, 30 ms to the first and 10 ms apart: four of reasoning (30 to 60 ms),
    // then six of answer (70 to 120 ms). The answer starts four gaps, 40 ms, after the first
    // token; the usage says 4 reasoning tokens.
    let server = mock(MockConfig {
        ttft: ms(30),
        itl: ms(10),
        chunks: Some(10),
        reasoning_chunks: 4,
        reasoning_usage: true,
        ..MockConfig::default()
    });
    let requests = (0..4).map(|i| request(i, "why", true, 10)).collect();
    let w = workload(requests, LoadPattern::Closed { concurrency: 2 }, 10_000);
    let (samples, _) = run("vllm", &server.url(), &json!({}), &w);
    assert_eq!(samples.len(), 4);
    let mut reasoning_span = Vec::new();
    for s in &samples {
        assert!(s.outcome.is_ok(), "{:?}", s.outcome);
        // Every chunk, reasoning or answer, is a generated token: 10 chunks, 9 gaps.
        assert_eq!(s.token_counts.chunks, Some(10));
        assert_eq!(s.itl_ns.len(), 9);
        assert_eq!(
            s.output_text.as_deref(),
            Some(&("think ".repeat(4) + &"tok ".repeat(6))[..])
        );
        let ttft = s.ttft_ns.expect("ttft");
        let r = s.reasoning.as_ref().expect("the reply reasoned");
        let first_answer = r.first_answer_ns.expect("an answer came");
        // The answer's first chunk is the fifth: TTFT plus the first four gaps, exactly.
        assert_eq!(first_answer, ttft + s.itl_ns[..4].iter().sum::<u64>());
        reasoning_span.push(first_answer - ttft);
        assert_eq!(r.chunks, 4);
        assert_eq!(
            (r.tokens, r.tokens_source, r.server_tokens),
            (Some(4), Some(TokenSource::ServerUsage), Some(4))
        );
        assert_eq!(r.text.as_deref(), Some(&"think ".repeat(4)[..]));
        assert_eq!(s.completion_tokens, 10);
    }
    let ttft = median(samples.iter().filter_map(|s| s.ttft_ns).collect());
    let span = median(reasoning_span);
    assert!(
        near_or_late(ttft, 30e6, 0.3),
        "median ttft {ttft} ns, mock 30 ms"
    );
    assert!(
        near(span, 40e6, 0.3),
        "median reasoning span {span} ns, mock 40 ms"
    );
}

#[test]
fn reasoning_then_tool_call_counted_by_the_tokenizer() {
    // Five chunks of two tokens: two of reasoning ("think think " each), then three tool-call
    // argument fragments. No reasoning count in the usage, so the tokenizer's stands: here one
    // token a word, 4 words of reasoning.
    let server = mock(MockConfig {
        itl: ms(2),
        tokens_per_chunk: 2,
        chunks: Some(5),
        reasoning_chunks: 2,
        tool_calls: true,
        ..MockConfig::default()
    });
    let w = workload(
        vec![request(0, "call", true, 10)],
        LoadPattern::Closed { concurrency: 1 },
        5_000,
    );
    let (samples, _) = run("vllm", &server.url(), &json!({}), &w);
    let s = &samples[0];
    assert!(s.outcome.is_ok(), "{:?}", s.outcome);
    assert_eq!(s.token_counts.chunks, Some(5), "tool-call chunks count");
    assert_eq!(s.itl_ns.len(), 4);
    assert_eq!(
        s.output_text.as_deref(),
        Some(&("think ".repeat(4) + &"tok ".repeat(6))[..])
    );
    let mut r = s.reasoning.clone().expect("the reply reasoned");
    assert_eq!(
        r.first_answer_ns,
        Some(s.ttft_ns.expect("ttft") + s.itl_ns[..2].iter().sum::<u64>())
    );
    assert_eq!(r.chunks, 2);
    assert_eq!(
        (r.tokens, r.tokens_source, r.server_tokens),
        (None, None, None)
    );
    r.count_with(|text| u32::try_from(text.split_whitespace().count()).ok());
    assert_eq!(
        (r.tokens, r.tokens_source, r.tokenizer_tokens),
        (Some(4), Some(TokenSource::Tokenizer), Some(4))
    );
}

#[test]
fn plain_replies_carry_no_reasoning() {
    let server = mock(MockConfig::default());
    let w = workload(
        vec![request(0, "hi", true, 3)],
        LoadPattern::Closed { concurrency: 1 },
        5_000,
    );
    let (samples, _) = run("vllm", &server.url(), &json!({}), &w);
    assert!(samples[0].outcome.is_ok(), "{:?}", samples[0].outcome);
    assert!(samples[0].reasoning.is_none());
}
