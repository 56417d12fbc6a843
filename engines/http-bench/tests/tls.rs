//! `https` servers: the mock serving TLS with a generated CA, trusted through `ca_cert`
//! (`--ca-cert`); the same measurements as plain HTTP, arrival times from the socket reads, an
//! untrusted certificate refused with a message naming the flag, and no key in any output.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use bench_worker::{Engine, mono_ns};
use common::{load_request, request, run, workload};
use http_bench::HttpBench;
use http_bench::h1::Conn;
use http_bench::mock::{MockConfig, MockServer, MockTls, start_thread_with};
use serde_json::{Value, json};
use shared_protocol::{LoadPattern, Sample};

const KEY: &str = "sk-tls-test-5e1d-never-print-me";

/// A mock serving `https` with a new CA, and that CA's certificate written to a file.
fn tls_mock(config: MockConfig, name: &str) -> (MockServer, PathBuf) {
    let tls = MockTls::generate().expect("certificate");
    let path =
        std::env::temp_dir().join(format!("http-bench-{name}-{}-ca.pem", std::process::id()));
    std::fs::write(&path, &tls.ca_pem).expect("write CA");
    let server = start_thread_with(config, 0, 1, Some(&tls)).expect("start TLS mock");
    (server, path)
}

fn chunks(config: u32) -> MockConfig {
    MockConfig {
        chunks: Some(config),
        itl: common::ms(2),
        ..MockConfig::default()
    }
}

/// Every arrival (first content chunk, then each gap) inside the request's window.
fn arrivals_in_window(s: &Sample) {
    let ttft = s.ttft_ns.expect("ttft");
    assert!(ttft > 0);
    let last = ttft + s.itl_ns.iter().sum::<u64>();
    assert!(
        last <= s.e2e_ns,
        "last content arrival {last} ns after the end {} ns",
        s.e2e_ns
    );
}

#[test]
fn https_round_trip_measures_what_plain_http_does() {
    let plain = common::mock(chunks(6));
    let (secure, ca) = tls_mock(chunks(6), "roundtrip");
    assert!(secure.url().starts_with("https://"));
    let requests: Vec<_> = (0..4).map(|i| request(i, "hi", i % 2 == 0, 6)).collect();
    let w = workload(requests, LoadPattern::Closed { concurrency: 2 }, 10_000);
    let (http, _) = run("vllm", &plain.url(), &json!({}), &w);
    let (https, messages) = run(
        "vllm",
        &secure.url(),
        &json!({"ca_cert": ca.display().to_string()}),
        &w,
    );
    std::fs::remove_file(&ca).expect("clean");
    assert_eq!(http.len(), 4);
    assert_eq!(https.len(), 4);
    for (a, b) in http.iter().zip(&https) {
        assert!(a.outcome.is_ok() && b.outcome.is_ok(), "{b:?}");
        // Six content chunks: a first one (TTFT) and five gaps, over both transports.
        assert_eq!(b.itl_ns.len(), 5);
        assert_eq!(a.itl_ns.len(), b.itl_ns.len());
        assert_eq!(a.completion_tokens, b.completion_tokens);
        arrivals_in_window(b);
        if cfg!(target_os = "linux") {
            assert_eq!(b.engine_metrics["arrival_clock"], "kernel", "{b:?}");
        }
        assert!(b.engine_metrics["socket_reads"].as_u64().expect("reads") > 0);
    }
    assert!(
        messages
            .iter()
            .any(|m| serde_json::to_string(m).expect("json").contains("\"done\"")),
        "a done message"
    );
}

/// The arrival time of decrypted data is the socket read's: data that reached the socket while
/// the client slept carries a time before the client read it.
#[cfg(target_os = "linux")]
#[test]
fn tls_data_is_stamped_by_the_socket_read_that_brought_it() {
    let (server, ca) = tls_mock(MockConfig::default(), "stamps");
    let runtime = http_bench::engine::client_runtime(1).expect("runtime");
    runtime.block_on(stamped(server.addr, ca));
}

