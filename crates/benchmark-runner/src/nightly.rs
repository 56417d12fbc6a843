//! `nightly`: run every entry of a suite, hold each against its last good run, append the
//! outcome to the suite's history and write a report over the history.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::columns::Columns;
use crate::diff::{DiffOptions, diff, diff_markdown};
use crate::error::{Failure, usage};
use crate::metrics::Metric;
use crate::settings::Settings;
use crate::store;
use crate::summary::{EngineStatus, RunSummary};

/// A suite file: where its history lives, how to compare, and the comparisons to run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub name: String,
    /// History directory (default: `results/nightly/<name>`).
    pub history: Option<PathBuf>,
    #[serde(default)]
    pub diff: SuiteDiff,
    /// `[[run]]` tables: compare configs, each with a unique `name`.
    pub run: Vec<Settings>,
}

/// Diff settings of a suite.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteDiff {
    pub alpha: Option<f64>,
    pub noise_threshold: Option<f64>,
    pub metrics: Option<Vec<String>>,
}

impl Suite {
    /// Read and validate a suite file.
    pub fn read(path: &Path) -> Result<Suite, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read suite {}: {e}", path.display())))?;
        let suite: Suite = toml::from_str(&text).map_err(|e| {
            usage(format!(
                "invalid suite {}: {}",
                path.display(),
                e.message().replace('\n', " ")
            ))
        })?;
        if suite.run.is_empty() {
            return Err(usage(format!(
                "suite {} has no [[run]] entries",
                path.display()
            )));
        }
        let mut names = Vec::new();
        for run in &suite.run {
            let Some(name) = &run.name else {
                return Err(usage(format!(
                    "suite {}: every [[run]] needs a name",
                    path.display()
                )));
            };
            if names.contains(name) {
                return Err(usage(format!(
                    "suite {}: run name '{name}' is used twice",
                    path.display()
                )));
            }
            names.push(name.clone());
        }
        Ok(suite)
    }

    /// Diff options of the suite.
    pub fn diff_options(&self) -> Result<DiffOptions, Failure> {
        let mut o = DiffOptions::default();
        if let Some(a) = self.diff.alpha {
            o.alpha = a;
        }
        if let Some(t) = self.diff.noise_threshold {
            o.noise_threshold = t;
        }
        if let Some(m) = &self.diff.metrics {
            o.metrics = m
                .iter()
                .map(|n| n.parse::<Metric>().map_err(usage))
                .collect::<Result<_, _>>()?;
        }
        Ok(o)
    }
}

/// One line of `history.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub suite: String,
    pub run: String,
    pub created_utc: String,
    /// The run directory, relative to the history directory.
    pub dir: String,
    /// `ok` when every engine finished.
    pub status: EngineStatus,
    /// The run this one was compared with, if any.
    pub baseline: Option<String>,
    pub regressed: Option<bool>,
    /// Median of each metric, by engine label then metric name.
    pub medians: BTreeMap<String, BTreeMap<String, f64>>,
}

/// Read the history (empty when there is none yet).
pub fn read_history(history_dir: &Path) -> anyhow::Result<Vec<HistoryEntry>> {
    let path = history_dir.join("history.jsonl");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    store::read_jsonl(&path)
}

/// The last good run of `run` whose directory still exists.
pub fn last_good<'a>(
    history: &'a [HistoryEntry],
    history_dir: &Path,
    run: &str,
) -> Option<&'a HistoryEntry> {
    history
        .iter()
        .rev()
        .find(|h| h.run == run && h.status == EngineStatus::Ok && history_dir.join(&h.dir).is_dir())
}

/// Medians per engine and metric, for the history line.
pub fn medians(summary: &RunSummary) -> BTreeMap<String, BTreeMap<String, f64>> {
    summary
        .engines
        .iter()
        .map(|(label, e)| {
            let m = Metric::ALL
                .iter()
                .filter_map(|&metric| Some((metric.name().to_owned(), e.metric(metric)?.p50)))
                .collect();
            (label.clone(), m)
        })
        .collect()
}

/// Compare a finished run with its baseline directory; writes `diff.md` and `diff.json` into the
/// run directory. Returns whether it regressed.
pub fn compare_with_baseline(
    run_dir: &Path,
    baseline_dir: &Path,
    options: &DiffOptions,
) -> anyhow::Result<bool> {
    let base = Columns::read(&baseline_dir.join("samples.jsonl"))?;
    let cand = Columns::read(&run_dir.join("samples.jsonl"))?;
    let report = diff(
        &baseline_dir.display().to_string(),
        base,
        &run_dir.display().to_string(),
        cand,
        options,
    );
    store::write_text(&run_dir.join("diff.md"), &diff_markdown(&report))?;
    store::write_json(&run_dir.join("diff.json"), &report)?;
    Ok(report.regressed)
}

