//! `manifest.json`: the plan as run, the inputs, the engines as they announced themselves, the
//! host, the source revision and build profile: everything needed to know what a run measured.
//! Written and read as one type; directories of older layouts are upgraded on reading
//! ([`read`]).

pub mod clock;
pub mod continuity;
mod v1;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared_protocol::{Hello, ModelSpec};

use crate::metrics::METRICS_VERSION;
use crate::plan::Plan;
use crate::worker_build::WorkerBinary;

/// Version of the results layout (manifest, samples, runs, summary). 2: the manifest is typed
/// (inputs and harness beside the plan, the plan's stopping rule an enum).
pub const SCHEMA_VERSION: u32 = 2;

/// The manifest of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    /// A measurement unless marked as a race (absent in measurements).
    #[serde(default, skip_serializing_if = "RunKind::is_measurement")]
    pub kind: RunKind,
    pub metrics_version: u32,
    pub protocol_version: u32,
    pub name: String,
    pub created_utc: String,
    pub runner_version: String,
    pub build_profile: String,
    pub git: Option<GitInfo>,
    pub host: Host,
    /// Each engine's handshake, by engine label.
    pub engines: BTreeMap<String, Hello>,
    /// Each engine's worker binary and the flags that built it, by engine label (absent in
    /// older runs and for engines that have no binary here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub workers: BTreeMap<String, WorkerBinary>,
    /// The validated plan as run.
    pub plan: Plan,
    /// The model and prompts the plan resolved to.
    pub inputs: InputsRecord,
    /// Served engines: the HTTP client's calibration in force when the run started (a copy, so
    /// re-rendering an old run never picks up newer figures), or why there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harness: Option<Value>,
    /// Set when the run was stopped by `SIGINT`/`SIGTERM` (cleared by a resume, which keeps it
    /// in its [`continuity::Resumption`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<continuity::Interruption>,
    /// Each `compare --resume` that continued the run, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resumes: Vec<continuity::Resumption>,
    /// The wall clock and the monotonic clock read together as the run started (absent in
    /// older runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_anchor: Option<clock::ClockAnchor>,
    /// A merged run (`benchmark-runner merge`): the shards it joins, in index order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<clock::MergedShard>,
}

/// What a results directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A comparison: what `report`, `diff` and `nightly` read.
    #[default]
    Measurement,
    /// A `race`: a demonstration, never a measurement.
    Race,
}

impl RunKind {
    /// Whether this is a measurement (the kind older manifests leave unsaid).
    pub fn is_measurement(&self) -> bool {
        *self == RunKind::Measurement
    }
}

/// The machine a run measured on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Host {
    pub local: telemetry::HostInfo,
    /// The serving host, reported by its energy monitor.
    #[serde(default)]
    pub remote: Option<telemetry::HostInfo>,
    /// The host's memory read bandwidth when a CPU engine ran (MBU's denominator).
    #[serde(default)]
    pub memory_bandwidth: Option<MemoryBandwidth>,
    #[serde(default)]
    pub telemetry: TelemetrySources,
    /// The host's measured f32 matrix-multiply throughput when a CPU engine ran (MFU's
    /// denominator on a CPU); absent in older runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_peak: Option<ComputePeak>,
}

/// The host's measured read bandwidth, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MemoryBandwidth {
    Measured(crate::bandwidth::Bandwidth),
    Unavailable { unavailable: String },
}

/// The host's measured compute peak, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ComputePeak {
    Measured(crate::compute::Gemm),
    Unavailable { unavailable: String },
}

/// Telemetry collectors that ran, and why others did not.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TelemetrySources {
    pub sources: Vec<String>,
    pub unavailable: Option<String>,
}

/// What the plan's model and dataset resolved to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InputsRecord {
    /// `None` when no engine needed a model.
    pub model: Option<ModelRecord>,
    pub dataset: DatasetRecord,
}

/// A resolved model; a synthetic one (`models synth`) says so, with its architecture and seed;
/// a derived one names its base and how it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    #[serde(flatten)]
    pub spec: ModelSpec,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthetic_architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthetic_seed: Option<u64>,
    /// A registry model written here from another (base id and sha256, method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<bench_inputs::Derivation>,
    /// The model's sizes from its GGUF metadata, which FLOPs per token are counted from
    /// (absent for other formats and in older runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<bench_inputs::ModelShape>,
}

/// The prompts' source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetRecord {
    pub name: String,
    pub sha256: String,
    pub prompts: usize,
    pub tokenized: bool,
    pub chat_template: bool,
}

/// Source revision of the workspace the runner was run from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GitInfo {
    pub revision: String,
    pub dirty: bool,
}

/// The git revision of `dir`, when it is a git checkout and git is installed.
pub fn git_info(dir: &Path) -> Option<GitInfo> {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let revision = run(&["rev-parse", "HEAD"])?;
    let dirty =
        run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(GitInfo { revision, dirty })
}

/// What a run adds to its plan before the manifest is written.
pub struct RunRecord {
    pub engines: BTreeMap<String, Hello>,
    pub host: Host,
    pub inputs: InputsRecord,
    pub harness: Option<Value>,
}

/// Build the manifest of `plan`.
pub fn new_manifest(plan: &Plan, created_utc: &jiff::Timestamp, record: RunRecord) -> Manifest {
    let git = crate::locate::workspace_root().and_then(|ws| git_info(&ws));
    Manifest {
        schema_version: SCHEMA_VERSION,
        kind: RunKind::Measurement,
        metrics_version: METRICS_VERSION,
        protocol_version: shared_protocol::PROTOCOL_VERSION,
        name: plan.name.clone(),
        created_utc: created_utc.to_string(),
        runner_version: env!("CARGO_PKG_VERSION").to_owned(),
        build_profile: crate::build_profile().to_owned(),
        git,
        host: record.host,
        engines: record.engines,
        workers: workers(plan),
        plan: plan.clone(),
        inputs: record.inputs,
        harness: record.harness,
        interrupted: None,
        resumes: Vec::new(),
        clock_anchor: Some(clock::ClockAnchor::now()),
        merged_from: Vec::new(),
    }
}

/// The binary each engine of `plan` runs and what built it. Preflight has just located (and
/// where needed built) them; looking again finds the same files.
pub fn workers(plan: &Plan) -> BTreeMap<String, WorkerBinary> {
    let locator = crate::locate::Locator::from_env();
    plan.engines
        .iter()
        .filter_map(|e| {
            let entry = crate::catalog::entry(e.id);
            let binary = locator.resolve(&entry, entry.flavour_for(e.device, &e.label))?;
            Some((e.label.clone(), binary))
        })
        .collect()
}

/// Read a run directory's manifest, upgrading older layouts.
pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut value: Value =
        serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    match value.get("schema_version").and_then(Value::as_u64) {
        Some(1) => v1::upgrade(&mut value),
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => anyhow::bail!(
            "{} has results layout {v}, newer than this runner's {SCHEMA_VERSION}; use a newer benchmark-runner",
            path.display()
        ),
        None => anyhow::bail!("{} has no schema_version", path.display()),
    }
    serde_json::from_value(value).with_context(|| format!("cannot read {}", path.display()))
}
