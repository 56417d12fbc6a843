//! What the runner measures, held against the synthetic engine's configured truth.

mod support;

use support::{runner, stderr, summary};

#[test]
fn ttft_and_tpot_medians_match_the_configured_truth() {
    // Truth: TTFT median 20 ms, TPOT median 2 ms (both normal, so mean = median).
    let (ttft_truth, tpot_truth) = (20.0, 2.0);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let res = runner(&[
        "compare",
        "--engines",
        "sim",
        "--requests",
        "60",
        "--max-tokens",
        "12",
        "--ignore-eos",
        "--seed",
        "11",
        "--out",
        out.to_str().expect("utf-8 path"),
        "-o",
        "sim.ttft_ms=normal:20:1",
        "-o",
        "sim.tpot_ms=normal:2:0.1",
    ]);
    assert!(res.status.success(), "compare failed: {}", stderr(&res));
    let s = summary(&out);
    let sim = &s["engines"]["sim"];
    let ttft = sim["ttft_ms"]["p50"].as_f64().expect("ttft p50");
    let tpot = sim["tpot_ms"]["p50"].as_f64().expect("tpot p50");
    let within = |measured: f64, truth: f64| (measured - truth).abs() / truth <= 0.05;
    assert!(
        within(ttft, ttft_truth),
        "TTFT p50 {ttft} ms vs truth {ttft_truth} ms"
    );
    assert!(
        within(tpot, tpot_truth),
        "TPOT p50 {tpot} ms vs truth {tpot_truth} ms"
    );
    // Under --ignore-eos every request produced exactly max-tokens tokens.
    assert_eq!(sim["completion_tokens"]["min"], 12.0);
    assert_eq!(sim["completion_tokens"]["max"], 12.0);
}
