//! `summary.json`: per engine, request counts, the distribution of every metric, throughput and
//! what went wrong. Computed once from `samples.jsonl` and `runs.jsonl`, so `report` can redo it.

use std::collections::BTreeMap;

use bench_stats::{Summary, summarize};
use serde::{Deserialize, Serialize};
use shared_protocol::{EngineId, Outcome, Phase};

use crate::energy::EnergyReport;
use crate::manifest::{Manifest, SCHEMA_VERSION};
use crate::metrics::{self, METRICS_VERSION, Metric};
use crate::store::{EngineRun, RunStatus, SampleRow};

/// The whole summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    pub schema_version: u32,
    pub metrics_version: u32,
    pub name: String,
    pub created_utc: String,
    /// The clock behind every latency figure.
    pub clock: String,
    pub engines: BTreeMap<String, EngineSummary>,
    /// Engine order as run: `repetition:engine`.
    pub order: Vec<String>,
    /// Each engine held against the first one listed (the reference), with significance
    /// tests: `engine` names the candidate; ratios are candidate / reference.
    pub verdicts: Option<Verdicts>,
    /// Served engines: the HTTP client's own overhead, or why it was not measured.
    pub harness: Option<serde_json::Value>,
    /// Did the engines do the same work? Prompt token counts and, under greedy decoding, the
    /// generated ids of each engine against the reference engine, request by request.
    pub agreement: Vec<Agreement>,
    /// The model the in-process engines ran, and whether its weights are synthetic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelNote>,
}

/// The model of a run as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelNote {
    pub id: String,
    /// Seeded random weights written by `models synth`: timings stand for the architecture,
    /// generated text means nothing.
    #[serde(default)]
    pub synthetic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthetic_architecture: Option<String>,
}

impl ModelNote {
    /// The model as recorded in the manifest's plan (`inputs.model`).
    fn from_manifest(manifest: &Manifest) -> Option<ModelNote> {
        let m = manifest.plan.pointer("/inputs/model")?;
        Some(ModelNote {
            id: m.get("id")?.as_str()?.to_owned(),
            synthetic: m.get("synthetic").and_then(serde_json::Value::as_bool) == Some(true),
            synthetic_architecture: m
                .get("synthetic_architecture")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
        })
    }

    /// One line for the top of a report.
    pub fn line(&self) -> String {
        if self.synthetic {
            format!(
                "Model: {} (SYNTHETIC: seeded random weights with the shapes of {}; timings stand for that architecture, generated text means nothing)",
                self.id,
                self.synthetic_architecture
                    .as_deref()
                    .unwrap_or("a named architecture")
            )
        } else {
            format!("Model: {}", self.id)
        }
    }
}

/// One engine's work compared with the reference engine's, over requests both completed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agreement {
    pub engine: String,
    pub reference: String,
    /// Requests compared (same id and repetition, both successful).
    pub requests: u64,
    /// Requests whose prompt token counts differ.
    pub prompt_tokens_differ: u64,
    /// Requests with generated ids on both sides, and how many match exactly.
    pub outputs_compared: u64,
    pub outputs_identical: u64,
    /// Mean length of the common prefix of generated ids, in tokens.
    pub mean_common_prefix: Option<f64>,
    /// Request ids whose outputs differ, with the first differing position.
    pub first_divergence: Vec<(u64, usize)>,
}

/// Engines of one run compared with a reference engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdicts {
    pub reference: String,
    pub correction: String,
    pub alpha: f64,
    pub noise_threshold: f64,
    pub rows: Vec<crate::diff::DiffRow>,
    pub skipped: Vec<String>,
}

/// One engine's results across repetitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineSummary {
    pub engine: EngineId,
    /// The engine's label in this run (its id, or `ID@VARIANT`).
    pub label: String,
    pub engine_version: Option<String>,
    pub device: Option<String>,
    /// `ok` when every repetition finished; `failed` otherwise (what was measured is still here).
    pub status: String,
    pub failures: Vec<RunFailure>,
    pub requests: RequestCounts,
    pub ttft_ms: Option<Summary>,
    pub tpot_ms: Option<Summary>,
    pub itl_ms: Option<Summary>,
    pub e2e_ms: Option<Summary>,
    pub decode_tok_s: Option<Summary>,
    pub prefill_tok_s: Option<Summary>,
    pub prompt_tokens: Option<Summary>,
    pub completion_tokens: Option<Summary>,
    pub schedule_lag_ms: Option<Summary>,
    pub throughput: Throughput,
    /// Served engines: where `completion_tokens` came from, and how the other counts agree.
    pub token_counts: Option<TokenCountCheck>,
    /// Model bandwidth utilisation at the TPOT median: bytes read per decode step (weights and
    /// KV cache) over TPOT over the measured memory bandwidth, and the fastest TPOT that
    /// bandwidth allows.
    pub mbu: Option<MbuFigures>,
    /// The same requests on the device clock, where the worker recorded one (CUDA events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_clock: Option<DeviceClockFigures>,
    /// Served engines scraped with the `metrics` option: the change of each of the server's own
    /// metric series over the measured workloads, summed over repetitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_metrics: Option<serde_json::Map<String, serde_json::Value>>,
    /// Outliers per metric, classified and counted; none is dropped from the statistics.
    pub outliers: BTreeMap<String, OutlierCounts>,
    /// OLS fits over successful measured requests: `input_tokens_vs_ttft_ms`,
    /// `total_tokens_vs_e2e_ms`, and with energy telemetry `total_tokens_vs_energy_j`,
    /// `total_tokens_vs_power_w` and `total_tokens_vs_power_w_log` (ln of power).
    pub regressions: BTreeMap<String, bench_stats::Regression>,
    /// How requests were offered, as planned.
    pub load: Option<serde_json::Value>,
    /// Share and rate of measured requests meeting every objective in `--slo`.
    pub goodput: Option<Goodput>,
    pub load_ms: Vec<f64>,
    pub peak_rss_bytes: Option<u64>,
    /// Energy per telemetry channel, or why there is none.
    pub energy: EngineEnergy,
    /// Reasons from telemetry that this engine's run is not to be trusted (throttling, clocks
    /// moving, another process on the device, energy windows too short to resolve).
    pub validity: Vec<String>,
    /// Reasons a reader should be careful with these figures.
    pub warnings: Vec<String>,
}

