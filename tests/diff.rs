//! `diff` between sim runs with known configurations: a slower configuration is called slower
//! with a CI that excludes 1; the same configuration is no significant difference.

mod support;

use std::path::Path;

use support::{runner, stderr};

fn sim_run(dir: &Path, ttft: &str, seed: &str) {
    let res = runner(&[
        "compare",
        "--engines",
        "sim",
        "--requests",
        "40",
        "--warmup",
        "1",
        "--max-tokens",
        "4",
        "--seed",
        seed,
        "--out",
        dir.to_str().expect("utf-8 path"),
        "-o",
        &format!("sim.ttft_ms={ttft}"),
        "-o",
        "sim.tpot_ms=normal:2:0.1",
    ]);
    assert!(res.status.success(), "{}", stderr(&res));
}

fn diff_json(base: &Path, cand: &Path) -> (Option<i32>, serde_json::Value) {
    let res = runner(&[
        "diff",
        base.to_str().expect("utf-8"),
        cand.to_str().expect("utf-8"),
        "--format",
        "json",
        "--resamples",
        "2000",
        "--noise-threshold",
        "0.05",
    ]);
    let json = serde_json::from_slice(&res.stdout).expect("diff prints JSON");
    (res.status.code(), json)
}

fn row<'a>(report: &'a serde_json::Value, metric: &str) -> &'a serde_json::Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["metric"] == metric)
        .expect("metric row")
}

#[test]
fn slower_configuration_is_a_regression_and_same_is_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b, slow) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("slow"),
    );
    // Latencies large against scheduler jitter, and a 5% noise threshold: this machine is shared.
    sim_run(&a, "normal:20:1", "1");
    sim_run(&b, "normal:20:1", "2");
    sim_run(&slow, "normal:25:1", "3");

    let (code, same) = diff_json(&a, &b);
    assert_eq!(code, Some(0), "{same}");
    assert_eq!(row(&same, "ttft_ms")["verdict"], "no_difference");

    let (code, worse) = diff_json(&a, &slow);
    assert_eq!(code, Some(1), "a regression exits 1: {worse}");
    let ttft = row(&worse, "ttft_ms");
    assert_eq!(ttft["verdict"], "slower");
    let ci = ttft["ratio_ci"].as_array().expect("ci");
    assert!(ci[0].as_f64().expect("lo") > 1.0, "CI excludes 1: {ttft}");
    let ratio = ttft["ratio"].as_f64().expect("ratio");
    assert!(
        (ratio - 1.25).abs() < 0.1,
        "ratio of medians near 5/4: {ratio}"
    );
    // Decode speed did not change.
    assert_eq!(row(&worse, "tpot_ms")["verdict"], "no_difference");
}

#[test]
fn diff_refuses_what_is_not_a_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let res = runner(&["diff", tmp.path().to_str().expect("utf-8"), "/nonexistent"]);
    assert_eq!(res.status.code(), Some(2));
    assert!(stderr(&res).contains("not a run directory"));
}
