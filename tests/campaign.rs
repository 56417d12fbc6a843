//! `campaign run` end to end: two sim configurations and a served engine (the HTTP worker
//! against its mock) over three concurrencies, two cycles, no cool-down: the manifest, the run
//! directories, the report's rows and figures; a run marked pending again and resumed alone; a
//! changed campaign file refused; `SIGINT` leaving the running run interrupted and a resume
//! finishing it.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{mock_server, runner, runner_command, stderr};

fn campaign_text(url: &str, max_tokens: u32) -> String {
    format!(
        r#"
name = "e2e"
order = "interleaved"
cycles = 2

[cooldown]
seconds = 0

[base]
requests = 6
warmup = 1
max_tokens = {max_tokens}
ignore_eos = true
telemetry = "none"
idle = false

[base.engine_options."sim@a"]
ttft_ms = "const:1"
tpot_ms = "const:0.1"

[base.engine_options."sim@b"]
ttft_ms = "const:4"
tpot_ms = "const:0.2"

[base.url]
vllm = "{url}"

[vary]
engines = ["sim@a", "sim@b", "vllm"]
concurrency = [1, 2, 4]
"#
    )
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("JSON parses")
}

/// (experiment, cycle, status) of every run in the manifest, in its order.
fn runs(m: &serde_json::Value) -> Vec<(String, u64, String)> {
    m["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| {
            (
                r["experiment"].as_str().expect("experiment").to_owned(),
                r["cycle"].as_u64().expect("cycle"),
                r["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

/// The report of the grid below: one row per experiment that ran, each metric over both
/// cycles, the skipped experiments listed, the figures, and `campaign report` rewriting it.
fn check_report(dir: &Path) {
    let s = read_json(&dir.join("campaign-summary.json"));
    let rows = s["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 5);
    let ttft = |experiment: &str| {
        let row = rows
            .iter()
            .find(|r| r["experiment"] == experiment)
            .unwrap_or_else(|| panic!("row {experiment}"));
        assert_eq!(row["metrics"]["ttft_ms"]["n"], 2, "{row}");
        assert!(
            row["metrics"]["decode_tok_s"]["mean"]
                .as_f64()
                .expect("rate")
                > 0.0
        );
        row["metrics"]["ttft_ms"]["mean"]
            .as_f64()
            .expect("ttft mean")
    };
    assert!(
        ttft("04-sim@b-c1") > ttft("01-sim@a-c1"),
        "sim@b's TTFT is 4 ms, sim@a's 1 ms"
    );
    assert!(
        ttft("07-vllm-c1") >= 4.0,
        "the mock waits 5 ms before the first token"
    );
    assert_eq!(s["skipped"].as_array().expect("skipped").len(), 4);
    let md = std::fs::read_to_string(dir.join("campaign-report.md")).expect("report");
    assert!(md.contains("| 08-vllm-c2 | vllm | concurrency=2 |"), "{md}");
    assert!(
        md.contains("- 03-sim@a-c4: sim@a runs one request at a time"),
        "{md}"
    );
    for f in ["campaign_decode_tok_s", "campaign_ttft_ms"] {
        assert!(dir.join(format!("plots/{f}.svg")).is_file(), "{f}.svg");
        assert!(dir.join(format!("plots/{f}.png")).is_file(), "{f}.png");
        assert!(md.contains(&format!("plots/{f}.svg")), "{md}");
    }
    // Each run directory is an ordinary one.
    let one = dir.join("runs/08-vllm-c2-c1");
    let res = runner(&["report", one.to_str().expect("utf-8")]);
    assert!(res.status.success(), "{}", stderr(&res));
    std::fs::remove_file(dir.join("campaign-report.md")).expect("remove report");
    let res = runner(&["campaign", "report", dir.to_str().expect("utf-8")]);
    assert!(res.status.success(), "{}", stderr(&res));
    assert!(
        dir.join("campaign-report.md").is_file(),
        "campaign report rewrites it"
    );
}

#[test]
fn a_campaign_runs_its_grid_reports_it_and_resumes_only_what_is_missing() {
    let (_mock, url) = mock_server(&["--ttft-ms", "5", "--itl-ms", "1"]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("campaign.toml");
    std::fs::write(&file, campaign_text(&url, 8)).expect("write campaign");
    let dir = tmp.path().join("c");
    let (file_arg, dir_arg) = (file.to_str().expect("utf-8"), dir.to_str().expect("utf-8"));
    let res = runner(&["campaign", "run", file_arg, "--out", dir_arg]);
    let err = stderr(&res);
    assert!(res.status.success(), "{err}");
    assert!(
        err.contains("campaign e2e: run 3/10 (vllm concurrency=1, cycle 1)"),
        "{err}"
    );

    let m = read_json(&dir.join("campaign.json"));
    assert_eq!(m["schema_version"], 1);
    assert_eq!(m["experiments"].as_array().expect("experiments").len(), 9);
    // Interleaved: cycle 1 in grid order, cycle 2 reversed; then the skipped experiments.
    let runnable = [
        "01-sim@a-c1",
        "04-sim@b-c1",
        "07-vllm-c1",
        "08-vllm-c2",
        "09-vllm-c4",
    ];
    let mut want: Vec<(String, u64, String)> = runnable
        .iter()
        .map(|e| ((*e).to_owned(), 1, "done".to_owned()))
        .chain(
            runnable
                .iter()
                .rev()
                .map(|e| ((*e).to_owned(), 2, "done".to_owned())),
        )
        .collect();
    for skipped in ["02-sim@a-c2", "03-sim@a-c4", "05-sim@b-c2", "06-sim@b-c4"] {
        want.extend((1..=2).map(|c| (skipped.to_owned(), c, "skipped".to_owned())));
    }
    assert_eq!(runs(&m), want);
    for (i, r) in m["runs"].as_array().expect("runs").iter().enumerate() {
        if r["status"] == "skipped" {
            let reason = r["reason"].as_str().expect("a skip has its reason");
            assert!(reason.contains("runs one request at a time"), "{reason}");
            continue;
        }
        let rel = r["result"].as_str().expect("result path");
        assert_eq!(
            rel,
            format!(
                "runs/{}-c{}",
                r["experiment"].as_str().expect("id"),
                r["cycle"]
            )
        );
        assert!(dir.join(rel).join("summary.json").is_file(), "{rel}");
        assert!(r["start_utc"].is_string() && r["end_utc"].is_string());
        assert_eq!(
            r["cooldown"].is_object(),
            i > 0,
            "every run after the first records its cool-down: {r}"
        );
    }
    assert!(dir.join("campaign.toml").is_file());

    check_report(&dir);

    // One run pending again, its directory gone: a resume runs it alone.
    let mut m = m;
    m["runs"][3]["status"] = "pending".into();
    std::fs::remove_dir_all(dir.join("runs/08-vllm-c2-c1")).expect("remove run");
    std::fs::write(dir.join("campaign.json"), m.to_string()).expect("rewrite manifest");
    let res = runner(&["campaign", "run", file_arg, "--resume", dir_arg]);
    let err = stderr(&res);
    assert!(res.status.success(), "{err}");
    let progress: Vec<&str> = err.lines().filter(|l| l.contains(": run ")).collect();
    assert_eq!(
        progress,
        ["campaign e2e: run 4/10 (vllm concurrency=2, cycle 1)"],
        "{err}"
    );
    let m = read_json(&dir.join("campaign.json"));
    assert!(runs(&m).iter().all(|r| r.2 == "done" || r.2 == "skipped"));
    assert!(dir.join("runs/08-vllm-c2-c1/summary.json").is_file());
    assert_eq!(m["resumed_utc"].as_array().expect("resumes").len(), 1);

    // A changed campaign file refuses to resume, naming the hash and the first experiment.
    std::fs::write(&file, campaign_text(&url, 16)).expect("change campaign");
    let res = runner(&["campaign", "run", file_arg, "--resume", dir_arg]);
    let err = stderr(&res);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sha256") && err.contains("first differing experiment 01-sim@a-c1"),
        "{err}"
    );
}

#[test]
fn sigint_marks_the_running_run_interrupted_and_a_resume_finishes_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("campaign.toml");
    // 40 requests of 16 tokens at 3 ms a token, about 46 ms a request: stopped after 5, the
    // first run has over a second to go, time enough for the signal on a loaded machine.
    std::fs::write(
        &file,
        r#"
name = "stop"
cycles = 2
[base]
engines = ["sim"]
requests = 40
warmup = 0
max_tokens = 16
telemetry = "none"
idle = false
[base.engine_options.sim]
ttft_ms = "const:1"
tpot_ms = "const:3"
"#,
    )
    .expect("write campaign");
    let dir = tmp.path().join("c");
    let (file_arg, dir_arg) = (file.to_str().expect("utf-8"), dir.to_str().expect("utf-8"));
    let mut child = runner_command(&["campaign", "run", file_arg, "--out", dir_arg])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start benchmark-runner");
    let samples = dir.join("runs/01-c1/samples.jsonl");
    let deadline = Instant::now() + Duration::from_mins(1);
    while std::fs::read_to_string(&samples).map_or(0, |t| t.lines().count()) < 5 {
        assert!(Instant::now() < deadline, "no samples in the first run");
        assert!(child.try_wait().expect("poll").is_none(), "ended too early");
        std::thread::sleep(Duration::from_millis(2));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let status = child.wait().expect("wait for the runner");
    assert_eq!(status.code(), Some(130));
    let m = read_json(&dir.join("campaign.json"));
    assert_eq!(m["interrupted"]["signal"], "SIGINT", "{m}");
    assert_eq!(m["interrupted"]["during"], "01-c1");
    assert_eq!(
        runs(&m),
        [
            ("01".to_owned(), 1, "interrupted".to_owned()),
            ("01".to_owned(), 2, "pending".to_owned())
        ]
    );

    let res = runner(&["campaign", "run", "--resume", dir_arg]);
    assert!(res.status.success(), "{}", stderr(&res));
    let m = read_json(&dir.join("campaign.json"));
    assert!(m["interrupted"].is_null(), "{m}");
    assert!(runs(&m).iter().all(|r| r.2 == "done"), "{m}");
    // The interrupted run continued in its directory: every request measured once.
    let run = read_json(&dir.join("runs/01-c1/summary.json"));
    assert_eq!(run["engines"]["sim"]["requests"]["ok"], 40, "{run}");
    assert!(
        run["continuity"]["resumed"]
            .as_array()
            .is_some_and(|r| r.len() == 1),
        "{run}"
    );
}
