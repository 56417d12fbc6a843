//! `campaign.json`: the campaign file as given (text and hash), every experiment and every run
//! with its state, rewritten atomically after each change so an interruption loses nothing.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Cooldown;
use super::cooldown::CooldownTaken;
use super::grid::{Experiment, SkippedEngine};
use super::order::Turn;
use crate::store;

/// Version of `campaign.json`'s layout.
pub const CAMPAIGN_SCHEMA_VERSION: u32 = 1;

/// The manifest of a campaign directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CampaignManifest {
    pub schema_version: u32,
    pub name: String,
    pub created_utc: String,
    pub runner_version: String,
    /// sha256 of `campaign_text`.
    pub campaign_sha256: String,
    /// The campaign file as given (also copied to `campaign.toml`).
    pub campaign_text: String,
    pub cooldown: Cooldown,
    /// Temperatures by telemetry collector before the first run: the idle baseline a
    /// temperature cool-down waits for (empty with a fixed cool-down or none to read).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub idle_temperature_c: BTreeMap<String, f64>,
    pub experiments: Vec<ExperimentRecord>,
    /// Every run in the order they run, then the skipped experiments' cycles.
    pub runs: Vec<RunEntry>,
    /// Set while a signal stopped the campaign (cleared when it resumes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<CampaignInterruption>,
    /// When each `campaign run --resume` continued it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resumed_utc: Vec<String>,
    /// `campaign run --shard I/N`: the shard every experiment ran (absent in a whole
    /// campaign and in one merged from its shards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// A campaign merged from its shards: the shards' campaign directories, by index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// One experiment of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    pub id: String,
    /// The `[vary]` keys it sets, with their values.
    pub varied: BTreeMap<String, String>,
    /// Engine labels that run in it.
    pub engines: Vec<String>,
    /// Engines of the experiment that cannot run its values, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_engines: Vec<SkippedEngine>,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Running,
    Done,
    /// It finished with an engine failed, or could not run; `reason` says which.
    Failed,
    /// A signal stopped it; `campaign run --resume` continues it in its run directory.
    Interrupted,
    /// No engine can run the experiment; `reason` says why.
    Skipped,
}

/// One cycle of one experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    pub experiment: String,
    /// From 1.
    pub cycle: u32,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The run directory, relative to the campaign directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_utc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_utc: Option<String>,
    /// The cool-down taken before this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<CooldownTaken>,
}

/// A campaign stopped by `SIGINT`/`SIGTERM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignInterruption {
    pub signal: String,
    pub exit_code: u8,
    pub at_utc: String,
    /// `EXPERIMENT-cCYCLE` running when it stopped, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub during: Option<String>,
}

/// The run directory of `experiment` in `cycle`, relative to the campaign directory.
pub fn run_dir(experiment: &str, cycle: u32) -> String {
    format!("runs/{experiment}-c{cycle}")
}

/// A fresh manifest: every run of `turns` pending, then each skipped experiment's cycles.
pub fn new_manifest(
    campaign: &super::Campaign,
    experiments: &[Experiment],
    turns: &[Turn],
    now: &jiff::Timestamp,
) -> CampaignManifest {
    let runnable: Vec<&Experiment> = experiments.iter().filter(|e| e.plan.is_some()).collect();
    let mut runs: Vec<RunEntry> = turns
        .iter()
        .map(|t| RunEntry {
            experiment: runnable[t.experiment].id.clone(),
            cycle: t.cycle,
            status: Status::Pending,
            reason: None,
            result: None,
            start_utc: None,
            end_utc: None,
            cooldown: None,
        })
        .collect();
    for e in experiments.iter().filter(|e| e.plan.is_none()) {
        runs.extend((1..=campaign.file.cycles).map(|cycle| RunEntry {
            experiment: e.id.clone(),
            cycle,
            status: Status::Skipped,
            reason: e.skip_reason(),
            result: None,
            start_utc: None,
            end_utc: None,
            cooldown: None,
        }));
    }
    CampaignManifest {
        schema_version: CAMPAIGN_SCHEMA_VERSION,
        name: campaign.name().to_owned(),
        created_utc: now.to_string(),
        runner_version: env!("CARGO_PKG_VERSION").to_owned(),
        campaign_sha256: campaign.sha256.clone(),
        campaign_text: campaign.text.clone(),
        cooldown: campaign.cooldown,
        idle_temperature_c: BTreeMap::new(),
        experiments: experiments.iter().map(record_of).collect(),
        runs,
        interrupted: None,
        resumed_utc: Vec::new(),
        shard: None,
        merged_from: Vec::new(),
    }
}

/// The manifest's record of an experiment.
pub fn record_of(e: &Experiment) -> ExperimentRecord {
    ExperimentRecord {
        id: e.id.clone(),
        varied: e.varied(),
        engines: e.engines.clone(),
        skipped_engines: e.skipped_engines.clone(),
    }
}

impl CampaignManifest {
    /// The experiment named `id`.
    pub fn experiment(&self, id: &str) -> Option<&ExperimentRecord> {
        self.experiments.iter().find(|e| e.id == id)
    }

    /// Write it (atomically) into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        store::write_json(&dir.join("campaign.json"), self)
    }
}

/// Read a campaign directory's manifest.
pub fn read(dir: &Path) -> anyhow::Result<CampaignManifest> {
    let path = dir.join("campaign.json");
    let m: CampaignManifest = store::read_json(&path)
        .with_context(|| format!("{} is not a campaign directory", dir.display()))?;
    anyhow::ensure!(
        m.schema_version <= CAMPAIGN_SCHEMA_VERSION,
        "{} has campaign layout {}, newer than this runner's {CAMPAIGN_SCHEMA_VERSION}; use a newer benchmark-runner",
        path.display(),
        m.schema_version
    );
    Ok(m)
}
