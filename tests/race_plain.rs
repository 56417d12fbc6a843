//! `race` without a terminal: the plain summary on stdout, nothing written by default, and with
//! `--out` a directory marked as a race that `report` refuses to summarise.

mod support;

use support::{FAST_SIM, runner_command, stderr};

#[test]
fn plain_race_writes_nothing_unless_asked_and_report_refuses_a_race() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).expect("mkdir");
    let mut args = vec!["race", "--engines", "sim", "--max-tokens", "4"];
    args.extend(FAST_SIM);
    let res = runner_command(&args)
        .current_dir(&cwd)
        .output()
        .expect("run race");
    assert!(res.status.success(), "race failed: {}", stderr(&res));
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        stdout.starts_with("race: a demonstration, not a measurement"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mode: ran at the same time: sim races alone"),
        "{stdout}"
    );
    // The sim row: place 1, 4 tokens.
    let row = stdout
        .lines()
        .find(|l| l.starts_with("1 ") && l.contains(" sim "))
        .expect("sim's row");
    assert_eq!(row.split_whitespace().nth(3), Some("4"), "{row}");
    assert!(stdout.contains("\nwinner: sim\n"), "{stdout}");
    assert_eq!(
        std::fs::read_dir(&cwd).expect("cwd").count(),
        0,
        "a race wrote something without --out"
    );

    let out = tmp.path().join("race");
    let out_s = out.to_str().expect("utf-8 path");
    let mut args = vec![
        "race",
        "--engines",
        "sim",
        "--max-tokens",
        "4",
        "--out",
        out_s,
    ];
    args.extend(FAST_SIM);
    let res = runner_command(&args).output().expect("run race --out");
    assert!(res.status.success(), "race --out failed: {}", stderr(&res));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json"),
    )
    .expect("manifest parses");
    assert_eq!(manifest["kind"], "race");
    let rows = support::jsonl(&out.join("samples.jsonl"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["label"], "sim");
    assert_eq!(rows[0]["completion_tokens"], 4);
    assert!(!out.join("summary.json").exists());

    let report = support::runner(&["report", out_s]);
    assert_eq!(report.status.code(), Some(2), "{}", stderr(&report));
    assert!(
        stderr(&report).contains("holds a race"),
        "{}",
        stderr(&report)
    );
}
