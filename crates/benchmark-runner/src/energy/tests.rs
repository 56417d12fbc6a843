use std::path::PathBuf;

use shared_protocol::{EngineId, Sample};
use telemetry::{CpuTicks, Reading, Series};

use super::*;
use crate::store::RunStatus;

const MS: u64 = 1_000_000;

/// A package counter read every 10 ms for 4 s: 10 W until 2 s, then 30 W.
fn series() -> Series {
    let mut s = Series::default();
    for i in 0..=400u64 {
        let t = i as f64 / 100.0;
        let energy = if t <= 2.0 {
            10.0 * t
        } else {
            20.0 + 30.0 * (t - 2.0)
        };
        let reading = Reading {
            energy_j: Some(energy),
            ..Reading::default()
        };
        s.push("rapl:package-0", Domain::CpuPackage, i * 10 * MS, reading);
    }
    s
}

fn run(engine: EngineId, label: &str, device: &str, window_ms: (u64, u64)) -> EngineRun {
    EngineRun {
        engine,
        label: label.to_owned(),
        repetition: 0,
        worker: String::new(),
        worker_pid: Some(1),
        device: Some(device.to_owned()),
        status: RunStatus::Ok,
        hello: None,
        loaded: None,
        done: None,
        samples: 2,
        measure_start_mono_ns: Some(window_ms.0 * MS),
        measure_end_mono_ns: Some(window_ms.1 * MS),
        server_metrics: None,
        earlier_measure_ns: None,
        start: None,
    }
}

fn row(label: &str, start_ms: u64, end_ms: u64, ok: bool) -> SampleRow {
    let outcome = if ok {
        serde_json::json!({ "status": "ok" })
    } else {
        serde_json::json!({ "status": "failed", "kind": "engine_error", "message": "x" })
    };
    let sample: Sample = serde_json::from_value(serde_json::json!({
        "request_id": 0,
        "phase": "measure",
        "outcome": outcome,
        "start_mono_ns": start_ms * MS,
        "e2e_ns": (end_ms - start_ms) * MS,
        "itl_ns": [],
        "prompt_tokens": 5,
        "completion_tokens": 10,
        "completion_tokens_source": "engine",
    }))
    .expect("a valid sample");
    SampleRow {
        engine: EngineId::LmRs,
        label: label.to_owned(),
        repetition: 0,
        resume: 0,
        shard: None,
        sample,
    }
}

fn idle(watts: f64) -> IdleBaseline {
    IdleBaseline {
        collector: "rapl:package-0".to_owned(),
        power_w: Some(watts),
        method: Some(EnergyMethod::Counter),
        cooldown_s: 0.0,
        settled: true,
        error: None,
    }
}