#[cfg(target_os = "linux")]
async fn stamped(addr: std::net::SocketAddr, ca: PathBuf) {
    let config = http_bench::tls::config_with_ca_file(Some(&ca)).expect("config");
    std::fs::remove_file(&ca).expect("clean");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut conn = Conn::connect_tls(addr, config, name)
        .await
        .expect("handshake");
    assert!(conn.is_tls() && conn.handshake_ns() > 0);
    let sent = mono_ns();
    conn.send(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("send");
    // The reply reaches the socket while the client sleeps (long enough for a loaded machine
    // to run the mock's side).
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let before_read = mono_ns();
    assert_eq!(conn.head().await.expect("head").status, 200);
    let mut body = Vec::new();
    let mut last = 0;
    while let Some((data, stamp)) = conn.data().await.expect("body") {
        assert!(stamp >= sent, "stamped before the request was sent");
        assert!(
            stamp < before_read,
            "stamped by the read's return, not the socket's receive"
        );
        assert!(stamp >= last, "stamps go backwards");
        last = stamp;
        body.extend_from_slice(data);
    }
    let models: Value = serde_json::from_slice(&body).expect("json body");
    assert_eq!(models["data"][0]["id"], "mock");
    assert!(conn.lag().stamped > 0 && conn.lag().max_ns > 0);
    assert!(
        !conn.is_closed(),
        "a kept-alive TLS connection stays usable"
    );
}

#[test]
fn untrusted_certificate_is_refused_naming_ca_cert() {
    let (server, ca) = tls_mock(MockConfig::default(), "untrusted");
    std::fs::remove_file(&ca).expect("clean");
    let t0 = std::time::Instant::now();
    let options = json!({"engine": "vllm", "url": server.url(), "ready_timeout_s": 30});
    let e = HttpBench::load(&load_request(&options))
        .err()
        .expect("an untrusted server is refused");
    let message = format!("{e:#}");
    assert!(message.contains("not trusted"), "{message}");
    assert!(message.contains("--ca-cert"), "{message}");
    // Refused at once, not after the readiness timeout.
    assert!(t0.elapsed().as_secs() < 20, "waited {:?}", t0.elapsed());
}

/// The worker binary against a TLS mock that wants a key: an untrusted load fails with the
/// flag named, a trusted one runs, and the key shows in no output, even when echoed back.
#[test]
fn the_key_stays_out_of_every_output_over_tls() {
    let (server, ca) = tls_mock(
        MockConfig {
            api_key: Some(KEY.to_owned()),
            ..MockConfig::default()
        },
        "key",
    );
    let session = |options: Value| {
        let load = json!({"type": "load", "model": {"id": "mock", "path": null, "format": null},
            "device": "remote", "options": options});
        let w = json!({"type": "workload", "phase": "measure", "request_timeout_ms": 5000,
        "load": {"kind": "closed", "concurrency": 1},
        "requests": [
            {"id": 1, "text": "hello", "chat": true, "max_tokens": 3},
            {"id": 2, "text": "[[mock:echo-auth]]", "chat": true, "max_tokens": 3}
        ]});
        let mut child = Command::new(env!("CARGO_BIN_EXE_http-bench"))
            .env("HTTP_BENCH_TLS_TEST_KEY", KEY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn worker");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            for m in [&load, &w, &json!({"type": "shutdown"})] {
                writeln!(stdin, "{m}").expect("write");
            }
        }
        let out = child.wait_with_output().expect("output");
        let stdout = String::from_utf8(out.stdout).expect("utf8");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stdout.contains(KEY), "key in stdout: {stdout}");
        assert!(!stderr.contains(KEY), "key in stderr: {stderr}");
        stdout
    };
    let base = json!({"engine": "vllm", "url": server.url(), "api_key_env": "HTTP_BENCH_TLS_TEST_KEY", "ready_timeout_s": 10});
    let untrusted = session(base.clone());
    assert!(
        untrusted.contains("not trusted") && untrusted.contains("--ca-cert"),
        "{untrusted}"
    );
    let mut trusted = base;
    trusted["ca_cert"] = json!(ca.display().to_string());
    let stdout = session(trusted);
    std::fs::remove_file(&ca).expect("clean");
    let samples: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .filter(|l| l["type"] == "sample")
        .collect();
    assert_eq!(samples.len(), 2, "{stdout}");
    let echoed = samples
        .iter()
        .find(|s| s["request_id"] == 2)
        .expect("echo sample");
    assert_eq!(echoed["outcome"]["http_status"], 500);
    assert!(
        echoed["outcome"]["message"]
            .as_str()
            .expect("message")
            .contains("<redacted>")
    );
    let ok = samples
        .iter()
        .find(|s| s["request_id"] == 1)
        .expect("ok sample");
    assert_eq!(ok["outcome"]["status"], "ok", "{ok}");
}

