//! Slurm end to end: a one-node cluster on this machine (`scripts/slurm-local.sh`), a
//! campaign of the simulated engine and lm-rs rendered by `shards render --scheduler slurm
//! --shards 2`, its `submit.sh` submitting the array of campaign shards and the merge job that
//! waits for them. The merged campaign's runs hold every planned request once, and each merged
//! summary equals the one `report` computes in one process from the same pooled samples.
//! Skipped, with the reason printed, without root, Slurm (`scripts/setup.sh` installs it) or
//! the default model.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const SHARDS: u32 = 2;
const REQUESTS: u64 = 4;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root (the Slurm daemons run as root)".to_owned());
    }
    for tool in ["slurmctld", "slurmd", "munged", "sbatch"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!(
                "{tool} not installed (scripts/setup.sh installs slurm-wlm and munge)"
            ));
        }
    }
    None
}

/// `scontrol show job -o ID`: one line per job (per task of an array).
fn job_states(id: &str) -> Vec<String> {
    let out = Command::new("scontrol")
        .args(["show", "job", "-o", id])
        .output()
        .expect("run scontrol");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("JobState="))
                .map(str::to_owned)
        })
        .collect()
}

fn wait_done(id: &str, timeout: Duration) -> Vec<String> {
    let start = Instant::now();
    loop {
        let states = job_states(id);
        let running = states.iter().any(|s| {
            matches!(
                s.as_str(),
                "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING"
            )
        });
        if !states.is_empty() && !running {
            return states;
        }
        assert!(
            start.elapsed() < timeout,
            "job {id} not finished after {timeout:?}: {states:?}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn job_id(submit_out: &str, label: &str) -> String {
    submit_out
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in submit.sh's output:\n{submit_out}"))
        .trim()
        .to_owned()
}

/// Every output file in `dir`, for a failure's message.
fn read_logs(dir: &Path) -> String {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                    format!("== {}\n{text}", e.path().display())
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("JSON parses")
}

fn rows(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("row parses"))
        .collect()
}

fn runner(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_benchmark-runner"))
        .current_dir(workspace())
        .args(args)
        .env_remove("BENCH_WORKER_DIR")
        .output()
        .expect("run benchmark-runner")
}

/// One merged run: every planned request once across the shards, and the merged summary equal
/// to `report`'s over the same pooled samples in one directory.
fn check_merged_run(merged: &Path, shard_runs: &[PathBuf], label: &str, scratch: &Path) {
    let mut ids: Vec<u64> = rows(&merged.join("samples.jsonl"))
        .iter()
        .map(|r| r["request_id"].as_u64().expect("request id"))
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..REQUESTS).collect::<Vec<_>>(), "{label}");
    for (i, dir) in (0..u64::from(SHARDS)).zip(shard_runs) {
        for r in rows(&dir.join("samples.jsonl")) {
            assert_eq!(
                r["request_id"].as_u64().expect("id") % u64::from(SHARDS),
                i,
                "{label}: shard {i} ran its own requests only"
            );
        }
    }
    let pooled = scratch.join(format!("pooled-{label}"));
    std::fs::create_dir_all(&pooled).expect("mkdir");
    for name in ["manifest.json", "runs.jsonl", "energy.json"] {
        if merged.join(name).is_file() {
            std::fs::copy(merged.join(name), pooled.join(name)).expect("copy");
        }
    }
    for name in ["samples.jsonl", "warmup.jsonl"] {
        let text: String = shard_runs
            .iter()
            .map(|d| std::fs::read_to_string(d.join(name)).unwrap_or_default())
            .collect();
        std::fs::write(pooled.join(name), text).expect("write");
    }
    let res = runner(&["report", pooled.to_str().expect("utf-8")]);
    assert!(
        res.status.success(),
        "{label}: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    let one = json(&pooled.join("summary.json"));
    let m = json(&merged.join("summary.json"));
    assert_eq!(one["engines"], m["engines"], "{label}");
    assert_eq!(
        m["engines"][label]["requests"]["ok"].as_u64(),
        Some(REQUESTS),
        "{label}"
    );
}

/// A campaign of the simulated engine and lm-rs on `model`, one cycle.
fn write_campaign(campaign: &Path, model: &Path) {
    std::fs::write(
        campaign,
        format!(
            r#"name = "slurm-e2e"
[base]
requests = {REQUESTS}
warmup = 1
max_tokens = 6
seed = 3
telemetry = "none"
idle = false
model = "{}"
[base.engine_options.sim]
ttft_ms = "const:1"
tpot_ms = "const:0.1"
[vary]
engines = ["sim", "lm-rs"]
"#,
            model.display()
        ),
    )
    .expect("write campaign");
}

