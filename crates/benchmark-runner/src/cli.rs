//! The command line's shape: one clap type per command. `compare`'s settings are
//! [`Settings`], the type a config file fills too.

use std::path::PathBuf;
use std::process::ExitCode;

use bench_inputs::synth::WeightType;
use clap::{Args, Parser, Subcommand};

use crate::error::Failure;
use crate::settings::{Device, EngineLabel, EngineOpt, EngineUrl, Settings, ShardSpec};

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
    /// Join the directories of a run's shards (`compare --shard I/N`) into one run directory,
    /// summarised from the pooled samples.
    Merge(MergeArgs),
    /// Hold a candidate run against a baseline, per engine and metric. Exit status 0: nothing
    /// regressed; 1: something did; 2: bad input.
    Diff(DiffArgs),
    /// Measure the HTTP client's own overhead against a zero-delay mock (added TTFT and ITL,
    /// sustained chunk rate); summaries of served engines carry the result.
    Calibrate(CalibrateArgs),
    /// The model registry: list models, fetch one, write a synthetic one.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Race engines on one prompt side by side in the terminal: a demonstration, not a
    /// measurement (nothing is written to results unless --out is given).
    Race(Box<RaceArgs>),
    /// Run a suite, compare each run with the last good one in the history, append to the
    /// history and write the report. Exits like `diff`.
    Nightly(NightlyArgs),
    /// Campaigns: a grid of comparisons, each run several cycles in a chosen order with
    /// cool-downs between runs, reported across the grid (see docs/campaigns.md).
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Split a campaign into shards on a cluster scheduler.
    #[command(subcommand)]
    Shards(ShardsCommand),
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Run a campaign file (see configs/campaign-sim.toml), or continue one with --resume.
    /// Exit status 0: every run finished; 1: a run failed; 2: bad input; 130/143: stopped by
    /// SIGINT/SIGTERM (resumable).
    Run(CampaignRunArgs),
    /// Rewrite a campaign directory's report (campaign-report.md, campaign-summary.json,
    /// plots/) from its runs.
    Report {
        /// A campaign directory (holding campaign.json).
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CampaignRunArgs {
    /// Campaign file; with --resume, it must be the file the campaign was started with.
    #[arg(required_unless_present = "resume")]
    pub file: Option<PathBuf>,
    /// Campaign directory (default: `results/<utc-timestamp>-<name>`).
    #[arg(long, conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Continue the campaign in DIR: finished runs are kept, an interrupted run continues in
    /// its run directory, the rest run.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Run shard I of N (`0/4`) of every experiment: its measured requests whose id % N == I
    /// (and a share of served engines' users or rate); `benchmark-runner merge` joins the
    /// shards' campaign directories run by run. A resume keeps the recorded shard.
    #[arg(long, value_name = "I/N", conflicts_with = "resume")]
    pub shard: Option<ShardSpec>,
    /// Forward each worker's stderr to this terminal.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `shards` subcommands.
#[derive(Debug, Subcommand)]
pub enum ShardsCommand {
    /// Write the files that run a campaign's shards on Slurm (an array job, then a merge job)
    /// or Kubernetes (an Indexed Job, then a merge Job); submits nothing.
    Render(Box<ShardsRenderArgs>),
}

/// A cluster scheduler `shards render` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scheduler {
    Slurm,
    Kubernetes,
}

/// `shards render` options.
#[derive(Debug, Args)]
pub struct ShardsRenderArgs {
    /// The campaign file.
    pub campaign: PathBuf,
    /// Scheduler to write for.
    #[arg(long, value_enum)]
    pub scheduler: Scheduler,
    /// Number of shards (shard I runs the requests whose id % N == I).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: u32,
    /// Directory to write the files to (created when missing).
    #[arg(long)]
    pub out: PathBuf,
    /// GPUs per shard (default: 1 when the campaign sets a cuda device, else 0).
    #[arg(long)]
    pub gpus_per_shard: Option<u32>,
    /// Directory of the shards' results, as the nodes see it (default: slurm
    /// `results/shards/<name>` made absolute, kubernetes `/results`).
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// The benchmark-runner binary on the nodes (default: slurm this binary, kubernetes
    /// `benchmark-runner` on the image's PATH).
    #[arg(long)]
    pub runner: Option<PathBuf>,
    /// Job name (default: from the campaign's file name).
    #[arg(long)]
    pub name: Option<String>,
    /// CPUs per shard (slurm: --cpus-per-task; kubernetes: a CPU request).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub cpus_per_shard: Option<u32>,
    /// Slurm partition (default: the cluster's default).
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm time limit, e.g. 2:00:00 (default: the partition's).
    #[arg(long)]
    pub time: Option<String>,
    /// Kubernetes: container image with the runner and its workers (required).
    #[arg(long)]
    pub image: Option<String>,
    /// Kubernetes namespace (default: the context's).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Kubernetes: `PersistentVolumeClaim` mounted at the results directory (required).
    #[arg(long)]
    pub results_claim: Option<String>,
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
        #[arg(long, default_value = "q4_0", value_parser = weight_type)]
        quant: WeightType,
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
pub struct MergeArgs {
    /// The shards' run directories, one per shard index; or the shards' campaign directories
    /// (`campaign run --shard I/N`), merged run by run into one campaign directory.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The merged run (or campaign) directory (must not exist or be empty).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory (holding manifest.json and samples.jsonl).
    pub dir: PathBuf,
}

/// `compare` options: a config file, the settings (which override it), and how to show the run.
#[derive(Debug, Args, Default)]
pub struct CompareArgs {
    /// A TOML config (see configs/); its keys are the settings' names, and command-line options
    /// override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: Settings,
    /// Forward each worker's stderr to this terminal.
    #[arg(long, short)]
    pub verbose: bool,
    /// Continue the interrupted run in DIR: its manifest's plan, order and seed; only the
    /// requests missing from its `samples.jsonl` run (settings given beside it must plan the
    /// same run).
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
}

/// `race` options: the engines, model and prompts as `compare` takes them, one prompt.
#[derive(Debug, Args, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches, as clap reads them"
)]
pub struct RaceArgs {
    /// Comma-separated engine ids, as for `compare` (default: lm-rs,candle).
    #[arg(long, value_delimiter = ',')]
    pub engines: Option<Vec<EngineLabel>>,
    /// Model, as for `compare` (default: the registry's default).
    #[arg(long)]
    pub model: Option<String>,
    /// Prompts, as for `compare`; the race takes one (see --pick).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Race on this prompt instead of one from --dataset.
    #[arg(long, conflicts_with_all = ["dataset", "pick"])]
    pub prompt: Option<String>,
    /// Race on prompt N (from 0) of --dataset in the dataset's order (default: one picked
    /// with --seed, as `compare` picks its first).
    #[arg(long, value_name = "N")]
    pub pick: Option<usize>,
    /// Maximum generated tokens, the same for every engine.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Generate exactly --max-tokens tokens, ignoring end-of-sequence.
    #[arg(long)]
    pub ignore_eos: bool,
    /// Send the prompt as it is, without the model's chat template.
    #[arg(long)]
    pub raw_prompts: bool,
    /// Seed of the prompt pick and of synthetic engines.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Device for in-process engines: cpu, cuda:0, ...
    #[arg(long)]
    pub device: Option<Device>,
    /// Engine option, ENGINE.KEY=VALUE, as for `compare`; repeatable.
    #[arg(short = 'o', long = "engine-opt", value_name = "ENGINE.KEY=VALUE")]
    pub engine_options: Vec<EngineOpt>,
    /// Served engines: base URL, ENGINE=URL, as for `compare`; repeatable.
    #[arg(long, value_name = "ENGINE=URL")]
    pub url: Vec<EngineUrl>,
    /// Write the race's samples to this (new or empty) directory, its manifest marked as a
    /// race so `report` never takes it for a measurement. Default: nothing is written.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the plain summary even on a terminal.
    #[arg(long)]
    pub plain: bool,
    /// Forward each worker's stderr to this terminal.
    #[arg(long, short)]
    pub verbose: bool,
}

/// A synthetic model's matrix type, by its one name.
fn weight_type(name: &str) -> Result<WeightType, String> {
    WeightType::from_name(name).ok_or_else(|| format!("known: {}", WeightType::known()))
}

/// Parse the command line. `Err` carries the exit status when there is nothing to run: 2 for a
/// usage error (one line naming the problem), 0 for `--help` and `--version`.
pub fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if e.use_stderr() => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{first} (see --help)");
            Err(ExitCode::from(2))
        }
        Err(e) => {
            let _ = e.print();
            Err(ExitCode::SUCCESS)
        }
    }
}

/// Outcome of a command that ran: its exit status, or why it stopped.
pub type CommandResult = Result<ExitCode, Failure>;
