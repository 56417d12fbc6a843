//! The comparison table: one row per engine, computed once and rendered for the terminal and
//! markdown alike.

use std::fmt::Write as _;

use comfy_table::{ContentArrangement, Table, presets};

use crate::summary::{EngineSummary, RunSummary};

/// Column headers, units in the names.
pub const HEADERS: [&str; 10] = [
    "engine",
    "status",
    "ok/failed",
    "TTFT p50 ms",
    "TTFT p99 ms",
    "TPOT p50 ms",
    "ITL p99 ms",
    "decode tok/s",
    "output tok/s",
    "MBU %",
];

fn num(v: Option<f64>) -> String {
    match v {
        None => "-".to_owned(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

/// A tail value, starred when n is too small to support it.
fn tail(v: Option<f64>, supported: Option<bool>) -> String {
    match (v, supported) {
        (Some(_), Some(false)) => format!("{}*", num(v)),
        _ => num(v),
    }
}

fn row(e: &EngineSummary) -> Vec<String> {
    vec![
        e.label.clone(),
        e.status.as_str().to_owned(),
        format!("{}/{}", e.requests.ok, e.requests.failed),
        num(e.ttft_ms.as_ref().map(|s| s.p50)),
        tail(
            e.ttft_ms.as_ref().map(|s| s.p99),
            e.ttft_ms.as_ref().map(|s| s.tail.p99_supported),
        ),
        num(e.tpot_ms.as_ref().map(|s| s.p50)),
        tail(
            e.itl_ms.as_ref().map(|s| s.p99),
            e.itl_ms.as_ref().map(|s| s.tail.p99_supported),
        ),
        num(e.decode_tok_s.as_ref().map(|s| s.mean)),
        num(e.throughput.output_tok_s),
        num(e.mbu.as_ref().and_then(|m| m.mbu).map(|m| m * 100.0)),
    ]
}

/// One row per engine, in summary order.
pub fn comparison_rows(summary: &RunSummary) -> Vec<Vec<String>> {
    summary.engines.values().map(row).collect()
}

/// The tables for a terminal: the comparison, then the verdicts against the reference engine.
pub fn terminal_table(summary: &RunSummary) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(HEADERS);
    for r in comparison_rows(summary) {
        table.add_row(r);
    }
    let mut out = summary
        .model
        .as_ref()
        .filter(|m| m.synthetic)
        .map(|m| format!("{}\n", m.line()))
        .unwrap_or_default();
    out.push_str(&table.to_string());
    if let Some(v) = &summary.verdicts {
        let mut verdicts = Table::new();
        verdicts
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(crate::diff::DIFF_HEADERS);
        for r in crate::diff::rows_table(&v.rows) {
            verdicts.add_row(r);
        }
        let _ = write!(
            out,
            "\nagainst {} (ratio = engine / {}, Holm-corrected Mann-Whitney U):\n{verdicts}",
            v.reference, v.reference
        );
    }
    out
}

/// Column headers of the table of inter-token latency as each tool defines it.
pub const ITL_DEFINITION_HEADERS: [&str; 7] = [
    "engine", "tool", "metric", "pooled", "n", "p50 ms", "mean ms",
];

/// One row per definition per engine whose samples have inter-token gaps, in summary order;
/// none when no engine has them.
pub fn itl_definition_rows(summary: &RunSummary) -> Vec<Vec<String>> {
    summary
        .engines
        .values()
        .flat_map(|e| {
            e.itl_definitions.iter().flatten().map(|d| {
                vec![
                    e.label.clone(),
                    d.tool.clone(),
                    d.metric.clone(),
                    d.pooling.as_str().to_owned(),
                    d.ms.n.to_string(),
                    format!("{:.3}", d.ms.p50),
                    format!("{:.3}", d.ms.mean),
                ]
            })
        })
        .collect()
}

/// What the table of inter-token latency definitions shows, in one paragraph.
pub const ITL_DEFINITION_NOTE: &str = "Inter-token latency as each tool defines it, over the same successful requests (docs/metrics.md, \"ITL as other tools define it\"). The figures part when chunks carry several tokens: pooled chunk gaps then span several tokens, per-request figures divide by the token count, and GuideLLM weights each request by its tokens (n counts tokens; its percentiles are not interpolated).";
