//! The command line: clap types live here and nowhere else; each command turns its arguments
//! into a validated plan before anything runs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::{Failure, exit_code};

/// Benchmarks LLM inference engines fairly: one isolated worker process per engine, one set of
/// metric definitions, statistics that decide.
#[derive(Debug, Parser)]
#[command(name = "benchmark-runner", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every engine id, its worker binary, whether it is built, and its devices.
    ListEngines(ListEnginesArgs),
    /// Run the same workload on each engine, one isolated worker process at a time.
    Compare(Box<CompareArgs>),
    /// Re-render summary and reports of a run directory from its samples.
    Report(ReportArgs),
    /// Hold a candidate run against a baseline, per engine and metric. Exit status 0: nothing
    /// regressed; 1: something did; 2: bad input.
    Diff(DiffArgs),
    /// Measure the HTTP client's own overhead against a zero-delay mock (added TTFT and ITL,
    /// sustained chunk rate); summaries of served engines carry the result.
    Calibrate(CalibrateArgs),
    /// The model registry: list models, fetch one, write a synthetic one.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Run a suite, compare each run with the last good one in the history, append to the
    /// history and write the report. Exits like `diff`.
    Nightly(NightlyArgs),
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Concurrent streams.
    #[arg(long, default_value_t = 64)]
    pub concurrency: u32,
    /// Chunks per streamed reply.
    #[arg(long, default_value_t = 256)]
    pub chunks: u32,
    /// Requests in total (default: 10 per stream).
    #[arg(long)]
    pub requests: Option<u32>,
    /// Where to store the figures (default: results/calibration.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the registry's models and whether each is present.
    List,
    /// Fetch a model from its registry source (default: the registry's default model).
    Fetch {
        /// Registry id.
        id: Option<String>,
    },
    /// Write a GGUF with seeded random weights in the shapes of a named architecture
    /// (llama-3.2-1b, llama-3.2-3b, llama-3.1-8b) and the default model's tokenizer.
    Synth {
        /// Architecture whose shapes the model takes.
        #[arg(long, default_value = "llama-3.2-1b")]
        arch: String,
        /// Matrix type: `f16`, `q8_0` or `q4_0`.
        #[arg(long, default_value = "q4_0")]
        quant: String,
        /// Output file (default: `models/synthetic-<arch>-<quant>.gguf`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seed of the weights.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

#[derive(Debug, Args)]
pub struct NightlyArgs {
    /// Suite file (see configs/nightly.toml).
    #[arg(long)]
    pub suite: PathBuf,
    /// History directory (overrides the suite's `history`).
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Forward each worker's stderr to this terminal.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Table,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Baseline: a run directory, or its summary.json.
    pub baseline: PathBuf,
    /// Candidate: a run directory, or its summary.json.
    pub candidate: PathBuf,
    /// Metrics to compare (default: `ttft_ms,tpot_ms,e2e_ms,decode_tok_s`).
    #[arg(long, value_delimiter = ',')]
    pub metrics: Option<Vec<String>>,
    /// Significance level, after Holm correction over all comparisons.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Smallest relative change that counts (0.02 = 2%).
    #[arg(long, default_value_t = 0.02)]
    pub noise_threshold: f64,
    /// Bootstrap resamples for each ratio CI.
    #[arg(long, default_value_t = 10_000)]
    pub resamples: usize,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Also write the markdown rendering here (e.g. `$GITHUB_STEP_SUMMARY`).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListEnginesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory (holding manifest.json and samples.jsonl).
    pub dir: PathBuf,
}

/// `compare` options. Anything left unset comes from `--config`, then from built-in defaults.
#[derive(Debug, Args, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches, validated into the plan"
)]
pub struct CompareArgs {
    /// Comma-separated engine ids (see `list-engines`).
    #[arg(long, value_delimiter = ',')]
    pub engines: Option<Vec<String>>,
    /// A TOML config (see configs/); command-line options override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Measured requests per engine and repetition.
    #[arg(long)]
    pub requests: Option<u32>,
    /// Maximum generated tokens per request.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Warm-up requests per engine and repetition (recorded, excluded from statistics).
    #[arg(long)]
    pub warmup: Option<u32>,
    /// Repetitions (cycles) of the whole workload; engines alternate A B, B A, ... between them.
    #[arg(long)]
    pub repetitions: Option<u32>,
    /// Generate exactly --max-tokens tokens, ignoring end-of-sequence.
    #[arg(long)]
    pub ignore_eos: bool,
    /// Model: a registry id (models/models.toml), a .gguf file or a Hugging Face directory
    /// (default: the registry's default, fetched on first use).
    #[arg(long)]
    pub model: Option<String>,
    /// Prompts: a bundled dataset name, PATH.jsonl|.json|.csv[#FIELD], sharegpt:PATH or
    /// synthetic:input=LEN,output=LEN (LEN: 128, 64..256 or 512~64).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Keep only prompts with at least this many tokens.
    #[arg(long)]
    pub min_prompt_tokens: Option<u32>,
    /// Keep only prompts with at most this many tokens.
    #[arg(long)]
    pub max_prompt_tokens: Option<u32>,
    /// Send prompts as they are, without the model's chat template.
    #[arg(long)]
    pub raw_prompts: bool,
    /// Warm up until the CV of the last 5 warm-up latencies is at most this (e.g. 0.05);
    /// --warmup is then the maximum.
    #[arg(long, value_name = "CV")]
    pub warmup_cv: Option<f64>,
    /// Adaptive stopping: measure until the 95% CI half-width of the mean E2E latency is at most
    /// this fraction of the mean (e.g. 0.02); --requests is then the maximum.
    #[arg(long, value_name = "FRACTION")]
    pub target_ci: Option<f64>,
    /// Seed for request order, engine order, sampling and synthetic engines.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run name, used in the results directory name.
    #[arg(long)]
    pub name: Option<String>,
    /// Results directory (default: `results/<utc-timestamp>-<name>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Device for in-process engines: cpu, cuda:0, ...
    #[arg(long)]
    pub device: Option<String>,
    /// Engine option, ENGINE.KEY=VALUE (VALUE as JSON, else a string); repeatable.
    /// Example: `-o sim.ttft_ms=normal:20:2`
    #[arg(short = 'o', long = "engine-opt", value_name = "ENGINE.KEY=VALUE")]
    pub engine_opts: Vec<String>,
    /// Served engines: base URL, ENGINE=URL (repeatable); each engine id has its usual local
    /// default.
    #[arg(long, value_name = "ENGINE=URL")]
    pub url: Vec<String>,
    /// Served engines: closed-loop concurrent users; a comma list sweeps (each point becomes
    /// ENGINE@cN).
    #[arg(long, value_delimiter = ',', conflicts_with = "rate")]
    pub concurrency: Option<Vec<u32>>,
    /// Served engines: open-loop request rate in requests/s; a comma list sweeps (ENGINE@rR).
    #[arg(long, value_delimiter = ',')]
    pub rate: Option<Vec<f64>>,
    /// Open-loop arrivals: constant, poisson, or gamma:SHAPE (SHAPE < 1 is burstier).
    #[arg(long, value_name = "KIND")]
    pub arrival: Option<String>,
    /// Open loop: at most this many requests in flight (a waiting request keeps its intended
    /// send time, so the wait shows as schedule lag).
    #[arg(long)]
    pub max_concurrency: Option<u32>,
    /// Open loop: ramp the rate linearly from 0 over this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub ramp_up: Option<f64>,
    /// Service-level objectives for goodput, e.g. `ttft_ms=200,tpot_ms=50,e2e_ms=5000`.
    #[arg(long, value_delimiter = ',', value_name = "METRIC=LIMIT")]
    pub slo: Vec<String>,
    /// Seconds to wait for one request before declaring the worker hung.
    #[arg(long, value_name = "SECONDS")]
    pub request_timeout: Option<f64>,
    /// Seconds to wait for a model load.
    #[arg(long, value_name = "SECONDS")]
    pub load_timeout: Option<f64>,
    /// Telemetry source: auto, nvml, amd, rapl, apple or none.
    #[arg(long, value_name = "SOURCE")]
    pub telemetry: Option<String>,
    /// Read sysfs/procfs from this root instead of / (fixture trees).
    #[arg(long, value_name = "DIR")]
    pub telemetry_root: Option<PathBuf>,
    /// An energy-monitor on the host that serves the engine (http://HOST:PORT).
    #[arg(long, value_name = "URL")]
    pub telemetry_url: Option<String>,
    /// Telemetry sampling interval in milliseconds.
    #[arg(long, value_name = "MS")]
    pub telemetry_interval_ms: Option<u64>,
    /// Skip the idle-power baseline.
    #[arg(long)]
    pub no_idle: bool,
    /// Longest wait for power and temperature to settle before the idle baseline.
    #[arg(long, value_name = "SECONDS")]
    pub idle_cooldown: Option<f64>,
    /// How long idle power is averaged.
    #[arg(long, value_name = "SECONDS")]
    pub idle_measure: Option<f64>,
    /// Forward each worker's stderr to this terminal.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Parse the command line, run the command, map the outcome to an exit status:
/// 0 success, 1 something measured failed (results are still written), 2 bad input.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line naming the problem, as for every other usage error.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{first} (see --help)");
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    let result = match cli.command {
        Command::ListEngines(args) => crate::commands::list_engines(&args),
        Command::Compare(args) => crate::commands::compare(&args),
        Command::Report(args) => crate::commands::report(&args),
        Command::Diff(args) => crate::commands::diff(&args),
        Command::Nightly(args) => crate::commands::nightly(&args),
        Command::Models(command) => crate::commands::models(&command),
        Command::Calibrate(args) => crate::commands::calibrate(&args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", failure.message());
            exit_code(&failure)
        }
    }
}

/// Outcome of a command that ran.
pub type CommandResult = Result<ExitCode, Failure>;
