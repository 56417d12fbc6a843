//! Holding a candidate run against a baseline: per engine and metric, the ratio of medians with
//! its bootstrap CI, a rank test corrected for multiple comparisons (Holm), effect sizes, and a
//! verdict. A metric that got worse beyond the noise threshold is a regression.

use std::collections::BTreeMap;
use std::fmt::Write;

use bench_stats::{CompareOptions, Verdict, compare, holm, verdict};
use serde::{Deserialize, Serialize};

use crate::columns::Columns;
use crate::metrics::{Metric, MetricSamples};

/// How to compare.
#[derive(Debug, Clone, Serialize)]
pub struct DiffOptions {
    pub metrics: Vec<Metric>,
    pub alpha: f64,
    pub noise_threshold: f64,
    pub resamples: usize,
    pub seed: u64,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            metrics: vec![
                Metric::TtftMs,
                Metric::TpotMs,
                Metric::E2eMs,
                Metric::DecodeTokS,
            ],
            alpha: 0.05,
            noise_threshold: 0.02,
            resamples: 10_000,
            seed: 0,
        }
    }
}

/// One engine and metric.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiffRow {
    pub engine: String,
    pub metric: Metric,
    pub baseline_n: usize,
    pub candidate_n: usize,
    pub baseline_median: f64,
    pub candidate_median: f64,
    /// `median(candidate) / median(baseline)`.
    pub ratio: f64,
    pub ratio_ci: [f64; 2],
    /// Mann-Whitney p-value, then Holm-adjusted over every row of the diff.
    pub p_value: f64,
    pub p_adjusted: f64,
    pub welch_p: Option<f64>,
    pub cohens_d: Option<f64>,
    pub cliffs_delta: f64,
    pub verdict: Verdict,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub baseline: String,
    pub candidate: String,
    pub options: DiffOptions,
    pub correction: &'static str,
    pub rows: Vec<DiffRow>,
    /// Engines or metrics present on one side only, or without enough data.
    pub skipped: Vec<String>,
    /// True when any row is `slower`.
    pub regressed: bool,
}

/// Compare `candidate` against `baseline` (measured rows of each run).
pub fn diff(
    baseline_name: &str,
    mut baseline: Columns,
    candidate_name: &str,
    mut candidate: Columns,
    options: &DiffOptions,
) -> DiffReport {
    let labels = |rows: &Columns| {
        let mut l: Vec<String> = rows.labels().map(|(l, _)| l.to_owned()).collect();
        l.sort();
        l.dedup();
        l
    };
    let (base_labels, cand_labels) = (labels(&baseline), labels(&candidate));
    let mut skipped: Vec<String> = base_labels
        .iter()
        .filter(|l| !cand_labels.contains(l))
        .map(|l| format!("{l}: only in the baseline"))
        .chain(
            cand_labels
                .iter()
                .filter(|l| !base_labels.contains(l))
                .map(|l| format!("{l}: only in the candidate")),
        )
        .collect();
    let pairs: Vec<(String, MetricSamples, MetricSamples)> = base_labels
        .iter()
        .filter(|l| cand_labels.contains(l))
        .map(|l| {
            (
                l.clone(),
                baseline.take_metric_samples(l),
                candidate.take_metric_samples(l),
            )
        })
        .collect();
    let pairs: Vec<(String, &MetricSamples, &MetricSamples)> =
        pairs.iter().map(|(l, a, b)| (l.clone(), a, b)).collect();
    let (rows, more_skipped) = compare_pairs(&pairs, options);
    skipped.extend(more_skipped);
    let regressed = rows.iter().any(|r| r.verdict == Verdict::Slower);
    DiffReport {
        baseline: baseline_name.to_owned(),
        candidate: candidate_name.to_owned(),
        options: options.clone(),
        correction: "holm",
        rows,
        skipped,
        regressed,
    }
}

