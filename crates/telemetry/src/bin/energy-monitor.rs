//! `energy-monitor`: serves this host's telemetry to a benchmark runner on another host.
//!
//! Runs the same collectors a local run would (`--telemetry auto|nvml|amd|rapl|apple`) and
//! streams their readings as JSON lines over HTTP (`GET /samples`, host facts on `GET /info`).
//! It binds to loopback unless told otherwise: the stream has no authentication, so expose it
//! through an SSH tunnel or a trusted network only. Stop it with Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use telemetry::{Roots, TelemetryKind, detect, remote};

/// Serve this host's power, energy, memory and clock telemetry over HTTP.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (use 0.0.0.0:9464 to accept other hosts).
    #[arg(long, default_value = "127.0.0.1:9464")]
    bind: String,
    /// Telemetry sources: auto, nvml, amd, rapl or apple.
    #[arg(long, default_value = "auto")]
    telemetry: TelemetryKind,
    /// Time between samples in milliseconds.
    #[arg(long, default_value_t = 50)]
    interval_ms: u64,
    /// Root under which sys/, proc/ and etc/ are read (for containers with the host's mounted
    /// elsewhere, and for tests).
    #[arg(long, default_value = "/")]
    root: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let roots = Roots::under(&args.root);
    let detected = detect(args.telemetry, &roots)?;
    for problem in &detected.unavailable {
        eprintln!("energy-monitor: unavailable: {problem}");
    }
    if let Some(reason) = detected.reason() {
        bail!("no telemetry source on this host: {reason}");
    }
    let names: Vec<String> = detected
        .collectors
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let monitor = remote::serve(
        &args.bind,
        detected.collectors,
        &roots,
        Duration::from_millis(args.interval_ms.max(1)),
    )
    .context("starting the server")?;
    eprintln!(
        "energy-monitor: serving {} on http://{}",
        names.join(", "),
        monitor.addr()
    );
    // Serve until the process is killed; the sampler and the server run on their own threads.
    loop {
        std::thread::park();
    }
}
