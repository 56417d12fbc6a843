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