/// Bandwidth figures of one engine: bytes read per decode step (weights, plus the KV cache where
/// the worker says how many bytes one cached position holds), the measured read bandwidth, the
/// TPOT floor it allows and the utilisation at the TPOT median.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MbuFigures {
    /// Weights plus KV cache.
    pub bytes_per_step: u64,
    #[serde(default)]
    pub weight_bytes_per_step: u64,
    /// Keys and values read per step at the mean context of a decode step (mean prompt tokens
    /// plus half the mean completion tokens); `None` when the worker does not say.
    #[serde(default)]
    pub kv_bytes_per_step: Option<u64>,
    #[serde(default)]
    pub kv_bytes_per_position: Option<u64>,
    /// Bytes per second of the device the engine ran on (the CPU's read bandwidth, or a GPU's
    /// copy bandwidth counting bytes read plus written).
    #[serde(alias = "read_bytes_per_s")]
    pub bandwidth_bytes_per_s: f64,
    /// What `bandwidth_bytes_per_s` is and who measured it.
    #[serde(default)]
    pub bandwidth_source: String,
    pub floor_tpot_ms: Option<f64>,
    pub mbu: Option<f64>,
}

/// TTFT, TPOT and prefill on the device clock, and how much longer the host saw each request
/// (host minus device, paired request by request): the time outside the device's forward
/// passes (waiting for each token, host-side sampling, the harness).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceClockFigures {
    pub clock: shared_protocol::DeviceClockKind,
    /// Successful measured requests that carry device timings.
    pub requests: u64,
    pub ttft_ms: Option<Summary>,
    pub tpot_ms: Option<Summary>,
    pub prefill_ms: Option<Summary>,
    pub host_minus_device_ttft_ms: Option<Summary>,
    pub host_minus_device_tpot_ms: Option<Summary>,
}

/// A per-request figure of a sample, as `metrics` defines them.
type Figure = fn(&shared_protocol::Sample) -> Option<f64>;

/// The device-clock figures of `ok` (successful measured samples), when any carries them.
fn device_clock_figures(ok: &[&shared_protocol::Sample]) -> Option<DeviceClockFigures> {
    let timed: Vec<&shared_protocol::Sample> = ok
        .iter()
        .copied()
        .filter(|s| s.device_clock.is_some())
        .collect();
    let clock = timed.first()?.device_clock?;
    let over = |f: Figure| stat(timed.iter().filter_map(|s| f(s)).collect());
    let paired = |host: Figure, device: Figure| {
        stat(
            timed
                .iter()
                .filter_map(|s| Some(host(s)? - device(s)?))
                .collect(),
        )
    };
    Some(DeviceClockFigures {
        clock,
        requests: timed.len() as u64,
        ttft_ms: over(metrics::device_ttft_ms),
        tpot_ms: over(metrics::device_tpot_ms),
        prefill_ms: over(metrics::device_prefill_ms),
        host_minus_device_ttft_ms: paired(metrics::ttft_ms, metrics::device_ttft_ms),
        host_minus_device_tpot_ms: paired(metrics::tpot_ms, metrics::device_tpot_ms),
    })
}

/// Outliers of one metric: Tukey's fences and the modified z-score (|M| > 3.5).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutlierCounts {
    pub n: usize,
    pub tukey: bench_stats::TukeyCounts,
    pub modified_z_flagged: usize,
}

/// Completion-token counts from several sources, side by side.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TokenCountCheck {
    /// Source of the `completion_tokens` figures, by number of requests.
    pub sources: BTreeMap<String, u64>,
    /// Requests with both a server count and a tokenizer count, and how many of those differ.
    pub server_vs_tokenizer: (u64, u64),
    /// Requests with both a server count and a chunk count, and how many of those differ.
    pub server_vs_chunks: (u64, u64),
}

/// Requests meeting the service-level objectives.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Goodput {
    pub slo: BTreeMap<String, f64>,
    /// Measured requests (failed ones count as missing the objectives).
    pub requests: u64,
    pub met: u64,
    pub share: f64,
    /// Met requests per second of measured wall time.
    pub rate_rps: Option<f64>,
}

/// Energy of one engine over its measured windows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EngineEnergy {
    pub channels: Vec<ChannelEnergy>,
    /// Why there are no energy figures, when there are none.
    pub unavailable: Option<String>,
}

/// Energy on one telemetry channel, summed over repetitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelEnergy {
    pub channel: String,
    pub method: telemetry::energy::EnergyMethod,
    pub gross_j: f64,
    pub idle_adjusted_j: Option<f64>,
    pub duration_s: f64,
    pub avg_power_w: Option<f64>,
    pub peak_power_w: Option<f64>,
    pub idle_power_w: Option<f64>,
    pub j_per_token: Option<f64>,
    pub idle_adjusted_j_per_token: Option<f64>,
    pub tokens_per_j: Option<f64>,
    /// Energy per request (J), split between overlapping requests by their overlap.
    pub request_j: Option<Summary>,
    pub unresolved_requests: usize,
}