#[test]
fn calibration_reports_tls_beside_plain_http() {
    let settings = http_bench::calibrate::Settings {
        concurrency: 2,
        chunks: 16,
        requests: 8,
        warmup_requests: 2,
        client_threads: 1,
        mock_threads: 1,
        burst: 1,
        api: http_bench::api::Api::Chat,
        tls: true,
    };
    let c = http_bench::calibrate::calibrate(&settings).expect("calibration");
    assert_eq!(c.failed, 0);
    let tls = c.tls.as_ref().expect("TLS figures");
    assert_eq!(tls.failed, 0);
    assert_eq!(tls.handshakes, 50);
    assert!(tls.handshake_p50_us > 0.0 && tls.handshake_p99_us >= tls.handshake_p50_us);
    assert!(tls.protocol.starts_with("TLSv1_"), "{}", tls.protocol);
    assert!(tls.chunks_per_s > 0.0);
    let diff = tls.added_itl_p50_us - c.added_itl_p50_us;
    assert!((tls.itl_p50_overhead_us - diff).abs() < 1e-9);
    let ratio = tls.chunks_per_s / c.chunks_per_s;
    assert!((tls.chunks_per_s_ratio - ratio).abs() < 1e-9);
    let printed = serde_json::to_value(&c).expect("json");
    assert!(printed["tls"]["handshake_p50_us"].is_number(), "{printed}");
}

/// A mock serving `https` with a certificate that is its own CA (as `openssl req -x509` makes
/// by default: basic constraints CA:TRUE), valid over the years `valid`, and that
/// certificate's PEM file.
fn self_signed_mock(valid: std::ops::Range<i32>, name: &str) -> (MockServer, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, date_time_ymd};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("p");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = date_time_ymd(valid.start, 1, 1);
    params.not_after = date_time_ymd(valid.end, 1, 1);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    let server = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .expect("server config");
    let tls = MockTls {
        server: std::sync::Arc::new(server),
        ca_pem: cert.pem(),
    };
    let path = std::env::temp_dir().join(format!("http-bench-{name}-{}.pem", std::process::id()));
    std::fs::write(&path, &tls.ca_pem).expect("write");
    let mock = start_thread_with(chunks(3), 0, 1, Some(&tls)).expect("mock");
    (mock, path)
}

/// One request to a self-signed mock valid over the years `valid`, its certificate passed as
/// `ca_cert`.
fn one_self_signed_request(valid: std::ops::Range<i32>, name: &str) -> Sample {
    let (mock, path) = self_signed_mock(valid, name);
    let w = workload(
        vec![request(0, "hi", true, 3)],
        LoadPattern::Closed { concurrency: 1 },
        10_000,
    );
    let (mut samples, _) = run(
        "vllm",
        &mock.url(),
        &json!({"ca_cert": path.display().to_string()}),
        &w,
    );
    std::fs::remove_file(&path).expect("clean");
    samples.remove(0)
}

/// A server whose certificate is its own CA, trusted by passing that very certificate.
#[test]
fn a_self_signed_server_is_trusted_by_its_own_certificate() {
    let sample = one_self_signed_request(2000..4000, "self");
    assert!(sample.outcome.is_ok(), "{:?}", sample.outcome);
    assert_eq!(sample.itl_ns.len(), 2);
}

/// The same certificate out of its validity period is refused at load, as a chain certificate
/// would be, without pointing at `--ca-cert` (another certificate would not help).
#[test]
fn a_self_signed_certificate_out_of_its_period_is_refused() {
    for (valid, says) in [(2000..2010, "expired"), (3000..4000, "not valid yet")] {
        let (mock, path) = self_signed_mock(valid.clone(), "period");
        let options = json!({
            "engine": "vllm",
            "url": mock.url(),
            "ready_timeout_s": 30,
            "ca_cert": path.display().to_string(),
        });
        let e = HttpBench::load(&load_request(&options))
            .err()
            .expect("a certificate out of its period is refused");
        std::fs::remove_file(&path).expect("clean");
        let message = format!("{e:#}");
        assert!(
            message.contains("out of its validity period")
                && message.contains(says)
                && !message.contains("--ca-cert"),
            "valid {valid:?}: {message}"
        );
    }
}
