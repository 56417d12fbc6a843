//! Closed and open loop against the mock with known delays: every request gives one sample,
//! and the measured TTFT and ITL recover the mock's delays (medians, loosely).

mod common;

use common::{median, mock, ms, near, near_or_late, request, run, workload};
use http_bench::mock::MockConfig;
use serde_json::json;
use shared_protocol::{Arrival, LoadPattern, TokenSource};

#[test]
fn closed_loop_recovers_the_mock_delays() {
    let server = mock(MockConfig {
        ttft: ms(40),
        itl: ms(10),
        ..MockConfig::default()
    });
    let requests = (0..8).map(|i| request(i, "hello there", true, 8)).collect();
    let w = workload(requests, LoadPattern::Closed { concurrency: 4 }, 10_000);
    let (samples, _) = run("vllm", &server.url(), &json!({}), &w);
    assert_eq!(samples.len(), 8);
    let mut ids: Vec<u64> = samples.iter().map(|s| s.request_id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..8).collect::<Vec<_>>());
    for s in &samples {
        assert!(s.outcome.is_ok(), "{:?}", s.outcome);
        assert_eq!(s.itl_ns.len(), 7);
        assert_eq!(s.tokens_per_chunk.as_deref(), Some(&[1; 7][..]));
        assert_eq!(s.token_counts.chunks, Some(8));
        assert_eq!(s.token_counts.server_completion, Some(8));
        assert_eq!(s.completion_tokens_source, TokenSource::ServerUsage);
        assert_eq!(s.token_counts.server_prompt, Some(2));
        assert_eq!(s.output_text.as_deref(), Some(&"tok ".repeat(8)[..]));
        assert!(s.scheduled_mono_ns.is_none());
        assert!(s.e2e_ns >= s.ttft_ns.expect("ttft") + s.itl_ns.iter().sum::<u64>());
    }
    let ttft = median(samples.iter().filter_map(|s| s.ttft_ns).collect());
    let itl = median(samples.iter().flat_map(|s| s.itl_ns.clone()).collect());
    assert!(
        near_or_late(ttft, 40e6, 0.2),
        "median ttft {ttft} ns, mock 40 ms"
    );
    assert!(near(itl, 10e6, 0.2), "median itl {itl} ns, mock 10 ms");
}

#[test]
fn vllm_continuous_usage_gives_server_tokens_per_chunk() {
    let server = mock(MockConfig {
        tokens_per_chunk: 3,
        record_bodies: true,
        ..MockConfig::default()
    });
    let w = workload(
        vec![request(0, "x", false, 12)],
        LoadPattern::Closed { concurrency: 1 },
        5_000,
    );
    let (samples, _) = run("vllm", &server.url(), &json!({}), &w);
    let s = &samples[0];
    assert!(s.outcome.is_ok(), "{:?}", s.outcome);
    assert_eq!(s.token_counts.chunks, Some(4));
    assert_eq!(s.tokens_per_chunk.as_deref(), Some(&[3, 3, 3][..]));
    assert_eq!(s.completion_tokens, 12);
    let body = &server.state.bodies()[0];
    assert_eq!(body["prompt"], "x");
    assert_eq!(body["ignore_eos"], true);
    assert_eq!(body["min_tokens"], 12);
    assert_eq!(body["model"], "mock", "model discovered from /v1/models");
}

#[test]
fn open_loop_keeps_intended_send_times_and_shows_lag() {
    // 20 ms to the first chunk and 5 more chunks 5 ms apart: about 45 ms a request. Two slots
    // serve about 44 requests/s, so 100/s builds a queue and lag must appear.
    let server = mock(MockConfig {
        ttft: ms(20),
        itl: ms(5),
        ..MockConfig::default()
    });
    let requests = (0..12).map(|i| request(i, "q", true, 6)).collect();
    let load = LoadPattern::Open {
        rate_rps: 100.0,
        arrival: Arrival::Poisson,
        max_concurrency: Some(2),
        seed: 3,
        ramp_up_s: 0.0,
    };
    let (samples, messages) = run(
        "sglang",
        &server.url(),
        &json!({}),
        &workload(requests, load, 10_000),
    );
    assert_eq!(samples.len(), 12);
    let mut lags = Vec::new();
    for s in &samples {
        assert!(s.outcome.is_ok(), "{:?}", s.outcome);
        let scheduled = s
            .scheduled_mono_ns
            .expect("open loop records the intended time");
        assert!(s.start_mono_ns >= scheduled);
        lags.push(s.start_mono_ns - scheduled);
    }
    let max_lag = lags.iter().max().copied().unwrap_or(0);
    assert!(
        max_lag > 20_000_000,
        "max lag {max_lag} ns with a queue building"
    );
    assert!(messages.iter().any(|m| matches!(m, shared_protocol::WorkerMessage::Progress(p) if p.done == 12 && p.total == 12)));
}

#[test]
fn open_loop_with_room_sends_on_time() {
    let server = mock(MockConfig::default());
    let requests = (0..10).map(|i| request(i, "q", false, 4)).collect();
    let load = LoadPattern::Open {
        rate_rps: 50.0,
        arrival: Arrival::Constant,
        max_concurrency: None,
        seed: 0,
        ramp_up_s: 0.0,
    };
    let (samples, _) = run(
        "llamacpp",
        &server.url(),
        &json!({}),
        &workload(requests, load, 5_000),
    );
    let mut scheduled: Vec<u64> = samples.iter().filter_map(|s| s.scheduled_mono_ns).collect();
    scheduled.sort_unstable();
    assert_eq!(scheduled.len(), 10);
    let gaps: Vec<u64> = scheduled.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|&g| g == 20_000_000),
        "constant 50/s is 20 ms apart: {gaps:?}"
    );
    assert!(samples.iter().all(|s| s.outcome.is_ok()));
}
