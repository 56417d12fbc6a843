//! The shards' results pooled: samples on one time axis, one engine-run record per slot over
//! the union of the shards' measured windows, and energy summed over the shards' hosts.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::Shard;
use crate::energy::{self, EnergyReport};
use crate::plan::Plan;
use crate::store::{self, EngineRun, RunStatus};

/// A monotonic reading of a shard moved onto the merged axis by `offset_ns`.
fn shift(ns: u64, offset_ns: i64) -> u64 {
    ns.saturating_add_signed(offset_ns)
}

/// Every row of each shard's `name` (`samples.jsonl`, `warmup.jsonl`), marked with its shard
/// and moved onto the merged axis, written to `out` in shard order. Latencies are durations and
/// stay as measured; only the absolute readings (submission, intended send) move.
pub(super) fn samples(
    shards: &[Shard],
    offsets: &[i64],
    name: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    for (shard, &offset) in shards.iter().zip(offsets) {
        let path = shard.dir.join(name);
        if !path.is_file() {
            continue;
        }
        for mut row in store::read_sample_rows(&path)? {
            row.shard = Some(shard.index);
            row.sample.start_mono_ns = shift(row.sample.start_mono_ns, offset);
            row.sample.scheduled_mono_ns = row.sample.scheduled_mono_ns.map(|t| shift(t, offset));
            serde_json::to_writer(&mut w, &row)?;
            w.write_all(b"\n")?;
        }
    }
    w.flush()
        .with_context(|| format!("cannot write {}", out.display()))
}

/// One record per slot of the plan's order that some shard ran: its measured window the union
/// of the shards' windows on the merged axis, its samples their sum, failed when a shard failed
/// or has no record of the slot.
pub(super) fn runs(
    plan: &Plan,
    shards: &[Shard],
    runs: &[Vec<EngineRun>],
    offsets: &[i64],
) -> Vec<EngineRun> {
    let mut merged = Vec::new();
    for slot in &plan.order {
        let of_slot: Vec<(u32, i64, &EngineRun)> = shards
            .iter()
            .zip(runs)
            .zip(offsets)
            .filter_map(|((s, rs), &offset)| {
                let r = rs
                    .iter()
                    .find(|r| r.label == slot.label && r.repetition == slot.repetition)?;
                Some((s.index, offset, r))
            })
            .collect();
        let Some(&(_, _, first)) = of_slot.first() else {
            continue;
        };
        let failed = of_slot.iter().find_map(|(i, _, r)| match &r.status {
            RunStatus::Failed { reason, message } => Some(RunStatus::Failed {
                reason: reason.clone(),
                message: format!("shard {i}: {message}"),
            }),
            RunStatus::Ok => None,
        });
        let missing = shards
            .iter()
            .find(|s| !of_slot.iter().any(|(i, _, _)| *i == s.index))
            .map(|s| RunStatus::Failed {
                reason: "shard_incomplete".to_owned(),
                message: format!(
                    "shard {} has no record of this slot (it stopped before finishing it)",
                    s.index
                ),
            });
        let single = of_slot.len() == 1;
        merged.push(EngineRun {
            worker_pid: first.worker_pid.filter(|_| single),
            status: failed.or(missing).unwrap_or(RunStatus::Ok),
            samples: of_slot.iter().map(|(_, _, r)| r.samples).sum(),
            measure_start_mono_ns: of_slot
                .iter()
                .filter_map(|(_, o, r)| Some(shift(r.measure_start_mono_ns?, *o)))
                .min(),
            measure_end_mono_ns: of_slot
                .iter()
                .filter_map(|(_, o, r)| Some(shift(r.measure_end_mono_ns?, *o)))
                .max(),
            server_metrics: first.server_metrics.clone().filter(|_| single),
            // Resumed shards ran side by side: their earlier windows overlap too.
            earlier_measure_ns: of_slot
                .iter()
                .filter_map(|(_, _, r)| r.earlier_measure_ns)
                .max(),
            start: of_slot
                .iter()
                .filter_map(|(_, _, r)| r.start.clone())
                .max_by_key(|s| s.late_ns),
            ..first.clone()
        });
    }
    merged
}

/// The shards' energy: summed (their records side by side, the summary adding them up per
/// channel) when every shard measured a host of its own; when two measured the same host (two
/// client shards reading one server's monitor, say), left out with the reason, since adding
/// them would count that host twice. `None` when no shard recorded energy.
pub(super) fn energy(shards: &[Shard]) -> anyhow::Result<Option<EnergyReport>> {
    let mut reports = Vec::new();
    for shard in shards {
        if let Some(report) = energy::read(&shard.dir)? {
            reports.push((shard, report));
        }
    }
    let Some((_, first)) = reports.first() else {
        return Ok(None);
    };
    let mut merged = EnergyReport {
        sources: Vec::new(),
        unavailable: first.unavailable.clone(),
        sample_interval_ms: first.sample_interval_ms,
        idle: Vec::new(),
        runs: Vec::new(),
        flags: Vec::new(),
    };
    let measuring: Vec<&Shard> = reports
        .iter()
        .filter(|(_, r)| !r.runs.is_empty())
        .map(|(s, _)| *s)
        .collect();
    let shared = shared_host(&measuring);
    for (shard, report) in &reports {
        for source in &report.sources {
            if !merged.sources.contains(source) {
                merged.sources.push(source.clone());
            }
        }
        merged.idle.extend(report.idle.iter().cloned());
        if shared.is_none() {
            merged.runs.extend(report.runs.iter().cloned());
        }
        merged.flags.extend(report.flags.iter().map(|f| {
            let mut f = f.clone();
            for reason in &mut f.reasons {
                *reason = format!("shard {}: {reason}", shard.index);
            }
            f
        }));
    }
    if let Some(why) = shared {
        merged.unavailable = Some(why);
    }
    Ok(Some(merged))
}

/// Why the shards' energy cannot be summed: two of them measured the same host, or a host whose
/// name is unknown. `None`: each measured a host of its own.
fn shared_host(shards: &[&Shard]) -> Option<String> {
    if shards.len() < 2 {
        return None;
    }
    for (i, s) in shards.iter().enumerate() {
        let Some(host) = s.measured_host() else {
            return Some(format!(
                "shard {} recorded no host name, so its energy cannot be told apart from the other shards'; each shard's energy.json is under shards/",
                s.index
            ));
        };
        if let Some(t) = shards[..i]
            .iter()
            .find(|t| t.measured_host().as_deref() == Some(host.as_str()))
        {
            return Some(format!(
                "shards {} and {} measured the same host ({host}): summing their energy would count it twice; each shard's energy.json is under shards/",
                t.index, s.index
            ));
        }
    }
    None
}
