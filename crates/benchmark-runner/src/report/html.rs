//! `report.html`: one offline file with the comparison table, verdicts, warnings, energy, every
//! figure inline and the manifest.

use bench_report::{Block, HtmlReport, Outcome, Section, Table, Verdict, render_html};
use bench_stats::Verdict as StatVerdict;

use super::figures::Figure;
use super::table::{
    HEADERS, ITL_DEFINITION_HEADERS, ITL_DEFINITION_NOTE, comparison_rows, itl_definition_rows,
};
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

/// Energy by phase, where telemetry split it: the table, then a note per channel with phases
/// shorter than its sensor resolves.
fn phase_table(summary: &RunSummary) -> Vec<Block> {
    let opt = |v: Option<f64>, digits: usize| v.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (label, e) in &summary.engines {
        for c in &e.energy.channels {
            let Some(p) = &c.phases else { continue };
            rows.push(vec![
                label.clone(),
                c.channel.clone(),
                p.requests.to_string(),
                format!("{:.3}", p.prefill_j),
                opt(p.j_per_prompt_token, 5),
                opt(p.idle_adjusted_j_per_prompt_token, 5),
                format!("{:.3}", p.decode_j),
                opt(p.j_per_decode_token, 4),
                opt(p.idle_adjusted_j_per_decode_token, 4),
            ]);
            notes.extend(
                p.note
                    .as_ref()
                    .map(|n| Block::Text(format!("{label}: {n}"))),
            );
        }
    }
    if rows.is_empty() {
        return Vec::new();
    }
    let table = Block::Table(Table {
        caption: "Energy by phase: prefill (submission to first token) per prompt token, decode \
                  (first token to last) per token after the first; summed over repetitions"
            .to_owned(),
        headers: [
            "engine",
            "channel",
            "requests",
            "prefill J",
            "J/prompt token",
            "idle-adj. J/prompt token",
            "decode J",
            "J/decode token",
            "idle-adj. J/decode token",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        rows,
    });
    std::iter::once(table).chain(notes).collect()
}

/// The table of inter-token latency as each tool defines it; none when no engine's samples
/// have inter-token gaps.
fn itl_definitions_table(summary: &RunSummary) -> Option<Block> {
    let rows = itl_definition_rows(summary);
    (!rows.is_empty()).then(|| {
        Block::Table(Table {
            caption: "Inter-token latency by each tool's definition, milliseconds".to_owned(),
            headers: ITL_DEFINITION_HEADERS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            rows,
        })
    })
}

/// Every engine's warnings and failed repetitions.
fn warnings(summary: &RunSummary) -> Vec<Verdict> {
    summary
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
        .collect()
}

/// The cost inputs and tables, when any engine has cost figures.
fn cost_section(summary: &RunSummary) -> Option<Section> {
    let (inputs, tables) = super::cost::cost_tables(summary)?;
    let blocks = std::iter::once(Block::Text(inputs))
        .chain(tables.into_iter().map(|t| {
            Block::Table(Table {
                caption: t.caption,
                headers: t.headers,
                rows: t.rows,
            })
        }))
        .collect();
    Some(Section::new("Cost", blocks))
}

/// Send rates and TTFT by turn (or prefix-group visit) of the workload kinds; none for a
/// closed-loop run of independent prompts.
fn workload_section(summary: &RunSummary) -> Option<Section> {
    let mut blocks: Vec<Block> = super::workloads::send_rate_lines(summary)
        .into_iter()
        .map(Block::Text)
        .collect();
    for t in super::workloads::turn_tables(summary) {
        blocks.push(Block::Table(Table {
            caption: t.title,
            headers: t.headers,
            rows: t.rows,
        }));
        blocks.push(Block::Text(t.note.to_owned()));
    }
    (!blocks.is_empty()).then(|| Section::new("Workload", blocks))
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
    if let Some(block) = itl_definitions_table(summary) {
        sections.push(Section::new(
            "ITL as other tools define it",
            vec![Block::Text(ITL_DEFINITION_NOTE.to_owned()), block],
        ));
    }
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
    sections.extend(workload_section(summary));
    let warnings = warnings(summary);
    if !warnings.is_empty() {
        sections.push(Section::new("Warnings", vec![Block::Verdicts(warnings)]));
    }
    let mut energy = vec![energy_table(summary)];
    energy.extend(phase_table(summary));
    sections.push(Section::new("Energy", energy));
    sections.extend(cost_section(summary));
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
