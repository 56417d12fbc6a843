//! Slurm end to end: a one-node cluster on this machine (`scripts/slurm-local.sh`), the
//! rendered `submit.sh` submitting an array of real runs and a job that waits for them all.
//!
//! The scripts come from `shards::slurm::render_with`, the renderer `shards render` uses, with
//! the shard command replaced: each array task runs `benchmark-runner compare --engines sim
//! ... --out <results>/shard-<task>` and the final job re-renders shard 1's report, which only
//! succeeds once that shard finished. Skipped, with the reason printed, without root or without
//! Slurm installed (`scripts/setup.sh` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use benchmark_runner::shards::Layout;
use benchmark_runner::shards::command::Word;
use benchmark_runner::shards::slurm::{self, SlurmOptions};

const SHARDS: u32 = 2;
const REQUESTS: usize = 8;

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

/// Each array task's command: the real runner measuring the simulated engine into
/// `<results>/shard-<task>`.
fn shard_words(runner: &Path, results: &Path) -> Vec<Word> {
    let runner = runner.display().to_string();
    let requests = REQUESTS.to_string();
    [
        runner.as_str(),
        "compare",
        "--engines",
        "sim",
        "--requests",
        &requests,
        "--max-tokens",
        "8",
        "-o",
        "sim.ttft_ms=const:1",
        "-o",
        "sim.tpot_ms=const:0.1",
        "--out",
    ]
    .into_iter()
    .map(Word::text)
    .chain([Word::with_index(
        format!("{}/shard-", results.display()),
        "",
    )])
    .collect()
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

/// Shard `i` of array job `array`: a complete run of the simulated engine, and the output file
/// of its task.
fn check_shard(results: &Path, logs_dir: &Path, array: &str, i: u32, logs: &str) {
    let dir = results.join(format!("shard-{i}"));
    let text = std::fs::read_to_string(dir.join("summary.json"))
        .unwrap_or_else(|e| panic!("shard {i} wrote no summary ({e}); logs:\n{logs}"));
    let summary: serde_json::Value = serde_json::from_str(&text).expect("summary parses");
    assert_eq!(summary["engines"]["sim"]["status"], "ok", "shard {i}");
    let samples = std::fs::read_to_string(dir.join("samples.jsonl")).expect("samples");
    let measured = samples
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("sample row parses"))
        .filter(|row| row["phase"] == "measure")
        .count();
    assert_eq!(measured, REQUESTS, "shard {i}'s measured requests");
    let log = logs_dir.join(format!("shard-{array}_{i}.out"));
    let log = std::fs::read_to_string(&log)
        .unwrap_or_else(|e| panic!("no output file {} ({e})", log.display()));
    assert!(log.contains(&format!("shard {i} of {SHARDS}")), "{log}");
}

#[test]
fn submit_runs_an_array_of_runner_shards_then_the_dependent_job() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
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
        .args(["build", "--quiet", "-p", "sim-bench"])
        .status()
        .expect("run cargo build");
    assert!(built.success(), "building sim-bench failed");

    // Spaces and a quote in every path the scripts carry.
    let tmp = tempfile::Builder::new()
        .prefix("slurm shards ")
        .tempdir()
        .expect("tempdir");
    let results = tmp.path().join("it's results");
    let out = tmp.path().join("rendered files");
    let runner = PathBuf::from(env!("CARGO_BIN_EXE_benchmark-runner"));
    let layout = Layout {
        name: "slurm-e2e".to_owned(),
        shards: SHARDS,
        campaign: tmp.path().join("unused.toml"),
        results: results.clone(),
        runner: runner.clone(),
        gpus: 0,
    };
    let options = SlurmOptions {
        partition: None,
        time: Some("10:00".to_owned()),
        cpus: Some(1),
        chdir: tmp.path().to_path_buf(),
        logs: out.join("logs"),
    };
    let shard = shard_words(&runner, &results);
    let last = results.join(format!("shard-{}", SHARDS - 1));
    let merge = vec![
        Word::text(runner.display().to_string()),
        Word::text("report"),
        Word::text(last.display().to_string()),
    ];
    let files = slurm::render_with(&layout, &options, &shard, &merge).expect("renders");
    benchmark_runner::shards::write_all(&out, &files).expect("writes");
    std::fs::create_dir_all(&options.logs).expect("logs dir");

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
    // The array first: were a task to fail, the dependent job would stay pending for ever.
    let array_states = wait_done(&array, timeout);
    let logs = read_logs(&options.logs);
    assert_eq!(
        array_states,
        vec!["COMPLETED"; SHARDS as usize],
        "array tasks; logs:\n{logs}"
    );
    let merge_states = wait_done(&then, timeout);
    assert_eq!(merge_states, ["COMPLETED"], "dependent job; logs:\n{logs}");

    for i in 0..SHARDS {
        check_shard(&results, &options.logs, &array, i, &logs);
    }
    assert!(
        options.logs.join(format!("merge-{then}.out")).is_file(),
        "the dependent job's output file; logs:\n{logs}"
    );
    println!("submitted, ran and checked in {:?}", started.elapsed());
}
