//! Trade-off figures across engine labels: energy per output token against TPOT p50 with the
//! Pareto front marked, and output throughput and TPOT p50 against closed-loop concurrency, one
//! line per engine. Each is drawn only when the run has what it needs.

use std::collections::BTreeMap;

use bench_report::{Axis, FigureMeta, Line, Quantity, TradeoffPoint, curves, tradeoff};
use shared_protocol::LoadPattern;

use super::figures::{Figure, push};
use crate::manifest::Manifest;
use crate::summary::RunSummary;

/// Which of the summary's per-token energy figures a trade-off figure shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnergyBasis {
    /// The telemetry channel, e.g. `nvml:0` or `rapl:package-0`.
    pub channel: String,
    /// Idle-adjusted J/token for every point, else gross J/token for every point.
    pub idle_adjusted: bool,
}

/// Which of `points` are on the Pareto front when lower is better on both coordinates: those
/// no other point dominates (at or below on both, strictly below on one). Equal points are on
/// the front together; a point with a missing or non-finite coordinate is never on it and
/// dominates nothing.
pub fn pareto_front(points: &[Option<(f64, f64)>]) -> Vec<bool> {
    let valid = |p: &Option<(f64, f64)>| p.filter(|(x, y)| x.is_finite() && y.is_finite());
    let kept: Vec<Option<(f64, f64)>> = points.iter().map(valid).collect();
    kept.iter()
        .map(|p| {
            let Some((x, y)) = *p else { return false };
            !kept
                .iter()
                .flatten()
                .any(|&(ox, oy)| ox <= x && oy <= y && (ox < x || oy < y))
        })
        .collect()
}

/// Energy per output token (y, J/token) against TPOT p50 (x, ms), one point per engine label
/// that has both, on one telemetry channel shared by as many labels as possible (the first by
/// name among equals); `None` below two points.
pub fn energy_latency_points(summary: &RunSummary) -> Option<(EnergyBasis, Vec<TradeoffPoint>)> {
    let mut coverage: BTreeMap<&str, usize> = BTreeMap::new();
    for e in summary.engines.values().filter(|e| e.tpot_ms.is_some()) {
        for c in e.energy.channels.iter().filter(|c| c.j_per_token.is_some()) {
            *coverage.entry(c.channel.as_str()).or_default() += 1;
        }
    }
    let most = coverage.values().copied().max()?;
    let channel = coverage
        .iter()
        .find(|(_, n)| **n == most)
        .map(|(c, _)| (*c).to_owned())?;
    // (label, TPOT p50, gross J/token, idle-adjusted J/token) on that channel.
    let rows: Vec<(&String, f64, f64, Option<f64>)> = summary
        .engines
        .iter()
        .filter_map(|(label, e)| {
            let tpot = e.tpot_ms.as_ref()?.p50;
            let c = e.energy.channels.iter().find(|c| c.channel == channel)?;
            Some((label, tpot, c.j_per_token?, c.idle_adjusted_j_per_token))
        })
        .collect();
    if rows.len() < 2 {
        return None;
    }
    let idle_adjusted = rows.iter().all(|r| r.3.is_some());
    let xy: Vec<Option<(f64, f64)>> = rows
        .iter()
        .map(|r| Some((r.1, if idle_adjusted { r.3? } else { r.2 })))
        .collect();
    let front = pareto_front(&xy);
    let points = rows
        .iter()
        .zip(xy)
        .zip(front)
        .filter_map(|((r, p), on_front)| {
            let (x, y) = p?;
            Some(TradeoffPoint {
                label: r.0.clone(),
                x,
                y,
                on_front,
            })
        })
        .collect();
    Some((
        EnergyBasis {
            channel,
            idle_adjusted,
        },
        points,
    ))
}

/// One engine label at one closed-loop concurrency level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelPoint {
    /// Requests in flight, as planned.
    pub concurrency: u32,
    /// The label it ran under, e.g. `sim@c4`.
    pub label: String,
}