fn analyse_runs(series: &Series, runs: &[EngineRun], rows: &[SampleRow]) -> EnergyReport {
    analyse(
        series,
        &["rapl:package-0".to_owned()],
        None,
        Duration::from_millis(10),
        vec![idle(5.0)],
        runs,
        rows,
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

#[test]
fn sequential_requests_split_a_run_s_joules_by_time() {
    let runs = [run(EngineId::LmRs, "a", "cpu", (500, 1500))];
    let rows = [
        row("a", 500, 1000, true),
        row("a", 1000, 1500, true),
        row("a", 600, 700, false),
        row("b", 500, 1500, true),
    ];
    let report = analyse_runs(&series(), &runs, &rows);
    assert_eq!(report.runs.len(), 1);
    let r = &report.runs[0];
    assert!(close(r.energy.gross.energy_j, 10.0), "{r:?}");
    assert!(close(r.energy.idle_adjusted_j.expect("idle"), 5.0), "{r:?}");
    // 20 generated tokens (the failed request and the other label's do not count).
    assert!(
        close(r.energy.j_per_token.expect("per token"), 0.5),
        "{r:?}"
    );
    assert_eq!(r.request_j.len(), 2);
    assert!(r.request_j.iter().all(|&j| close(j, 5.0)), "{r:?}");
    assert!(
        r.request_idle_adjusted_j.iter().all(|&j| close(j, 2.5)),
        "{r:?}"
    );
    assert_eq!(r.unresolved_requests, 0);
    assert_eq!(report.flags.len(), 1);
    assert!(report.flags[0].reasons.is_empty(), "{:?}", report.flags);
}

#[test]
fn overlapping_requests_share_the_joules_of_the_time_they_overlap() {
    // At 30 W: 2.5-3.0 s belongs to the first request alone (15 J); 3.0-3.5 s to both.
    let runs = [run(EngineId::LmRs, "a", "cpu", (2500, 3500))];
    let rows = [row("a", 2500, 3500, true), row("a", 3000, 3500, true)];
    let report = analyse_runs(&series(), &runs, &rows);
    let r = &report.runs[0];
    assert!(close(r.energy.gross.energy_j, 30.0), "{r:?}");
    assert!(close(r.energy.avg_power_w.expect("power"), 30.0), "{r:?}");
    assert!(close(r.request_j[0], 22.5), "{r:?}");
    assert!(close(r.request_j[1], 7.5), "{r:?}");
    // Idle power (5 W) is shared the same way: 2.5 J + 1.25 J, and 1.25 J.
    assert!(close(r.request_idle_adjusted_j[0], 22.5 - 3.75), "{r:?}");
    assert!(close(r.request_idle_adjusted_j[1], 7.5 - 1.25), "{r:?}");
}

#[test]
fn a_cpu_run_on_a_busy_host_is_flagged_and_a_synthetic_one_is_not() {
    let mut s = series();
    // Two CPUs at 100 ticks/s: the worker keeps one busy, another process the other.
    for i in 0..=40u64 {
        let ticks = i * 10;
        let reading = Reading {
            cpu_ticks: Some(CpuTicks {
                total: 2 * ticks,
                busy: 2 * ticks,
                steal: 0,
                own: Some(ticks),
                cpus: 2,
            }),
            ..Reading::default()
        };
        s.push("host-cpu", Domain::Host, i * 100 * MS, reading);
    }
    let runs = [
        run(EngineId::LmRs, "lm-rs", "cpu", (500, 1500)),
        run(EngineId::Sim, "sim", "none", (2000, 3000)),
    ];
    let report = analyse_runs(&s, &runs, &[]);
    assert_eq!(report.runs.len(), 2, "the host channel carries no energy");
    let lm = &report.flags[0].reasons;
    assert_eq!(lm.len(), 1, "{lm:?}");
    assert!(
        lm[0].contains("other processes used 1.00 CPU cores"),
        "{lm:?}"
    );
    assert!(report.flags[1].reasons.is_empty(), "{:?}", report.flags);
}

/// A successful measured row whose first token came `ttft_ms` after submission.
fn row_with_ttft(start_ms: u64, end_ms: u64, ttft_ms: Option<u64>) -> SampleRow {
    let mut r = row("a", start_ms, end_ms, true);
    r.sample.ttft_ns = ttft_ms.map(|t| t * MS);
    r
}

fn phases_of(report: &EnergyReport) -> &PhaseEnergy {
    report.runs[0].phases.as_ref().expect("phases split")
}

#[test]
fn sequential_requests_split_their_joules_at_the_first_token() {
    // At 10 W: 500-600 ms prefill (1 J), 600-1000 decode (4 J); 1000-1200 prefill (2 J),
    // 1200-1500 decode (3 J). Idle at 5 W takes half of each.
    let runs = [run(EngineId::LmRs, "a", "cpu", (500, 1500))];
    let rows = [
        row_with_ttft(500, 1000, Some(100)),
        row_with_ttft(1000, 1500, Some(200)),
    ];
    let report = analyse_runs(&series(), &runs, &rows);
    let p = phases_of(&report);
    assert_eq!((p.requests, p.unsplit_requests), (2, 0));
    assert!(close(p.prefill_j, 3.0) && close(p.decode_j, 7.0), "{p:?}");
    assert!(
        close(p.prefill_idle_adjusted_j.expect("idle"), 1.5),
        "{p:?}"
    );
    assert!(close(p.decode_idle_adjusted_j.expect("idle"), 3.5), "{p:?}");
    // 5 prompt tokens each; 10 generated each, of which 9 after the first.
    assert_eq!((p.prompt_tokens, p.decode_tokens), (Some(10), 18));
    // The counter moves every 10 ms: three updates are 30 ms, and every phase is longer.
    assert_eq!(p.resolution_ns, 30 * MS);
    assert_eq!((p.unresolved_prefill, p.unresolved_decode), (0, 0));
    // The phases add up to the requests' energy.
    let whole: f64 = report.runs[0].request_j.iter().sum();
    assert!(close(p.prefill_j + p.decode_j, whole), "{p:?}");
}

#[test]
fn overlapping_phases_share_the_joules_of_the_time_they_overlap() {
    // At 30 W. A: prefill 2500-3100, decode 3100-3500; B: prefill 3000-3020, decode 3020-3500.
    // 2500-3000 A's prefill alone: 15 J. 3000-3020 both prefills: 0.6 J, 0.3 each.
    // 3020-3100 A's prefill and B's decode: 2.4 J, 1.2 each. 3100-3500 both decodes: 12 J, 6 each.
    // Prefill: 15 + 0.3 + 1.2 + 0.3 = 16.8 J; decode: 6 + 1.2 + 6 = 13.2 J.
    let runs = [run(EngineId::LmRs, "a", "cpu", (2500, 3500))];
    let rows = [
        row_with_ttft(2500, 3500, Some(600)),
        row_with_ttft(3000, 3500, Some(20)),
        row_with_ttft(2600, 2700, None),
    ];
    let report = analyse_runs(&series(), &runs, &rows);
    let p = phases_of(&report);
    assert_eq!((p.requests, p.unsplit_requests), (2, 1), "{p:?}");
    assert!(close(p.prefill_j, 16.8), "{p:?}");
    assert!(close(p.decode_j, 13.2), "{p:?}");
    // Idle seconds shared the same way: prefill 0.5 + 0.01 + 0.04 + 0.01 = 0.56 s (2.8 J at
    // 5 W), decode 0.2 + 0.04 + 0.2 = 0.44 s (2.2 J).
    assert!(
        close(p.prefill_idle_adjusted_j.expect("idle"), 14.0),
        "{p:?}"
    );
    assert!(
        close(p.decode_idle_adjusted_j.expect("idle"), 11.0),
        "{p:?}"
    );
    // B's 20 ms prefill is shorter than three counter updates (30 ms).
    assert_eq!((p.unresolved_prefill, p.unresolved_decode), (1, 0));
}

#[test]
fn phases_outside_the_telemetry_are_left_out_and_counted() {
    // The series ends at 4 s: a request running past it cannot be split.
    let runs = [run(EngineId::LmRs, "a", "cpu", (3500, 4000))];
    let rows = [
        row_with_ttft(3500, 3900, Some(100)),
        row_with_ttft(3900, 4500, Some(50)),
    ];
    let report = analyse_runs(&series(), &runs, &rows);
    let p = phases_of(&report);
    assert_eq!((p.requests, p.unsplit_requests), (1, 1), "{p:?}");
    assert!(close(p.prefill_j, 3.0) && close(p.decode_j, 9.0), "{p:?}");
}

/// A device that reads 50 W.
struct Fixed50W;

impl Collector for Fixed50W {
    fn name(&self) -> &'static str {
        "fixed:0"
    }
    fn domain(&self) -> Domain {
        Domain::Gpu
    }
    fn static_info(&mut self) -> telemetry::StaticInfo {
        telemetry::StaticInfo::default()
    }
    fn read(&mut self) -> Reading {
        Reading {
            power_w: Some(50.0),
            ..Reading::default()
        }
    }
}

fn remote_plan(url: &str, token_file: Option<PathBuf>, ca: Option<PathBuf>) -> TelemetryPlan {
    TelemetryPlan {
        kind: telemetry::TelemetryKind::None,
        root: None,
        url: Some(url.to_owned()),
        token_file,
        ca,
        interval: Duration::from_millis(10),
        idle: None,
    }
}

#[test]
fn a_remote_monitor_is_reached_with_the_token_file_and_refused_without() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "runner-token\n").expect("write token");
    let security = telemetry::remote::ServerSecurity {
        token: telemetry::remote::Token::new("runner-token"),
        tls: None,
    };
    let monitor = telemetry::remote::serve(
        "127.0.0.1:0",
        vec![Box::new(Fixed50W)],
        &Roots::under(dir.path()),
        Duration::from_millis(10),
        &security,
    )
    .expect("serve");
    let url = format!("http://{}", monitor.addr());

    let sources = detect(&remote_plan(&url, Some(token_file), None)).expect("connect");
    let names: Vec<&str> = sources.collectors.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["remote:fixed:0"]);
    assert!(sources.remote_host.is_some());

    let Err(err) = detect(&remote_plan(&url, None, None)) else {
        panic!("connected without a token");
    };
    let text = err.message();
    assert!(
        text.starts_with(&format!("--telemetry-url {url}: ")) && text.contains("unauthenticated"),
        "{text}"
    );
    monitor.stop().expect("stop");

    let missing = dir.path().join("missing");
    let Err(err) = detect(&remote_plan(&url, Some(missing.clone()), None)) else {
        panic!("a missing token file");
    };
    assert!(
        err.message().contains("--telemetry-token-file"),
        "{}",
        err.message()
    );
    let Err(err) = detect(&remote_plan("https://localhost:1", None, Some(missing))) else {
        panic!("a missing CA file");
    };
    assert!(
        err.message().starts_with("--telemetry-ca "),
        "{}",
        err.message()
    );
}
