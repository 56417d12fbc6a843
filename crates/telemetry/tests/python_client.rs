//! A client generated in another language reads `energy-monitor`'s stream: the `energy-monitor`
//! binary serves the RAPL fixture with a token, and `python/read_stream.py` (stubs generated from
//! the checked-in .proto by `grpc_tools`) reads samples with the token and is turned away without.
//!
//! The interpreter is `$ENERGY_MONITOR_PYTHON`, else the workspace's `.venv/bin/python`
//! (scripts/setup.sh installs grpcio and grpcio-tools there); without one that imports
//! `grpc_tools` the test is skipped.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::fixture;

const TOKEN: &str = "python-client-token";

fn python() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("ENERGY_MONITOR_PYTHON").map(PathBuf::from),
        Some(workspace.join(".venv/bin/python")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .args(["-c", "import grpc, grpc_tools"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// `energy-monitor`, killed when dropped.
struct MonitorProcess {
    child: Child,
    target: String,
}

impl Drop for MonitorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_monitor() -> MonitorProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_energy-monitor"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--telemetry",
            "rapl",
            "--interval-ms",
            "20",
        ])
        .arg("--root")
        .arg(fixture("rapl"))
        .env("ENERGY_MONITOR_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start energy-monitor");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let target = loop {
        let line = lines
            .next()
            .expect("energy-monitor exited before serving")
            .expect("read stderr");
        assert!(!line.contains(TOKEN), "the token was logged: {line}");
        if let Some(rest) = line.split(" on http://").nth(1) {
            assert!(line.contains("bearer token required"), "{line}");
            break rest.split(' ').next().expect("address").to_owned();
        }
    };
    // Keep draining stderr so the monitor never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    MonitorProcess { child, target }
}

fn read_stream(python: &Path, target: &str, token: Option<&str>) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/read_stream.py");
    let mut command = Command::new(python);
    command
        .arg(script)
        .arg(target)
        .args(["--count", "6"])
        .env_remove("ENERGY_MONITOR_TOKEN");
    if let Some(token) = token {
        command.env("ENERGY_MONITOR_TOKEN", token);
    }
    let output = command.output().expect("run read_stream.py");
    assert!(
        output.status.success(),
        "read_stream.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("read_stream.py prints JSON")
}

#[test]
fn a_python_client_reads_the_stream_with_the_token_only() {
    let Some(python) = python() else {
        eprintln!("skipping: no Python with grpcio and grpcio-tools (run scripts/setup.sh)");
        return;
    };
    let monitor = start_monitor();

    let read = read_stream(&python, &monitor.target, Some(TOKEN));
    assert_eq!(read["hostname"], serde_json::Value::Null, "{read}");
    let collectors: Vec<&str> = read["collectors"]
        .as_array()
        .expect("collectors")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(collectors.contains(&"rapl:package-0"), "{collectors:?}");
    let samples = read["samples"].as_array().expect("samples");
    assert_eq!(samples.len(), 6, "{read}");
    for sample in samples {
        let collector = sample["collector"].as_str().expect("collector");
        assert!(collectors.contains(&collector), "{sample}");
        assert!(sample["t_ns"].as_u64().is_some_and(|t| t > 0), "{sample}");
        assert_eq!(sample["error"], serde_json::Value::Null, "{sample}");
        // The fixture's counters stand still: cumulative energy since the start is 0 J.
        assert_eq!(sample["energy_j"].as_f64(), Some(0.0), "{sample}");
        let domain = sample["domain"].as_str().expect("domain");
        let expected = if collector.contains("dram") {
            "DOMAIN_DRAM"
        } else {
            "DOMAIN_CPU_PACKAGE"
        };
        assert_eq!(domain, expected, "{sample}");
    }

    let without = read_stream(&python, &monitor.target, None);
    assert_eq!(without["error"], "UNAUTHENTICATED", "{without}");
    let wrong = read_stream(&python, &monitor.target, Some("not-the-token"));
    assert_eq!(wrong["error"], "UNAUTHENTICATED", "{wrong}");
}

#[test]
fn the_binary_will_not_listen_beyond_loopback_without_token_and_tls() {
    let output = Command::new(env!("CARGO_BIN_EXE_energy-monitor"))
        .args(["--bind", "0.0.0.0:0", "--telemetry", "rapl"])
        .arg("--root")
        .arg(fixture("rapl"))
        .env_remove("ENERGY_MONITOR_TOKEN")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run energy-monitor");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot listen on 0.0.0.0:0")
            && stderr.contains("--token-file")
            && stderr.contains("--tls-cert and --tls-key"),
        "{stderr}"
    );
}