/// Compare each `(name, a, b)` pair on every metric, then correct all p-values together (Holm)
/// and decide each verdict with its adjusted p-value.
pub fn compare_pairs(
    pairs: &[(String, &MetricSamples, &MetricSamples)],
    options: &DiffOptions,
) -> (Vec<DiffRow>, Vec<String>) {
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (label, a, b) in pairs {
        for &metric in &options.metrics {
            let (Some(sa), Some(sb)) = (a.get(metric), b.get(metric)) else {
                skipped.push(format!("{label} {}: no values on one side", metric.name()));
                continue;
            };
            let compare_options = CompareOptions {
                alpha: options.alpha,
                noise_threshold: options.noise_threshold,
                resamples: options.resamples,
                seed: options.seed,
                higher_is_better: metric.higher_is_better(),
            };
            match compare(sa, sb, compare_options) {
                Ok(c) => rows.push(DiffRow {
                    engine: label.clone(),
                    metric,
                    baseline_n: sa.len(),
                    candidate_n: sb.len(),
                    baseline_median: bench_stats::median(sa),
                    candidate_median: bench_stats::median(sb),
                    ratio: c.ratio,
                    ratio_ci: c.ratio_ci.bounds(),
                    p_value: c.p_value,
                    p_adjusted: c.p_value,
                    welch_p: c.welch_p,
                    cohens_d: c.cohens_d,
                    cliffs_delta: c.cliffs_delta,
                    verdict: c.verdict,
                }),
                Err(e) => skipped.push(format!("{label} {}: {e}", metric.name())),
            }
        }
    }
    // Many engines and metrics at once: correct the p-values, then decide again.
    let raw: Vec<f64> = rows.iter().map(|r| r.p_value).collect();
    if let Ok(adjusted) = holm(&raw) {
        for (row, p) in rows.iter_mut().zip(adjusted) {
            row.p_adjusted = p;
            let ci = bench_stats::Interval {
                estimate: row.ratio,
                lower: row.ratio_ci[0],
                upper: row.ratio_ci[1],
                level: 1.0 - options.alpha,
            };
            let o = CompareOptions {
                alpha: options.alpha,
                noise_threshold: options.noise_threshold,
                resamples: options.resamples,
                seed: options.seed,
                higher_is_better: row.metric.higher_is_better(),
            };
            row.verdict = verdict(p, &ci, &o);
        }
    }
    (rows, skipped)
}

/// Table rows shared by the terminal and markdown renderings.
pub fn diff_rows(report: &DiffReport) -> Vec<[String; 7]> {
    rows_table(&report.rows)
}

/// Table rows for any set of comparison rows.
pub fn rows_table(rows: &[DiffRow]) -> Vec<[String; 7]> {
    rows.iter()
        .map(|r| {
            [
                r.engine.clone(),
                r.metric.name().to_owned(),
                format!("{:.4} -> {:.4}", r.baseline_median, r.candidate_median),
                format!(
                    "{:.3} [{:.3}, {:.3}]",
                    r.ratio, r.ratio_ci[0], r.ratio_ci[1]
                ),
                format!("{:.2e}", r.p_adjusted),
                format!("{:.2}", r.cliffs_delta),
                r.verdict.word().to_owned(),
            ]
        })
        .collect()
}

/// Column headers of [`diff_rows`].
pub const DIFF_HEADERS: [&str; 7] = [
    "engine",
    "metric",
    "median base -> cand",
    "ratio [95% CI]",
    "p (Holm)",
    "Cliff's d",
    "verdict",
];

/// Markdown for a CI job summary.
pub fn diff_markdown(report: &DiffReport) -> String {
    let mut out = String::new();
    let status = if report.regressed {
        "**regression**"
    } else {
        "no regression"
    };
    let _ = writeln!(
        out,
        "## Benchmark diff: {status}\n\nBaseline `{}` vs candidate `{}`; ratio = candidate / baseline median, 95% bootstrap CI ({} resamples); Mann-Whitney U, Holm-corrected over {} comparisons; noise threshold {:.1}%.\n",
        report.baseline,
        report.candidate,
        report.options.resamples,
        report.rows.len(),
        report.options.noise_threshold * 100.0
    );
    let _ = writeln!(out, "| {} |", DIFF_HEADERS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(DIFF_HEADERS.len()));
    for row in diff_rows(report) {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(out, "\nNot compared:\n");
        for s in &report.skipped {
            let _ = writeln!(out, "- {s}");
        }
    }
    out
}

