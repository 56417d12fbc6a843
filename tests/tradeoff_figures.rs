//! Concurrency figures end to end: a sweep over a served engine (the HTTP worker against its
//! mock) writes them to `plots/`, inline in `report.html` and listed in `report.md`; `sim`, which
//! runs one request at a time whatever `--concurrency` says, gets none.

mod support;

use std::path::Path;

use support::{FAST_SIM, mock_server, runner, stderr};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_concurrency_sweep_gets_throughput_and_tpot_figures() {
    let (_mock, url) = mock_server(&["--ttft-ms", "2", "--itl-ms", "1"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let url_arg = format!("vllm={url}");
    let res = runner(&[
        "compare",
        "--engines",
        "vllm",
        "--url",
        &url_arg,
        "--concurrency",
        "1,2,4",
        "--requests",
        "12",
        "--warmup",
        "1",
        "--max-tokens",
        "4",
        "--ignore-eos",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(res.status.success(), "compare failed: {}", stderr(&res));

    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).expect("manifest parses");
    let planned: Vec<(String, u64)> = manifest["plan"]["engines"]
        .as_array()
        .expect("engines")
        .iter()
        .map(|e| {
            let label = e["label"].as_str().expect("label").to_owned();
            (label, e["load"]["concurrency"].as_u64().expect("closed"))
        })
        .collect();
    let expected = [("vllm@c1", 1), ("vllm@c2", 2), ("vllm@c4", 4)];
    assert_eq!(planned, expected.map(|(l, c)| (l.to_owned(), c)));

    let plots = out.join("plots");
    for name in ["concurrency_throughput", "concurrency_tpot"] {
        for ext in ["svg", "png"] {
            let file = plots.join(format!("{name}.{ext}"));
            assert!(file.is_file(), "{} missing", file.display());
        }
    }
    let svg = read(&plots.join("concurrency_throughput.svg"));
    for text in [
        "Throughput vs concurrency",
        "concurrency (requests in flight)",
        "output throughput (tok/s)",
    ] {
        assert!(svg.contains(text), "figure lacks {text:?}");
    }

    let html = read(&out.join("report.html"));
    assert!(html.contains("Output throughput against closed-loop concurrency"));
    assert!(html.contains("Throughput vs concurrency"), "figure inline");
    assert!(html.contains("Time per output token vs concurrency"));

    let md = read(&out.join("report.md"));
    assert!(md.contains("## Figures"));
    assert!(md.contains("[concurrency_throughput](plots/concurrency_throughput.png)"));
    assert!(md.contains("[concurrency_tpot](plots/concurrency_tpot.png)"));
}

#[test]
fn one_concurrency_level_draws_no_concurrency_figure() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let mut args = vec![
        "compare",
        "--engines",
        "sim",
        "--concurrency",
        "1,2,4",
        "--requests",
        "8",
        "--warmup",
        "1",
        "--max-tokens",
        "4",
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend(FAST_SIM);
    let res = runner(&args);
    assert!(res.status.success(), "compare failed: {}", stderr(&res));
    // sim takes no load pattern: one label at concurrency 1.
    assert!(out.join("plots/ttft_cdf.svg").is_file());
    assert!(!out.join("plots/concurrency_throughput.svg").exists());
    assert!(!out.join("plots/concurrency_tpot.png").exists());
    assert!(!read(&out.join("report.html")).contains("Throughput vs concurrency"));
}
