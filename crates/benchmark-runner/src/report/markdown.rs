//! `report.md`: the comparison table, warnings and failures, and what was run where.

use std::fmt::Write;

use super::table::{HEADERS, comparison_rows};
use crate::manifest::Manifest;
use crate::summary::RunSummary;

/// Render the markdown report.
pub fn report_md(summary: &RunSummary, manifest: &Manifest) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark: {}\n", summary.name);
    let _ = writeln!(
        out,
        "Run {} · metrics v{} · runner {} ({}){}\n",
        summary.created_utc,
        summary.metrics_version,
        manifest.runner_version,
        manifest.build_profile,
        manifest
            .git
            .as_ref()
            .map(|g| format!(
                " · git {}{}",
                &g.revision[..g.revision.len().min(12)],
                if g.dirty { " (dirty)" } else { "" }
            ))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(HEADERS.len()));
    for row in comparison_rows(summary) {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    let _ = writeln!(
        out,
        "\nLatencies from the {}. `*`: too few samples to support that percentile.\n",
        summary.clock
    );
    if let Some(v) = &summary.verdicts {
        let _ = writeln!(
            out,
            "## Verdicts against {}\n\nRatio = engine / {} median with a 95% bootstrap CI; Mann-Whitney U, {}-corrected; a difference needs p < {} and a ratio beyond 1 ± {}.\n",
            v.reference, v.reference, v.correction, v.alpha, v.noise_threshold
        );
        let _ = writeln!(out, "| {} |", crate::diff::DIFF_HEADERS.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(crate::diff::DIFF_HEADERS.len()));
        for row in crate::diff::rows_table(&v.rows) {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        let _ = writeln!(out);
    }
    for a in &summary.agreement {
        if a.outputs_compared > 0 || a.prompt_tokens_differ > 0 {
            let _ = writeln!(
                out,
                "Same work, {} against {}: {} request(s) compared; prompt token counts differ on {}; generated ids identical on {} of {} (mean common prefix {:.1} tokens), which is expected only under greedy decoding of the same model file.\n",
                a.engine,
                a.reference,
                a.requests,
                a.prompt_tokens_differ,
                a.outputs_identical,
                a.outputs_compared,
                a.mean_common_prefix.unwrap_or(0.0)
            );
        }
    }
    for (id, e) in &summary.engines {
        if e.warnings.is_empty() && e.failures.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {id}\n");
        for w in &e.warnings {
            let _ = writeln!(out, "- {w}");
        }
        for f in &e.failures {
            let _ = writeln!(
                out,
                "- repetition {} failed ({}): {}",
                f.repetition,
                f.reason,
                f.message.replace('\n', " ")
            );
        }
        if !e.requests.failed_by_reason.is_empty() {
            let reasons: Vec<String> = e
                .requests
                .failed_by_reason
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            let _ = writeln!(out, "- failed requests by reason: {}", reasons.join(", "));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Order\n\n{}\n", summary.order.join(", "));
    let _ = writeln!(out, "## Engines\n");
    for (id, hello) in &manifest.engines {
        let _ = writeln!(
            out,
            "- {id}: engine {} (worker {}), device {}",
            hello.engine_version, hello.worker_version, hello.device
        );
    }
    out
}
