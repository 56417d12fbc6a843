//! Campaigns run as shards (`campaign run --shard I/N`, one campaign directory per shard) joined
//! into one campaign directory: every run done in all shards merged by [`super::merge_runs`]
//! into the same run path, the others recorded with the shard that left them unfinished, then
//! the campaign report over the merged runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::campaign::record::{self, CampaignManifest, RunEntry, Status};
use crate::campaign::report;
use crate::error::{Failure, usage};
use crate::settings::ShardSpec;
use crate::store;

/// Whether `dir` is a campaign directory (holds `campaign.json`).
pub fn is_campaign(dir: &Path) -> bool {
    dir.join("campaign.json").is_file()
}

/// Merge the shards' campaign directories `dirs` into `out`; the merged campaign's manifest.
/// Shards of different campaign files, a missing or repeated shard index, or runs whose shards
/// do not belong together are refused before anything is written.
pub fn merge_campaigns(dirs: &[PathBuf], out: &Path) -> Result<CampaignManifest, Failure> {
    let shards = read(dirs)?;
    crate::plan::check_out_dir(out)?;
    let first = &shards[0].1;
    // Every run done in every shard: its shard directories, checked to belong together.
    let mut jobs: Vec<(usize, Vec<PathBuf>)> = Vec::new();
    let mut runs = first.runs.clone();
    for (i, entry) in runs.iter_mut().enumerate() {
        if entry.status == Status::Skipped {
            continue;
        }
        let mut parts = Vec::new();
        let mut unfinished = None;
        for (dir, m) in &shards {
            let shard = m.shard.as_deref().unwrap_or("?");
            match find(m, entry) {
                Some(RunEntry {
                    status: Status::Done,
                    result: Some(result),
                    ..
                }) => parts.push(dir.join(result)),
                Some(e) => {
                    unfinished.get_or_insert((shard.to_owned(), e.status, e.reason.clone()));
                }
                None => {
                    unfinished.get_or_insert((shard.to_owned(), Status::Pending, None));
                }
            }
        }
        if let Some((shard, status, reason)) = unfinished {
            // Not measured in every shard: nothing to merge.
            entry.status = Status::Failed;
            entry.reason = Some(format!(
                "shard {shard}: {}{}",
                format!("{status:?}").to_lowercase(),
                reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ));
            entry.result = None;
            continue;
        }
        super::read_shards(&parts).map_err(|e| match e {
            Failure::Usage(m) => usage(format!("run {}-c{}: {m}", entry.experiment, entry.cycle)),
            other @ Failure::Run(_) => other,
        })?;
        jobs.push((i, parts));
    }
    std::fs::create_dir_all(out.join("runs"))
        .map_err(|e| Failure::Run(anyhow::anyhow!("cannot create {}: {e}", out.display())))?;
    let total = jobs.len();
    for (n, (i, parts)) in jobs.into_iter().enumerate() {
        let entry = &mut runs[i];
        let rel = record::run_dir(&entry.experiment, entry.cycle);
        eprintln!(
            "merge: run {}/{total} ({}, cycle {}) from {} shards",
            n + 1,
            entry.experiment,
            entry.cycle,
            parts.len()
        );
        super::merge_runs(&parts, &out.join(&rel))?;
        // The merged run spans its shards' runs.
        let spans: Vec<&RunEntry> = shards.iter().filter_map(|(_, m)| find(m, entry)).collect();
        entry.start_utc = spans.iter().filter_map(|e| e.start_utc.clone()).min();
        entry.end_utc = spans.iter().filter_map(|e| e.end_utc.clone()).max();
        entry.result = Some(rel);
    }
    let mut merged = first.clone();
    merged.runs = runs;
    merged.shard = None;
    merged.interrupted = None;
    merged.merged_from = shards
        .iter()
        .map(|(d, _)| d.display().to_string())
        .collect();
    store::write_text(&out.join("campaign.toml"), &merged.campaign_text)?;
    merged.write(out)?;
    report::write(out, &merged)?;
    Ok(merged)
}

/// The shards' manifests in index order, checked to be the shards of one campaign file.
fn read(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, CampaignManifest)>, Failure> {
    let mut by_index: BTreeMap<u32, (PathBuf, CampaignManifest)> = BTreeMap::new();
    let mut count = None;
    let mut sha = None;
    for dir in dirs {
        let m = record::read(dir).map_err(|e| usage(format!("{e:#}")))?;
        let Some(shard) = m.shard.clone() else {
            return Err(usage(format!(
                "{} is a whole campaign, not a shard (campaign run --shard I/N)",
                dir.display()
            )));
        };
        let spec: ShardSpec = shard
            .parse()
            .map_err(|e| usage(format!("{}: shard {e}", dir.display())))?;
        match sha {
            None => sha = Some(m.campaign_sha256.clone()),
            Some(ref s) if *s != m.campaign_sha256 => {
                return Err(usage(format!(
                    "{} ran another campaign file (sha256 {}, the first shard's {s})",
                    dir.display(),
                    m.campaign_sha256
                )));
            }
            Some(_) => {}
        }
        if *count.get_or_insert(spec.count) != spec.count {
            return Err(usage(format!(
                "{} is shard {shard}, the first shard is of {} shards",
                dir.display(),
                count.unwrap_or(0)
            )));
        }
        if let Some((other, _)) = by_index.insert(spec.index, (dir.clone(), m)) {
            return Err(usage(format!(
                "{} and {} are both shard {shard}",
                other.display(),
                dir.display()
            )));
        }
    }
    let count = count.unwrap_or(0);
    if let Some(missing) = (0..count).find(|i| !by_index.contains_key(i)) {
        return Err(usage(format!("shard {missing}/{count} is missing")));
    }
    Ok(by_index.into_values().collect())
}

/// The entry of `m` for the same experiment and cycle as `entry`.
fn find<'a>(m: &'a CampaignManifest, entry: &RunEntry) -> Option<&'a RunEntry> {
    m.runs
        .iter()
        .find(|r| r.experiment == entry.experiment && r.cycle == entry.cycle)
}
