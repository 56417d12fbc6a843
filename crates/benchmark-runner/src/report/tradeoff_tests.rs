//! Tests of the trade-off figures' data: the Pareto front, the energy-latency points and the
//! grouping of concurrency sweeps, on summaries built from the checked-in fixture run.

use std::collections::BTreeMap;
use std::path::Path;

use bench_report::{Line, TradeoffPoint};
use shared_protocol::{Arrival, LoadPattern};

use super::tradeoff::{
    EnergyBasis, LevelPoint, concurrency_groups, concurrency_lines, energy_latency_points,
    pareto_front, tradeoff_figures,
};
use crate::columns::Columns;
use crate::manifest::{self, Manifest};
use crate::metrics::MetricSamples;
use crate::summary::energy::ChannelEnergy;
use crate::summary::{
    EngineSummary, RegressionPoints, RunData, RunSummary, metric_samples,
    regression_points_by_label, summarize_run,
};

/// The checked-in fixture run (engines `sim` and `sim@slow`, no energy), read and summarised.
pub(super) struct FixtureRun {
    pub manifest: Manifest,
    pub rows: Columns,
    pub metrics: BTreeMap<String, MetricSamples>,
    pub points: BTreeMap<String, RegressionPoints>,
    pub summary: RunSummary,
}

pub(super) fn fixture_run() -> FixtureRun {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
    let manifest = manifest::read(&dir).expect("fixture manifest");
    let mut rows = Columns::read_dir(&dir).expect("fixture samples");
    let metrics = metric_samples(&mut rows);
    let points = regression_points_by_label(&rows, None);
    let summary = summarize_run(RunData {
        manifest: &manifest,
        rows: &rows,
        runs: &[],
        energy: None,
        metrics: &metrics,
        agreement: &[],
        points: &points,
    });
    FixtureRun {
        manifest,
        rows,
        metrics,
        points,
        summary,
    }
}

/// The fixture run's summary and manifest.
fn fixture() -> (RunSummary, Manifest) {
    let run = fixture_run();
    (run.summary, run.manifest)
}

/// The fixture's `sim` summary under `label`, with TPOT p50 `tpot` ms.
fn engine(base: &EngineSummary, label: &str, tpot: f64) -> EngineSummary {
    let mut e = base.clone();
    e.label = label.to_owned();
    e.tpot_ms.as_mut().expect("fixture has TPOT").p50 = tpot;
    e.energy.channels.clear();
    e
}

fn channel(name: &str, j_per_token: f64, idle_adjusted: Option<f64>) -> ChannelEnergy {
    ChannelEnergy {
        channel: name.to_owned(),
        method: telemetry::energy::EnergyMethod::Counter,
        gross_j: 100.0,
        idle_adjusted_j: None,
        duration_s: 10.0,
        avg_power_w: Some(10.0),
        peak_power_w: None,
        idle_power_w: None,
        j_per_token: Some(j_per_token),
        idle_adjusted_j_per_token: idle_adjusted,
        tokens_per_j: Some(1.0 / j_per_token),
        request_j: None,
        unresolved_requests: 0,
        phases: None,
    }
}

#[test]
fn pareto_front_of_plain_and_dominated_points() {
    assert!(pareto_front(&[]).is_empty());
    assert_eq!(pareto_front(&[Some((5.0, 5.0))]), vec![true]);
    assert_eq!(
        pareto_front(&[Some((1.0, 1.0)), Some((2.0, 2.0))]),
        vec![true, false]
    );
    // A trade-off: three points each better on one axis, and one worse than (2, 2).
    assert_eq!(
        pareto_front(&[
            Some((1.0, 3.0)),
            Some((2.0, 2.0)),
            Some((3.0, 1.0)),
            Some((3.0, 3.0)),
        ]),
        vec![true, true, true, false]
    );
}

#[test]
fn pareto_front_of_ties() {
    // Equal points do not dominate each other.
    assert_eq!(
        pareto_front(&[Some((1.0, 2.0)), Some((1.0, 2.0))]),
        vec![true, true]
    );
    // Equal on one axis, lower on the other: dominated.
    assert_eq!(
        pareto_front(&[Some((1.0, 3.0)), Some((1.0, 2.0))]),
        vec![false, true]
    );
    assert_eq!(
        pareto_front(&[Some((1.0, 3.0)), Some((2.0, 3.0))]),
        vec![true, false]
    );
}