/// Append one line to the history.
pub fn append_history(history_dir: &Path, entry: &HistoryEntry) -> anyhow::Result<()> {
    use std::io::Write as _;
    let path = history_dir.join("history.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    file.write_all(&line)
        .with_context(|| format!("cannot append to {}", path.display()))
}

/// `nightly-report.md`: the latest outcome of each run and the trend of its medians.
pub fn history_markdown(suite: &str, history: &[HistoryEntry]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Nightly: {suite}\n");
    let mut runs: Vec<&str> = history.iter().map(|h| h.run.as_str()).collect();
    runs.sort_unstable();
    runs.dedup();
    for run in runs {
        let entries: Vec<&HistoryEntry> = history.iter().filter(|h| h.run == run).collect();
        let Some(latest) = entries.last() else {
            continue;
        };
        let verdict = match (latest.status, latest.regressed) {
            (EngineStatus::Ok, Some(true)) => "**regression** (see diff.md)",
            (EngineStatus::Ok, Some(false)) => "no regression",
            (EngineStatus::Ok, None) => "first run: nothing to compare with",
            _ => "**failed**",
        };
        let _ = writeln!(
            out,
            "## {run}\n\nLatest: {} ({}): {verdict}\n",
            latest.created_utc, latest.dir
        );
        let _ = writeln!(
            out,
            "| run | engine | TTFT p50 ms | TPOT p50 ms | decode tok/s p50 | status |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for h in entries.iter().rev().take(20) {
            for (label, m) in &h.medians {
                let get = |k: &str| m.get(k).map_or("-".to_owned(), |v| format!("{v:.3}"));
                let _ = writeln!(
                    out,
                    "| {} | {label} | {} | {} | {} | {}{} |",
                    h.created_utc,
                    get("ttft_ms"),
                    get("tpot_ms"),
                    get("decode_tok_s"),
                    h.status.as_str(),
                    if h.regressed == Some(true) {
                        ", regressed"
                    } else {
                        ""
                    }
                );
            }
        }
        let _ = writeln!(out);
    }
    out
}

/// Trend figures over the history: one per metric, a line per run entry and engine.
pub fn trend_figures(suite: &str, history: &[HistoryEntry]) -> Vec<(String, bench_report::Chart)> {
    use bench_report::{FigureMeta, Quantity, TrendLine, TrendPoint, trend};
    let runs: Vec<String> = history.iter().map(|h| h.dir.clone()).collect();
    let mut lines: BTreeMap<(String, String), Vec<TrendPoint>> = BTreeMap::new();
    let mut out = Vec::new();
    for (metric, title, unit) in [
        ("ttft_ms", "TTFT p50", "ms"),
        ("tpot_ms", "TPOT p50", "ms"),
        ("decode_tok_s", "decode rate p50", "tok/s"),
    ] {
        lines.clear();
        for h in history {
            for (label, m) in &h.medians {
                if let Some(&v) = m.get(metric) {
                    lines
                        .entry((h.run.clone(), label.clone()))
                        .or_default()
                        .push(TrendPoint {
                            run: h.dir.clone(),
                            value: v,
                            ci: None,
                        });
                }
            }
        }
        let trend_lines: Vec<TrendLine> = lines
            .iter()
            .map(|((run, label), points)| TrendLine {
                label: format!("{run}: {label}"),
                points: points.clone(),
            })
            .collect();
        let meta = FigureMeta {
            title: format!("Nightly {suite}: {title}"),
            engines: trend_lines.iter().map(|l| l.label.clone()).collect(),
            model: "per run entry".to_owned(),
            hardware: "this history's machine".to_owned(),
        };
        if let Ok(chart) = trend(&meta, &runs, &trend_lines, &Quantity::new(title, unit)) {
            out.push((format!("trend_{metric}"), chart));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(run: &str, dir: &str, status: EngineStatus, regressed: Option<bool>) -> HistoryEntry {
        HistoryEntry {
            suite: "nightly".into(),
            run: run.into(),
            created_utc: format!("2026-01-0{}T00:00:00Z", dir.len() % 9),
            dir: dir.into(),
            status,
            baseline: None,
            regressed,
            medians: BTreeMap::from([(
                "sim".to_owned(),
                BTreeMap::from([("ttft_ms".to_owned(), 10.0)]),
            )]),
        }
    }

    #[test]
    fn history_appends_and_the_last_good_run_is_the_baseline() {
        let dir = tempfile::tempdir().expect("temporary directory");
        assert!(read_history(dir.path()).expect("no history yet").is_empty());
        for (name, status) in [
            ("d1", EngineStatus::Ok),
            ("d2", EngineStatus::Ok),
            ("d3", EngineStatus::Failed),
        ] {
            std::fs::create_dir(dir.path().join(name)).expect("run directory");
            append_history(dir.path(), &entry("sim", name, status, None)).expect("append");
        }
        append_history(dir.path(), &entry("other", "d2", EngineStatus::Ok, None)).expect("append");
        let history = read_history(dir.path()).expect("read");
        assert_eq!(history.len(), 4);
        let good = last_good(&history, dir.path(), "sim").expect("a good run");
        assert_eq!(good.dir, "d2", "the failed run is skipped");
        std::fs::remove_dir(dir.path().join("d2")).expect("remove");
        let good = last_good(&history, dir.path(), "sim").expect("a good run");
        assert_eq!(good.dir, "d1", "a run whose directory is gone is skipped");
        assert!(last_good(&history, dir.path(), "absent").is_none());
    }

    #[test]
    fn the_report_says_what_the_latest_run_of_each_suite_run_found() {
        let history = [
            entry("a", "d1", EngineStatus::Ok, None),
            entry("a", "d2", EngineStatus::Ok, Some(true)),
            entry("b", "d3", EngineStatus::Failed, None),
            entry("c", "d4", EngineStatus::Ok, None),
        ];
        let md = history_markdown("nightly", &history);
        assert!(md.starts_with("# Nightly: nightly"), "{md}");
        // The "Latest:" line of each run's section.
        let line = |run: &str| {
            md.split(&format!("## {run}\n"))
                .nth(1)
                .and_then(|section| section.lines().find(|l| l.starts_with("Latest:")))
                .unwrap_or_else(|| panic!("no section for {run} in\n{md}"))
                .to_owned()
        };
        assert!(line("a").contains("**regression**"), "{md}");
        assert!(line("b").contains("failed"), "{md}");
        assert!(line("c").contains("first run"), "{md}");
    }
}
