//! `summary.json`: per engine, request counts, the distribution of every metric, throughput and
//! what went wrong, and across engines verdicts and agreement. Pure functions over a run's rows
//! and manifest (no file I/O), so `report` can redo it; each part has its own module.
//!
//! # Layout
//!
//! - [`requests`]: counts, failures, throughput, warnings.
//! - [`energy`]: energy per channel and validity flags; [`mbu`]: bandwidth utilisation;
//!   [`mfu`]: FLOPs utilisation against the device's peak ([`peaks`]).
//! - [`cost`]: price and emissions per million tokens.
//! - [`goodput`], [`regressions`], [`outliers`], [`token_counts`], [`device_clock`]: one
//!   figure each.
//! - [`arrival_rates`]: offered against achieved send rate (open loop, trace replay).
//! - [`turns`]: TTFT by turn of multi-turn conversations and by visit of shared-prefix groups.
//! - [`reasoning`]: time to the first answer token and reasoning tokens, where replies reasoned.
//! - [`verdicts`] and [`agreement`]: each engine against the reference engine.
//! - [`model`]: the model the run names.
//! - [`itl_definitions`]: inter-token latency as vLLM, `aiperf` and `guidellm` define it.

pub mod agreement;
pub mod arrival_rates;
pub mod continuity;
pub mod cost;
pub mod device_clock;
pub mod energy;
mod engine;
pub mod goodput;
pub mod itl_definitions;
pub mod mbu;
pub mod mfu;
pub mod model;
pub mod outliers;
pub mod peaks;
pub mod reasoning;
pub mod regressions;
pub mod requests;
pub mod token_counts;
pub mod turns;
pub mod verdicts;

use std::collections::BTreeMap;

use bench_stats::{Summary, summarize};
use serde::{Deserialize, Serialize};
use shared_protocol::EngineId;

pub use agreement::Agreement;
pub use continuity::Continuity;
pub use cost::CostFigures;
pub use device_clock::DeviceClockFigures;
pub use energy::{ChannelEnergy, EngineEnergy, PhaseFigures};
pub use goodput::Goodput;
pub use itl_definitions::ItlDefinition;
pub use mbu::MbuFigures;
pub use mfu::MfuFigures;
pub use model::ModelNote;
pub use outliers::OutlierCounts;
pub use reasoning::ReasoningFigures;
pub use regressions::{RegressionPoints, regression_points_by_label};
pub use requests::{RequestCounts, RunFailure, Throughput};
pub use token_counts::TokenCountCheck;
pub use verdicts::Verdicts;

use crate::columns::{Columns, GapPool};
use crate::energy::EnergyReport;
use crate::manifest::{Manifest, SCHEMA_VERSION};
use crate::metrics::{METRICS_VERSION, Metric, MetricSamples};
use crate::store::EngineRun;

/// The clock behind every latency figure of a summary.
pub const CLOCK: &str = "host monotonic (CLOCK_MONOTONIC), read by the worker; HTTP arrivals are the kernel's socket receive times on that clock where samples say engine_metrics.arrival_clock = kernel; device figures, where present, name their clock per sample";

/// What a merged run adds to [`CLOCK`]: how its shards' timestamps share one axis.
pub const MERGED_CLOCK: &str = "merged from shards: each shard's timestamps moved onto shard 0's monotonic clock through the wall-clock anchors the shards recorded, which assumes the hosts' clocks were synchronised (NTP); throughput is pooled tokens over the union of the shards' measured windows on that axis";

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
    /// Present when the run did not go in one piece: interrupted (then `complete` is false),
    /// slots never finished, resumed, or a torn last line set aside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuity: Option<Continuity>,
}

/// Whether every run of an engine finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineStatus {
    Ok,
    Failed,
}

