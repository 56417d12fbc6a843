//! Runs that survive interruption: a runner killed with `SIGKILL` at several points and resumed
//! with `compare --resume` holds every planned request once, as an uninterrupted run plans them;
//! a changed plan refuses to resume; `SIGINT` stops the run with what was measured summarised.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use support::{FAST_SIM, jsonl, runner, runner_command, stderr, summary};

const REQUESTS: usize = 80;

/// `compare` of the sim engine, two repetitions of [`REQUESTS`] after a warm-up of 3.
fn args(out: &Path) -> Vec<String> {
    let mut a: Vec<String> = [
        "compare",
        "--engines",
        "sim",
        "--requests",
        "80",
        "--warmup",
        "3",
        "--repetitions",
        "2",
        "--max-tokens",
        "16",
        "--seed",
        "7",
        "--telemetry",
        "none",
        "--out",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    a.push(out.to_str().expect("utf-8 path").to_owned());
    a.extend(FAST_SIM.iter().map(|s| (*s).to_owned()));
    // Slow enough that a kill lands in the repetition it is aimed at even on a loaded machine:
    // 16 tokens at 1.5 ms, about 24 ms a request, over a second to spare each time.
    a.extend(["-o".to_owned(), "sim.tpot_ms=const:1.5".to_owned()]);
    a
}

/// Lines in `samples.jsonl` (0 before it exists).
fn lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("samples.jsonl")).map_or(0, |t| t.matches('\n').count())
}

/// Start the runner with `args`, wait until `samples.jsonl` holds at least `at` lines, then
/// send it `signal` (`KILL` or `INT`); returns its exit status.
fn stop_at(args: &[String], dir: &Path, at: usize, signal: &str) -> std::process::ExitStatus {
    stop_group_at(args, dir, at, signal, false)
}

