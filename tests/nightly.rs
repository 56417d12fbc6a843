//! `nightly` twice in a row: the history grows, the second run is compared with the first.

mod support;

use support::{jsonl, runner, stderr};

#[test]
fn second_nightly_is_compared_with_the_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("suite.toml");
    std::fs::write(
        &suite,
        r#"
name = "t"
[[run]]
name = "sim"
engines = ["sim"]
requests = 20
warmup = 1
max_tokens = 4
idle = false
[run.engine_options.sim]
ttft_ms = "const:2"
tpot_ms = "const:0.5"
"#,
    )
    .expect("suite");
    let history = tmp.path().join("history");
    let args = [
        "nightly",
        "--suite",
        suite.to_str().expect("utf-8"),
        "--history",
        history.to_str().expect("utf-8"),
    ];
    let first = runner(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    // Run directories are named by the second; make sure the two differ.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = runner(&args);
    assert!(
        matches!(second.status.code(), Some(0 | 1)),
        "{}",
        stderr(&second)
    );

    let lines = jsonl(&history.join("history.jsonl"));
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["baseline"].is_null());
    assert_eq!(lines[1]["baseline"], lines[0]["dir"]);
    assert!(lines[1]["regressed"].is_boolean());
    let second_dir = history.join(lines[1]["dir"].as_str().expect("dir"));
    assert!(second_dir.join("diff.md").is_file());
    assert!(second_dir.join("summary.json").is_file());
    let report = std::fs::read_to_string(history.join("nightly-report.md")).expect("report");
    assert!(report.contains("## sim"), "{report}");
    assert!(
        history.join("trend_ttft_ms.png").is_file(),
        "trend figure drawn"
    );
}

#[test]
fn a_suite_without_runs_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("suite.toml");
    std::fs::write(&suite, "name = \"t\"\nrun = []\n").expect("suite");
    let res = runner(&["nightly", "--suite", suite.to_str().expect("utf-8")]);
    assert_eq!(res.status.code(), Some(2));
    assert!(stderr(&res).contains("no [[run]]"), "{}", stderr(&res));
}
