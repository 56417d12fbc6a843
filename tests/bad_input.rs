//! Bad input: a one-line error naming the problem, exit status 2, nothing written.

mod support;

use support::{runner, stderr};

fn assert_usage_error(args: &[&str], expect: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("run");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--out", out.to_str().expect("utf-8 path")]);
    let res = runner(&all);
    let err = stderr(&res);
    assert_eq!(res.status.code(), Some(2), "{args:?}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?}: expected one line, got: {err}");
    assert!(err.contains(expect), "{args:?}: {err}");
    assert!(!out.exists(), "{args:?}: output directory was created");
}

#[test]
fn unknown_engine() {
    assert_usage_error(
        &["compare", "--engines", "sim,candel"],
        "unknown engine 'candel'",
    );
}

#[test]
fn malformed_config() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("bad.toml");
    std::fs::write(&config, "engines = [\"sim\"]\nrequests = \"many\"\n").expect("write");
    assert_usage_error(
        &["compare", "--config", config.to_str().expect("utf-8")],
        "invalid config",
    );
    std::fs::write(&config, "engines = [\"sim\"\n").expect("write");
    assert_usage_error(
        &["compare", "--config", config.to_str().expect("utf-8")],
        "invalid config",
    );
}

#[test]
fn bad_option_values() {
    assert_usage_error(
        &["compare", "--engines", "sim", "--requests", "0"],
        "--requests",
    );
    assert_usage_error(
        &["compare", "--engines", "sim", "--requests", "abc"],
        "--requests",
    );
    assert_usage_error(
        &["compare", "--engines", "sim", "-o", "sim.ttft_ms=gauss:1:2"],
        "unknown distribution",
    );
    assert_usage_error(
        &["compare", "--engines", "sim", "-o", "sim.tft_ms=3"],
        "unknown field `tft_ms`",
    );
}

#[test]
fn length_filters_on_datasets_sent_in_order() {
    assert_usage_error(
        &[
            "compare",
            "--engines",
            "sim",
            "--dataset",
            "shared-prefix:groups=2,prefix=16,suffix=8,output=8",
            "--min-prompt-tokens",
            "20",
        ],
        "do not apply to --dataset shared-prefix:",
    );
}
