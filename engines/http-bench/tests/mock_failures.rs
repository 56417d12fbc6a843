//! Every failure kind becomes a failed sample with its reason and whatever timing it had, and
//! the run goes on.

mod common;

use common::{mock, request, run, workload};
use http_bench::mock::MockConfig;
use serde_json::json;
use shared_protocol::{FailureKind, LoadPattern, Outcome, Sample};

fn kind(s: &Sample) -> Option<FailureKind> {
    match &s.outcome {
        Outcome::Ok => None,
        Outcome::Failed { kind, .. } => Some(*kind),
    }
}

#[test]
fn each_fault_is_a_failed_sample_and_the_run_goes_on() {
    let server = mock(MockConfig::default());
    let texts = [
        "fine",
        "[[mock:429]]",
        "[[mock:500]]",
        "[[mock:reset]]",
        "[[mock:cut:3]]",
        "[[mock:malformed:2]]",
        "[[mock:stall:4]]",
        "fine again",
    ];
    let requests = texts
        .iter()
        .enumerate()
        .map(|(i, t)| request(i as u64, t, true, 8))
        .collect();
    // One user, so each request follows a failed one on a fresh connection.
    let w = workload(requests, LoadPattern::Closed { concurrency: 1 }, 1_000);
    let (samples, _) = run("vllm", &server.url(), &json!({}), &w);
    assert_eq!(samples.len(), texts.len());
    let by_id = |id: u64| samples.iter().find(|s| s.request_id == id).expect("sample");

    assert_eq!(kind(by_id(0)), None);
    assert_eq!(kind(by_id(7)), None, "the run goes on after failures");
    for (id, status) in [(1, 429), (2, 500)] {
        let s = by_id(id);
        assert_eq!(kind(s), Some(FailureKind::HttpStatus));
        let Outcome::Failed {
            http_status,
            message,
            ..
        } = &s.outcome
        else {
            unreachable!()
        };
        assert_eq!(*http_status, Some(status));
        assert!(message.contains("mock fault"), "{message}");
    }
    assert_eq!(kind(by_id(3)), Some(FailureKind::Connection));

    // Failures mid-stream keep what was measured before them.
    let cut = by_id(4);
    assert_eq!(kind(cut), Some(FailureKind::StreamCut));
    assert_eq!(cut.token_counts.chunks, Some(3));
    assert!(cut.ttft_ns.is_some());
    assert_eq!(cut.itl_ns.len(), 2);
    let malformed = by_id(5);
    assert_eq!(kind(malformed), Some(FailureKind::Malformed));
    assert_eq!(malformed.token_counts.chunks, Some(2));
    let stalled = by_id(6);
    assert_eq!(kind(stalled), Some(FailureKind::Timeout));
    assert_eq!(stalled.token_counts.chunks, Some(4));
    assert!(
        stalled.e2e_ns >= 1_000_000_000,
        "timed out after the 1 s limit"
    );
    for s in [cut, malformed, stalled] {
        assert!(s.finish_reason.is_none());
        assert_eq!(
            s.output_text.as_deref().map(str::len),
            Some(4 * s.token_counts.chunks.unwrap_or(0) as usize)
        );
    }
}

#[test]
fn refused_connections_are_failed_samples() {
    use bench_load::start;
    use http_bench::client::{Prepared, Target};
    use http_bench::load::Plan;
    use std::sync::Arc;

    // A client socket's own port: bound while the socket lives, and nothing listens there (a
    // port picked free and closed could be taken by another test before it is used).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let client =
        std::net::TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let port = client.local_addr().expect("client address").port();
    let runtime = http_bench::engine::client_runtime(1).expect("runtime");
    let base = http_bench::url::BaseUrl::parse(&format!("http://127.0.0.1:{port}")).expect("url");
    let target = Arc::new(
        runtime
            .block_on(Target::resolve(base, None, None))
            .expect("resolve"),
    );
    let requests: Vec<_> = (0..3).map(|i| request(i, "x", true, 4)).collect();
    let prepared = requests
        .iter()
        .map(|r| Prepared {
            api: http_bench::api::Api::Chat,
            path: "/v1/chat/completions".into(),
            body: http_bench::api::body(
                http_bench::api::Api::Chat,
                shared_protocol::EngineId::Vllm,
                "m",
                r,
            )
            .to_string()
            .into(),
            max_tokens: 4,
        })
        .collect();
    let plan = Plan {
        target,
        requests,
        prepared,
        phase: shared_protocol::Phase::Measure,
        timeout: std::time::Duration::from_secs(2),
        retries: 0,
        retry_backoff: std::time::Duration::ZERO,
    };
    let rx = start(
        Arc::new(plan),
        runtime.handle(),
        &LoadPattern::Closed { concurrency: 2 },
        "http-bench",
    )
    .expect("start");
    let samples: Vec<Sample> = rx.iter().collect();
    assert_eq!(samples.len(), 3);
    for s in &samples {
        assert_eq!(kind(s), Some(FailureKind::Connection), "{:?}", s.outcome);
        assert!(s.ttft_ns.is_none());
    }
}

#[test]
fn an_error_event_inside_the_stream_is_an_engine_error() {
    use http_bench::decode::{Decoder, StreamError};
    use http_bench::record::Recorder;
    let mut d = Decoder::new(http_bench::api::Api::Chat);
    let mut rec = Recorder::new(4);
    let r = d.feed(
        b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"error\":{\"message\":\"out of memory\"}}\n\n",
        1,
        &mut rec,
    );
    assert_eq!(r, Err(StreamError::Engine("out of memory".into())));
    assert_eq!(rec.chunks(), 1);
}
