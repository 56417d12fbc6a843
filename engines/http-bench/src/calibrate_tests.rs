//! Tests of the calibration's arithmetic: percentiles and the TLS overhead.

use super::*;

/// Figures with the given added TTFT p50 (ms), ITL p50 and p99 (µs) and chunk rate.
fn figures(ttft_p50_ms: f64, itl_p50_us: f64, itl_p99_us: f64, chunks_per_s: f64) -> Calibration {
    Calibration {
        concurrency: 1,
        chunks_per_request: 1,
        requests: 1,
        failed: 0,
        api: Api::Chat,
        client_threads: 1,
        mock_threads: 1,
        mock_burst: 1,
        added_ttft_p50_ms: ttft_p50_ms,
        added_ttft_p99_ms: 2.0 * ttft_p50_ms,
        added_itl_p50_us: itl_p50_us,
        added_itl_p99_us: itl_p99_us,
        max_schedule_lag_us: 0.0,
        arrival_clock: "kernel".into(),
        client_lag_mean_p50_us: None,
        client_lag_max_p99_us: None,
        chunks_per_s,
        steady_s: 1.0,
        requests_per_s: 1.0,
        wall_s: 1.0,
        cpu_model: None,
        cores: 1,
        host_stalls: host_stalls(1, 0.0, 1),
        tls: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn tls_overhead_is_https_minus_http() {
    let plain = figures(0.25, 300.0, 800.0, 160_000.0);
    let https = figures(0.5, 340.0, 1_000.0, 120_000.0);
    // Handshakes of 100..=1000 µs in steps of 100: nearest-rank p50 is the 5th (500 µs),
    // p99 the 10th (1000 µs); TCP connects of 20, 30, 40 µs: p50 the 2nd (30 µs).
    let h = Handshakes {
        tcp_ns: vec![40_000, 20_000, 30_000],
        handshake_ns: (1..=10).rev().map(|i| i * 100_000).collect(),
    };
    let o = overhead(&plain, &https, &h, ("TLSv1_3".into(), "AES".into()));
    assert_eq!(o.handshakes, 10);
    assert!(
        close(o.tcp_connect_p50_us, 30.0),
        "tcp_connect_p50_us {}",
        o.tcp_connect_p50_us
    );
    assert!(
        close(o.handshake_p50_us, 500.0),
        "handshake_p50_us {}",
        o.handshake_p50_us
    );
    assert!(
        close(o.handshake_p99_us, 1_000.0),
        "handshake_p99_us {}",
        o.handshake_p99_us
    );
    assert!(
        close(o.ttft_p50_overhead_ms, 0.25),
        "ttft_p50_overhead_ms {}",
        o.ttft_p50_overhead_ms
    );
    assert!(
        close(o.itl_p50_overhead_us, 40.0),
        "itl_p50_overhead_us {}",
        o.itl_p50_overhead_us
    );
    assert!(
        close(o.itl_p99_overhead_us, 200.0),
        "itl_p99_overhead_us {}",
        o.itl_p99_overhead_us
    );
    assert!(
        close(o.chunks_per_s_ratio, 0.75),
        "chunks_per_s_ratio {}",
        o.chunks_per_s_ratio
    );
    assert!(
        close(o.added_itl_p50_us, 340.0),
        "added_itl_p50_us {}",
        o.added_itl_p50_us
    );
}

#[test]
fn nearest_rank_percentiles() {
    let mut v: Vec<u64> = (1..=100).rev().collect();
    let p = |v: &mut [u64], q| percentile(v, q) as u64;
    assert_eq!(p(&mut v, 0.5), 50);
    assert_eq!(p(&mut v, 0.99), 99);
    assert_eq!(p(&mut v, 1.0), 100);
    assert_eq!(p(&mut [], 0.5), 0);
}
