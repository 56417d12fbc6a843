//! `compare --engines sim` end to end: the results directory, the summary's shape, and that
//! `report` re-renders the same summary from the stored samples.

mod support;

use support::{FAST_SIM, jsonl, runner, stderr, summary};

#[test]
fn compare_writes_summary_and_every_sample() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let out_s = out.to_str().expect("utf-8 path");
    let mut args = vec![
        "compare",
        "--engines",
        "sim",
        "--requests",
        "200",
        "--max-tokens",
        "16",
        "--out",
        out_s,
    ];
    args.extend(FAST_SIM);
    let res = runner(&args);
    assert!(res.status.success(), "compare failed: {}", stderr(&res));

    let s = summary(&out);
    let sim = &s["engines"]["sim"];
    for metric in ["ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "decode_tok_s"] {
        let m = &sim[metric];
        for field in ["n", "mean", "p50", "p90", "p99"] {
            assert!(m[field].is_number(), "{metric}.{field} missing: {m}");
        }
        let ci = m["ci95"].as_array().expect("ci95 array");
        assert_eq!(ci.len(), 2, "{metric}.ci95");
        assert!(ci[0].as_f64() <= m["mean"].as_f64() && m["mean"].as_f64() <= ci[1].as_f64());
    }
    assert_eq!(sim["requests"]["ok"], 200);
    assert_eq!(sim["requests"]["failed"], 0);
    assert_eq!(sim["ttft_ms"]["n"], 200);
    // 16 tokens per request: 15 gaps each.
    assert_eq!(sim["itl_ms"]["n"], 200 * 15);

    let rows = jsonl(&out.join("samples.jsonl"));
    assert_eq!(rows.len(), 200);
    assert!(
        rows.iter()
            .all(|r| r["engine"] == "sim" && r["phase"] == "measure")
    );
    for name in [
        "manifest.json",
        "summary.csv",
        "report.md",
        "runs.jsonl",
        "warmup.jsonl",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest parses");
    assert_eq!(manifest["engines"]["sim"]["engine"], "sim");
    assert_eq!(manifest["plan"]["workload"]["requests"], 200);

    // The HTML report is one offline file with the table and the figures inline; the plots are
    // also written as PNG and SVG files.
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network fetches"
    );
    assert!(
        html.contains("TTFT p50 ms") && html.contains("<svg"),
        "table and inline figures"
    );
    for plot in [
        "ttft_cdf",
        "tpot_box",
        "input_tokens_vs_ttft_ms",
        "completion_tokens_hist",
    ] {
        let png = std::fs::read(out.join("plots").join(format!("{plot}.png")))
            .unwrap_or_else(|e| panic!("{plot}.png: {e}"));
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 5_000,
            "{plot}.png"
        );
        assert!(out.join("plots").join(format!("{plot}.svg")).is_file());
    }
    let regressions = &sim["regressions"];
    assert!(
        regressions["input_tokens_vs_ttft_ms"]["n"].as_u64() == Some(200),
        "{regressions}"
    );

    // `report` recomputes the same summary from the stored rows.
    std::fs::remove_file(out.join("summary.json")).expect("remove summary");
    let res = runner(&["report", out_s]);
    assert!(res.status.success(), "report failed: {}", stderr(&res));
    assert_eq!(summary(&out)["engines"], s["engines"]);
}

#[test]
fn repetitions_alternate_engine_order_and_are_recorded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let out_s = out.to_str().expect("utf-8 path");
    let mut args = vec![
        "compare",
        "--engines",
        "sim,sim@b",
        "--requests",
        "5",
        "--warmup",
        "1",
        "--max-tokens",
        "4",
        "--repetitions",
        "2",
        "--out",
        out_s,
        "-o",
        "sim@b.ttft_ms=const:1",
        "-o",
        "sim@b.tpot_ms=const:0.1",
    ];
    args.extend(FAST_SIM);
    let res = runner(&args);
    assert!(res.status.success(), "compare failed: {}", stderr(&res));
    let s = summary(&out);
    let order: Vec<&str> = s["order"]
        .as_array()
        .expect("order")
        .iter()
        .map(|v| v.as_str().expect("string"))
        .collect();
    assert_eq!(order.len(), 4);
    let first = order[0].split(':').nth(1).expect("label");
    let last = order[3].split(':').nth(1).expect("label");
    assert_eq!(first, last, "A B then B A: {order:?}");
    assert_eq!(s["engines"]["sim@b"]["requests"]["ok"], 10);
    assert_eq!(jsonl(&out.join("samples.jsonl")).len(), 20);
    assert_eq!(jsonl(&out.join("warmup.jsonl")).len(), 4);
}
