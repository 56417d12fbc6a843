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

pub use phases::PhaseEnergy;

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
        let security = remote_security(plan)?;
        let remote = telemetry::remote::connect(url, &security)
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

/// The token (`--telemetry-token-file`, else `$ENERGY_MONITOR_TOKEN`) and the CA certificate
/// (`--telemetry-ca`) the runner presents to a remote `energy-monitor`.
fn remote_security(plan: &TelemetryPlan) -> Result<telemetry::remote::ClientSecurity, Failure> {
    let token = telemetry::remote::Token::from_file_or_env(
        plan.token_file.as_deref(),
        "--telemetry-token-file",
    )
    .map_err(|e| usage(e.to_string()))?;
    let ca_pem = match &plan.ca {
        Some(ca) => Some(
            std::fs::read(ca)
                .map_err(|e| usage(format!("--telemetry-ca {}: {e}", ca.display())))?,
        ),
        None => None,
    };
    Ok(telemetry::remote::ClientSecurity { token, ca_pem })
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
    /// The same requests' energy split into prefill and decode; absent from runs recorded
    /// before phases were split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<PhaseEnergy>,
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
                phases: Some(phases::phase_energy(curve, &ok, idle)),
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
    let sink: Box<dyn telemetry::sampler::SampleSink> = Box::new(std::io::BufWriter::new(file));
    telemetry::sampler::start(collectors, &config, Some(sink))
        .map(Some)
        .context("cannot start the telemetry sampler")
}

mod phases;
#[cfg(test)]
mod tests;