/// [`stop_at`], the runner started in a process group of its own; with `group`, the signal goes
/// to that whole group, as a terminal sends Ctrl-C to its foreground job.
fn stop_group_at(
    args: &[String],
    dir: &Path,
    at: usize,
    signal: &str,
    group: bool,
) -> std::process::ExitStatus {
    use std::os::unix::process::CommandExt as _;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = runner_command(&args)
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start benchmark-runner");
    let deadline = Instant::now() + Duration::from_mins(1);
    while lines(dir) < at {
        assert!(Instant::now() < deadline, "no progress to {at} lines");
        assert!(
            child.try_wait().expect("poll").is_none(),
            "the run ended before {at} lines"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = std::process::Command::new("kill")
        .args([
            format!("-{signal}"),
            "--".to_owned(),
            // A negative id names the process group (the runner leads its own).
            if group {
                format!("-{}", child.id())
            } else {
                child.id().to_string()
            },
        ])
        .status()
        .expect("run kill");
    assert!(status.success());
    child.wait().expect("wait for the runner")
}

/// (repetition, request id) -> prompt tokens, of every measured row; asserts none is duplicated.
fn requests_of(dir: &Path) -> BTreeMap<(u64, u64), serde_json::Value> {
    let mut seen = BTreeMap::new();
    for row in jsonl(&dir.join("samples.jsonl")) {
        let key = (
            row["repetition"].as_u64().expect("repetition"),
            row["request_id"].as_u64().expect("request id"),
        );
        let old = seen.insert(key, row["prompt_tokens"].clone());
        assert!(old.is_none(), "request {key:?} measured twice");
    }
    seen
}

fn plan_of(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    let mut m: serde_json::Value = serde_json::from_str(&text).expect("manifest parses");
    let plan = m["plan"].as_object_mut().expect("plan object");
    plan.remove("out_dir");
    plan.remove("name");
    m["plan"].take()
}

#[test]
fn a_run_killed_at_several_points_and_resumed_holds_every_request_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = tmp.path().join("whole");
    let res = runner(&args(&whole).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(res.status.success(), "uninterrupted run: {}", stderr(&res));

    let cut = tmp.path().join("cut");
    // Killed in the first repetition, then (resumed) again in the second.
    let status = stop_at(&args(&cut), &cut, 30, "KILL");
    assert!(!status.success());
    let before = lines(&cut);
    let resume = vec![
        "compare".to_owned(),
        "--resume".to_owned(),
        cut.to_str().expect("utf-8").to_owned(),
    ];
    let status = stop_at(&resume, &cut, REQUESTS + 20, "KILL");
    assert!(!status.success());
    assert!(lines(&cut) > before, "the first resume measured more");
    // A torn last line, as a kill mid-write leaves it.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(cut.join("samples.jsonl"))
        .expect("samples");
    std::io::Write::write_all(&mut f, br#"{"engine":"sim","label":"si"#).expect("tear");
    drop(f);
    let held = lines(&cut);
    let res = runner(&resume.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(res.status.success(), "final resume: {}", stderr(&res));

    // Nothing lost, nothing duplicated, the same requests as the uninterrupted run's plan.
    assert_eq!(plan_of(&cut), plan_of(&whole), "same plan, order and seed");
    let (got, want) = (requests_of(&cut), requests_of(&whole));
    assert_eq!(got.len(), 2 * REQUESTS);
    assert_eq!(
        got, want,
        "the same (repetition, request) pairs and prompts"
    );

    let s = summary(&cut);
    assert_eq!(s["engines"]["sim"]["requests"]["ok"], 2 * REQUESTS);
    let c = &s["continuity"];
    assert_eq!(c["complete"], true);
    let resumed = c["resumed"].as_array().expect("resumes");
    assert_eq!(resumed.len(), 2);
    assert_eq!(resumed[0]["measured_rows_before"], before as u64);
    assert_eq!(resumed[0]["continued_at"], "0:sim");
    assert_eq!(resumed[1]["measured_rows_before"], held as u64);
    assert_eq!(resumed[1]["continued_at"], "1:sim");
    assert_eq!(resumed[1]["slots_done"], serde_json::json!(["0:sim"]));
    assert_eq!(resumed[1]["torn_lines_set_aside"], 1);
    let torn = std::fs::read_to_string(cut.join("samples.jsonl.torn")).expect("set aside");
    assert_eq!(torn, "{\"engine\":\"sim\",\"label\":\"si\n");
    // A resumed slot's measured wall time adds its earlier rows' span (first submission to last
    // completion), leaving out the time the runner was down: repetition 0 had rows from the
    // first run, repetition 1 from the first resume.
    let rows = jsonl(&cut.join("samples.jsonl"));
    let span = |rep: u64, resume: u64| {
        let of: Vec<_> = rows
            .iter()
            .filter(|r| {
                r["repetition"] == rep
                    && r.get("resume").map_or(0, |v| v.as_u64().expect("resume")) == resume
            })
            .map(|r| {
                let start = r["start_mono_ns"].as_u64().expect("start");
                (start, start + r["e2e_ns"].as_u64().expect("e2e"))
            })
            .collect();
        assert!(!of.is_empty(), "rows of repetition {rep} from run {resume}");
        of.iter().map(|w| w.1).max().expect("end") - of.iter().map(|w| w.0).min().expect("start")
    };
    let runs = jsonl(&cut.join("runs.jsonl"));
    assert_eq!(runs.len(), 2, "one record per slot");
    for (rep, earlier_run) in [(0, 0), (1, 1)] {
        let rec = runs
            .iter()
            .find(|r| r["repetition"] == rep)
            .expect("slot record");
        assert_eq!(
            rec["earlier_measure_ns"],
            span(rep, earlier_run),
            "repetition {rep}"
        );
    }

    // The warm-up was redone by each resume for each slot it ran, and recorded as such: the
    // first resume ran both slots (killed in the second), the second resume the second slot.
    let warm = jsonl(&cut.join("warmup.jsonl"));
    for (resume, slots) in [(1, 2), (2, 1)] {
        let n = warm.iter().filter(|r| r["resume"] == resume).count();
        assert_eq!(n, 3 * slots, "warm-up of resume {resume}");
    }
}

#[test]
fn a_changed_plan_refuses_to_resume_naming_the_difference() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cut = tmp.path().join("cut");
    stop_at(&args(&cut), &cut, 10, "KILL");
    let held = std::fs::read(cut.join("samples.jsonl")).expect("samples");
    let mut changed = args(&cut);
    changed[4] = "81".to_owned();
    changed.retain(|a| a != "--out" && a != cut.to_str().expect("utf-8"));
    changed.extend([
        "--resume".to_owned(),
        cut.to_str().expect("utf-8").to_owned(),
    ]);
    let res = runner(&changed.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(
        stderr(&res).contains("plan.workload.requests: 80 recorded, 81 now"),
        "{}",
        stderr(&res)
    );
    let after = std::fs::read(cut.join("samples.jsonl")).expect("samples");
    assert_eq!(held, after, "nothing written by a refused resume");
}

#[test]
fn sigint_stops_the_run_and_summarises_what_was_measured() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cut = tmp.path().join("cut");
    let status = stop_at(&args(&cut), &cut, 20, "INT");
    assert_eq!(status.code(), Some(130), "interrupted exit status");
    let rows = jsonl(&cut.join("samples.jsonl"));
    assert!(rows.len() >= 20 && rows.len() < 2 * REQUESTS);
    let s = summary(&cut);
    assert_eq!(s["engines"]["sim"]["requests"]["ok"], rows.len());
    let c = &s["continuity"];
    assert_eq!(c["complete"], false);
    assert_eq!(c["interrupted"]["signal"], "SIGINT");
    assert_eq!(c["interrupted"]["during"], "0:sim");
    assert_eq!(c["missing_slots"], serde_json::json!(["0:sim", "1:sim"]));
}

#[test]
fn ctrl_c_to_the_whole_foreground_job_leaves_the_slot_to_resume() {
    // A terminal's Ctrl-C signals every process of the foreground job. The workers have process
    // groups of their own, so only the runner gets it: it stops the worker in order and the slot
    // stays unfinished (not a lost worker), so a resume measures it to the end.
    let tmp = tempfile::tempdir().expect("tempdir");
    let cut = tmp.path().join("cut");
    let status = stop_group_at(&args(&cut), &cut, 20, "INT", true);
    assert_eq!(status.code(), Some(130), "interrupted exit status");
    let runs = jsonl(&cut.join("runs.jsonl"));
    assert!(
        runs.iter().all(|r| r["status"] != "failed"),
        "no slot recorded as failed: {runs:?}"
    );
    let resume = ["compare", "--resume", cut.to_str().expect("utf-8")];
    let res = runner(&resume);
    assert!(res.status.success(), "resume: {}", stderr(&res));
    assert_eq!(
        requests_of(&cut).len(),
        2 * REQUESTS,
        "every request measured once"
    );
    let s = summary(&cut);
    assert_eq!(s["continuity"]["complete"], true);
    assert_eq!(s["engines"]["sim"]["requests"]["ok"], 2 * REQUESTS);
}
