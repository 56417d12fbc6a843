//! Shards of one run (`compare --shard I/N`) and `merge`: the shards split the request ids, the
//! merged directory pools exactly the unsharded run's requests and is summarised from them as
//! one run would be; shards that do not belong together are refused; served-engine shards split
//! the rate and start together at `--start-at`.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{FAST_SIM, jsonl, mock_server, runner, stderr, summary};

/// A sim run of 7 measured requests (ids 0..7), one warm-up, with `extra` settings.
fn sim(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "compare",
        "--engines",
        "sim",
        "--requests",
        "7",
        "--warmup",
        "1",
        "--max-tokens",
        "6",
        "--telemetry",
        "none",
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend(FAST_SIM);
    args.extend_from_slice(extra);
    runner(&args)
}

fn ids(path: &Path) -> Vec<u64> {
    let mut ids: Vec<u64> = jsonl(path)
        .iter()
        .map(|r| r["request_id"].as_u64().expect("request id"))
        .collect();
    ids.sort_unstable();
    ids
}

fn merge(dirs: &[&PathBuf], out: &Path) -> std::process::Output {
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| d.to_str().expect("utf-8")));
    args.extend(["--out", out.to_str().expect("utf-8")]);
    runner(&args)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("json")
}

/// A refused merge: exit 2, one line naming `why`, nothing written.
fn refused(res: &std::process::Output, out: &Path, why: &str) {
    let err = stderr(res);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains(why), "expected '{why}' in: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn sim_shards_pool_into_exactly_the_unsharded_requests() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (dir, shard) in [(&a, "0/2"), (&b, "1/2")] {
        let res = sim(dir, &["--shard", shard]);
        assert!(res.status.success(), "{}", stderr(&res));
    }
    // Ids 0..7 by remainder: 0 2 4 6 | 1 3 5; each shard warms up on its own.
    assert_eq!(ids(&a.join("samples.jsonl")), [0, 2, 4, 6]);
    assert_eq!(ids(&b.join("samples.jsonl")), [1, 3, 5]);
    assert_eq!(jsonl(&a.join("warmup.jsonl")).len(), 1);
    assert_eq!(jsonl(&b.join("warmup.jsonl")).len(), 1);
    let shard_summary = summary(&b);
    assert_eq!(shard_summary["engines"]["sim"]["requests"]["planned"], 3);
    assert_eq!(shard_summary["engines"]["sim"]["requests"]["not_run"], 0);
    let anchor = &json(&a.join("manifest.json"))["clock_anchor"];
    assert!(anchor["utc_ns"].as_i64().is_some() && anchor["mono_ns"].as_u64().is_some());

    let merged = tmp.path().join("merged");
    let res = merge(&[&b, &a], &merged);
    assert!(res.status.success(), "{}", stderr(&res));
    let rows = jsonl(&merged.join("samples.jsonl"));
    assert_eq!(
        ids(&merged.join("samples.jsonl")),
        (0..7).collect::<Vec<_>>()
    );
    for r in &rows {
        assert_eq!(r["shard"].as_u64(), r["request_id"].as_u64().map(|i| i % 2));
    }
    let manifest = json(&merged.join("manifest.json"));
    assert!(manifest["plan"].get("shard").is_none(), "the common plan");
    let from = manifest["merged_from"].as_array().expect("merged_from");
    assert_eq!(from.len(), 2);
    assert_eq!(
        (from[0]["index"].as_u64(), from[1]["index"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(from[0]["clock_offset_ns"], 0, "shard 0's clock is the axis");
    assert!(merged.join("shards/1/runs.jsonl").is_file());

    let s = summary(&merged);
    let e = &s["engines"]["sim"];
    assert_eq!(e["requests"]["ok"], 7);
    assert_eq!(e["requests"]["planned"], 7);
    assert_eq!(e["requests"]["warmup"], 2);
    assert!(s["clock"].as_str().expect("clock").contains("NTP"));
    // The median of the pooled requests, not of the shards' medians.
    let mut e2e: Vec<f64> = [&a, &b]
        .iter()
        .flat_map(|d| jsonl(&d.join("samples.jsonl")))
        .map(|r| r["e2e_ns"].as_f64().expect("e2e") / 1e6)
        .collect();
    e2e.sort_by(f64::total_cmp);
    let p50 = e["e2e_ms"]["p50"].as_f64().expect("p50");
    assert!((p50 - e2e[3]).abs() < 1e-9, "{p50} vs {}", e2e[3]);

    // The same pooled samples in one directory, summarised by `report`, give the same summary.
    let pooled = tmp.path().join("pooled");
    std::fs::create_dir(&pooled).expect("mkdir");
    for name in ["manifest.json", "runs.jsonl", "energy.json"] {
        std::fs::copy(merged.join(name), pooled.join(name)).expect("copy");
    }
    for name in ["samples.jsonl", "warmup.jsonl"] {
        let text: String = [&a, &b]
            .iter()
            .map(|d| std::fs::read_to_string(d.join(name)).expect("shard rows"))
            .collect();
        std::fs::write(pooled.join(name), text).expect("write");
    }
    let res = runner(&["report", pooled.to_str().expect("utf-8")]);
    assert!(res.status.success(), "{}", stderr(&res));
    assert_eq!(summary(&pooled)["engines"], s["engines"]);
}

#[test]
fn shards_that_do_not_belong_together_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = |n: &str| tmp.path().join(n);
    let runs: [(&str, &[&str]); 4] = [
        ("a", &["--shard", "0/2"]),
        ("b", &["--shard", "1/2"]),
        ("longer", &["--shard", "1/2", "--repetitions", "2"]),
        ("whole", &[]),
    ];
    for (name, extra) in runs {
        let res = sim(&dir(name), extra);
        assert!(res.status.success(), "{name}: {}", stderr(&res));
    }
    let out = dir("merged");
    refused(
        &merge(&[&dir("a"), &dir("a")], &out),
        &out,
        "shard 0/2 is given twice",
    );
    refused(&merge(&[&dir("a")], &out), &out, "shard 1/2 is missing");
    refused(
        &merge(&[&dir("a"), &dir("longer")], &out),
        &out,
        "are not shards of one run: plan.order: [{\"label\":\"sim\",\"repetition\":0}] in the first",
    );
    refused(
        &merge(&[&dir("a"), &dir("whole")], &out),
        &out,
        "is not a shard: it holds a run without --shard",
    );
    refused(
        &merge(&[&dir("a"), &dir("nowhere")], &out),
        &out,
        "is not a run directory",
    );
    // A shard written by another metrics version.
    let other = dir("other");
    std::fs::create_dir(&other).expect("mkdir");
    for name in ["samples.jsonl", "runs.jsonl"] {
        std::fs::copy(dir("b").join(name), other.join(name)).expect("copy");
    }
    let mut m = json(&dir("b").join("manifest.json"));
    m["metrics_version"] = Value::from(m["metrics_version"].as_u64().expect("version") + 1);
    std::fs::write(other.join("manifest.json"), m.to_string()).expect("write");
    refused(&merge(&[&dir("a"), &other], &out), &out, "metrics_version");
    // Plan-time refusals: --start-at alone, a bad shard.
    let res = sim(&dir("x"), &["--start-at", "2030-01-01T00:00:00Z"]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(stderr(&res).contains("give --shard I/N with it"));
    let res = sim(&dir("y"), &["--shard", "2/2"]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    // One served user cannot be split between two shards.
    let res = runner(
        &["compare", "--engines", "vllm", "--shard", "0/2", "--out"]
            .into_iter()
            .chain([dir("z").to_str().expect("utf-8")])
            .collect::<Vec<_>>(),
    );
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(stderr(&res).contains("--concurrency 1 cannot be split among 2 shards"));
}

/// A vllm shard against the mock at `url`, open loop at 20 requests/s in all.
fn served(out: &Path, url: &str, shard: &str, start_at: &str) -> std::process::Output {
    let url_arg = format!("vllm={url}");
    runner(&[
        "compare",
        "--engines",
        "vllm",
        "--url",
        &url_arg,
        "--requests",
        "8",
        "--warmup",
        "1",
        "--max-tokens",
        "4",
        "--ignore-eos",
        "--rate",
        "20",
        "--arrival",
        "constant",
        "--telemetry",
        "none",
        "--shard",
        shard,
        "--start-at",
        start_at,
        "--out",
        out.to_str().expect("utf-8"),
    ])
}

#[test]
fn served_shards_split_the_rate_and_start_together() {
    let (_mock, url) = mock_server(&["--ttft-ms", "2", "--itl-ms", "1"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(10);
    let start_at = start.to_string();
    let dirs: Vec<PathBuf> = ["a", "b"].iter().map(|n| tmp.path().join(n)).collect();
    let outputs: Vec<std::process::Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = dirs
            .iter()
            .zip(["0/2", "1/2"])
            .map(|(d, shard)| {
                let (url, start_at) = (&url, &start_at);
                scope.spawn(move || served(d, url, shard, start_at))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("shard thread"))
            .collect()
    });
    for res in &outputs {
        assert!(res.status.success(), "{}", stderr(res));
    }
    let mut seeds = BTreeSet::new();
    for dir in &dirs {
        let m = json(&dir.join("manifest.json"));
        let load = &m["plan"]["shard"]["loads"]["vllm"];
        assert_eq!(load["rate_rps"], 10.0, "each shard sends half the rate");
        seeds.insert(load["seed"].as_u64().expect("seed"));
        assert_eq!(
            m["plan"]["engines"][0]["load"]["rate_rps"], 20.0,
            "the common plan"
        );
        let run = &jsonl(&dir.join("runs.jsonl"))[0];
        assert!(run["start"]["waited_ns"].as_u64() > Some(0), "{run}");
        assert!(run["start"]["late_ns"].is_u64(), "lateness recorded: {run}");
        // The first measured request left at or after the instant, on the wall clock.
        let anchor = &m["clock_anchor"];
        let first = jsonl(&dir.join("samples.jsonl"))
            .iter()
            .map(|r| r["start_mono_ns"].as_i64().expect("start"))
            .min()
            .expect("measured rows");
        let utc = anchor["utc_ns"].as_i64().expect("utc") + first
            - anchor["mono_ns"].as_i64().expect("mono");
        let read = anchor["read_ns"].as_i64().expect("read");
        assert!(
            i128::from(utc + read) >= start.as_nanosecond(),
            "started before --start-at"
        );
    }
    assert_eq!(seeds.len(), 2, "each shard draws its own arrivals");
    assert_eq!(ids(&dirs[0].join("samples.jsonl")), [0, 2, 4, 6]);

    let merged = tmp.path().join("merged");
    let res = merge(&[&dirs[0], &dirs[1]], &merged);
    assert!(res.status.success(), "{}", stderr(&res));
    assert_eq!(
        ids(&merged.join("samples.jsonl")),
        (0..8).collect::<Vec<_>>()
    );
    let m = json(&merged.join("manifest.json"));
    for shard in m["merged_from"].as_array().expect("merged_from") {
        assert!(shard["late_ns"].is_u64(), "{shard}");
    }
    let e = &summary(&merged)["engines"]["vllm"];
    assert_eq!(e["requests"]["ok"], 8);
    assert_eq!(e["load"]["rate_rps"], 20.0);
    assert!(e["throughput"]["wall_s"].as_f64() > Some(0.0));
}
