//! `energy-monitor`: serves this host's telemetry to a benchmark runner on another host.
//!
//! Runs the same collectors a local run would (`--telemetry auto|nvml|amd|rapl|apple`) and
//! serves their readings as the gRPC service `energy_monitor.v1.EnergyMonitor`
//! (`crates/telemetry/proto/energy_monitor.proto`): host facts on `Info`, the clock on `Time`,
//! readings streamed by `StreamSamples`. It binds to loopback unless told otherwise; beyond
//! loopback it requires a bearer token (`$ENERGY_MONITOR_TOKEN` or `--token-file`) and TLS
//! (`--tls-cert`, `--tls-key`). Stop it with Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use telemetry::remote::{ServerSecurity, TlsIdentity, Token};
use telemetry::{Roots, TelemetryKind, detect, remote};

/// Serve this host's power, energy, memory and clock telemetry over gRPC.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on. Beyond loopback (0.0.0.0:9464) a token and TLS are required.
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
    /// File whose first line is the bearer token clients must send (else `$ENERGY_MONITOR_TOKEN`;
    /// the token itself is never taken on the command line).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Certificate chain to serve TLS with (PEM); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key of --tls-cert (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let token = Token::from_file_or_env(args.token_file.as_deref(), "--token-file")?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsIdentity {
            cert_pem: std::fs::read(cert)
                .with_context(|| format!("--tls-cert {}", cert.display()))?,
            key_pem: std::fs::read(key).with_context(|| format!("--tls-key {}", key.display()))?,
        }),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let security = ServerSecurity { token, tls };
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
    let authenticated = security.token.is_some();
    let monitor = remote::serve(
        &args.bind,
        detected.collectors,
        &roots,
        Duration::from_millis(args.interval_ms.max(1)),
        &security,
    )
    .context("starting the server")?;
    eprintln!(
        "energy-monitor: serving {} on {scheme}://{} ({})",
        names.join(", "),
        monitor.addr(),
        if authenticated {
            "bearer token required"
        } else {
            "no token: loopback only"
        }
    );
    // Serve until the process is killed; the sampler and the server run on their own threads.
    loop {
        std::thread::park();
    }
}
