//! Workers that crash, hang, write garbage or fail requests: each is recorded with its reason,
//! what they measured before is kept, and the other engines in the same comparison still run.

mod support;

use support::{jsonl, runner, stderr, summary};

#[test]
fn misbehaving_workers_are_recorded_and_the_others_measured() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let fast = |label: &str| {
        vec![
            "-o".to_owned(),
            format!("{label}.ttft_ms=const:1"),
            "-o".to_owned(),
            format!("{label}.tpot_ms=const:0.1"),
        ]
    };
    let mut args: Vec<String> = [
        "compare",
        "--engines",
        "sim@crash,sim@hang,sim@garbage,sim@flaky,sim",
        "--requests",
        "10",
        "--warmup",
        "0",
        "--max-tokens",
        "4",
        "--request-timeout",
        "2",
        "--out",
        out.to_str().expect("utf-8 path"),
        "-o",
        "sim@crash.crash_after=4",
        "-o",
        "sim@hang.hang_after=4",
        "-o",
        "sim@garbage.garbage_after=4",
        "-o",
        "sim@flaky.fail_rate=0.5",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for label in ["sim@crash", "sim@hang", "sim@garbage", "sim@flaky", "sim"] {
        args.extend(fast(label));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let res = runner(&args);
    assert_eq!(
        res.status.code(),
        Some(1),
        "a failed engine makes exit 1: {}",
        stderr(&res)
    );

    let s = summary(&out);
    let engines = &s["engines"];
    for (label, reason, words) in [
        ("sim@crash", "crashed", "exit status: 101"),
        ("sim@hang", "timeout", "did not answer"),
        ("sim@garbage", "garbage", "garbage"),
    ] {
        let e = &engines[label];
        assert_eq!(e["status"], "failed", "{label}: {e}");
        let failure = &e["failures"][0];
        assert_eq!(failure["reason"], reason, "{label}: {failure}");
        let message = failure["message"].as_str().expect("message");
        assert!(message.contains(words), "{label}: {message}");
        // The four requests before the failure were measured and kept.
        assert_eq!(e["requests"]["ok"], 4, "{label}");
        // The one in flight is recorded as failed; the rest were never run.
        assert_eq!(e["requests"]["failed"], 1, "{label}");
        assert_eq!(e["requests"]["not_run"], 5, "{label}");
    }
    assert!(
        engines["sim@crash"]["failures"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("simulated crash")),
        "the stderr tail travels with the failure"
    );

    let flaky = &engines["sim@flaky"];
    assert_eq!(flaky["status"], "ok");
    let failed = flaky["requests"]["failed"].as_u64().expect("failed count");
    assert!(
        failed > 0 && failed < 10,
        "fail_rate 0.5 over 10 requests: {failed}"
    );
    assert_eq!(
        flaky["requests"]["failed_by_reason"]["engine_error"],
        failed
    );
    assert_eq!(flaky["requests"]["ok"].as_u64().expect("ok") + failed, 10);

    assert_eq!(engines["sim"]["status"], "ok");
    assert_eq!(engines["sim"]["requests"]["ok"], 10);

    let rows = jsonl(&out.join("samples.jsonl"));
    let count = |label: &str| rows.iter().filter(|r| r["label"] == label).count();
    assert_eq!(count("sim@crash"), 5);
    assert_eq!(count("sim"), 10);
}

#[test]
fn a_panicking_request_is_a_failed_sample_and_the_worker_goes_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let res = runner(&[
        "compare",
        "--engines",
        "sim",
        "--requests",
        "6",
        "--warmup",
        "0",
        "--max-tokens",
        "3",
        "--out",
        out.to_str().expect("utf-8 path"),
        "-o",
        "sim.ttft_ms=const:1",
        "-o",
        "sim.tpot_ms=const:0.1",
        "-o",
        "sim.panic_on_request=2",
    ]);
    assert!(res.status.success(), "{}", stderr(&res));
    let s = summary(&out);
    assert_eq!(s["engines"]["sim"]["requests"]["ok"], 5);
    assert_eq!(
        s["engines"]["sim"]["requests"]["failed_by_reason"]["panic"],
        1
    );
}
