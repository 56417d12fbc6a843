//! Subcommands: `mock` (serve the mock server) and `calibrate` (measure the client's own
//! overhead). Without a subcommand the binary is a protocol worker.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use http_bench::api::Api;
use http_bench::calibrate::{Settings, calibrate};
use http_bench::mock::{Fault, MockConfig, MockTls, start_thread_with};

#[derive(Debug, Parser)]
#[command(
    name = "http-bench",
    version,
    about = "Measures LLM engines served over HTTP. Without arguments: a benchmark-runner worker speaking JSON Lines on stdin/stdout."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the mock LLM server (openai, ollama and tgi stream shapes) until interrupted.
    Mock(MockArgs),
    /// Measure the client's added latency and sustained chunk rate against a zero-delay mock.
    Calibrate(CalibrateArgs),
}

#[derive(Debug, clap::Args)]
struct MockArgs {
    /// Port on 127.0.0.1 (0: any free port; the chosen one is printed).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Delay before the first content chunk.
    #[arg(long, default_value_t = 0.0)]
    ttft_ms: f64,
    /// Delay between content chunks.
    #[arg(long, default_value_t = 0.0)]
    itl_ms: f64,
    #[arg(long, default_value_t = 1)]
    tokens_per_chunk: u32,
    /// Content chunks per reply (default: enough for the max tokens asked).
    #[arg(long)]
    chunks: Option<u32>,
    /// Fault: an HTTP status (429, 500, ...), reset, cut:N, malformed:N, stall:N, echo-auth.
    #[arg(long, value_parser = Fault::parse)]
    fault: Option<Fault>,
    /// Apply the fault to every N-th request.
    #[arg(long, default_value_t = 1)]
    fault_every: u32,
    /// Require the key held in this environment variable as a bearer token.
    #[arg(long)]
    api_key_env: Option<String>,
    #[arg(long, default_value = "mock")]
    model: String,
    /// Runtime threads for the mock.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Events written together, at most, when several are due at once.
    #[arg(long, default_value_t = 1)]
    burst: u32,
    /// Chat: chunks of reasoning (`delta.reasoning_content`) before the answer's.
    #[arg(long, default_value_t = 0)]
    reasoning_chunks: u32,
    /// Chat: the final usage reports `completion_tokens_details.reasoning_tokens`.
    #[arg(long)]
    reasoning_usage: bool,
    /// Chat: the answer streams as a tool call's `function.arguments` fragments.
    #[arg(long)]
    tool_calls: bool,
    /// Serve https with a certificate generated at start (a new CA signs it for localhost,
    /// `127.0.0.1` and `::1`).
    #[arg(long)]
    tls: bool,
    /// With --tls: write the generated CA's certificate (PEM) here, for a client's --ca-cert.
    #[arg(long, value_name = "FILE", requires = "tls")]
    ca_cert_out: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CalibrateApi {
    Chat,
    Completions,
    OllamaChat,
    OllamaGenerate,
    Tgi,
}

#[derive(Debug, clap::Args)]
struct CalibrateArgs {
    /// Concurrent streams (closed loop).
    #[arg(long, default_value_t = 64)]
    concurrency: u32,
    /// Content chunks per stream.
    #[arg(long, default_value_t = 256)]
    chunks: u32,
    /// Measured requests (default: 10 per stream).
    #[arg(long)]
    requests: Option<usize>,
    /// Client runtime threads (default: all cores but the mock's).
    #[arg(long)]
    client_threads: Option<usize>,
    /// Mock runtime threads.
    #[arg(long, default_value_t = 1)]
    mock_threads: usize,
    #[arg(long, value_enum, default_value = "chat")]
    api: CalibrateApi,
    /// Events the mock writes together, at most (1: one write per event).
    #[arg(long, default_value_t = 1)]
    burst: u32,
    /// Skip the second run over TLS (https against the mock) and its overhead figures.
    #[arg(long)]
    no_tls: bool,
}

pub fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Mock(args) => mock(&args),
        Command::Calibrate(args) => run_calibrate(&args),
    }
}

fn millis(ms: f64, name: &str) -> anyhow::Result<Duration> {
    anyhow::ensure!(
        ms.is_finite() && ms >= 0.0,
        "--{name} must be zero or positive"
    );
    Ok(Duration::from_secs_f64(ms / 1e3))
}

fn mock(args: &MockArgs) -> anyhow::Result<()> {
    let api_key = match &args.api_key_env {
        Some(name) => Some(
            std::env::var(name)
                .with_context(|| format!("environment variable {name} is not set"))?,
        ),
        None => None,
    };
    let config = MockConfig {
        ttft: millis(args.ttft_ms, "ttft-ms")?,
        itl: millis(args.itl_ms, "itl-ms")?,
        tokens_per_chunk: args.tokens_per_chunk.max(1),
        chunks: args.chunks,
        fault: args.fault,
        fault_every: args.fault_every.max(1),
        api_key,
        model: args.model.clone(),
        record_bodies: false,
        burst: args.burst.max(1),
        reasoning_chunks: args.reasoning_chunks,
        reasoning_usage: args.reasoning_usage,
        tool_calls: args.tool_calls,
    };
    let tls = if args.tls {
        Some(MockTls::generate().map_err(anyhow::Error::msg)?)
    } else {
        None
    };
    if let (Some(path), Some(tls)) = (&args.ca_cert_out, &tls) {
        std::fs::write(path, &tls.ca_pem)
            .with_context(|| format!("--ca-cert-out {}: cannot write it", path.display()))?;
    }
    let server = start_thread_with(config, args.port, args.threads, tls.as_ref())
        .context("cannot start the mock")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::json!({"mock": server.url()}))?;
    out.flush()?;
    drop(out);
    // Serve until the process is interrupted; the server thread does the work.
    loop {
        std::thread::park();
    }
}

fn run_calibrate(args: &CalibrateArgs) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let settings = Settings {
        concurrency: args.concurrency.max(1),
        chunks: args.chunks.max(1),
        requests: args
            .requests
            .unwrap_or(args.concurrency.max(1) as usize * 10),
        warmup_requests: args.concurrency.max(1) as usize,
        client_threads: args
            .client_threads
            .unwrap_or_else(|| cores.saturating_sub(args.mock_threads).max(1)),
        mock_threads: args.mock_threads.max(1),
        burst: args.burst.max(1),
        api: match args.api {
            CalibrateApi::Chat => Api::Chat,
            CalibrateApi::Completions => Api::Completions,
            CalibrateApi::OllamaChat => Api::OllamaChat,
            CalibrateApi::OllamaGenerate => Api::OllamaGenerate,
            CalibrateApi::Tgi => Api::Tgi,
        },
        tls: !args.no_tls,
    };
    let figures = calibrate(&settings)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string(&figures)?)?;
    Ok(())
}
