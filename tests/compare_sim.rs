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

/// Samples that carry device-clock timings (as a CUDA worker writes them) get device TTFT and
/// TPOT beside the host figures, paired request by request, in summary.json and report.md.
#[test]
fn device_clock_timings_are_summarised_beside_the_host_figures() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let out_s = out.to_str().expect("utf-8 path");
    let mut args = vec![
        "compare",
        "--engines",
        "sim",
        "--requests",
        "6",
        "--warmup",
        "0",
        "--max-tokens",
        "5",
        "--ignore-eos",
        "--out",
        out_s,
    ];
    args.extend(FAST_SIM);
    let res = runner(&args);
    assert!(res.status.success(), "compare failed: {}", stderr(&res));
    assert!(
        summary(&out)["engines"]["sim"]["device_clock"].is_null(),
        "the sim worker has no device clock"
    );

    // The device saw each request's time to first token at 80% of the host's, and each later
    // gap at 90%.
    let mut text = String::new();
    let (mut ttft_diffs, mut tpot_diffs) = (Vec::new(), Vec::new());
    for mut row in jsonl(&out.join("samples.jsonl")) {
        let ttft = row["ttft_ns"].as_u64().expect("ttft");
        let e2e = row["e2e_ns"].as_u64().expect("e2e");
        let gaps: Vec<u64> = row["itl_ns"]
            .as_array()
            .expect("itl")
            .iter()
            .map(|g| g.as_u64().expect("gap") * 9 / 10)
            .collect();
        assert_eq!(gaps.len(), 4, "5 tokens");
        let device_ttft = ttft * 8 / 10;
        ttft_diffs.push((ttft - device_ttft) as f64 / 1e6);
        tpot_diffs.push(((e2e - ttft) - gaps.iter().sum::<u64>()) as f64 / 4.0 / 1e6);
        row["device_clock"] = "cuda_event".into();
        row["prefill_device_ns"] = device_ttft.into();
        row["decode_device_ns"] = std::iter::once(device_ttft)
            .chain(gaps)
            .collect::<Vec<_>>()
            .into();
        row.as_object_mut().expect("row").remove("prefill_ns");
        text.push_str(&row.to_string());
        text.push('\n');
    }
    std::fs::write(out.join("samples.jsonl"), text).expect("rewrite samples");
    let res = runner(&["report", out_s]);
    assert!(res.status.success(), "report failed: {}", stderr(&res));

    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        f64::midpoint(v[2], v[3])
    };
    let s = summary(&out);
    let d = &s["engines"]["sim"]["device_clock"];
    assert_eq!(d["clock"], "cuda_event", "{d}");
    assert_eq!(d["requests"], 6, "{d}");
    let p50 = |key: &str| {
        d[key]["p50"]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {d}"))
    };
    assert!(
        (p50("host_minus_device_ttft_ms") - median(ttft_diffs)).abs() < 1e-9,
        "{d}"
    );
    assert!(
        (p50("host_minus_device_tpot_ms") - median(tpot_diffs)).abs() < 1e-9,
        "{d}"
    );
    assert!(p50("host_minus_device_tpot_ms") > 0.0, "{d}");
    let report = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(
        report.contains("Device clock (cuda_event) of sim, 6 requests"),
        "{report}"
    );
}
