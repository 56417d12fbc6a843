//! The validated plan of a comparison, built from [`crate::settings::Settings`] by one function
//! ([`build`]) and stored in the manifest as the same type. Nothing below it sees the command
//! line.

mod build;
mod order;
pub mod shard;
mod trace;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_protocol::{EngineId, LoadPattern};
use telemetry::TelemetryKind;

pub use build::{build, check_out_dir, defaults};
pub use order::interleave;
pub use shard::ShardPlan;

pub use crate::settings::{Device, SloMetric};
use crate::worker::Timeouts;

/// A validated comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    pub out_dir: PathBuf,
    pub engines: Vec<EnginePlan>,
    pub workload: WorkloadPlan,
    pub repetitions: u32,
    pub seed: u64,
    /// Engine index per repetition, in the order they run.
    pub order: Vec<Slot>,
    pub telemetry: TelemetryPlan,
    /// Goodput objectives: a request meets them when every named metric is within its limit.
    pub slo: BTreeMap<SloMetric, f64>,
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Prices and carbon intensity for the cost figures; runs recorded before them have none.
    #[serde(default, skip_serializing_if = "CostPlan::is_empty")]
    pub cost: CostPlan,
    /// This run is one shard of a run split across machines (`--shard I/N`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardPlan>,
    /// Forward each worker's stderr to the terminal (how the run is shown, not what it measures).
    #[serde(skip)]
    pub verbose: bool,
}

impl Plan {
    /// The engine labelled `label`.
    pub fn engine(&self, label: &str) -> Option<&EnginePlan> {
        self.engines.iter().find(|e| e.label == label)
    }

    /// The load an engine offers in this run: its shard's share when the run is a shard.
    pub fn load_of<'p>(&'p self, engine: &'p EnginePlan) -> &'p LoadPattern {
        self.shard
            .as_ref()
            .and_then(|s| s.loads.get(&engine.label))
            .unwrap_or(&engine.load)
    }

    /// Measured requests per engine and repetition that this run sends: the shard's share when
    /// the run is a shard.
    pub fn measured_per_repetition(&self) -> u32 {
        self.shard.as_ref().map_or(self.workload.requests, |s| {
            s.share_of(self.workload.requests)
        })
    }

    /// Engine labels in planned order; the first is the reference for verdicts and agreement.
    pub fn labels(&self) -> Vec<String> {
        self.engines.iter().map(|e| e.label.clone()).collect()
    }
}

/// One engine's settings. `label` names it in results: the engine id, or `ID@VARIANT` when the
/// same engine runs in several configurations (`sim@slow`, `candle@t1`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnginePlan {
    pub id: EngineId,
    pub label: String,
    pub worker: String,
    pub device: Device,
    pub options: Map<String, Value>,
    /// How requests are offered (in-process engines: one at a time).
    pub load: LoadPattern,
}

/// One engine (by label) in one repetition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub repetition: u32,
    pub label: String,
}

/// When measuring stops.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopRule {
    /// After the planned number of requests.
    Count,
    /// Once the 95% CI half-width of the mean E2E latency, relative to the mean, is at most
    /// `half_width` (the planned number of requests is then the maximum; at least 20 are
    /// measured).
    TargetCi { half_width: f64 },
}

/// What every engine runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkloadPlan {
    pub requests: u32,
    pub warmup: u32,
    pub max_tokens: u32,
    pub ignore_eos: bool,
    pub dataset: String,
    /// Model id or path; `None`: the registry's default.
    pub model: Option<String>,
    pub min_prompt_tokens: Option<u32>,
    pub max_prompt_tokens: Option<u32>,
    /// Send prompts as they are, without the chat template.
    pub raw_prompts: bool,
    /// Stop warming up once the CV of the last 5 warm-up E2E latencies is at most this
    /// (`warmup` is then the maximum).
    pub warmup_cv: Option<f64>,
    pub stop: StopRule,
}

impl WorkloadPlan {
    /// The relative CI half-width adaptive stopping aims for, if any.
    pub fn target_ci(&self) -> Option<f64> {
        match self.stop {
            StopRule::Count => None,
            StopRule::TargetCi { half_width } => Some(half_width),
        }
    }

    /// Whether the dataset's prompts are sent in their order (request `i` is prompt `i`) rather
    /// than sampled: a request trace (arrival order), multi-turn conversations (turns of a
    /// conversation in order, conversations in file order) and shared-prefix groups (request
    /// `i` in group `i % groups`).
    pub fn in_source_order(&self) -> bool {
        matches!(
            self.dataset.parse::<bench_inputs::DatasetSpec>(),
            Ok(bench_inputs::DatasetSpec::Trace { .. }
                | bench_inputs::DatasetSpec::MultiTurn { .. }
                | bench_inputs::DatasetSpec::SharedPrefix(_))
        )
    }

    /// The number of prefix groups of a shared-prefix dataset.
    pub fn prefix_groups(&self) -> Option<u32> {
        match self.dataset.parse::<bench_inputs::DatasetSpec>() {
            Ok(bench_inputs::DatasetSpec::SharedPrefix(s)) => Some(s.groups),
            _ => None,
        }
    }
}

/// What telemetry the plan asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TelemetryPlan {
    pub kind: TelemetryKind,
    /// Root of `/sys`, `/proc` and `/etc` (fixture trees in tests).
    pub root: Option<PathBuf>,
    /// An `energy-monitor` on the host that runs a served engine.
    pub url: Option<String>,
    /// The file holding the monitor's bearer token (else `$ENERGY_MONITOR_TOKEN`); the token
    /// itself is never part of the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// CA certificate (PEM) for an `https://` monitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    pub interval: Duration,
    /// Idle baseline: `None` skips it.
    pub idle: Option<IdleSettings>,
}

/// How long the idle baseline may take.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct IdleSettings {
    pub cooldown_max: Duration,
    pub measure: Duration,
}

/// What the cost figures are computed from: the price of a device hour per engine, the price
/// of electricity and the grid's carbon intensity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostPlan {
    /// Price of one device hour per engine label (sweep points share their engine's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub price_per_hour: BTreeMap<String, DeviceHourPrice>,
    /// US dollars per kWh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_usd_per_kwh: Option<f64>,
    /// Grams of CO2-equivalent per kWh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carbon_g_co2e_per_kwh: Option<f64>,
}

impl CostPlan {
    /// Whether no cost input was given.
    pub fn is_empty(&self) -> bool {
        self.price_per_hour.is_empty()
            && self.energy_usd_per_kwh.is_none()
            && self.carbon_g_co2e_per_kwh.is_none()
    }
}

/// The price of one hour of the device an engine ran on, and the setting it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceHourPrice {
    pub usd_per_hour: f64,
    /// `engine LABEL` or `device DEVICE`: which `--price-per-hour` entry gave it.
    pub set_for: String,
}
