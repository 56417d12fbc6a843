//! The workload kinds through `compare` against the HTTP worker's mock: shared-prefix prompts,
//! trace replay (Mooncake and `BurstGPT`) and multi-turn conversations. They need the default
//! model's tokenizer (synthetic prompts of exact lengths, chat templates) and skip without it.

mod support;

use std::path::{Path, PathBuf};

use support::{jsonl, mock_server, runner, stderr, summary};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn model() -> Option<PathBuf> {
    let model = root().join("models/smollm2-135m-instruct-q4_1.gguf");
    if model.is_file() {
        Some(model)
    } else {
        eprintln!(
            "skipping: {} is absent (benchmark-runner models fetch)",
            model.display()
        );
        None
    }
}

fn fixture(name: &str) -> String {
    root()
        .join("crates/bench-inputs/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn compare(out: &Path, url: &str, model: &Path, extra: &[&str]) -> serde_json::Value {
    let url_arg = format!("vllm={url}");
    let model_arg = format!("--model={}", model.display());
    let mut args = vec![
        "compare",
        "--engines",
        "vllm",
        "--url",
        &url_arg,
        &model_arg,
        "--max-tokens",
        "4",
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let res = runner(&args);
    assert!(res.status.success(), "{extra:?}: {}", stderr(&res));
    summary(out)
}

#[test]
fn shared_prefix_prompts_have_the_prefix_and_suffix_lengths() {
    let Some(model) = model() else { return };
    let (_mock, url) = mock_server(&["--ttft-ms", "2", "--itl-ms", "1"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let s = compare(
        &out,
        &url,
        &model,
        &[
            "--dataset",
            "shared-prefix:groups=2,prefix=64,suffix=8,output=3,requests=8,seed=1",
            "--requests",
            "8",
            "--warmup",
            "0",
        ],
    );
    let e = &s["engines"]["vllm"];
    assert_eq!(e["requests"]["ok"], 8, "{e}");
    // 64 shared tokens and 8 of its own per prompt, counted by the runner's tokenizer.
    assert_eq!(e["prompt_tokens"]["min"], 72.0, "{e}");
    assert_eq!(e["prompt_tokens"]["max"], 72.0, "{e}");
    // The dataset's output length: exactly 3 tokens each.
    assert_eq!(e["completion_tokens"]["mean"], 3.0, "{e}");
}

#[test]
fn trace_replay_sends_at_the_traces_times_scaled() {
    let Some(model) = model() else { return };
    let (_mock, url) = mock_server(&["--ttft-ms", "2", "--itl-ms", "1"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    // Mooncake: arrivals 0, 0, 3000, 3500 ms; at time scale 0.01, 0, 0, 30, 35 ms: 3 gaps in
    // 35 ms offered, 85.714 requests per second.
    // BurstGPT: arrivals 5, 45, 97, 118 s; at time scale 0.001, 0, 40, 92, 113 ms: 3 / 0.113 s.
    for (name, file, scale, offered) in [
        ("mooncake", "trace-mooncake.jsonl", "0.01", 3.0 / 0.035),
        ("burstgpt", "trace-burstgpt.csv", "0.001", 3.0 / 0.113),
    ] {
        let out = tmp.path().join(name);
        let dataset = format!("trace:{},time-scale={scale}", fixture(file));
        let s = compare(
            &out,
            &url,
            &model,
            &["--dataset", &dataset, "--requests", "4", "--warmup", "0"],
        );
        let e = &s["engines"]["vllm"];
        assert_eq!(e["requests"]["ok"], 4, "{name}: {e}");
        assert_eq!(e["load"]["kind"], "trace", "{name}");
        let r = &e["arrival_rates"];
        let got = r["offered_rps"].as_f64().expect("offered");
        assert!(
            (got - offered).abs() < 1e-6 * offered,
            "{name}: {got} vs {offered}"
        );
        assert!(
            r["achieved_rps"].as_f64().expect("achieved") > 0.0,
            "{name}"
        );
        assert_eq!(e["schedule_lag_ms"]["n"], 4, "{name}: {e}");
        let report = std::fs::read_to_string(out.join("report.md")).expect("report");
        assert!(report.contains("Send rate of vllm: offered"), "{name}");
        let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
        assert!(html.contains("Send rate of vllm: offered"), "{name}");
    }
}

#[test]
fn multi_turn_runs_turns_in_order_with_their_history_and_think_time() {
    let Some(model) = model() else { return };
    let (_mock, url) = mock_server(&["--ttft-ms", "2", "--itl-ms", "1"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let dataset = format!(
        "multiturn:{},think-ms=40",
        fixture("multiturn-sharegpt.json")
    );
    let s = compare(
        &out,
        &url,
        &model,
        &[
            "--dataset",
            &dataset,
            "--requests",
            "6",
            "--concurrency",
            "2",
        ],
    );
    let e = &s["engines"]["vllm"];
    assert_eq!(e["requests"]["ok"], 6, "{e}");
    assert_eq!(e["load"]["kind"], "multi_turn");
    assert_eq!(e["load"]["turns"], serde_json::json!([3, 1, 2]));
    // Conversations of 3, 1 and 2 turns: 3 first turns, 2 second, 1 third.
    let turns = e["turns"].as_array().expect("turns");
    let n: Vec<u64> = turns
        .iter()
        .map(|t| t["ttft_ms"]["n"].as_u64().expect("n"))
        .collect();
    assert_eq!(n, [3, 2, 1], "{e}");
    // Later turns carry the history: more prompt tokens on average.
    let prompt = |k: usize| turns[k]["prompt_tokens_mean"].as_f64().expect("prompt");
    assert!(prompt(1) > prompt(0) && prompt(2) > prompt(1), "{e}");
    // Within a conversation each turn starts after the last ended plus the think time.
    let rows = jsonl(&out.join("samples.jsonl"));
    let span = |id: u64| {
        let r = rows.iter().find(|r| r["request_id"] == id).expect("row");
        let start = r["start_mono_ns"].as_u64().expect("start");
        (start, start + r["e2e_ns"].as_u64().expect("e2e"))
    };
    for (a, b) in [(0, 1), (1, 2), (4, 5)] {
        assert!(span(b).0 >= span(a).1 + 40_000_000, "turn {b} after {a}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).expect("report");
    assert!(report.contains("## TTFT by turn: vllm"), "{report}");
    assert!(report.contains("| Turn | Requests |"), "{report}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains("TTFT by turn: vllm"), "report.html");
}

/// Against a real llama.cpp server (which keeps a prefix cache per slot): prints TTFT by visit
/// of shared-prefix groups and by turn of conversations; asserts only that every request ran
/// and that a group's later visits, which reuse a cached 512-token prefix, start faster than
/// its first.
#[test]
fn real_llamacpp_prefix_cache_ttft_by_visit_and_turn() {
    let Some((_server, url)) = support::llamacpp_server() else {
        return;
    };
    let Some(model) = model() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let url_arg = format!("llamacpp={url}");
    let model_arg = format!("--model={}", model.display());
    let multiturn = format!(
        "multiturn:{},think-ms=50",
        fixture("multiturn-sharegpt.json")
    );
    for (name, dataset, requests, extra) in [
        (
            "shared-prefix",
            "shared-prefix:groups=2,prefix=512,suffix=8,output=4,requests=6,seed=1",
            "6",
            ["--warmup", "0"],
        ),
        ("multiturn", multiturn.as_str(), "6", ["--concurrency", "2"]),
    ] {
        let out = tmp.path().join(name);
        let mut args = vec![
            "compare",
            "--engines",
            "llamacpp",
            "--url",
            &url_arg,
            &model_arg,
            "--max-tokens",
            "4",
            "--dataset",
            dataset,
            "--requests",
            requests,
            "--out",
            out.to_str().expect("utf-8"),
        ];
        args.extend(extra);
        let res = runner(&args);
        assert!(res.status.success(), "{name}: {}", stderr(&res));
        let e = &summary(&out)["engines"]["llamacpp"];
        assert_eq!(e["requests"]["ok"], 6, "{name}: {e}");
        let turns = e["turns"].as_array().expect("turns");
        let p50: Vec<f64> = turns
            .iter()
            .map(|t| t["ttft_ms"]["p50"].as_f64().expect("p50"))
            .collect();
        eprintln!("{name}: TTFT p50 ms by index {p50:?}");
        if name == "shared-prefix" {
            let later = p50[1..].iter().copied().fold(f64::MIN, f64::max);
            assert!(later < p50[0], "{name}: later visits {p50:?}");
        }
    }
}
