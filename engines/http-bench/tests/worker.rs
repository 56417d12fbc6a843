//! The binary as the runner drives it: hello, `load`, `workload`, `shutdown`, over stdio, with
//! an API key that reaches the server and appears nowhere in the worker's output.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::mock;
use http_bench::mock::MockConfig;
use serde_json::{Value, json};

const KEY: &str = "sk-test-7f3a9c-never-print-me";

#[test]
fn protocol_session_with_a_secret_key() {
    let server = mock(MockConfig {
        api_key: Some(KEY.to_owned()),
        ..MockConfig::default()
    });
    let load = json!({"type": "load", "model": {"id": "mock", "path": null, "format": null},
        "device": "remote",
        "options": {"engine": "vllm", "url": server.url(), "api_key_env": "HTTP_BENCH_TEST_KEY", "metrics": true}});
    let workload = json!({"type": "workload", "phase": "measure", "request_timeout_ms": 5000,
    "load": {"kind": "closed", "concurrency": 2},
    "requests": [
        {"id": 1, "text": "hello", "chat": true, "max_tokens": 4},
        {"id": 2, "text": "[[mock:echo-auth]]", "chat": true, "max_tokens": 4},
        {"id": 3, "text": "hello", "chat": false, "max_tokens": 4}
    ]});
    let mut child = Command::new(env!("CARGO_BIN_EXE_http-bench"))
        .env("HTTP_BENCH_TEST_KEY", KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn worker");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for m in [&load, &workload, &json!({"type": "shutdown"})] {
            writeln!(stdin, "{m}").expect("write");
        }
    }
    let out = child.wait_with_output().expect("worker output");
    assert!(
        out.status.success(),
        "worker failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(KEY), "key leaked to stdout");
    assert!(!stderr.contains(KEY), "key leaked to stderr");

    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines[0]["type"], "hello");
    assert_eq!(lines[0]["capabilities"]["workload"], true);
    assert_eq!(lines[0]["capabilities"]["devices"], json!(["remote"]));
    assert_eq!(lines[1]["type"], "loaded", "{}", lines[1]);
    assert_eq!(lines[1]["details"]["engine"], "vllm");
    assert_eq!(lines[1]["details"]["served_model"], "mock");
    assert_eq!(lines[1]["details"]["server_version"], "0.0.0-mock");
    let samples: Vec<&Value> = lines.iter().filter(|l| l["type"] == "sample").collect();
    assert_eq!(samples.len(), 3);
    for s in &samples {
        if s["request_id"] == 2 {
            assert_eq!(s["outcome"]["status"], "failed");
            assert_eq!(s["outcome"]["http_status"], 500);
            let message = s["outcome"]["message"].as_str().expect("message");
            assert!(message.contains("<redacted>"), "{message}");
        } else {
            assert_eq!(s["outcome"]["status"], "ok", "authenticated request: {s}");
        }
    }
    let done: Vec<&Value> = lines.iter().filter(|l| l["type"] == "done").collect();
    assert_eq!(done.len(), 2, "one done per workload, one at shutdown");
    assert_eq!(done[0]["samples"], 3);
    // The server's own counters over the workload come back in its `done`.
    assert_eq!(
        done[0]["server_metrics"]["mock_requests_total"], 3.0,
        "{}",
        done[0]
    );
    assert!(done[1].get("server_metrics").is_none(), "{}", done[1]);
}

#[test]
fn check_rejects_bad_options_without_network() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_http-bench"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn worker");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        let check = |options: Value| json!({"type": "check", "model": null, "device": "remote", "options": options});
        writeln!(
            stdin,
            "{}",
            check(json!({"engine": "llamacpp", "url": "http://127.0.0.1:1"}))
        )
        .expect("write");
        writeln!(
            stdin,
            "{}",
            check(json!({"engine": "llamacpp", "api": "grpc"}))
        )
        .expect("write");
    }
    let out = child.wait_with_output().expect("output");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines[1]["type"], "checked");
    assert_eq!(lines[2]["type"], "error");
    assert!(
        lines[2]["message"]
            .as_str()
            .expect("message")
            .contains("grpc")
    );
}
