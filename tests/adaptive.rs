//! Warm-up until latencies settle, and adaptive stopping once the mean is precise enough.

mod support;

use support::{jsonl, runner, stderr, summary};

#[test]
fn warmup_settles_and_measurement_stops_at_the_target_precision() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let res = runner(&[
        "compare",
        "--engines",
        "sim",
        "--requests",
        "300",
        "--warmup",
        "40",
        "--warmup-cv",
        "0.2",
        "--target-ci",
        "0.02",
        "--max-tokens",
        "4",
        "--no-idle",
        "--out",
        out.to_str().expect("utf-8"),
        // Requests of about 43 ms, long against a loaded machine's stalls: to keep the mean
        // from 2% precision until all 300 are run, one would have to last over 100 ms.
        "-o",
        "sim.ttft_ms=normal:40:0.8",
        "-o",
        "sim.tpot_ms=const:1",
    ]);
    assert!(res.status.success(), "{}", stderr(&res));
    let warmup = jsonl(&out.join("warmup.jsonl")).len();
    assert!(
        (5..40).contains(&warmup),
        "warm-up stopped once settled: {warmup}"
    );
    let measured = jsonl(&out.join("samples.jsonl")).len();
    assert!(
        (20..300).contains(&measured),
        "stopped at the target precision: {measured}"
    );
    let e = &summary(&out)["engines"]["sim"];
    assert_eq!(e["requests"]["stopped_early"], 300 - measured as u64);
    assert_eq!(e["requests"]["not_run"], 0);
    let ci = e["e2e_ms"]["ci95"].as_array().expect("ci");
    let mean = e["e2e_ms"]["mean"].as_f64().expect("mean");
    let half = (ci[1].as_f64().expect("hi") - ci[0].as_f64().expect("lo")) / 2.0;
    assert!(
        half / mean <= 0.02 + 1e-9,
        "half-width {half} of mean {mean}"
    );
    // Outliers are classified and counted, not dropped.
    assert_eq!(e["outliers"]["ttft_ms"]["n"], measured as u64);
}
