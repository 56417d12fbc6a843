//! `summary.csv`: one row per engine and metric, every statistic a column.

use std::fmt::Write;

use bench_stats::Summary;

use crate::summary::{EngineSummary, RunSummary};

const COLUMNS: &str = "engine,metric,n,mean,sd,cv,min,max,p50,p90,p95,p99,p99_9,ci95_low,ci95_high";

fn metrics(e: &EngineSummary) -> [(&'static str, Option<&Summary>); 9] {
    [
        ("ttft_ms", e.ttft_ms.as_ref()),
        ("tpot_ms", e.tpot_ms.as_ref()),
        ("itl_ms", e.itl_ms.as_ref()),
        ("e2e_ms", e.e2e_ms.as_ref()),
        ("decode_tok_s", e.decode_tok_s.as_ref()),
        ("prefill_tok_s", e.prefill_tok_s.as_ref()),
        ("prompt_tokens", e.prompt_tokens.as_ref()),
        ("completion_tokens", e.completion_tokens.as_ref()),
        ("schedule_lag_ms", e.schedule_lag_ms.as_ref()),
    ]
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Render the CSV.
pub fn summary_csv(summary: &RunSummary) -> String {
    let mut out = String::from(COLUMNS);
    out.push('\n');
    for (id, e) in &summary.engines {
        for (name, s) in metrics(e) {
            let Some(s) = s else { continue };
            let _ = writeln!(
                out,
                "{id},{name},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                s.n,
                s.mean,
                opt(s.sd),
                opt(s.cv),
                s.min,
                s.max,
                s.p50,
                s.p90,
                s.p95,
                s.p99,
                s.p99_9,
                opt(s.ci95.map(|c| c[0])),
                opt(s.ci95.map(|c| c[1])),
            );
        }
    }
    out
}