impl EngineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EngineStatus::Ok => "ok",
            EngineStatus::Failed => "failed",
        }
    }
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
    pub status: EngineStatus,
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
    /// Offered against achieved send rate, where requests had send times (open loop, trace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_rates: Option<arrival_rates::ArrivalRates>,
    /// TTFT by turn index of multi-turn conversations, or by visit of shared-prefix groups
    /// (empty for other workloads).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub turns: Vec<turns::TurnFigures>,
    pub throughput: Throughput,
    /// Served engines: where `completion_tokens` came from, and how the other counts agree.
    pub token_counts: Option<TokenCountCheck>,
    /// Model bandwidth utilisation at the TPOT median: bytes read per decode step (weights and
    /// KV cache) over TPOT over the measured memory bandwidth, and the fastest TPOT that
    /// bandwidth allows.
    pub mbu: Option<MbuFigures>,
    /// Model FLOPs utilisation: FLOPs per prefill and decode token from the model's shape, the
    /// FLOP/s achieved and their share of the device's peak (absent where the shape or the
    /// peak is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfu: Option<MfuFigures>,
    /// The same requests on the device clock, where the worker recorded one (CUDA events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_clock: Option<DeviceClockFigures>,
    /// Chat replies that reasoned first: time to the first answer token and reasoning tokens
    /// per request; absent when no request reasoned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningFigures>,
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
    pub load: Option<shared_protocol::LoadPattern>,
    /// Share and rate of measured requests meeting every objective in `--slo`.
    pub goodput: Option<Goodput>,
    pub load_ms: Vec<f64>,
    pub peak_rss_bytes: Option<u64>,
    /// Energy per telemetry channel, or why there is none.
    pub energy: EngineEnergy,
    /// With a price of a device hour, an energy price or a carbon intensity: cost and
    /// emissions per million tokens, with the inputs they came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostFigures>,
    /// Reasons from telemetry that this engine's run is not to be trusted (throttling, clocks
    /// moving, another process on the device, energy windows too short to resolve).
    pub validity: Vec<String>,
    /// Reasons a reader should be careful with these figures.
    pub warnings: Vec<String>,
    /// Engines whose samples have inter-token gaps: inter-token latency as `vllm bench serve`,
    /// `aiperf` and `guidellm` each define it, beside this project's `itl_ms` and `tpot_ms`,
    /// over the same requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl_definitions: Option<Vec<ItlDefinition>>,
}

impl EngineSummary {
    /// The distribution of a per-request metric.
    pub fn metric(&self, metric: Metric) -> Option<&Summary> {
        match metric {
            Metric::TtftMs => self.ttft_ms.as_ref(),
            Metric::TpotMs => self.tpot_ms.as_ref(),
            Metric::ItlMs => self.itl_ms.as_ref(),
            Metric::E2eMs => self.e2e_ms.as_ref(),
            Metric::DecodeTokS => self.decode_tok_s.as_ref(),
            Metric::PrefillTokS => self.prefill_tok_s.as_ref(),
        }
    }

    /// Every distribution of the summary by name: the metrics, then token counts and schedule
    /// lag.
    pub fn distributions(&self) -> Vec<(&'static str, Option<&Summary>)> {
        Metric::ALL
            .iter()
            .map(|&m| (m.name(), self.metric(m)))
            .chain([
                ("prompt_tokens", self.prompt_tokens.as_ref()),
                ("completion_tokens", self.completion_tokens.as_ref()),
                ("schedule_lag_ms", self.schedule_lag_ms.as_ref()),
            ])
            .collect()
    }
}

/// What a summary is computed from: a run directory's contents, read.
#[derive(Clone, Copy)]
pub struct RunData<'a> {
    pub manifest: &'a Manifest,
    /// Measured and warm-up rows.
    pub rows: &'a Columns,
    pub runs: &'a [EngineRun],
    pub energy: Option<&'a EnergyReport>,
    /// Each engine label's metric samples, from [`metric_samples`] over `rows`.
    pub metrics: &'a BTreeMap<String, MetricSamples>,
    /// [`agreement::agreement`] over `rows`, made first: the generated ids it reads can then
    /// be freed ([`Columns::drop_output_ids`]) before the metrics are sorted.
    pub agreement: &'a [Agreement],
    /// Each engine label's regression points, from [`regression_points_by_label`] over `rows`
    /// and `energy` (the figures draw the same points).
    pub points: &'a BTreeMap<String, RegressionPoints>,
}

