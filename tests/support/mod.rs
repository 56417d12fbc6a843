//! Shared helpers for the end-to-end tests: build the real binaries once, run the runner, read
//! its results.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The directory holding this profile's binaries (`target/debug`), after building the runner
/// and the given workers into it.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "--quiet",
                "-p",
                "benchmark-runner",
                "-p",
                "sim-bench",
                "-p",
                "http-bench",
            ])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the binaries failed");
        // target/debug/deps/<test> -> target/debug
        let exe = std::env::current_exe().expect("test executable path");
        exe.parent()
            .and_then(Path::parent)
            .expect("test executable lives in target/<profile>/deps")
            .to_path_buf()
    })
}

/// Run `benchmark-runner` with `args`.
pub fn runner(args: &[&str]) -> Output {
    runner_command(args).output().expect("run benchmark-runner")
}

/// `benchmark-runner` with `args`, to set more of its environment before running it.
pub fn runner_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(bin_dir().join("benchmark-runner"));
    cmd.args(args).env_remove("BENCH_WORKER_DIR");
    cmd
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Read `summary.json` of a run directory.
pub fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("summary.json parses")
}

/// Read a JSON Lines file.
pub fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("jsonl file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl row parses"))
        .collect()
}

/// Options that make the synthetic engine fast, for tests that do not care about its timings.
pub const FAST_SIM: [&str; 4] = ["-o", "sim.ttft_ms=const:1", "-o", "sim.tpot_ms=const:0.1"];

/// A child process killed when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `http-bench mock` on a free port with `args`; returns the process and its base URL.
pub fn mock_server(args: &[&str]) -> (Child, String) {
    use std::io::BufRead;
    let mut child = Command::new(bin_dir().join("http-bench"))
        .arg("mock")
        .args(["--port", "0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start http-bench mock");
    let stdout = child.stdout.take().expect("mock stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("mock prints its URL");
    let v: serde_json::Value = serde_json::from_str(&line).expect("mock URL line is JSON");
    let url = v["mock"].as_str().expect("mock URL").to_owned();
    (Child(child), url)
}

/// A Python with `xllamacpp` (`XLLAMACPP_PYTHON`, else `.venv/bin/python`), if any.
pub fn xllamacpp_python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("XLLAMACPP_PYTHON").map(PathBuf::from),
        Some(root.join(".venv/bin/python")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .args(["-c", "import xllamacpp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// A llama.cpp server on the default model (4 slots, 4096 context) and its URL, or `None`
/// (with the reason printed) when xllamacpp or the model is missing.
pub fn llamacpp_server() -> Option<(Child, String)> {
    use std::io::BufRead;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("models/smollm2-135m-instruct-q4_1.gguf");
    let Some(python) = xllamacpp_python() else {
        eprintln!("skipping: no Python with xllamacpp (run scripts/setup.sh)");
        return None;
    };
    if !model.is_file() {
        eprintln!(
            "skipping: {} is missing (benchmark-runner models fetch)",
            model.display()
        );
        return None;
    }
    let mut child = Command::new(python)
        .arg(root.join("scripts/llamacpp-server.py"))
        .args([
            "--model",
            model.to_str().expect("utf-8"),
            // The server binds a port of its own choosing and reports it (a port picked here
            // and freed could be taken by another test before the server binds it).
            "--port",
            "0",
        ])
        .args(["--parallel", "4", "--ctx", "4096"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start llama.cpp server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("server line");
    let v: serde_json::Value = serde_json::from_str(&line).expect("server prints its URL");
    Some((
        Child(child),
        v["listening"].as_str().expect("url").to_owned(),
    ))
}
