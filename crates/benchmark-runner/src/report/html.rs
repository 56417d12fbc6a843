//! `report.html`: one offline file with the comparison table, verdicts, warnings, energy, every
//! figure inline and the manifest.

use bench_report::{Block, HtmlReport, Outcome, Section, Table, Verdict, render_html};
use bench_stats::Verdict as StatVerdict;

use super::figures::Figure;
use super::table::{HEADERS, comparison_rows};
use crate::diff::DiffRow;
use crate::manifest::Manifest;
use crate::summary::RunSummary;

fn verdict(row: &DiffRow) -> Verdict {
    Verdict {
        outcome: match row.verdict {
            StatVerdict::Faster => Outcome::Improved,
            StatVerdict::Slower => Outcome::Regressed,
            StatVerdict::NoDifference => Outcome::Unchanged,
        },
        word: Some(row.verdict.word().to_owned()),
        subject: format!("{} · {}", row.engine, row.metric.name()),
        detail: format!(
            "ratio {:.3} [{:.3}, {:.3}], p (Holm) = {:.2e}, Cliff's δ = {:.2}, medians {:.4} → {:.4}",
            row.ratio,
            row.ratio_ci[0],
            row.ratio_ci[1],
            row.p_adjusted,
            row.cliffs_delta,
            row.baseline_median,
            row.candidate_median
        ),
    }
}

fn energy_table(summary: &RunSummary) -> Block {
    let mut rows = Vec::new();
    let mut reasons = Vec::new();
    let opt = |v: Option<f64>, digits: usize| v.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
    for (label, e) in &summary.engines {
        for c in &e.energy.channels {
            rows.push(vec![
                label.clone(),
                c.channel.clone(),
                format!("{:?}", c.method).to_lowercase(),
                format!("{:.3}", c.gross_j),
                opt(c.idle_adjusted_j, 3),
                opt(c.avg_power_w, 2),
                opt(c.j_per_token, 4),
                opt(c.idle_adjusted_j_per_token, 4),
                opt(c.tokens_per_j, 2),
            ]);
        }
        if let Some(r) = &e.energy.unavailable {
            reasons.push(format!("{label}: {r}"));
        }
    }
    if rows.is_empty() {
        return Block::Text(format!("No energy figures: {}", reasons.join("; ")));
    }
    Block::Table(Table {
        caption: "Energy over the measured windows, summed over repetitions".to_owned(),
        headers: [
            "engine",
            "channel",
            "method",
            "gross J",
            "idle-adjusted J",
            "avg W",
            "J/token",
            "idle-adj. J/token",
            "tokens/J",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        rows,
    })
}

/// Render the HTML report.
pub fn report_html(
    summary: &RunSummary,
    manifest: &Manifest,
    figures: &[Figure],
) -> Result<String, bench_report::ReportError> {
    let mut comparison: Vec<Block> = summary
        .model
        .iter()
        .map(|m| Block::Text(m.line()))
        .collect();
    comparison.push(Block::Table(Table {
        caption: format!(
            "Latencies from the {}; * marks a percentile n cannot support",
            summary.clock
        ),
        headers: HEADERS.iter().map(|s| (*s).to_owned()).collect(),
        rows: comparison_rows(summary),
    }));
    comparison.extend(
        super::markdown::mfu_lines(summary)
            .into_iter()
            .map(Block::Text),
    );
    let mut sections = vec![Section::new("Comparison", comparison)];
    if let Some(v) = &summary.verdicts {
        sections.push(Section::new(
            format!("Verdicts against {}", v.reference),
            vec![
                Block::Text(format!(
                    "Ratio = engine / {} median with a 95% bootstrap CI; Mann-Whitney U, {}-corrected; a difference needs p < {} and a ratio beyond 1 ± {}.",
                    v.reference, v.correction, v.alpha, v.noise_threshold
                )),
                Block::Verdicts(v.rows.iter().map(verdict).collect()),
            ],
        ));
    }
    let warnings: Vec<Verdict> = summary
        .engines
        .iter()
        .flat_map(|(label, e)| {
            e.warnings
                .iter()
                .cloned()
                .chain(e.failures.iter().map(|f| {
                    format!(
                        "repetition {} failed ({}): {}",
                        f.repetition, f.reason, f.message
                    )
                }))
                .map(move |w| Verdict {
                    outcome: Outcome::Warning,
                    word: None,
                    subject: label.clone(),
                    detail: w,
                })
        })
        .collect();
    if !warnings.is_empty() {
        sections.push(Section::new("Warnings", vec![Block::Verdicts(warnings)]));
    }
    sections.push(Section::new("Energy", vec![energy_table(summary)]));
    if !figures.is_empty() {
        let blocks = figures
            .iter()
            .flat_map(|f| {
                [
                    Block::Text(f.caption.clone()),
                    Block::Figure(f.chart.clone()),
                ]
            })
            .collect();
        sections.push(Section::new("Figures", blocks));
    }
    sections.push(Section::new(
        "Run",
        vec![
            Block::Text(format!("Order: {}", summary.order.join(", "))),
            Block::Details {
                summary: "manifest.json".to_owned(),
                body: serde_json::to_string_pretty(manifest).unwrap_or_default(),
            },
        ],
    ));
    render_html(&HtmlReport {
        title: format!("Benchmark: {}", summary.name),
        subtitle: format!(
            "{} · metrics v{} · runner {} ({})",
            summary.created_utc,
            summary.metrics_version,
            manifest.runner_version,
            manifest.build_profile
        ),
        sections,
    })
}