/// Each engine label's metric samples over its measured successful rows, computed once for the
/// summary and the figures (the rows' pooled inter-token gaps are handed over to them).
pub fn metric_samples(rows: &mut Columns) -> BTreeMap<String, MetricSamples> {
    let gaps = take_gaps(rows);
    metric_samples_of(rows, gaps)
}

/// Each engine label with its pooled inter-token gaps, taken from `rows` (what
/// [`metric_samples_of`] makes the `itl_ms` samples of).
pub fn take_gaps(rows: &mut Columns) -> Vec<(String, GapPool)> {
    let labels: Vec<String> = rows.labels().map(|(l, _)| l.to_owned()).collect();
    labels
        .into_iter()
        .map(|label| {
            let gaps = rows.take_itl(&label);
            (label, gaps)
        })
        .collect()
}

/// [`metric_samples`] of `rows` whose gaps, `gaps`, were taken first ([`take_gaps`]).
pub fn metric_samples_of(
    rows: &Columns,
    gaps: Vec<(String, GapPool)>,
) -> BTreeMap<String, MetricSamples> {
    use rayon::prelude::*;
    // Each engine on a core of its own, and within one its pooled gaps (most of the work: they
    // are sorted) beside its per-request metrics.
    gaps.into_par_iter()
        .map(|(label, mut gaps)| {
            let ok = rows.ok_measured(&label);
            let (itl_ms, samples) =
                rayon::join(|| gaps.take_sorted_ms(), || MetricSamples::per_request(&ok));
            (label, samples.with_itl_ms(itl_ms))
        })
        .collect()
}

fn stat(values: Vec<f64>) -> Option<Summary> {
    bench_stats::Sample::new(values).ok().map(|s| summarize(&s))
}

/// The engines a run's summary has, in its order: every label of its runs and its rows.
pub fn run_labels(runs: &[EngineRun], rows: &Columns) -> Vec<(String, EngineId)> {
    let mut labels: Vec<(String, EngineId)> =
        runs.iter().map(|r| (r.label.clone(), r.engine)).collect();
    labels.extend(rows.labels().map(|(l, e)| (l.to_owned(), e)));
    labels.sort();
    labels.dedup();
    labels
}

/// Summarise a run.
pub fn summarize_run(data: RunData<'_>) -> RunSummary {
    let RunData {
        manifest,
        rows,
        runs,
        ..
    } = data;
    let labels = run_labels(runs, rows);
    let metrics = data.metrics;
    let empty = MetricSamples::default();
    // Each engine on a core of its own, beside the verdicts.
    let (engines, verdicts) = rayon::join(
        || {
            use rayon::prelude::*;
            labels
                .into_par_iter()
                .map(|(label, id)| {
                    let samples = metrics.get(&label).unwrap_or(&empty);
                    let summary = engine::summarize_engine(id, &label, samples, data);
                    (label, summary)
                })
                .collect()
        },
        || verdicts::reference_verdicts(&manifest.plan, metrics),
    );
    let served = manifest
        .engines
        .values()
        .any(|h| crate::catalog::entry(h.engine).is_served());
    RunSummary {
        schema_version: SCHEMA_VERSION,
        metrics_version: METRICS_VERSION,
        name: manifest.name.clone(),
        created_utc: manifest.created_utc.clone(),
        clock: if manifest.merged_from.is_empty() {
            CLOCK.to_owned()
        } else {
            format!("{CLOCK}; {MERGED_CLOCK}")
        },
        engines,
        order: runs
            .iter()
            .map(|r| format!("{}:{}", r.repetition, r.label))
            .collect(),
        verdicts,
        harness: served.then(|| {
            manifest.harness.clone().unwrap_or_else(|| {
                serde_json::json!({ "unavailable": "no calibration was recorded with this run" })
            })
        }),
        agreement: data.agreement.to_vec(),
        model: ModelNote::from_manifest(manifest),
        continuity: continuity::continuity(manifest, runs, rows),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    /// A successful measured sample with the given timings.
    pub fn sample(ttft_ms: u64, e2e_ms: u64, tokens: u32) -> shared_protocol::Sample {
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
}
