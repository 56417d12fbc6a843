//! `summary.csv`: one row per engine and metric, every statistic a column.

use std::fmt::Write;

use crate::summary::RunSummary;

const COLUMNS: &str = "engine,metric,n,mean,sd,cv,min,max,p50,p90,p95,p99,p99_9,ci95_low,ci95_high";

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Render the CSV.
pub fn summary_csv(summary: &RunSummary) -> String {
    let mut out = String::from(COLUMNS);
    out.push('\n');
    for (id, e) in &summary.engines {
        for (name, s) in e.distributions() {
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
