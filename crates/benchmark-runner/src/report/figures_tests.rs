//! Tests of the figures drawn from a summary, on the checked-in fixture run.

use std::collections::BTreeMap;

use super::figures::{figures, sample_figures};
use super::tradeoff_tests::{FixtureRun, fixture_run};
use crate::summary::RegressionPoints;

/// Points `(x, x / 10)` for `n` requests.
fn line(n: u32) -> Vec<(f64, f64)> {
    (1..=n)
        .map(|i| (f64::from(i), f64::from(i) / 10.0))
        .collect()
}

/// The regression figures in their order, each drawn from the points it is given: the power
/// points of an engine feed both the linear and the log-scale figure, and an engine without
/// points of a regression is left out of its figure (a regression no engine has, of the
/// figures).
#[test]
fn regression_figures_draw_each_engines_points_in_their_order() {
    let FixtureRun {
        manifest,
        rows,
        metrics,
        mut points,
        summary,
    } = fixture_run();
    let labels: Vec<String> = summary.engines.keys().cloned().collect();
    assert_eq!(labels, ["sim", "sim@slow"]);
    // Power per request for one engine only, as a run with energy telemetry has it.
    let sim: &mut RegressionPoints = points.get_mut("sim").expect("sim's points");
    assert!(sim.contains_key("input_tokens_vs_ttft_ms"));
    sim.insert("total_tokens_vs_power_w".to_owned(), line(50));
    let names = |points: BTreeMap<String, RegressionPoints>| -> Vec<String> {
        let drawn = sample_figures(&labels, &manifest, &rows, &metrics, None);
        figures(&summary, &manifest, points, drawn)
            .into_iter()
            .map(|f| f.name)
            .filter(|n| n.contains("_vs_"))
            .collect()
    };
    assert_eq!(
        names(points.clone()),
        [
            "input_tokens_vs_ttft_ms",
            "total_tokens_vs_e2e_ms",
            "total_tokens_vs_power_w",
            "total_tokens_vs_power_w_log",
        ]
    );
    // Without any engine's power points, no power figure; without any points, none at all.
    for of_label in points.values_mut() {
        of_label.remove("total_tokens_vs_power_w");
    }
    assert_eq!(
        names(points),
        ["input_tokens_vs_ttft_ms", "total_tokens_vs_e2e_ms"]
    );
    assert!(names(BTreeMap::new()).is_empty());
}
