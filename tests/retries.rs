//! `--retries N` against the HTTP mock failing a share of requests: every failed attempt is
//! kept in its request's sample, the retried sample says so, and the failure rate counts first
//! attempts.

mod support;

use std::path::Path;

use support::{jsonl, mock_server, runner, stderr, summary};

/// 40 measured requests, no warm-up, one at a time, to the mock at `url`.
fn compare(out: &Path, url: &str, retries: &str) -> std::process::Output {
    let url_arg = format!("vllm={url}");
    runner(&[
        "compare",
        "--engines",
        "vllm",
        "--url",
        &url_arg,
        "--requests",
        "40",
        "--warmup",
        "0",
        "--max-tokens",
        "4",
        "--ignore-eos",
        "--concurrency",
        "1",
        "--telemetry",
        "none",
        "--retries",
        retries,
        "-o",
        "vllm.retry_backoff_ms=1",
        "--out",
        out.to_str().expect("utf-8"),
    ])
}

#[test]
fn retried_requests_keep_every_attempt_and_the_rate_counts_first_attempts() {
    // Every 5th request the mock receives fails with 503. One at a time, sends 1-4 are requests
    // 0-3, send 5 (request 4) fails and its retry is send 6; requests 5-7 are sends 7-9, send 10
    // (request 8) fails, and so on: requests 4, 8, ..., 36 fail once each (9 of 40), then pass.
    let (_mock, url) = mock_server(&["--fault", "503", "--fault-every", "5"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let res = compare(&out, &url, "2");
    assert!(res.status.success(), "{}", stderr(&res));
    let rows = jsonl(&out.join("samples.jsonl"));
    assert_eq!(rows.len(), 40, "one row per request");
    let retried: Vec<u64> = rows
        .iter()
        .filter(|r| r["retry"] == 1)
        .map(|r| r["request_id"].as_u64().expect("id"))
        .collect();
    assert_eq!(retried, (1..=9).map(|k| 4 * k).collect::<Vec<u64>>());
    for r in rows.iter().filter(|r| r["retry"] == 1) {
        assert_eq!(r["outcome"]["status"], "ok");
        let attempts = r["engine_metrics"]["failed_attempts"]
            .as_array()
            .expect("failed attempts kept");
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0]["outcome"]["http_status"], 503);
    }
    assert!(
        rows.iter()
            .filter(|r| r["retry"] != 1)
            .all(|r| r.get("retry").is_none())
    );
    let e = &summary(&out)["engines"]["vllm"];
    assert_eq!(e["requests"]["ok"], 40);
    assert_eq!(e["requests"]["failed"], 0);
    assert_eq!(e["requests"]["retried"], 9);
    assert_eq!(e["requests"]["first_attempt_failure_rate"], 9.0 / 40.0);
}

#[test]
fn a_request_failing_past_its_retries_is_failed_with_every_attempt_recorded() {
    let (_mock, url) = mock_server(&["--fault", "429"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let res = compare(&out, &url, "2");
    assert!(res.status.success(), "{}", stderr(&res));
    let rows = jsonl(&out.join("samples.jsonl"));
    assert_eq!(rows.len(), 40);
    for r in &rows {
        assert_eq!(r["retry"], 2, "two retries after the first attempt");
        assert_eq!(r["outcome"]["http_status"], 429);
        let attempts = r["engine_metrics"]["failed_attempts"]
            .as_array()
            .expect("failed attempts kept");
        assert_eq!(attempts.len(), 2, "the two attempts before the last");
    }
    let e = &summary(&out)["engines"]["vllm"];
    assert_eq!(e["requests"]["failed"], 40);
    assert_eq!(e["requests"]["retried"], 40);
    assert_eq!(e["requests"]["first_attempt_failure_rate"], 1.0);
}
