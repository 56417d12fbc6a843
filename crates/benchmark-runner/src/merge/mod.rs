//! `merge`: shards of one run (`compare --shard I/N`, possibly on several machines) joined into
//! one run directory, summarised by the same code as any run, from the pooled raw samples.
//!
//! What is pooled and how (module `pool`): every measured and warm-up sample of every shard,
//! each marked with its shard and moved onto shard 0's monotonic clock through the shards' clock
//! anchors; one engine-run record per slot whose measured window is the union of the shards'
//! windows on that axis (so throughput is pooled tokens over the union span); energy summed
//! over the shards' hosts when each shard measured a host of its own. Each shard's own records
//! (manifest, runs, energy, telemetry) are kept under `shards/I/`.
//!
//! Module `check` refuses shards that do not belong together before anything is written.

pub mod campaign;
mod check;
mod pool;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{Failure, usage};
use crate::manifest::clock::MergedShard;
use crate::manifest::{self, Manifest};
use crate::store::{self, EngineRun};
use crate::summary::RunSummary;

/// One shard's results directory, read.
pub struct Shard {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// The shard's index (from its plan).
    pub index: u32,
}

impl Shard {
    /// The host the shard ran on, where known.
    pub fn host(&self) -> Option<String> {
        self.manifest.host.local.hostname.clone()
    }

    /// The host whose energy the shard measured: the serving host's monitor, else its own.
    pub fn measured_host(&self) -> Option<String> {
        match &self.manifest.host.remote {
            Some(remote) => remote.hostname.clone(),
            None => self.host(),
        }
    }
}

/// Join the shard directories `dirs` into the new run directory `out` and summarise it there
/// (every output of `report` written beside the pooled samples). Shards of different plans,
/// versions or inputs, a missing or repeated index, or a directory that is not a shard are
/// refused with a usage error naming the difference, before anything is written.
pub fn merge_runs(dirs: &[PathBuf], out: &Path) -> Result<RunSummary, Failure> {
    let shards = check::read_shards(dirs)?;
    crate::plan::check_out_dir(out)?;
    write_merged(&shards, out).map_err(Failure::Run)?;
    crate::render::render_dir(out).map_err(Failure::Run)
}

/// Read the shards in `dirs` and check they belong together (what [`merge_runs`] does first),
/// in index order.
pub fn read_shards(dirs: &[PathBuf]) -> Result<Vec<Shard>, Failure> {
    check::read_shards(dirs)
}

fn write_merged(shards: &[Shard], out: &Path) -> anyhow::Result<()> {
    let anchor0 = shards[0]
        .manifest
        .clock_anchor
        .context("shard 0 has no clock anchor")?;
    let mut merged_from = Vec::new();
    let mut offsets = Vec::new();
    for shard in shards {
        let anchor = shard
            .manifest
            .clock_anchor
            .with_context(|| format!("{} has no clock anchor", shard.dir.display()))?;
        let offset = anchor
            .wall_minus_mono_ns()
            .saturating_sub(anchor0.wall_minus_mono_ns());
        offsets.push(offset);
        let runs = read_runs(&shard.dir)?;
        merged_from.push(MergedShard {
            dir: shard.dir.clone(),
            host: shard.host(),
            index: shard.index,
            clock_offset_ns: offset,
            late_ns: runs
                .iter()
                .filter_map(|r| r.start.as_ref().map(|s| s.late_ns))
                .max(),
        });
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut manifest = merged_manifest(shards, out);
    manifest.merged_from = merged_from;
    store::write_json(&out.join("manifest.json"), &manifest)?;
    for name in ["samples.jsonl", "warmup.jsonl"] {
        pool::samples(shards, &offsets, name, &out.join(name))?;
    }
    let runs: Vec<Vec<EngineRun>> = shards
        .iter()
        .map(|s| read_runs(&s.dir))
        .collect::<anyhow::Result<_>>()?;
    let merged_runs = pool::runs(&manifest.plan, shards, &runs, &offsets);
    let mut text = String::new();
    for r in &merged_runs {
        text.push_str(&serde_json::to_string(r)?);
        text.push('\n');
    }
    store::write_text(&out.join("runs.jsonl"), &text)?;
    if let Some(energy) = pool::energy(shards)? {
        store::write_json(&out.join("energy.json"), &energy)?;
    }
    keep_shard_records(shards, out)
}

/// The merged manifest: shard 0's, its plan without the shard and in `out`, interruptions and
/// resumes of every shard.
fn merged_manifest(shards: &[Shard], out: &Path) -> Manifest {
    let mut manifest = shards[0].manifest.clone();
    manifest.plan.shard = None;
    manifest.plan.out_dir = out.to_path_buf();
    manifest.interrupted = shards.iter().find_map(|s| s.manifest.interrupted.clone());
    manifest.resumes = shards
        .iter()
        .flat_map(|s| s.manifest.resumes.iter().cloned())
        .collect();
    manifest
}

fn read_runs(dir: &Path) -> anyhow::Result<Vec<EngineRun>> {
    let path = dir.join("runs.jsonl");
    if path.is_file() {
        store::read_jsonl(&path)
    } else {
        Ok(Vec::new())
    }
}

/// Each shard's own records under `shards/I/`: its manifest, engine runs, energy and
/// telemetry, as it wrote them.
fn keep_shard_records(shards: &[Shard], out: &Path) -> anyhow::Result<()> {
    for shard in shards {
        let to = out.join("shards").join(shard.index.to_string());
        std::fs::create_dir_all(&to).with_context(|| format!("cannot create {}", to.display()))?;
        let entries = std::fs::read_dir(&shard.dir)
            .with_context(|| format!("cannot read {}", shard.dir.display()))?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kept = matches!(&*name, "manifest.json" | "runs.jsonl" | "energy.json")
                || (name.starts_with("telemetry") && name.ends_with(".jsonl"));
            if kept {
                std::fs::copy(entry.path(), to.join(&*name))
                    .with_context(|| format!("cannot copy {}", entry.path().display()))?;
            }
        }
    }
    Ok(())
}

/// A manifest of a directory, or a usage error saying it is not a run directory.
fn read_manifest(dir: &Path) -> Result<Manifest, Failure> {
    if !dir.join("manifest.json").is_file() {
        return Err(usage(format!(
            "{} is not a run directory (no manifest.json)",
            dir.display()
        )));
    }
    manifest::read(dir).map_err(|e| usage(format!("{}: {e:#}", dir.display())))
}