/// A failed engine run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunFailure {
    pub repetition: u32,
    pub reason: String,
    pub message: String,
}

/// Request counts over measured requests.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestCounts {
    pub ok: u64,
    pub failed: u64,
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Measured requests planned (requests x repetitions).
    pub planned: u64,
    /// Planned but never answered (the worker died before them).
    pub not_run: u64,
    /// Planned but not needed: adaptive stopping reached its target precision first.
    pub stopped_early: u64,
    pub warmup: u64,
}

/// Aggregate rates over the measured wall time of each repetition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Throughput {
    /// Sum over repetitions of (last measured completion - first measured submission).
    pub wall_s: f64,
    pub output_tok_s: Option<f64>,
    pub requests_per_s: Option<f64>,
}

fn stat(values: Vec<f64>) -> Option<Summary> {
    bench_stats::Sample::new(values).ok().map(|s| summarize(&s))
}

/// Summarise a run from its rows.
pub fn summarize_run(
    manifest: &Manifest,
    planned_per_rep: u64,
    rows: &[SampleRow],
    runs: &[EngineRun],
    energy: Option<&EnergyReport>,
) -> RunSummary {
    let mut engines = BTreeMap::new();
    let mut labels: Vec<(String, EngineId)> =
        runs.iter().map(|r| (r.label.clone(), r.engine)).collect();
    labels.extend(rows.iter().map(|r| (r.label.clone(), r.engine)));
    labels.sort();
    labels.dedup();
    for (label, id) in labels {
        let engine_rows: Vec<&SampleRow> = rows.iter().filter(|r| r.label == label).collect();
        let engine_runs: Vec<&EngineRun> = runs.iter().filter(|r| r.label == label).collect();
        let mut summary = summarize_engine(
            id,
            &label,
            manifest,
            planned_per_rep,
            &engine_rows,
            &engine_runs,
        );
        attach_energy(&mut summary, energy);
        attach_mbu(&mut summary, manifest, &engine_runs);
        attach_regressions(&mut summary, &engine_rows, energy);
        attach_load(&mut summary, manifest, &engine_rows);
        engines.insert(label, summary);
    }
    let verdicts = reference_verdicts(manifest, rows);
    let agreement = agreement(manifest, rows);
    let served = manifest
        .engines
        .values()
        .any(|h| crate::catalog::entry(h.engine).kind == crate::catalog::EngineKind::Served);
    RunSummary {
        agreement,
        model: ModelNote::from_manifest(manifest),
        harness: served.then(|| {
            manifest
                .plan
                .get("harness")
                .cloned()
                .unwrap_or_else(|| crate::calibration::for_summary(&crate::calibration::cache_path()))
        }),
        verdicts,
        schema_version: SCHEMA_VERSION,
        metrics_version: METRICS_VERSION,
        name: manifest.name.clone(),
        created_utc: manifest.created_utc.clone(),
        clock: "host monotonic (CLOCK_MONOTONIC), read by the worker; HTTP arrivals are the kernel's socket receive times on that clock where samples say engine_metrics.arrival_clock = kernel; device figures, where present, name their clock per sample".to_owned(),
        engines,
        order: runs
            .iter()
            .map(|r| format!("{}:{}", r.repetition, r.label))
            .collect(),
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one field per metric of the summary, in the order of the struct"
)]
fn summarize_engine(
    id: EngineId,
    label: &str,
    manifest: &Manifest,
    planned_per_rep: u64,
    rows: &[&SampleRow],
    runs: &[&EngineRun],
) -> EngineSummary {
    let measured: Vec<&SampleRow> = rows
        .iter()
        .copied()
        .filter(|r| r.sample.phase == Phase::Measure)
        .collect();
    let ok: Vec<&shared_protocol::Sample> = measured
        .iter()
        .filter(|r| r.sample.outcome.is_ok())
        .map(|r| &r.sample)
        .collect();
    let mut counts = RequestCounts {
        ok: ok.len() as u64,
        warmup: (rows.len() - measured.len()) as u64,
        planned: planned_per_rep * runs.len().max(1) as u64,
        ..RequestCounts::default()
    };
    for r in &measured {
        if let Outcome::Failed { kind, .. } = &r.sample.outcome {
            counts.failed += 1;
            *counts
                .failed_by_reason
                .entry(kind.as_str().to_owned())
                .or_default() += 1;
        }
    }
    let unanswered = counts.planned.saturating_sub(measured.len() as u64);
    let adaptive = manifest
        .plan
        .pointer("/workload/target_ci")
        .is_some_and(|v| !v.is_null());
    let failed_runs = runs.iter().any(|r| r.status != RunStatus::Ok);
    if adaptive && !failed_runs {
        counts.stopped_early = unanswered;
    } else {
        counts.not_run = unanswered;
    }

    let failures: Vec<RunFailure> = runs
        .iter()
        .filter_map(|r| match &r.status {
            RunStatus::Failed { reason, message } => Some(RunFailure {
                repetition: r.repetition,
                reason: reason.clone(),
                message: message.clone(),
            }),
            RunStatus::Ok => None,
        })
        .collect();

    let wall_s: f64 = runs
        .iter()
        .filter_map(|r| Some((r.measure_end_mono_ns? - r.measure_start_mono_ns?) as f64 / 1e9))
        .sum();
    let output_tokens: u64 = ok.iter().map(|s| u64::from(s.completion_tokens)).sum();
    let throughput = Throughput {
        wall_s,
        output_tok_s: (wall_s > 0.0).then(|| output_tokens as f64 / wall_s),
        requests_per_s: (wall_s > 0.0).then(|| ok.len() as f64 / wall_s),
    };

    let summary = EngineSummary {
        engine: id,
        label: label.to_owned(),
        engine_version: manifest
            .engines
            .get(label)
            .map(|h| h.engine_version.clone()),
        device: runs
            .iter()
            .find_map(|r| r.hello.as_ref().map(|h| h.device.clone())),
        status: if failures.is_empty() { "ok" } else { "failed" }.to_owned(),
        failures,
        ttft_ms: stat(Metric::TtftMs.values(ok.iter().copied())),
        tpot_ms: stat(Metric::TpotMs.values(ok.iter().copied())),
        itl_ms: stat(Metric::ItlMs.values(ok.iter().copied())),
        e2e_ms: stat(Metric::E2eMs.values(ok.iter().copied())),
        decode_tok_s: stat(Metric::DecodeTokS.values(ok.iter().copied())),
        prefill_tok_s: stat(Metric::PrefillTokS.values(ok.iter().copied())),
        prompt_tokens: stat(
            ok.iter()
                .filter_map(|s| s.prompt_tokens.map(f64::from))
                .collect(),
        ),
        completion_tokens: stat(ok.iter().map(|s| f64::from(s.completion_tokens)).collect()),
        schedule_lag_ms: stat(
            ok.iter()
                .filter_map(|s| metrics::schedule_lag_ms(s))
                .collect(),
        ),
        throughput,
        load_ms: runs
            .iter()
            .filter_map(|r| r.loaded.as_ref().map(|l| l.load_ns as f64 / 1e6))
            .collect(),
        peak_rss_bytes: runs
            .iter()
            .filter_map(|r| r.done.as_ref().and_then(|d| d.peak_rss_bytes))
            .max(),
        requests: counts,
        energy: EngineEnergy::default(),
        token_counts: token_count_check(&ok),
        regressions: BTreeMap::new(),
        outliers: outlier_counts(&ok),
        mbu: None,
        device_clock: device_clock_figures(&ok),
        server_metrics: server_metrics(runs),
        load: None,
        goodput: None,
        validity: Vec::new(),
        warnings: Vec::new(),
    };
    with_warnings(summary)
}