/// Verdict counts by engine, for a one-line summary.
pub fn verdict_counts(report: &DiffReport) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for r in &report.rows {
        *m.entry(r.verdict.word()).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use shared_protocol::{EngineId, Sample};

    use crate::store::SampleRow;

    use super::*;

    /// Measured rows of `label` whose TTFT, TPOT (through E2E) and E2E scale with `factor`,
    /// with a little seeded spread so the rank tests have ties to break.
    fn rows(label: &str, factor: f64, n: u64) -> Columns {
        (0..n)
            .map(|i| {
                let jitter = 1.0 + (i % 7) as f64 * 0.002;
                let ms = |v: f64| (v * factor * jitter * 1e6) as u64;
                let sample: Sample = serde_json::from_value(serde_json::json!({
                    "request_id": i,
                    "phase": "measure",
                    "outcome": { "status": "ok" },
                    "start_mono_ns": i * 1_000_000_000,
                    "ttft_ns": ms(10.0),
                    "e2e_ns": ms(10.0) + 31 * ms(1.0),
                    "itl_ns": [],
                    "completion_tokens": 32,
                    "completion_tokens_source": "engine",
                }))
                .expect("a valid sample");
                SampleRow {
                    engine: EngineId::Sim,
                    label: label.to_owned(),
                    repetition: 0,
                    resume: 0,
                    shard: None,
                    sample,
                }
            })
            .collect::<Vec<_>>()
            .iter()
            .collect::<Columns>()
    }

    fn verdicts(report: &DiffReport) -> Vec<(Metric, Verdict)> {
        report.rows.iter().map(|r| (r.metric, r.verdict)).collect()
    }

    #[test]
    fn a_slower_candidate_regresses_and_a_faster_one_does_not() {
        let options = DiffOptions {
            resamples: 1_000,
            ..DiffOptions::default()
        };
        let slower = diff(
            "a",
            rows("sim", 1.0, 40),
            "b",
            rows("sim", 1.2, 40),
            &options,
        );
        assert!(slower.regressed);
        assert!(verdicts(&slower).contains(&(Metric::TtftMs, Verdict::Slower)));
        assert!(
            verdicts(&slower).contains(&(Metric::DecodeTokS, Verdict::Slower)),
            "a lower rate is slower too"
        );
        let faster = diff(
            "a",
            rows("sim", 1.0, 40),
            "b",
            rows("sim", 0.8, 40),
            &options,
        );
        assert!(!faster.regressed);
        assert!(verdicts(&faster).iter().all(|(_, v)| *v == Verdict::Faster));
    }

    #[test]
    fn a_change_inside_the_noise_threshold_is_no_difference() {
        let options = DiffOptions {
            resamples: 1_000,
            noise_threshold: 0.05,
            ..DiffOptions::default()
        };
        let report = diff(
            "a",
            rows("sim", 1.0, 40),
            "b",
            rows("sim", 1.01, 40),
            &options,
        );
        assert!(!report.regressed);
        assert!(
            verdicts(&report)
                .iter()
                .all(|(_, v)| *v == Verdict::NoDifference),
            "{:?}",
            verdicts(&report)
        );
    }

    #[test]
    fn engines_on_one_side_only_are_skipped_by_name() {
        let report = diff(
            "a",
            rows("sim", 1.0, 10),
            "b",
            rows("sim@slow", 1.0, 10),
            &DiffOptions::default(),
        );
        assert!(report.rows.is_empty());
        assert_eq!(
            report.skipped,
            [
                "sim: only in the baseline",
                "sim@slow: only in the candidate"
            ]
        );
    }
}
