//! Ollama (NDJSON) and TGI (`/generate_stream` SSE) shapes against the mock, built from their
//! documented formats, and the server's own figures recorded beside the client's.

mod common;

use common::{median, mock, ms, near, near_or_late, request, run, workload};
use http_bench::mock::MockConfig;
use serde_json::json;
use shared_protocol::{FinishReason, LoadPattern, TokenSource};

#[test]
fn ollama_chat_and_generate_record_the_servers_counters() {
    let server = mock(MockConfig {
        ttft: ms(30),
        itl: ms(10),
        record_bodies: true,
        ..MockConfig::default()
    });
    let requests = vec![
        request(0, "one two three", true, 6),
        request(1, "one two three", false, 6),
        request(2, "one two three", true, 6),
        request(3, "one two three", false, 6),
    ];
    let w = workload(requests, LoadPattern::Closed { concurrency: 2 }, 5_000);
    let (samples, _) = run("ollama", &server.url(), &json!({}), &w);
    assert_eq!(samples.len(), 4);
    for s in &samples {
        assert!(s.outcome.is_ok(), "{:?}", s.outcome);
        assert_eq!(s.token_counts.chunks, Some(6));
        assert_eq!(
            (s.completion_tokens, s.completion_tokens_source),
            (6, TokenSource::ServerUsage)
        );
        assert_eq!(s.prompt_tokens, Some(3));
        assert_eq!(s.engine_metrics["eval_count"], 6);
        assert_eq!(s.engine_metrics["prompt_eval_duration"], 30_000_000);
        assert_eq!(s.engine_metrics["eval_duration"], 50_000_000);
        assert!(s.engine_metrics.contains_key("load_duration"));
        assert_eq!(s.finish_reason, Some(FinishReason::Length));
    }
    let ttft = median(samples.iter().filter_map(|s| s.ttft_ns).collect());
    assert!(near_or_late(ttft, 30e6, 0.2), "median ttft {ttft}");
    let bodies = server.state.bodies();
    assert!(
        bodies
            .iter()
            .any(|b| b["messages"][0]["content"] == "one two three")
    );
    assert!(bodies.iter().any(|b| b["prompt"] == "one two three"));
    assert!(bodies.iter().all(|b| b["options"]["num_predict"] == 6));
}

#[test]
fn tgi_native_stream() {
    let server = mock(MockConfig {
        itl: ms(8),
        tokens_per_chunk: 1,
        record_bodies: true,
        ..MockConfig::default()
    });
    let requests = (0..3).map(|i| request(i, "hi", false, 5)).collect();
    let w = workload(requests, LoadPattern::Closed { concurrency: 3 }, 5_000);
    let (samples, _) = run("tgi", &server.url(), &json!({}), &w);
    for s in &samples {
        assert!(s.outcome.is_ok(), "{:?}", s.outcome);
        assert_eq!(s.token_counts.chunks, Some(5));
        assert_eq!(s.token_counts.server_completion, Some(5));
        assert_eq!(s.finish_reason, Some(FinishReason::Length));
    }
    let itl = median(samples.iter().flat_map(|s| s.itl_ns.clone()).collect());
    assert!(near(itl, 8e6, 0.25), "median itl {itl}");
    assert_eq!(server.state.bodies()[0]["parameters"]["max_new_tokens"], 5);
}

#[test]
fn metrics_scrape_and_explicit_api() {
    let server = mock(MockConfig::default());
    let w = workload(
        vec![request(0, "x", false, 3)],
        LoadPattern::Closed { concurrency: 1 },
        5_000,
    );
    // A chat route forced on a completion-style request: text goes out as the user message.
    let (samples, _) = run(
        "tgi",
        &server.url(),
        &json!({"api": "chat", "metrics": true}),
        &w,
    );
    assert!(samples[0].outcome.is_ok(), "{:?}", samples[0].outcome);
    assert_eq!(samples[0].token_counts.chunks, Some(3));
}