fn with_warnings(mut s: EngineSummary) -> EngineSummary {
    let mut w = Vec::new();
    if !s.failures.is_empty() {
        w.push(format!(
            "{} of {} repetition(s) failed; figures cover what was measured before",
            s.failures.len(),
            s.load_ms.len().max(s.failures.len())
        ));
    }
    if s.requests.failed > 0 {
        w.push(format!(
            "{} measured request(s) failed and are excluded from latency figures",
            s.requests.failed
        ));
    }
    if s.requests.not_run > 0 {
        w.push(format!(
            "{} planned request(s) were never run",
            s.requests.not_run
        ));
    }
    if let Some(t) = &s.ttft_ms {
        if !t.tail.p99_supported {
            w.push(format!("n={} is too small for p99 (needs 100)", t.n));
        } else if !t.tail.p99_9_supported {
            w.push(format!("n={} is too small for p99.9 (needs 1000)", t.n));
        }
    }
    if s.requests.ok == 0 {
        w.push("no successful measured request: no latency figures".to_owned());
    }
    if let Some(c) = &s.token_counts {
        if c.server_vs_tokenizer.1 > 0 {
            w.push(format!(
                "server and tokenizer completion-token counts differ on {} of {} requests",
                c.server_vs_tokenizer.1, c.server_vs_tokenizer.0
            ));
        }
        if c.server_vs_chunks.1 > 0 {
            w.push(format!(
                "server token counts differ from chunk counts on {} of {} requests: ITL is per chunk",
                c.server_vs_chunks.1, c.server_vs_chunks.0
            ));
        }
    }
    s.warnings = w;
    s
}

/// Fold `energy.json` into an engine's summary: per channel, summed over repetitions.
fn attach_energy(summary: &mut EngineSummary, energy: Option<&EnergyReport>) {
    let Some(report) = energy else {
        summary.energy.unavailable = Some("no telemetry was recorded for this run".to_owned());
        return;
    };
    let records: Vec<_> = report
        .runs
        .iter()
        .filter(|r| r.label == summary.label)
        .collect();
    let mut channels: Vec<&str> = records.iter().map(|r| r.channel.as_str()).collect();
    channels.sort_unstable();
    channels.dedup();
    let completion: f64 = summary
        .completion_tokens
        .as_ref()
        .map_or(0.0, |s| s.mean * s.n as f64);
    for channel in channels {
        let rs: Vec<_> = records.iter().filter(|r| r.channel == channel).collect();
        let gross_j: f64 = rs.iter().map(|r| r.energy.gross.energy_j).sum();
        let duration_s: f64 = rs.iter().map(|r| r.energy.gross.duration_s).sum();
        let idle_adjusted_j: Option<f64> = rs.iter().map(|r| r.energy.idle_adjusted_j).sum();
        let per_token = |j: f64| (completion > 0.0).then(|| j / completion);
        summary.energy.channels.push(ChannelEnergy {
            channel: channel.to_owned(),
            method: rs[0].energy.gross.method,
            gross_j,
            idle_adjusted_j,
            duration_s,
            avg_power_w: (duration_s > 0.0).then(|| gross_j / duration_s),
            peak_power_w: rs
                .iter()
                .filter_map(|r| r.energy.peak_power_w)
                .reduce(f64::max),
            idle_power_w: rs[0].energy.idle_power_w,
            j_per_token: per_token(gross_j),
            idle_adjusted_j_per_token: idle_adjusted_j.and_then(per_token),
            tokens_per_j: (gross_j > 0.0 && completion > 0.0).then(|| completion / gross_j),
            request_j: stat(
                rs.iter()
                    .flat_map(|r| r.request_j.iter().copied())
                    .collect(),
            ),
            unresolved_requests: rs.iter().map(|r| r.unresolved_requests).sum(),
        });
    }
    if summary.energy.channels.is_empty() {
        summary.energy.unavailable = Some(
            report
                .unavailable
                .clone()
                .unwrap_or_else(|| "no energy channel covered this engine's runs".to_owned()),
        );
    }
    summary.validity = report
        .flags
        .iter()
        .filter(|f| f.label == summary.label)
        .flat_map(|f| {
            f.reasons
                .iter()
                .map(move |r| format!("repetition {}: {r}", f.repetition))
        })
        .collect();
    summary.warnings.extend(summary.validity.iter().cloned());
}

