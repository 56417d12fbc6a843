//! The campaign report: `campaign-summary.json`, `campaign-report.md` and figures in `plots/`,
//! from `campaign.json` and each finished run's `summary.json`. Per experiment and engine, each
//! metric is the mean over cycles of the runs' medians, with its sd and t interval.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use bench_report::{FigureMeta, Quantity, TrendLine, TrendPoint, trend};
use serde::{Deserialize, Serialize};

use super::record::{CampaignManifest, Status};
use super::stats::{AcrossCycles, LEVEL, across_cycles};
use crate::metrics::Metric;
use crate::store;
use crate::summary::{EngineSummary, RunSummary};

/// Version of `campaign-summary.json`'s layout.
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// The columns of the table: summary key, heading, and how a run gives its value.
const COLUMNS: &[(&str, &str)] = &[
    ("ttft_ms", "TTFT p50 (ms)"),
    ("tpot_ms", "TPOT p50 (ms)"),
    ("e2e_ms", "E2E p50 (ms)"),
    ("decode_tok_s", "decode p50 (tok/s)"),
    ("j_per_token", "energy (J/token)"),
];

/// `campaign-summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub schema_version: u32,
    pub name: String,
    /// Confidence level of each `ci95`.
    pub level: f64,
    pub rows: Vec<Row>,
    /// Experiments no engine could run, with the reason.
    pub skipped: Vec<Note>,
    /// Runs that failed or were interrupted (`EXPERIMENT-cCYCLE`), with the reason.
    pub unfinished: Vec<Note>,
}

/// One engine in one experiment across its cycles.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub experiment: String,
    pub engine: String,
    pub varied: BTreeMap<String, String>,
    /// By metric: `ttft_ms`, `tpot_ms`, `e2e_ms`, `decode_tok_s` (each run's median) and
    /// `j_per_token` (each run's energy per output token on its first telemetry channel).
    pub metrics: BTreeMap<String, AcrossCycles>,
}

/// Something named with a reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Note {
    pub what: String,
    pub reason: String,
}

/// The value a run's engine gives for `key`.
fn value_of(e: &EngineSummary, key: &str) -> Option<f64> {
    if key == "j_per_token" {
        return e.energy.channels.iter().find_map(|c| c.j_per_token);
    }
    let metric = Metric::ALL.into_iter().find(|m| m.name() == key)?;
    Some(e.metric(metric)?.p50)
}