#[test]
fn pareto_front_skips_missing_figures() {
    // A missing or NaN point is off the front and dominates nothing, even at lower values.
    assert_eq!(
        pareto_front(&[None, Some((2.0, 2.0)), Some((f64::NAN, 1.0))]),
        vec![false, true, false]
    );
    assert_eq!(
        pareto_front(&[Some((0.5, f64::INFINITY)), Some((1.0, 1.0))]),
        vec![false, true]
    );
    assert_eq!(pareto_front(&[None]), vec![false]);
}

/// Engines `a`, `b@fp16` and `c` with energy on `nvml:0`, `a` also on a RAPL channel, and `d`
/// with none.
fn energy_summary(c_idle: Option<f64>) -> RunSummary {
    let (mut summary, _) = fixture();
    let base = summary.engines["sim"].clone();
    summary.engines.clear();
    let mut a = engine(&base, "a", 10.0);
    a.energy.channels = vec![
        channel("nvml:0", 0.5, Some(0.3)),
        channel("rapl:package-0", 0.1, Some(0.05)),
    ];
    let mut b = engine(&base, "b@fp16", 20.0);
    b.energy.channels = vec![channel("nvml:0", 0.4, Some(0.2))];
    let mut c = engine(&base, "c", 25.0);
    c.energy.channels = vec![channel("nvml:0", 0.6, c_idle)];
    let d = engine(&base, "d", 5.0);
    for e in [a, b, c, d] {
        summary.engines.insert(e.label.clone(), e);
    }
    summary
}

fn point(label: &str, x: f64, y: f64, on_front: bool) -> TradeoffPoint {
    TradeoffPoint {
        label: label.to_owned(),
        x,
        y,
        on_front,
    }
}

#[test]
fn energy_figure_takes_idle_adjusted_joules_on_the_most_shared_channel() {
    let (basis, points) = energy_latency_points(&energy_summary(Some(0.35))).expect("3 points");
    assert_eq!(
        basis,
        EnergyBasis {
            channel: "nvml:0".to_owned(),
            idle_adjusted: true,
        }
    );
    // c (25 ms, 0.35 J) is beaten by a (10 ms, 0.3 J) on both; a and b trade off; d has no
    // energy and is left out.
    assert_eq!(
        points,
        vec![
            point("a", 10.0, 0.3, true),
            point("b@fp16", 20.0, 0.2, true),
            point("c", 25.0, 0.35, false),
        ]
    );
}

#[test]
fn energy_figure_falls_back_to_gross_joules_for_every_point() {
    // c has no idle-adjusted figure: every point is gross then, never a mix.
    let (basis, points) = energy_latency_points(&energy_summary(None)).expect("3 points");
    assert!(!basis.idle_adjusted);
    assert_eq!(
        points,
        vec![
            point("a", 10.0, 0.5, true),
            point("b@fp16", 20.0, 0.4, true),
            point("c", 25.0, 0.6, false),
        ]
    );
}

#[test]
fn energy_figure_needs_two_points() {
    let mut summary = energy_summary(Some(0.35));
    summary.engines.retain(|l, _| l == "a" || l == "d");
    assert!(energy_latency_points(&summary).is_none());
    let (fixture, _) = fixture();
    assert!(energy_latency_points(&fixture).is_none(), "no energy");
}

/// A sweep of `sim` at 1, 2 and 4, of `sim@slow` at 2 and 8, a rate point, an engine outside
/// the sweep, and a label only the summary knows the load of.
fn sweep() -> (RunSummary, Manifest) {
    let (mut summary, mut manifest) = fixture();
    let base = summary.engines["sim"].clone();
    let plan_base = manifest.plan.engines[0].clone();
    summary.engines.clear();
    manifest.plan.engines.clear();
    let open = LoadPattern::Open {
        rate_rps: 5.0,
        arrival: Arrival::Poisson,
        max_concurrency: None,
        seed: 0,
        ramp_up_s: 0.0,
    };
    let closed = |concurrency| LoadPattern::Closed { concurrency };
    for (label, load, tput, tpot) in [
        ("sim@c1", closed(1), 100.0, 10.0),
        ("sim@c2", closed(2), 180.0, 11.0),
        ("sim@c4", closed(4), 300.0, 13.0),
        ("sim@slow-c2", closed(2), 50.0, 40.0),
        ("sim@slow-c8", closed(8), 120.0, 66.0),
        ("sim@r5", open, 80.0, 12.0),
        ("lmrs", closed(1), 90.0, 11.0),
    ] {
        let mut e = engine(&base, label, tpot);
        e.throughput.output_tok_s = Some(tput);
        // The plan, not this copy, is read where the plan has the label.
        e.load = Some(closed(3));
        summary.engines.insert(label.to_owned(), e);
        let mut p = plan_base.clone();
        p.label = label.to_owned();
        p.load = load;
        manifest.plan.engines.push(p);
    }
    let mut old = engine(&base, "old@c2", 7.0);
    old.throughput.output_tok_s = None;
    old.load = Some(LoadPattern::Closed { concurrency: 2 });
    summary.engines.insert("old@c2".to_owned(), old);
    (summary, manifest)
}