/// Every other engine against the first engine of the plan.
fn reference_verdicts(manifest: &Manifest, rows: &[SampleRow]) -> Option<Verdicts> {
    let labels = plan_labels(manifest);
    let (reference, others) = labels.split_first()?;
    if others.is_empty() {
        return None;
    }
    let ok = |label: &str| -> Vec<&shared_protocol::Sample> {
        rows.iter()
            .filter(|r| {
                r.label == label && r.sample.phase == Phase::Measure && r.sample.outcome.is_ok()
            })
            .map(|r| &r.sample)
            .collect()
    };
    let pairs: Vec<_> = others
        .iter()
        .map(|l| (l.clone(), ok(reference), ok(l)))
        .collect();
    let options = crate::diff::DiffOptions {
        seed: manifest
            .plan
            .get("seed")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0),
        ..crate::diff::DiffOptions::default()
    };
    let (rows, skipped) = crate::diff::compare_pairs(&pairs, &options);
    Some(Verdicts {
        reference: reference.clone(),
        correction: "holm".to_owned(),
        alpha: options.alpha,
        noise_threshold: options.noise_threshold,
        rows,
        skipped,
    })
}

/// The planned load of this engine, and its goodput under the plan's objectives.
fn attach_load(summary: &mut EngineSummary, manifest: &Manifest, rows: &[&SampleRow]) {
    let plan = &manifest.plan;
    summary.load = plan_engines(manifest)
        .find(|e| {
            e.get("label").and_then(serde_json::Value::as_str) == Some(summary.label.as_str())
        })
        .and_then(|e| e.get("load").cloned());
    let slo: BTreeMap<String, f64> = plan
        .get("slo")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    if slo.is_empty() {
        return;
    }
    let measured: Vec<&shared_protocol::Sample> = rows
        .iter()
        .filter(|r| r.sample.phase == Phase::Measure)
        .map(|r| &r.sample)
        .collect();
    let meets = |s: &shared_protocol::Sample| {
        s.outcome.is_ok()
            && slo.iter().all(|(metric, &limit)| {
                let value = match metric.as_str() {
                    "ttft_ms" => metrics::ttft_ms(s),
                    "tpot_ms" => metrics::tpot_ms(s).or(Some(0.0)),
                    "e2e_ms" => Some(metrics::e2e_ms(s)),
                    _ => None,
                };
                value.is_some_and(|v| v <= limit)
            })
    };
    let met = measured.iter().filter(|s| meets(s)).count() as u64;
    let n = measured.len() as u64;
    let wall = summary.throughput.wall_s;
    summary.goodput = Some(Goodput {
        slo,
        requests: n,
        met,
        share: if n > 0 { met as f64 / n as f64 } else { 0.0 },
        rate_rps: (wall > 0.0).then(|| met as f64 / wall),
    });
}

