//! Served engines through `compare`: the HTTP worker against its mock with known delays
//! (closed and open loop, a concurrency sweep, goodput, failures by reason), and against a real
//! llama.cpp server when one can be started here.

mod support;

use std::path::Path;

use support::{jsonl, llamacpp_server, mock_server, runner, stderr, summary};

fn compare(out: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    let url_arg = format!("vllm={url}");
    let mut args = vec![
        "compare",
        "--engines",
        "vllm",
        "--url",
        &url_arg,
        "--requests",
        "24",
        "--warmup",
        "2",
        "--max-tokens",
        "8",
        "--ignore-eos",
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    runner(&args)
}

#[test]
fn closed_loop_against_a_mock_with_known_delays() {
    let (_mock, url) = mock_server(&["--ttft-ms", "30", "--itl-ms", "5"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let res = compare(
        &out,
        &url,
        &[
            "--concurrency",
            "4",
            "--slo",
            "ttft_ms=1000",
            "-o",
            "vllm.metrics=true",
        ],
    );
    assert!(res.status.success(), "{}", stderr(&res));
    let s = summary(&out);
    let e = &s["engines"]["vllm"];
    assert_eq!(e["requests"]["ok"], 24, "{e}");
    // The server's own counters over the measured workload (the warm-up excluded), kept.
    assert_eq!(e["server_metrics"]["mock_requests_total"], 24.0, "{e}");
    assert_eq!(e["server_metrics"]["mock_tokens_total"], 24.0 * 8.0, "{e}");
    let ttft = e["ttft_ms"]["p50"].as_f64().expect("ttft");
    let itl = e["itl_ms"]["p50"].as_f64().expect("itl");
    // Never early (the mock counts from its receipt of the request), and late by at most a
    // loaded machine's stall.
    assert!(
        ttft > 0.7 * 30.0 && ttft < 1.3 * 30.0 + 10.0,
        "TTFT p50 {ttft} ms vs 30 ms"
    );
    assert!((itl - 5.0).abs() < 0.4 * 5.0, "ITL p50 {itl} ms vs 5 ms");
    assert_eq!(e["load"]["concurrency"], 4);
    assert_eq!(e["goodput"]["met"], 24);
    assert!(
        s["harness"].is_object(),
        "served summaries carry the harness figures or a reason"
    );
    assert_eq!(jsonl(&out.join("samples.jsonl")).len(), 24);
}

#[test]
fn open_loop_records_schedule_lag_and_a_sweep_makes_one_label_per_point() {
    let (_mock, url) = mock_server(&["--ttft-ms", "5", "--itl-ms", "1"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("open");
    let res = compare(&out, &url, &["--rate", "40", "--arrival", "poisson"]);
    assert!(res.status.success(), "{}", stderr(&res));
    let e = &summary(&out)["engines"]["vllm"];
    assert_eq!(e["requests"]["ok"], 24);
    assert_eq!(
        e["schedule_lag_ms"]["n"], 24,
        "every open-loop request has a lag: {e}"
    );
    assert_eq!(e["load"]["kind"], "open");

    let out = tmp.path().join("sweep");
    let res = compare(&out, &url, &["--concurrency", "1,4"]);
    assert!(res.status.success(), "{}", stderr(&res));
    let s = summary(&out);
    assert_eq!(s["engines"]["vllm@c1"]["requests"]["ok"], 24);
    assert_eq!(s["engines"]["vllm@c4"]["requests"]["ok"], 24);
}

#[test]
fn server_errors_are_failed_requests_counted_by_reason() {
    let (_mock, url) = mock_server(&["--fault", "429", "--fault-every", "3"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let res = compare(&out, &url, &["--concurrency", "2"]);
    assert!(
        res.status.success(),
        "request failures are data: {}",
        stderr(&res)
    );
    let e = &summary(&out)["engines"]["vllm"];
    let failed = e["requests"]["failed"].as_u64().expect("failed");
    assert!(failed >= 6, "about a third of 24 fail: {e}");
    assert_eq!(e["requests"]["failed_by_reason"]["http_status"], failed);
    assert_eq!(
        e["requests"]["ok"].as_u64().expect("ok") + failed,
        24,
        "nothing is dropped"
    );
}

#[test]
fn reasoning_streams_count_reasoning_tokens_by_server_usage_or_the_runner_s_tokenizer() {
    // Three of each reply's eight chunks are reasoning ("think " each), 10 ms apart.
    for (usage, source) in [(false, "tokenizer"), (true, "server_usage")] {
        let mut args = vec![
            "--ttft-ms",
            "20",
            "--itl-ms",
            "10",
            "--reasoning-chunks",
            "3",
        ];
        if usage {
            args.push("--reasoning-usage");
        }
        let (_mock, url) = mock_server(&args);
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("run");
        let res = compare(&out, &url, &[]);
        assert!(res.status.success(), "{}", stderr(&res));
        for row in jsonl(&out.join("samples.jsonl")) {
            let r = &row["reasoning"];
            assert_eq!(r["chunks"], 3, "{row}");
            assert_eq!(r["tokens_source"], source, "{row}");
            if usage {
                assert_eq!(r["tokens"], 3, "the server's count: {row}");
            } else {
                // The model's tokenizer over "think think think ": at least a token a word.
                let n = r["tokens"].as_u64().expect("a count");
                assert_eq!(r["tokenizer_tokens"], n, "{row}");
                assert!((3..=6).contains(&n), "{row}");
            }
            // The first answer chunk is the fourth: three gaps after the first token.
            let ttft = row["ttft_ns"].as_u64().expect("ttft");
            let answer = r["first_answer_ns"].as_u64().expect("answered");
            let gaps: u64 = row["itl_ns"].as_array().expect("gaps")[..3]
                .iter()
                .map(|g| g.as_u64().expect("gap"))
                .sum();
            assert_eq!(answer, ttft + gaps, "{row}");
        }
        let e = &summary(&out)["engines"]["vllm"];
        let figures = &e["reasoning"];
        assert_eq!(figures["requests"], 24, "{e}");
        let counted = if usage {
            "tokens_from_server_usage"
        } else {
            "tokens_from_tokenizer"
        };
        assert_eq!(figures[counted], 24, "{figures}");
        let ttft = e["ttft_ms"]["p50"].as_f64().expect("ttft");
        let answer = figures["time_to_first_answer_ms"]["p50"]
            .as_f64()
            .expect("first answer");
        assert!(
            (answer - ttft - 30.0).abs() < 12.0,
            "first answer {answer} ms vs TTFT {ttft} ms + 3 x 10 ms"
        );
    }
}

/// The Python interpreter with xllamacpp (scripts/setup.sh makes `.venv`).
#[test]
fn real_llamacpp_server_closed_and_open_loop() {
    let Some((_server, url)) = llamacpp_server() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, load) in [
        ("closed", vec!["--concurrency", "4"]),
        ("open", vec!["--rate", "2", "--arrival", "poisson"]),
    ] {
        let out = tmp.path().join(name);
        let url_arg = format!("llamacpp={url}");
        let mut args = vec![
            "compare",
            "--engines",
            "llamacpp",
            "--url",
            &url_arg,
            "--requests",
            "12",
            "--warmup",
            "1",
            "--max-tokens",
            "16",
            "--out",
            out.to_str().expect("utf-8"),
        ];
        args.extend(load);
        let res = runner(&args);
        assert!(res.status.success(), "{name}: {}", stderr(&res));
        let e = &summary(&out)["engines"]["llamacpp"];
        assert_eq!(e["requests"]["ok"], 12, "{name}: {e}");
        assert!(e["ttft_ms"]["p50"].as_f64().expect("ttft") > 0.0);
        assert!(e["decode_tok_s"]["mean"].as_f64().expect("decode") > 0.0);
        // The runner tokenized the prompts and the returned text with the model's tokenizer.
        assert!(e["prompt_tokens"].is_object(), "{name}: {e}");
        assert!(
            e["token_counts"]["server_vs_tokenizer"][0].as_u64() > Some(0),
            "{e}"
        );
    }
}