/// `shards render --scheduler slurm` of `campaign` into `out`, results in `results`.
fn render(campaign: &Path, out: &Path, results: &Path) {
    let runner_path = env!("CARGO_BIN_EXE_benchmark-runner");
    let shards = SHARDS.to_string();
    let rendered = runner(&[
        "shards",
        "render",
        "--scheduler",
        "slurm",
        "--shards",
        &shards,
        campaign.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--results",
        results.to_str().expect("utf-8"),
        "--runner",
        runner_path,
        "--time",
        "10:00",
        "--cpus-per-shard",
        "1",
    ]);
    assert!(
        rendered.status.success(),
        "shards render: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
}

#[test]
fn a_campaign_rendered_for_slurm_runs_as_an_array_of_shards_then_merges() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let model = workspace().join("models/smollm2-135m-instruct-q4_1.gguf");
    if !model.is_file() {
        println!(
            "skipped: {} is absent (scripts/setup.sh fetches it)",
            model.display()
        );
        return;
    }
    let started = Instant::now();
    let up = Command::new(workspace().join("scripts/slurm-local.sh"))
        .arg("start")
        .status()
        .expect("run scripts/slurm-local.sh");
    assert!(up.success(), "scripts/slurm-local.sh start failed");
    println!("local Slurm up in {:?}", started.elapsed());

    // The workers the runner starts live beside it.
    let built = Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args(["build", "--quiet", "-p", "sim-bench", "-p", "lm-rs-bench"])
        .status()
        .expect("run cargo build");
    assert!(built.success(), "building the workers failed");

    // Spaces and a quote in every path the scripts carry.
    let tmp = tempfile::Builder::new()
        .prefix("slurm shards ")
        .tempdir()
        .expect("tempdir");
    let results = tmp.path().join("it's results");
    let out = tmp.path().join("rendered files");
    let campaign = tmp.path().join("sim and lm-rs.toml");
    write_campaign(&campaign, &model);
    render(&campaign, &out, &results);

    let submitted = Command::new(out.join("submit.sh"))
        .output()
        .expect("run submit.sh");
    let said = String::from_utf8_lossy(&submitted.stdout).into_owned();
    assert!(
        submitted.status.success(),
        "submit.sh failed: {said}{}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    let array = job_id(&said, "shards: job ");
    let then = job_id(&said, "merge: job ");

    let timeout = Duration::from_mins(10);
    let logs_dir = out.join("logs");
    // The array first: were a task to fail, the dependent job would stay pending for ever.
    let array_states = wait_done(&array, timeout);
    let logs = read_logs(&logs_dir);
    assert_eq!(
        array_states,
        vec!["COMPLETED"; 2],
        "array tasks; logs:\n{logs}"
    );
    let merge_states = wait_done(&then, timeout);
    let logs = read_logs(&logs_dir);
    assert_eq!(merge_states, ["COMPLETED"], "merge job; logs:\n{logs}");

    let merged = results.join("merged");
    let m = json(&merged.join("campaign.json"));
    assert!(m.get("shard").is_none(), "the merged campaign is whole");
    assert_eq!(m["merged_from"].as_array().map(Vec::len), Some(2));
    let runs = m["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "two experiments, one cycle");
    for run in runs {
        assert_eq!(run["status"], "done", "{run}; logs:\n{logs}");
        let rel = run["result"].as_str().expect("result path");
        let experiment = run["experiment"].as_str().expect("experiment");
        let label = if experiment.ends_with("lm-rs") {
            "lm-rs"
        } else {
            "sim"
        };
        let shard_runs: Vec<PathBuf> = (0..SHARDS)
            .map(|i| results.join(format!("shard-{i}")).join(rel))
            .collect();
        for (i, dir) in (0..u64::from(SHARDS)).zip(&shard_runs) {
            let plan = &json(&dir.join("manifest.json"))["plan"];
            assert_eq!(plan["shard"]["index"].as_u64(), Some(i));
        }
        check_merged_run(&merged.join(rel), &shard_runs, label, tmp.path());
    }
    assert!(merged.join("campaign-report.md").is_file());
    println!(
        "rendered, submitted, ran and merged in {:?}",
        started.elapsed()
    );
}