/// Compare the token counts a worker reported from different sources (served engines).
fn token_count_check(ok: &[&shared_protocol::Sample]) -> Option<TokenCountCheck> {
    let mut check = TokenCountCheck::default();
    let mut any = false;
    for s in ok {
        let c = &s.token_counts;
        if c.server_completion.is_none() && c.chunks.is_none() && c.tokenizer_completion.is_none() {
            continue;
        }
        any = true;
        let source = serde_json::to_value(s.completion_tokens_source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        *check.sources.entry(source).or_default() += 1;
        if let (Some(a), Some(b)) = (c.server_completion, c.tokenizer_completion) {
            check.server_vs_tokenizer.0 += 1;
            check.server_vs_tokenizer.1 += u64::from(a != b);
        }
        if let (Some(a), Some(b)) = (c.server_completion, c.chunks) {
            check.server_vs_chunks.0 += 1;
            check.server_vs_chunks.1 += u64::from(a != b);
        }
    }
    any.then_some(check)
}

/// Per-request `(x, y)` points by regression name.
pub type RegressionPoints = BTreeMap<String, Vec<(f64, f64)>>;

/// Per-request points `(x, y)` for the regressions, and the fits.
pub fn regression_points(
    rows: &[&SampleRow],
    energy: Option<&EnergyReport>,
    label: &str,
) -> RegressionPoints {
    let mut points = RegressionPoints::new();
    let ok: Vec<&SampleRow> = rows
        .iter()
        .copied()
        .filter(|r| {
            r.label == label && r.sample.phase == Phase::Measure && r.sample.outcome.is_ok()
        })
        .collect();
    for r in &ok {
        let s = &r.sample;
        let prompt = s.prompt_tokens.map(f64::from);
        let total = prompt.map(|p| p + f64::from(s.completion_tokens));
        if let (Some(p), Some(t)) = (prompt, metrics::ttft_ms(s)) {
            points
                .entry("input_tokens_vs_ttft_ms".into())
                .or_default()
                .push((p, t));
        }
        if let Some(t) = total {
            points
                .entry("total_tokens_vs_e2e_ms".into())
                .or_default()
                .push((t, metrics::e2e_ms(s)));
        }
    }
    // Energy per request comes per repetition in samples order; pair it back with its rows.
    if let Some(report) = energy {
        let channel = report
            .runs
            .iter()
            .find(|r| r.label == label)
            .map(|r| r.channel.clone());
        for record in report
            .runs
            .iter()
            .filter(|r| Some(&r.channel) == channel.as_ref() && r.label == label)
        {
            let rep_rows: Vec<&&SampleRow> = ok
                .iter()
                .filter(|r| r.repetition == record.repetition)
                .collect();
            if rep_rows.len() != record.request_j.len() {
                continue;
            }
            for (r, &j) in rep_rows.iter().zip(&record.request_j) {
                let s = &r.sample;
                let Some(p) = s.prompt_tokens else { continue };
                let total = f64::from(p) + f64::from(s.completion_tokens);
                points
                    .entry("total_tokens_vs_energy_j".into())
                    .or_default()
                    .push((total, j));
                let seconds = s.e2e_ns as f64 / 1e9;
                if seconds > 0.0 && j > 0.0 {
                    points
                        .entry("total_tokens_vs_power_w".into())
                        .or_default()
                        .push((total, j / seconds));
                }
            }
        }
    }
    points
}

fn attach_regressions(
    summary: &mut EngineSummary,
    rows: &[&SampleRow],
    energy: Option<&EnergyReport>,
) {
    let points = regression_points(rows, energy, &summary.label);
    for (name, pts) in &points {
        let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
        if let Ok(fit) = bench_stats::ols(&x, &y) {
            summary.regressions.insert(name.clone(), fit);
        }
        if name == "total_tokens_vs_power_w"
            && let Ok(fit) = bench_stats::ols_log_y(&x, &y)
        {
            summary
                .regressions
                .insert("total_tokens_vs_power_w_log".into(), fit);
        }
    }
}

/// Each engine against the first engine of the plan, request by request.
fn agreement(manifest: &Manifest, rows: &[SampleRow]) -> Vec<Agreement> {
    let labels = plan_labels(manifest);
    let Some((reference, others)) = labels.split_first() else {
        return Vec::new();
    };
    let by_key = |label: &str| -> BTreeMap<(u32, u64), &shared_protocol::Sample> {
        rows.iter()
            .filter(|r| {
                r.label == label && r.sample.phase == Phase::Measure && r.sample.outcome.is_ok()
            })
            .map(|r| ((r.repetition, r.sample.request_id), &r.sample))
            .collect()
    };
    let base = by_key(reference);
    let mut out = Vec::new();
    for other in others {
        let mut a = Agreement {
            engine: other.clone(),
            reference: reference.clone(),
            requests: 0,
            prompt_tokens_differ: 0,
            outputs_compared: 0,
            outputs_identical: 0,
            mean_common_prefix: None,
            first_divergence: Vec::new(),
        };
        let mut prefix_sum = 0usize;
        for (key, s) in by_key(other) {
            let Some(r) = base.get(&key) else { continue };
            a.requests += 1;
            if let (Some(x), Some(y)) = (s.prompt_tokens, r.prompt_tokens) {
                a.prompt_tokens_differ += u64::from(x != y);
            }
            if let (Some(x), Some(y)) = (&s.output_token_ids, &r.output_token_ids) {
                a.outputs_compared += 1;
                let common = x.iter().zip(y).take_while(|(p, q)| p == q).count();
                prefix_sum += common;
                if x == y {
                    a.outputs_identical += 1;
                } else if key.0 == 0 {
                    a.first_divergence.push((key.1, common));
                }
            }
        }
        if a.outputs_compared > 0 {
            a.mean_common_prefix = Some(prefix_sum as f64 / a.outputs_compared as f64);
        }
        if a.requests > 0 {
            out.push(a);
        }
    }
    out
}

/// Outlier counts for each latency and rate metric.
fn outlier_counts(ok: &[&shared_protocol::Sample]) -> BTreeMap<String, OutlierCounts> {
    Metric::ALL
        .iter()
        .filter_map(|&m| {
            let sample = bench_stats::Sample::new(m.values(ok.iter().copied())).ok()?;
            let o = bench_stats::outliers(&sample);
            Some((
                m.name().to_owned(),
                OutlierCounts {
                    n: sample.len(),
                    tukey: o.tukey.counts,
                    modified_z_flagged: o.modified_z.flagged.len(),
                },
            ))
        })
        .collect()
}

/// MBU from the worker's bytes per decode step and the bandwidth of the device the engine ran
/// on: for a CPU engine the host's read bandwidth recorded in the manifest, for a GPU engine
/// the copy bandwidth its worker measured on that GPU (`device_bandwidth` in its load details).
/// An engine with neither gets no MBU (a host figure never stands for a GPU).
fn attach_mbu(summary: &mut EngineSummary, manifest: &Manifest, runs: &[&EngineRun]) {
    // What the first repetition that loaded says about the model.
    let detail = |key: &str| {
        runs.iter()
            .find_map(|r| r.loaded.as_ref()?.details.get(key).cloned())
    };
    let Some(device) = plan_engines(manifest)
        .find(|e| e.get("label").and_then(serde_json::Value::as_str) == Some(&summary.label))
        .and_then(|e| e.get("device")?.as_str())
        .or_else(|| runs.iter().find_map(|r| r.device.as_deref()))
    else {
        return;
    };
    let Some((bandwidth_bytes_per_s, bandwidth_source)) =
        device_bandwidth(device, &manifest.host, detail("device_bandwidth").as_ref())
    else {
        return;
    };
    let Some(weight_bytes_per_step) = detail("weight_bytes_per_token")
        .and_then(|v| v.as_u64())
        .or_else(|| runs.iter().find_map(|r| r.loaded.as_ref()?.model_bytes))
    else {
        return;
    };
    let kv_bytes_per_position = detail("kv_bytes_per_position").and_then(|v| v.as_u64());
    let context = summary
        .prompt_tokens
        .as_ref()
        .zip(summary.completion_tokens.as_ref())
        .map(|(p, c)| mean_decode_context(p.mean, c.mean));
    let tpot = summary.tpot_ms.as_ref().map(|s| s.p50);
    let mut figures = mbu_figures(
        weight_bytes_per_step,
        kv_bytes_per_position.zip(context),
        tpot,
        bandwidth_bytes_per_s,
    );
    figures.bandwidth_source = bandwidth_source;
    summary.mbu = Some(figures);
}

/// The bandwidth behind MBU on `device`, and where it comes from: the host's measured read
/// bandwidth (`host` is the manifest's host record) for `cpu`, the worker's own measurement
/// (`worker`: its `device_bandwidth` detail) for any other device.
fn device_bandwidth(
    device: &str,
    host: &serde_json::Value,
    worker: Option<&serde_json::Value>,
) -> Option<(f64, String)> {
    let positive = |v: Option<&serde_json::Value>| v?.as_f64().filter(|b| *b > 0.0);
    if device == "cpu" {
        let bw = host.get("memory_bandwidth")?;
        let bytes_per_s = positive(bw.get("read_bytes_per_s"))?;
        let threads = bw.get("threads").and_then(serde_json::Value::as_u64);
        let source = match threads {
            Some(t) => format!("host memory read, {t} threads"),
            None => "host memory read".to_owned(),
        };
        return Some((bytes_per_s, source));
    }
    let bw = worker?;
    let bytes_per_s = positive(bw.get("bytes_per_s"))?;
    let method = bw
        .get("method")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("measured by the worker");
    Some((bytes_per_s, format!("{device}: {method}")))
}

/// The bandwidth figures of a decode step that reads `weight_bytes` of weights and, where
/// known, `kv` = (bytes per cached position, mean positions attended), at TPOT `tpot_ms`.
fn mbu_figures(
    weight_bytes: u64,
    kv: Option<(u64, f64)>,
    tpot_ms: Option<f64>,
    bandwidth_bytes_per_s: f64,
) -> MbuFigures {
    let kv_bytes_per_step = kv.map(|(per, context)| (per as f64 * context).round() as u64);
    let bytes_per_step = weight_bytes + kv_bytes_per_step.unwrap_or(0);
    MbuFigures {
        bytes_per_step,
        weight_bytes_per_step: weight_bytes,
        kv_bytes_per_step,
        kv_bytes_per_position: kv.map(|(per, _)| per),
        bandwidth_bytes_per_s,
        bandwidth_source: String::new(),
        floor_tpot_ms: crate::bandwidth::floor_tpot_ms(bytes_per_step, bandwidth_bytes_per_s),
        mbu: tpot_ms.and_then(|t| crate::bandwidth::mbu(bytes_per_step, t, bandwidth_bytes_per_s)),
    }
}

/// The server-metric deltas of every repetition, summed series by series.
fn server_metrics(runs: &[&EngineRun]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    let mut any = false;
    for m in runs.iter().filter_map(|r| r.server_metrics.as_ref()) {
        any = true;
        for (k, v) in m {
            *sums.entry(k).or_default() += v.as_f64().unwrap_or(0.0);
        }
    }
    any.then(|| {
        sums.into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
            .collect()
    })
}

/// Mean number of cached positions a decode step attends over, for a request of `prompt`
/// tokens that generates `completion`: the step producing token `j` (2..=n; the first comes
/// from the prefill) attends over `prompt + j - 1` positions, whose mean is
/// `prompt + n / 2`.
fn mean_decode_context(prompt: f64, completion: f64) -> f64 {
    prompt + completion / 2.0
}

/// The engines of the plan as recorded in the manifest, in planned order.
fn plan_engines(manifest: &Manifest) -> impl Iterator<Item = &serde_json::Value> {
    manifest
        .plan
        .get("engines")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
}

/// Engine labels in planned order; the first is the reference for verdicts and agreement.
fn plan_labels(manifest: &Manifest) -> Vec<String> {
    plan_engines(manifest)
        .filter_map(|e| e.get("label")?.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ttft_ms: u64, e2e_ms: u64, tokens: u32) -> shared_protocol::Sample {
        serde_json::from_value(serde_json::json!({
            "request_id": 0,
            "phase": "measure",
            "outcome": { "status": "ok" },
            "start_mono_ns": 0,
            "ttft_ns": ttft_ms * 1_000_000,
            "e2e_ns": e2e_ms * 1_000_000,
            "itl_ns": [],
            "completion_tokens": tokens,
            "completion_tokens_source": "engine",
        }))
        .expect("a valid sample")
    }

    #[test]
    fn device_clock_figures_pair_host_and_device_request_by_request() {
        let mut timed = Vec::new();
        for (host_ttft, device_first) in [(10, 9), (12, 10)] {
            // 5 tokens; host: 4 gaps over 10 ms (2.5 ms); device: 4 gaps of 2 ms.
            let mut s = sample(host_ttft, host_ttft + 10, 5);
            s.device_clock = Some(shared_protocol::DeviceClockKind::CudaEvent);
            s.prefill_device_ns = Some(device_first * 1_000_000);
            s.decode_device_ns = Some(vec![
                device_first * 1_000_000,
                2_000_000,
                2_000_000,
                2_000_000,
                2_000_000,
            ]);
            timed.push(s);
        }
        let host_only = sample(50, 60, 5);
        let ok: Vec<&shared_protocol::Sample> = timed.iter().chain([&host_only]).collect();
        let d = device_clock_figures(&ok).expect("two requests carry device timings");
        assert_eq!(d.requests, 2);
        let p50 = |s: &Option<Summary>| s.as_ref().expect("figures").p50;
        assert!((p50(&d.ttft_ms) - 9.5).abs() < 1e-9);
        assert!((p50(&d.tpot_ms) - 2.0).abs() < 1e-9);
        assert!(
            (p50(&d.host_minus_device_ttft_ms) - 1.5).abs() < 1e-9,
            "(1 + 2) / 2"
        );
        assert!((p50(&d.host_minus_device_tpot_ms) - 0.5).abs() < 1e-9);
        assert!(
            device_clock_figures(&[&host_only]).is_none(),
            "host clock only"
        );
    }

    #[test]
    fn summaries_written_before_the_rename_still_read() {
        let m: MbuFigures = serde_json::from_value(serde_json::json!({
            "bytes_per_step": 100,
            "read_bytes_per_s": 4e10,
            "floor_tpot_ms": 0.0025,
            "mbu": 0.5,
        }))
        .expect("an older summary's MBU");
        assert!((m.bandwidth_bytes_per_s - 4e10).abs() < 1.0);
        assert!(m.bandwidth_source.is_empty());
    }

    #[test]
    fn bandwidth_is_the_one_of_the_engines_device() {
        let host = serde_json::json!({
            "memory_bandwidth": { "read_bytes_per_s": 40e9, "threads": 2 },
        });
        let gpu = serde_json::json!({
            "bytes_per_s": 3.0e12,
            "method": "device-to-device copy, bytes read plus written",
        });
        let (bw, source) = device_bandwidth("cpu", &host, Some(&gpu)).expect("host figure");
        assert!(
            (bw - 40e9).abs() < 1.0,
            "a CPU engine uses the host's figure"
        );
        assert_eq!(source, "host memory read, 2 threads");
        let (bw, source) = device_bandwidth("cuda:0", &host, Some(&gpu)).expect("worker figure");
        assert!(
            (bw - 3.0e12).abs() < 1.0,
            "a GPU engine uses its worker's figure"
        );
        assert!(
            source.starts_with("cuda:0: device-to-device copy"),
            "{source}"
        );
        assert_eq!(
            device_bandwidth("cuda:0", &host, None),
            None,
            "no host figure stands for a GPU"
        );
        let failed = serde_json::json!({ "unavailable": "too little free GPU memory" });
        assert_eq!(device_bandwidth("cuda:0", &host, Some(&failed)), None);
        assert_eq!(device_bandwidth("cpu", &serde_json::json!({}), None), None);
        let unmeasured = serde_json::json!({ "memory_bandwidth": { "unavailable": "debug" } });
        assert_eq!(device_bandwidth("cpu", &unmeasured, None), None);
    }

    #[test]
    fn decode_context_is_the_mean_over_decode_steps() {
        // A 10-token prompt and 4 generated tokens: steps 2, 3, 4 attend over 11, 12, 13.
        assert!((mean_decode_context(10.0, 4.0) - 12.0).abs() < 1e-12);
    }

    #[test]
    fn mbu_counts_the_kv_cache_read_at_the_mean_context() {
        // SmolLM2-135M in lm-rs: 30 layers, 3 key-value heads of 64, f32 keys and values.
        let per_position = 2 * 30 * 3 * 64 * 4;
        let weights = 96_400_000;
        let bw = 40e9;
        let m = mbu_figures(weights, Some((per_position, 132.0)), Some(10.0), bw);
        assert_eq!(m.kv_bytes_per_position, Some(46_080));
        assert_eq!(m.kv_bytes_per_step, Some(46_080 * 132));
        assert_eq!(m.bytes_per_step, weights + 46_080 * 132);
        let expected = m.bytes_per_step as f64 / 0.010 / bw;
        assert!((m.mbu.expect("tpot given") - expected).abs() < 1e-12);
        assert!(
            (m.floor_tpot_ms.expect("bandwidth given") - m.bytes_per_step as f64 / bw * 1e3).abs()
                < 1e-9
        );
        // Without the worker's figure, weights only, and it says so.
        let w = mbu_figures(weights, None, None, bw);
        assert_eq!(
            (w.bytes_per_step, w.kv_bytes_per_step, w.mbu),
            (weights, None, None)
        );
    }
}