fn levels(points: &[(u32, &str)]) -> Vec<LevelPoint> {
    points
        .iter()
        .map(|(c, l)| LevelPoint {
            concurrency: *c,
            label: (*l).to_owned(),
        })
        .collect()
}

#[test]
fn concurrency_groups_follow_the_plan() {
    let (summary, manifest) = sweep();
    let groups = concurrency_groups(&summary, &manifest);
    let names: Vec<&str> = groups.keys().map(String::as_str).collect();
    assert_eq!(names, ["lmrs", "old", "sim", "sim@slow"]);
    assert_eq!(
        groups["sim"],
        levels(&[(1, "sim@c1"), (2, "sim@c2"), (4, "sim@c4")])
    );
    assert_eq!(
        groups["sim@slow"],
        levels(&[(2, "sim@slow-c2"), (8, "sim@slow-c8")])
    );
    assert_eq!(groups["lmrs"], levels(&[(1, "lmrs")]));
    assert_eq!(groups["old"], levels(&[(2, "old@c2")]));
}

#[test]
fn concurrency_lines_carry_throughput_and_tpot() {
    let (summary, manifest) = sweep();
    let (throughput, tpot, log2) = concurrency_lines(&summary, &manifest).expect("a sweep");
    // `old` has no throughput: no line.
    assert_eq!(
        throughput,
        vec![
            Line::new("lmrs", vec![(1.0, 90.0)]),
            Line::new("sim", vec![(1.0, 100.0), (2.0, 180.0), (4.0, 300.0)]),
            Line::new("sim@slow", vec![(2.0, 50.0), (8.0, 120.0)]),
        ]
    );
    assert_eq!(tpot[1], Line::new("old", vec![(2.0, 7.0)]));
    assert_eq!(
        tpot[2],
        Line::new("sim", vec![(1.0, 10.0), (2.0, 11.0), (4.0, 13.0)])
    );
    // 1 to 8, all powers of two.
    assert!(log2);
}

#[test]
fn concurrency_axis_is_linear_off_powers_of_two() {
    let (summary, mut manifest) = sweep();
    manifest.plan.engines[2].load = LoadPattern::Closed { concurrency: 3 };
    let (throughput, _, log2) = concurrency_lines(&summary, &manifest).expect("a sweep");
    assert!(!log2);
    // sim@c4 is planned at 3 now: no longer a `c3` suffix, so a group of its own.
    assert!(throughput.iter().any(|l| l.label == "sim@c4"));
}

#[test]
fn no_sweep_no_concurrency_figures() {
    // The fixture: two labels at concurrency 1 each.
    let (summary, manifest) = fixture();
    assert!(concurrency_lines(&summary, &manifest).is_none());
    let mut out = Vec::new();
    tradeoff_figures(
        &summary,
        &manifest,
        &|t| super::figures::meta_for(&manifest, t, Vec::new()),
        &mut out,
    );
    assert!(out.is_empty());
}

#[test]
fn figures_are_named_and_drawn() {
    let (summary, manifest) = sweep();
    let mut energy = energy_summary(Some(0.35));
    energy.engines.extend(summary.engines);
    let meta = |t: &str| super::figures::meta_for(&manifest, t, Vec::new());
    let mut out = Vec::new();
    tradeoff_figures(&energy, &manifest, &meta, &mut out);
    let names: Vec<&str> = out.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "energy_vs_tpot",
            "concurrency_throughput",
            "concurrency_tpot"
        ]
    );
    let svg = out[0].chart.svg().expect("svg");
    assert!(svg.contains("energy per output token, idle-adjusted, nvml:0 (J/token)"));
    assert!(out[0].caption.contains("idle_adjusted_j_per_token"));
}
