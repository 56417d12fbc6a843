//! Telemetry around a run: detect collectors, measure the idle baseline, sample through the run
//! into `telemetry.jsonl` (with the host's CPU time), then attribute energy to engine runs and
//! requests and flag windows that are not to be trusted (a busy host among them). The result is `energy.json`, read back by the summary.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use telemetry::energy::{
    EnergyCurve, EnergyMethod, RequestWindow, RunEnergy, TokenCounts, attribute, run_energy,
};
use telemetry::{Collector, Domain, FlagRules, HostRules, IdleBaseline, IdleConfig, Roots};

use telemetry::collectors::host_cpu::HostCpu;

use crate::error::{Failure, usage};
use crate::plan::TelemetryPlan;
use crate::store::{EngineRun, SampleRow};

/// Collectors found, and why others are missing.
pub struct Sources {
    pub roots: Roots,
    pub collectors: Vec<Box<dyn Collector>>,
    pub unavailable: Option<String>,
    pub remote_host: Option<telemetry::HostInfo>,
}

/// Detect collectors. An explicitly requested source that is missing is a usage error.
pub fn detect(plan: &TelemetryPlan) -> Result<Sources, Failure> {
    let roots = plan
        .root
        .as_deref()
        .map_or_else(Roots::default, Roots::under);
    let detected = telemetry::detect(plan.kind, &roots).map_err(|e| usage(e.to_string()))?;
    let unavailable = detected.reason();
    let mut collectors = detected.collectors;
    let mut remote_host = None;
    if let Some(url) = &plan.url {
        let remote = telemetry::remote::connect(url)
            .map_err(|e| usage(format!("--telemetry-url {url}: {e}")))?;
        collectors.extend(remote.collectors);
        remote_host = Some(remote.host);
    }
    Ok(Sources {
        roots,
        collectors,
        unavailable,
        remote_host,
    })
}

/// Idle baseline of each collector (empty when skipped or when there are none).
pub fn idle_baseline(sources: &mut Sources, plan: &TelemetryPlan) -> Vec<IdleBaseline> {
    let Some(idle) = plan.idle else {
        return Vec::new();
    };
    if sources.collectors.is_empty() {
        return Vec::new();
    }
    eprintln!(
        "measuring idle power (cooldown up to {:?}, then {:?})",
        idle.cooldown_max, idle.measure
    );
    let config = IdleConfig {
        cooldown_max: idle.cooldown_max,
        measure: idle.measure,
        ..IdleConfig::default()
    };
    telemetry::measure_idle(
        &mut sources.collectors,
        &config,
        &telemetry::clock::HostClock,
    )
}

/// Energy of one engine run on one channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunEnergyRecord {
    pub label: String,
    pub repetition: u32,
    pub channel: String,
    pub domain: Domain,
    pub energy: RunEnergy,
    /// Energy per successful measured request (J), in `samples.jsonl` order.
    pub request_j: Vec<f64>,
    /// Idle-adjusted energy per request (J), when the idle baseline is known.
    pub request_idle_adjusted_j: Vec<f64>,
    /// Requests shorter than the counter can resolve.
    pub unresolved_requests: usize,
}

/// Validity findings for one engine run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunFlags {
    pub label: String,
    pub repetition: u32,
    pub reasons: Vec<String>,
}

/// `energy.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnergyReport {
    /// Collector names sampled.
    pub sources: Vec<String>,
    /// Why there is no energy, when there is none.
    pub unavailable: Option<String>,
    pub sample_interval_ms: f64,
    pub idle: Vec<IdleBaseline>,
    pub runs: Vec<RunEnergyRecord>,
    pub flags: Vec<RunFlags>,
}

/// The validity rules for one engine run: its worker is the one process of its own that may use
/// a GPU (where it runs on one); a served engine's server is another process, so no process is
/// checked for those. An in-process engine on the CPU also needs a quiet host.
fn flag_rules(run: &EngineRun) -> FlagRules {
    let kind = crate::catalog::entry(run.engine).kind;
    let served = kind == crate::catalog::EngineKind::Served;
    let on_cpu =
        kind == crate::catalog::EngineKind::InProcess && run.device.as_deref() == Some("cpu");
    FlagRules {
        max_clock_spread_pct: 10.0,
        own_pids: if served {
            Vec::new()
        } else {
            run.worker_pid.into_iter().collect()
        },
        host: on_cpu.then(HostRules::default),
        own_process_on_gpu: run.device.as_deref().is_some_and(|d| d.starts_with("cuda")),
    }
}

