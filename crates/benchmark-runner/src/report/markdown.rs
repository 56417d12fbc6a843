//! `report.md`: the comparison table, warnings and failures, what was run where, and the list of
//! figures.

use std::fmt::Write;

use super::figures::Figure;
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
    if let Some(m) = &summary.model {
        let _ = writeln!(out, "{}\n", m.line());
    }
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
    mbu_notes(&mut out, summary);
    for line in mfu_lines(summary) {
        let _ = writeln!(out, "{line}\n");
    }
    device_clock_notes(&mut out, summary);
    cost_section(&mut out, summary);
    itl_definitions(&mut out, summary);
    reasoning_table(&mut out, summary);
    super::workloads::workload_sections(&mut out, summary);
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
    engines(&mut out, manifest);
    out
}

/// One line per engine: versions, device, and the flags its worker binary was built with.
fn engines(out: &mut String, manifest: &Manifest) {
    let _ = writeln!(out, "## Engines\n");
    for (id, hello) in &manifest.engines {
        let build = manifest
            .workers
            .get(id)
            .map(|w| format!("; {}", w.flags_line()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- {id}: engine {} (worker {}), device {}{build}",
            hello.engine_version, hello.worker_version, hello.device
        );
    }
}

/// One line per engine with MBU: bytes per step, the bandwidth it is held against and where that
/// figure comes from, and the floor TPOT.
fn mbu_notes(out: &mut String, summary: &RunSummary) {
    for (label, m) in summary
        .engines
        .iter()
        .filter_map(|(l, e)| Some((l, e.mbu.as_ref()?)))
    {
        let _ = writeln!(
            out,
            "MBU of {label}: {:.1} MB read per decode step against {:.1} GB/s ({}); floor TPOT {} ms.\n",
            m.bytes_per_step as f64 / 1e6,
            m.bandwidth_bytes_per_s / 1e9,
            if m.bandwidth_source.is_empty() {
                "measured memory bandwidth"
            } else {
                &m.bandwidth_source
            },
            m.floor_tpot_ms
                .map_or_else(|| "-".to_owned(), |f| format!("{f:.3}")),
        );
    }
}

/// One line per engine with MFU: prefill and decode utilisation, the FLOPs per token they
/// count, and the peak they are held against with its source.
pub(super) fn mfu_lines(summary: &RunSummary) -> Vec<String> {
    let percent = |u: Option<f64>, digits: usize| {
        u.map_or_else(|| "-".to_owned(), |u| format!("{:.digits$}%", u * 100.0))
    };
    summary
        .engines
        .iter()
        .filter_map(|(label, e)| {
            let m = e.mfu.as_ref()?;
            Some(format!(
                "MFU of {label}: prefill {} ({:.1} MFLOP per prompt token at {:.0} tokens), decode {} ({:.1} MFLOP per token at {:.0} positions), against {:.2} TFLOP/s ({}).",
                percent(m.prefill_mfu, 2),
                m.flops_per_prefill_token / 1e6,
                m.mean_prompt_tokens,
                percent(m.decode_mfu, 3),
                m.flops_per_decode_token / 1e6,
                m.mean_decode_context,
                m.peak_flops_per_s / 1e12,
                m.peak_source,
            ))
        })
        .collect()
}

/// One line per engine timed on a device clock: TTFT and TPOT medians on that clock beside the
/// host's, and the median of the paired host-minus-device differences.
fn device_clock_notes(out: &mut String, summary: &RunSummary) {
    let p50 = |s: Option<&bench_stats::Summary>| {
        s.map_or_else(|| "-".to_owned(), |s| format!("{:.3}", s.p50))
    };
    for (label, e) in &summary.engines {
        let Some(d) = &e.device_clock else {
            continue;
        };
        let clock = serde_json::to_value(d.clock)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "Device clock ({clock}) of {label}, {} requests: TTFT p50 {} ms (host {}), TPOT p50 {} ms (host {}), prefill p50 {} ms; host minus device per request, p50: TTFT {} ms, TPOT {} ms.\n",
            d.requests,
            p50(d.ttft_ms.as_ref()),
            p50(e.ttft_ms.as_ref()),
            p50(d.tpot_ms.as_ref()),
            p50(e.tpot_ms.as_ref()),
            p50(d.prefill_ms.as_ref()),
            p50(d.host_minus_device_ttft_ms.as_ref()),
            p50(d.host_minus_device_tpot_ms.as_ref()),
        );
    }
}

/// The cost inputs in a line and the cost tables, when any engine has cost figures.
fn cost_section(out: &mut String, summary: &RunSummary) {
    let Some((inputs, tables)) = super::cost::cost_tables(summary) else {
        return;
    };
    let _ = writeln!(out, "## Cost\n\n{inputs}\n");
    for t in tables {
        let _ = writeln!(out, "{}:\n", t.caption);
        let _ = writeln!(out, "| {} |", t.headers.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(t.headers.len()));
        for row in &t.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        let _ = writeln!(out);
    }
}

/// The table of inter-token latency as each tool defines it, for engines whose samples have
/// inter-token gaps.
fn itl_definitions(out: &mut String, summary: &RunSummary) {
    use super::table::{ITL_DEFINITION_HEADERS, ITL_DEFINITION_NOTE, itl_definition_rows};
    let rows = itl_definition_rows(summary);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## ITL as other tools define it\n\n{ITL_DEFINITION_NOTE}\n"
    );
    let _ = writeln!(out, "| {} |", ITL_DEFINITION_HEADERS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(ITL_DEFINITION_HEADERS.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    let _ = writeln!(out);
}

/// The figures written to `plots/`, one line each: the PNG and SVG linked, with the caption;
/// empty when there are none.
pub fn figure_list(figures: &[Figure]) -> String {
    if figures.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n## Figures\n\n");
    for f in figures {
        let _ = writeln!(
            out,
            "- [{0}](plots/{0}.png) ([svg](plots/{0}.svg)): {1}",
            f.name, f.caption
        );
    }
    out
}

/// Engines whose replies reasoned: time to the first answer token beside TTFT, and reasoning
/// tokens per request, in a table of their own (nothing when no reply reasoned).
fn reasoning_table(out: &mut String, summary: &RunSummary) {
    let rows: Vec<_> = summary
        .engines
        .iter()
        .filter_map(|(l, e)| Some((l, e, e.reasoning.as_ref()?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    let p = |s: Option<&bench_stats::Summary>, f: fn(&bench_stats::Summary) -> f64| {
        s.map_or_else(|| "-".to_owned(), |s| format!("{:.1}", f(s)))
    };
    let _ = writeln!(
        out,
        "| Engine | Reasoned | TTFT p50 ms | First answer p50 ms | First answer p99 ms | Reasoning tokens p50 | Reasoning tokens mean | Count from |\n|---|---|---|---|---|---|---|---|"
    );
    for (label, e, r) in rows {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} | {} | {} | server {}, tokenizer {}, unknown {} |",
            r.requests,
            p(e.ttft_ms.as_ref(), |s| s.p50),
            p(r.time_to_first_answer_ms.as_ref(), |s| s.p50),
            p(r.time_to_first_answer_ms.as_ref(), |s| s.p99),
            p(r.reasoning_tokens.as_ref(), |s| s.p50),
            p(r.reasoning_tokens.as_ref(), |s| s.mean),
            r.tokens_from_server_usage,
            r.tokens_from_tokenizer,
            r.tokens_unknown,
        );
    }
    let _ = writeln!(
        out,
        "\nTTFT counts the first generated token of any kind; the first answer token is the first content or tool-call token after reasoning.\n"
    );
}