/// The closed-loop labels of a run grouped by engine, each group sorted by concurrency. The
/// concurrency comes from the label's planned load (the manifest's plan, else the summary's
/// copy); the group is the label without the sweep's `@cN` (or `-cN` after a variant) suffix
/// for that level, so `sim@slow-c2` and `sim@slow-c8` make `sim@slow`. Open-loop labels are
/// left out.
pub fn concurrency_groups(
    summary: &RunSummary,
    manifest: &Manifest,
) -> BTreeMap<String, Vec<LevelPoint>> {
    let mut groups: BTreeMap<String, Vec<LevelPoint>> = BTreeMap::new();
    for (label, e) in &summary.engines {
        let load = manifest
            .plan
            .engine(label)
            .map(|p| &p.load)
            .or(e.load.as_ref());
        let Some(&LoadPattern::Closed { concurrency }) = load else {
            continue;
        };
        let suffix = format!("c{concurrency}");
        let engine = label
            .strip_suffix(suffix.as_str())
            .and_then(|rest| rest.strip_suffix(['@', '-']))
            .filter(|rest| !rest.is_empty())
            .unwrap_or(label);
        groups
            .entry(engine.to_owned())
            .or_default()
            .push(LevelPoint {
                concurrency,
                label: label.clone(),
            });
    }
    for points in groups.values_mut() {
        points.sort_by_key(|p| p.concurrency);
    }
    groups
}

/// Output throughput (tok/s) and TPOT p50 (ms) against concurrency, one line per engine, and
/// whether the concurrency axis is best drawn on a base-2 log scale (every level a power of two,
/// spanning at least a factor of four). `None` unless some engine ran at two or more levels.
pub fn concurrency_lines(
    summary: &RunSummary,
    manifest: &Manifest,
) -> Option<(Vec<Line>, Vec<Line>, bool)> {
    let groups = concurrency_groups(summary, manifest);
    if !groups.values().any(|g| g.len() >= 2) {
        return None;
    }
    let line = |figure: &dyn Fn(&str) -> Option<f64>| -> Vec<Line> {
        groups
            .iter()
            .map(|(engine, points)| {
                let pts = points
                    .iter()
                    .filter_map(|p| Some((f64::from(p.concurrency), figure(&p.label)?)))
                    .collect();
                Line::new(engine.clone(), pts)
            })
            .filter(|l| !l.points.is_empty())
            .collect()
    };
    let throughput = line(&|l| summary.engines.get(l)?.throughput.output_tok_s);
    let tpot = line(&|l| Some(summary.engines.get(l)?.tpot_ms.as_ref()?.p50));
    let levels: Vec<u32> = groups.values().flatten().map(|p| p.concurrency).collect();
    let (lo, hi) = (levels.iter().min()?, levels.iter().max()?);
    let log2 = levels.iter().all(|c| c.is_power_of_two()) && u64::from(*hi) >= 4 * u64::from(*lo);
    Some((throughput, tpot, log2))
}

/// The trade-off figures the run supports, appended to `out`.
pub fn tradeoff_figures(
    summary: &RunSummary,
    manifest: &Manifest,
    meta: &dyn Fn(&str) -> FigureMeta,
    out: &mut Vec<Figure>,
) {
    if let Some((basis, points)) = energy_latency_points(summary) {
        let kind = if basis.idle_adjusted {
            "idle-adjusted"
        } else {
            "gross"
        };
        push(
            out,
            "energy_vs_tpot",
            &format!(
                "Energy per output token ({kind}, telemetry channel {}) against TPOT p50, one point per engine; filled points are on the Pareto front (lower is better on both), joined by the step line (summary.json: energy.channels[].{}j_per_token, tpot_ms.p50).",
                basis.channel,
                if basis.idle_adjusted {
                    "idle_adjusted_"
                } else {
                    ""
                }
            ),
            tradeoff(
                &meta("Energy per token vs time per token"),
                &points,
                &Axis::linear(Quantity::new("TPOT p50", "ms")),
                &Axis::linear(Quantity::new(
                    format!("energy per output token, {kind}, {}", basis.channel),
                    "J/token",
                )),
            ),
        );
    }
    let Some((throughput, tpot, log2)) = concurrency_lines(summary, manifest) else {
        return;
    };
    let concurrency = || {
        let q = Quantity::new("concurrency", "requests in flight");
        if log2 { Axis::log2(q) } else { Axis::linear(q) }
    };
    push(
        out,
        "concurrency_throughput",
        "Output throughput against closed-loop concurrency, one line per engine (summary.json: throughput.output_tok_s; concurrency from the plan).",
        curves(
            &meta("Throughput vs concurrency"),
            &throughput,
            &concurrency(),
            &Axis::linear(Quantity::new("output throughput", "tok/s")),
        ),
    );
    push(
        out,
        "concurrency_tpot",
        "TPOT p50 against closed-loop concurrency, one line per engine (summary.json: tpot_ms.p50; concurrency from the plan).",
        curves(
            &meta("Time per output token vs concurrency"),
            &tpot,
            &concurrency(),
            &Axis::linear(Quantity::new("TPOT p50", "ms")),
        ),
    );
}