/// Energy per engine run and request from a finished series.
pub fn analyse(
    series: &telemetry::Series,
    sources: &[String],
    unavailable: Option<String>,
    interval: Duration,
    idle: Vec<IdleBaseline>,
    runs: &[EngineRun],
    rows: &[SampleRow],
) -> EnergyReport {
    let idle_w: BTreeMap<&str, f64> = idle
        .iter()
        .filter_map(|b| b.power_w.map(|w| (b.collector.as_str(), w)))
        .collect();
    let mut report = EnergyReport {
        sources: sources.to_vec(),
        unavailable,
        sample_interval_ms: interval.as_secs_f64() * 1e3,
        runs: Vec::new(),
        flags: Vec::new(),
        idle: Vec::new(),
    };
    let curves: Vec<(&telemetry::Channel, EnergyCurve)> = series
        .channels
        .iter()
        .filter(|c| !matches!(c.domain, Domain::Process | Domain::Host))
        .filter_map(|c| EnergyCurve::from_channel(c).ok().map(|curve| (c, curve)))
        .collect();
    if curves.is_empty() && report.unavailable.is_none() && !sources.is_empty() {
        report.unavailable = Some("no collector reported energy or power".to_owned());
    }
    for run in runs {
        let (Some(t0), Some(t1)) = (run.measure_start_mono_ns, run.measure_end_mono_ns) else {
            continue;
        };
        let ok: Vec<&SampleRow> = rows
            .iter()
            .filter(|r| {
                r.label == run.label && r.repetition == run.repetition && r.sample.outcome.is_ok()
            })
            .collect();
        let tokens = TokenCounts {
            prompt: ok
                .iter()
                .filter_map(|r| r.sample.prompt_tokens)
                .map(u64::from)
                .sum(),
            completion: ok
                .iter()
                .map(|r| u64::from(r.sample.completion_tokens))
                .sum(),
        };
        let windows: Vec<RequestWindow> = ok
            .iter()
            .map(|r| RequestWindow {
                start_ns: r.sample.start_mono_ns,
                end_ns: r.sample.start_mono_ns + r.sample.e2e_ns,
            })
            .collect();
        let mut flags = telemetry::flags::evaluate(series, t0, t1, &flag_rules(run));
        for (channel, curve) in &curves {
            let idle = idle_w.get(channel.name.as_str()).copied();
            let Ok(energy) = run_energy(curve, t0, t1, idle, tokens) else {
                continue;
            };
            let shares = attribute(curve, &windows, idle);
            let ok_shares: Vec<_> = shares.iter().filter_map(|s| s.as_ref().ok()).collect();
            let unresolved = ok_shares.iter().filter(|s| !s.resolved).count();
            if unresolved > 0 && curve.method() == EnergyMethod::Counter {
                flags.note_unresolved(
                    &channel.name,
                    unresolved,
                    ok_shares.len(),
                    curve.resolution_ns(),
                );
            }
            report.runs.push(RunEnergyRecord {
                label: run.label.clone(),
                repetition: run.repetition,
                channel: channel.name.clone(),
                domain: channel.domain,
                energy,
                request_j: ok_shares.iter().map(|s| s.energy_j).collect(),
                request_idle_adjusted_j: ok_shares
                    .iter()
                    .filter_map(|s| s.idle_adjusted_j)
                    .collect(),
                unresolved_requests: unresolved,
            });
        }
        report.flags.push(RunFlags {
            label: run.label.clone(),
            repetition: run.repetition,
            reasons: flags.reasons().iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    report.idle = idle;
    report
}

/// Read `energy.json` of a run directory, if it has one.
pub fn read(dir: &Path) -> anyhow::Result<Option<EnergyReport>> {
    let path = dir.join("energy.json");
    if !path.is_file() {
        return Ok(None);
    }
    crate::store::read_json(&path)
        .map(Some)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Start the sampler over every collector, and the host's CPU time (whether the host stays
/// quiet) unless telemetry is off, writing `telemetry.jsonl` into `dir`; `None` when there is
/// nothing to sample.
pub fn start_sampler(
    sources: &mut Sources,
    plan: &TelemetryPlan,
    dir: &Path,
) -> anyhow::Result<Option<telemetry::SamplerHandle>> {
    if plan.kind != telemetry::TelemetryKind::None
        && let Some(host) = HostCpu::new(&sources.roots, std::process::id())
    {
        sources.collectors.push(Box::new(host));
    }
    if sources.collectors.is_empty() {
        return Ok(None);
    }
    let file = std::fs::File::create(dir.join("telemetry.jsonl"))
        .context("cannot create telemetry.jsonl")?;
    let config = telemetry::SamplerConfig {
        interval: plan.interval,
        keep_in_memory: true,
    };
    let collectors = std::mem::take(&mut sources.collectors);
    let sink: Box<dyn std::io::Write + Send> = Box::new(std::io::BufWriter::new(file));
    telemetry::sampler::start(collectors, &config, Some(sink))
        .map(Some)
        .context("cannot start the telemetry sampler")
}

#[cfg(test)]
mod tests {
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
}
