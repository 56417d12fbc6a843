//! Regressions over successful measured requests: input tokens against TTFT, total tokens
//! against E2E latency and, with energy telemetry, against energy and power.

use std::collections::BTreeMap;

use crate::columns::Columns;
use crate::energy::EnergyReport;
use crate::metrics;
use crate::metrics::Request;

/// Per-request `(x, y)` points by regression name.
pub type RegressionPoints = BTreeMap<String, Vec<(f64, f64)>>;

/// Each engine label's regression points over its successful measured requests, computed
/// once for the summary's fits and the figures' scatters, the labels on all cores.
pub fn regression_points_by_label(
    rows: &Columns,
    energy: Option<&EnergyReport>,
) -> BTreeMap<String, RegressionPoints> {
    use rayon::prelude::*;
    let labels: Vec<&str> = rows.labels().map(|(l, _)| l).collect();
    labels
        .into_par_iter()
        .map(|l| {
            (
                l.to_owned(),
                regression_points(&rows.ok_measured(l), energy, l),
            )
        })
        .collect()
}

/// Per-request points `(x, y)` for the regressions over `ok`, the successful measured requests
/// of `label`, in file order.
fn regression_points(
    ok: &[&Request],
    energy: Option<&EnergyReport>,
    label: &str,
) -> RegressionPoints {
    let mut points = RegressionPoints::new();
    let (mut ttft, mut e2e) = (Vec::new(), Vec::new());
    for &s in ok {
        let prompt = s.prompt_tokens.map(f64::from);
        let total = prompt.map(|p| p + f64::from(s.completion_tokens));
        if let (Some(p), Some(t)) = (prompt, metrics::ttft_ms(s)) {
            ttft.push((p, t));
        }
        if let Some(t) = total {
            e2e.push((t, metrics::e2e_ms(s)));
        }
    }
    for (name, pts) in [
        ("input_tokens_vs_ttft_ms", ttft),
        ("total_tokens_vs_e2e_ms", e2e),
    ] {
        if !pts.is_empty() {
            points.insert(name.to_owned(), pts);
        }
    }
    // Energy per request comes per repetition in samples order; pair it back with its rows.
    if let Some(report) = energy {
        let channel = report
            .runs
            .iter()
            .find(|r| r.label == label)
            .map(|r| r.channel.clone());
        for record in report
            .runs
            .iter()
            .filter(|r| Some(&r.channel) == channel.as_ref() && r.label == label)
        {
            let rep_rows: Vec<&Request> = ok
                .iter()
                .copied()
                .filter(|r| r.repetition == record.repetition)
                .collect();
            if rep_rows.len() != record.request_j.len() {
                continue;
            }
            for (s, &j) in rep_rows.iter().zip(&record.request_j) {
                let Some(p) = s.prompt_tokens else { continue };
                let total = f64::from(p) + f64::from(s.completion_tokens);
                points
                    .entry("total_tokens_vs_energy_j".into())
                    .or_default()
                    .push((total, j));
                let seconds = s.e2e_ns as f64 / 1e9;
                if seconds > 0.0 && j > 0.0 {
                    points
                        .entry("total_tokens_vs_power_w".into())
                        .or_default()
                        .push((total, j / seconds));
                }
            }
        }
    }
    points
}

/// The OLS fits over `points`; power is also fitted on a log scale.
pub fn regressions(points: &RegressionPoints) -> BTreeMap<String, bench_stats::Regression> {
    let mut fits = BTreeMap::new();
    for (name, pts) in points {
        let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
        if let Ok(fit) = bench_stats::ols(&x, &y) {
            fits.insert(name.clone(), fit);
        }
        if name == "total_tokens_vs_power_w"
            && let Ok(fit) = bench_stats::ols_log_y(&x, &y)
        {
            fits.insert("total_tokens_vs_power_w_log".into(), fit);
        }
    }
    fits
}