/// Summarise a campaign directory.
pub fn summarise(dir: &Path, m: &CampaignManifest) -> anyhow::Result<CampaignSummary> {
    let mut runs: BTreeMap<&str, Vec<(u32, RunSummary)>> = BTreeMap::new();
    let mut unfinished = Vec::new();
    for r in &m.runs {
        match r.status {
            Status::Done => {
                let Some(rel) = &r.result else { continue };
                let path = dir.join(rel).join("summary.json");
                let s: RunSummary = store::read_json(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                runs.entry(r.experiment.as_str())
                    .or_default()
                    .push((r.cycle, s));
            }
            Status::Failed | Status::Interrupted => unfinished.push(Note {
                what: format!("{}-c{}", r.experiment, r.cycle),
                reason: r.reason.clone().unwrap_or_default(),
            }),
            _ => {}
        }
    }
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for e in &m.experiments {
        if e.engines.is_empty() {
            let reason = m
                .runs
                .iter()
                .find(|r| r.experiment == e.id)
                .and_then(|r| r.reason.clone())
                .unwrap_or_default();
            skipped.push(Note {
                what: e.id.clone(),
                reason,
            });
            continue;
        }
        let mut done = runs.remove(e.id.as_str()).unwrap_or_default();
        done.sort_by_key(|(cycle, _)| *cycle);
        for engine in &e.engines {
            let metrics = COLUMNS
                .iter()
                .filter_map(|(key, _)| {
                    let values: Vec<f64> = done
                        .iter()
                        .filter_map(|(_, s)| value_of(s.engines.get(engine)?, key))
                        .collect();
                    Some(((*key).to_owned(), across_cycles(&values)?))
                })
                .collect();
            rows.push(Row {
                experiment: e.id.clone(),
                engine: engine.clone(),
                varied: e.varied.clone(),
                metrics,
            });
        }
    }
    Ok(CampaignSummary {
        schema_version: SUMMARY_SCHEMA_VERSION,
        name: m.name.clone(),
        level: LEVEL,
        rows,
        skipped,
        unfinished,
    })
}

/// A number in a table cell: about four significant digits.
fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// `mean ± sd [lo, hi]`, or `—`.
fn cell(a: Option<&AcrossCycles>) -> String {
    let Some(a) = a else { return "—".to_owned() };
    let mut s = num(a.mean);
    if let Some(sd) = a.sd {
        let _ = write!(s, " ± {}", num(sd));
    }
    if let Some([lo, hi]) = a.ci95 {
        let _ = write!(s, " [{}, {}]", num(lo), num(hi));
    }
    s
}

/// `key=value` pairs of the varied values other than the engine.
fn varied_text(varied: &BTreeMap<String, String>, leave_out: &[&str]) -> String {
    varied
        .iter()
        .filter(|(k, _)| !leave_out.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `campaign-report.md`.
pub fn markdown(m: &CampaignManifest, s: &CampaignSummary, figures: &[String]) -> String {
    let mut out = format!("# Campaign {}\n\n", s.name);
    let count = |st: Status| m.runs.iter().filter(|r| r.status == st).count();
    let cooled: f64 = m
        .runs
        .iter()
        .filter_map(|r| r.cooldown.as_ref())
        .map(|c| c.seconds)
        .sum();
    let _ = writeln!(
        out,
        "Runs: {} done, {} failed, {} interrupted, {} pending, {} skipped; cool-downs {cooled:.1} s in all. \
Each cell: mean over cycles of each run's median ± sd [{:.0}% t interval of the mean].\n",
        count(Status::Done),
        count(Status::Failed),
        count(Status::Interrupted),
        count(Status::Pending) + count(Status::Running),
        count(Status::Skipped),
        s.level * 100.0
    );
    let mut head = "| experiment | engine | varied |".to_owned();
    let mut rule = "|---|---|---|".to_owned();
    for (_, title) in COLUMNS {
        let _ = write!(head, " {title} |");
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{head} n |\n{rule}---|");
    for r in &s.rows {
        let n = r.metrics.values().map(|a| a.n).max().unwrap_or(0);
        let _ = write!(
            out,
            "| {} | {} | {} |",
            r.experiment,
            r.engine,
            varied_text(&r.varied, &["engines"])
        );
        for (key, _) in COLUMNS {
            let _ = write!(out, " {} |", cell(r.metrics.get(*key)));
        }
        let _ = writeln!(out, " {n} |");
    }
    for (title, notes) in [("Skipped", &s.skipped), ("Not finished", &s.unfinished)] {
        if !notes.is_empty() {
            let _ = writeln!(out, "\n## {title}\n");
            for n in notes {
                let _ = writeln!(out, "- {}: {}", n.what, n.reason);
            }
        }
    }
    if !figures.is_empty() {
        out.push_str("\n## Figures\n\n");
        for f in figures {
            let _ = writeln!(out, "![{f}](plots/{f}.svg)\n");
        }
    }
    out
}

/// The key the figures put on their x axis: the first of these varied over two or more values.
const SWEEP_KEYS: &[&str] = &[
    "concurrency",
    "rate",
    "max_tokens",
    "requests",
    "dataset",
    "model",
    "device",
];

/// How a row finds its place on a figure's x axis.
type XOf<'a> = Box<dyn Fn(&Row) -> String + 'a>;

/// Figures across the grid: per metric, a line per engine (and other varied values) against
/// the swept key, each point the mean over cycles with its t interval as error bar.
pub fn figures(s: &CampaignSummary) -> Vec<(String, bench_report::Chart)> {
    let distinct = |key: &str| {
        let mut seen: Vec<String> = Vec::new();
        for r in &s.rows {
            if let Some(v) = r.varied.get(key).filter(|v| !seen.contains(v)) {
                seen.push(v.clone());
            }
        }
        seen
    };
    let sweep = SWEEP_KEYS.iter().copied().find(|&k| distinct(k).len() >= 2);
    let (xs, x_of): (Vec<String>, XOf<'_>) = if let Some(key) = sweep {
        let values = distinct(key);
        let xs = values.iter().map(|v| format!("{key}={v}")).collect();
        (
            xs,
            Box::new(move |r: &Row| {
                format!("{key}={}", r.varied.get(key).cloned().unwrap_or_default())
            }),
        )
    } else {
        let mut ids: Vec<String> = s.rows.iter().map(|r| r.experiment.clone()).collect();
        ids.dedup();
        (ids, Box::new(|r: &Row| r.experiment.clone()))
    };
    let leave_out: Vec<&str> = ["engines"].into_iter().chain(sweep).collect();
    let mut out = Vec::new();
    for (key, title, unit) in [
        ("decode_tok_s", "decode rate p50", "tok/s"),
        ("ttft_ms", "TTFT p50", "ms"),
        ("j_per_token", "energy per token", "J"),
    ] {
        let mut lines: BTreeMap<String, Vec<TrendPoint>> = BTreeMap::new();
        for r in &s.rows {
            let Some(a) = r.metrics.get(key) else {
                continue;
            };
            let others = varied_text(&r.varied, &leave_out);
            let label = if others.is_empty() {
                r.engine.clone()
            } else {
                format!("{} {others}", r.engine)
            };
            lines.entry(label).or_default().push(TrendPoint {
                run: x_of(r),
                value: a.mean,
                ci: a.ci95.map(|[lo, hi]| (lo, hi)),
            });
        }
        if lines.is_empty() {
            continue;
        }
        let lines: Vec<TrendLine> = lines
            .into_iter()
            .map(|(label, points)| TrendLine { label, points })
            .collect();
        let meta = FigureMeta {
            title: format!(
                "Campaign {}: {title} by {}",
                s.name,
                sweep.unwrap_or("experiment")
            ),
            engines: lines.iter().map(|l| l.label.clone()).collect(),
            model: "per experiment".to_owned(),
            hardware: "this campaign's machine".to_owned(),
        };
        if let Ok(chart) = trend(&meta, &xs, &lines, &Quantity::new(title, unit)) {
            out.push((format!("campaign_{key}"), chart));
        }
    }
    out
}

/// Write the campaign report into `dir`; returns the summary.
pub fn write(dir: &Path, m: &CampaignManifest) -> anyhow::Result<CampaignSummary> {
    let s = summarise(dir, m)?;
    store::write_json(&dir.join("campaign-summary.json"), &s)?;
    let plots = dir.join("plots");
    let charts = figures(&s);
    if !charts.is_empty() {
        std::fs::create_dir_all(&plots)
            .with_context(|| format!("cannot create {}", plots.display()))?;
    }
    let mut names = Vec::new();
    for (name, chart) in &charts {
        crate::report::export::write_chart(chart, &plots, name)?;
        names.push(name.clone());
    }
    store::write_text(&dir.join("campaign-report.md"), &markdown(m, &s, &names))?;
    Ok(s)
}
