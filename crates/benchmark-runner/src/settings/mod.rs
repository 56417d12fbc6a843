//! Every knob of a comparison as an optional value. The command line and TOML (a config file, a
//! nightly suite's run) fill the same [`Settings`]; [`layer`] is the only place two are merged.

mod toml_forms;
mod values;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use telemetry::TelemetryKind;

pub use values::{
    ArrivalSpec, Device, EngineLabel, EngineOpt, EngineUrl, HourlyPrice, PriceTarget, ShardSpec,
    SloMetric, SloTerm, StartAt,
};

use crate::error::{Failure, usage};

/// One run's settings. A flag and a config key exist for every field, spelled alike: the field
/// name is the config key, the same name in kebab case is the flag.
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Run name, used in the results directory name.
    #[arg(long)]
    pub name: Option<String>,
    /// Comma-separated engine ids (see `list-engines`); `ID@VARIANT` runs one engine in several
    /// configurations.
    #[arg(long, value_delimiter = ',')]
    pub engines: Option<Vec<EngineLabel>>,
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
    #[arg(long, num_args = 0, default_missing_value = "true")]
    pub ignore_eos: Option<bool>,
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
    #[arg(long, num_args = 0, default_missing_value = "true")]
    pub raw_prompts: Option<bool>,
    /// Warm up until the CV of the last 5 warm-up latencies is at most this (e.g. 0.05);
    /// --warmup is then the maximum.
    #[arg(long, value_name = "CV")]
    pub warmup_cv: Option<f64>,
    /// Adaptive stopping: measure until the 95% CI half-width of the mean E2E latency is at most
    /// this fraction of the mean (e.g. 0.02); --requests is then the maximum.
    #[arg(long, value_name = "FRACTION")]
    pub target_ci: Option<f64>,
    /// Seed for request order, engine order, arrival times, sampling and synthetic engines.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Served engines: send a request again up to N times after a transient failure (429, 5xx,
    /// connection reset, timeout), waiting 100 ms, then 200 ms, and so on (the `retries`
    /// engine option; `-o ENGINE.retry_backoff_ms=MS` sets the first wait).
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Results directory (default: `results/<utc-timestamp>-<name>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Device for in-process engines: cpu, cuda:0, ...
    #[arg(long)]
    pub device: Option<Device>,
    /// Engine option, ENGINE.KEY=VALUE (VALUE as JSON, else a string); repeatable. Config:
    /// `[engine_options.ENGINE]` tables. Example: `-o sim.ttft_ms=normal:20:2`
    #[arg(short = 'o', long = "engine-opt", value_name = "ENGINE.KEY=VALUE")]
    #[serde(default, deserialize_with = "toml_forms::engine_options")]
    pub engine_options: Vec<EngineOpt>,
    /// Served engines: base URL, ENGINE=URL (repeatable); each engine id has its usual local
    /// default. Config: a `[url]` table.
    #[arg(long, value_name = "ENGINE=URL")]
    #[serde(default, deserialize_with = "toml_forms::urls")]
    pub url: Vec<EngineUrl>,
    /// Served engines over https: a PEM file of certificates to trust besides Mozilla's and the
    /// platform's roots (a private gateway's CA, a self-signed server's certificate). Sent to
    /// every served engine as its `ca_cert` option, which `-o ENGINE.ca_cert=FILE` overrides.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Served engines: closed-loop concurrent users; a comma list sweeps (each point becomes
    /// ENGINE@cN).
    #[arg(long, value_delimiter = ',', conflicts_with = "rate")]
    pub concurrency: Option<Vec<u32>>,
    /// Served engines: open-loop request rate in requests/s; a comma list sweeps (ENGINE@rR).
    #[arg(long, value_delimiter = ',')]
    pub rate: Option<Vec<f64>>,
    /// Open-loop arrivals: constant, poisson, or gamma:SHAPE (SHAPE < 1 is burstier).
    #[arg(long, value_name = "KIND")]
    pub arrival: Option<ArrivalSpec>,
    /// Open loop: at most this many requests in flight (a waiting request keeps its intended
    /// send time, so the wait shows as schedule lag).
    #[arg(long)]
    pub max_concurrency: Option<u32>,
    /// Open loop: ramp the rate linearly from 0 over this many seconds.
    #[arg(long = "ramp-up", value_name = "SECONDS")]
    pub ramp_up_s: Option<f64>,
    /// Service-level objectives for goodput, e.g. `ttft_ms=200,tpot_ms=50,e2e_ms=5000`.
    /// Config: a `[slo]` table.
    #[arg(long, value_delimiter = ',', value_name = "METRIC=LIMIT")]
    #[serde(default, deserialize_with = "toml_forms::slo")]
    pub slo: Vec<SloTerm>,
    /// Seconds to wait for one request before declaring the worker hung.
    #[arg(long = "request-timeout", value_name = "SECONDS")]
    pub request_timeout_s: Option<f64>,
    /// Seconds to wait for a model load.
    #[arg(long = "load-timeout", value_name = "SECONDS")]
    pub load_timeout_s: Option<f64>,
    /// Telemetry source: auto, nvml, amd, rapl, apple or none.
    #[arg(long, value_name = "SOURCE")]
    pub telemetry: Option<TelemetryKind>,
    /// Read sysfs/procfs from this root instead of / (fixture trees).
    #[arg(long, value_name = "DIR")]
    pub telemetry_root: Option<PathBuf>,
    /// An energy-monitor (gRPC) on the host that serves the engine: https://HOST:PORT, or
    /// http://127.0.0.1:PORT through a tunnel.
    #[arg(long, value_name = "URL")]
    pub telemetry_url: Option<String>,
    /// File whose first line is the energy-monitor's bearer token (else `$ENERGY_MONITOR_TOKEN`).
    #[arg(long, value_name = "FILE")]
    pub telemetry_token_file: Option<PathBuf>,
    /// CA certificate (PEM) that signed the energy-monitor's TLS certificate (https:// URLs).
    #[arg(long, value_name = "PEM")]
    pub telemetry_ca: Option<PathBuf>,
    /// Telemetry sampling interval in milliseconds.
    #[arg(long, value_name = "MS")]
    pub telemetry_interval_ms: Option<u64>,
    /// Skip the idle-power baseline (config: `idle = false`).
    #[arg(long = "no-idle", num_args = 0, default_missing_value = "false")]
    pub idle: Option<bool>,
    /// Longest wait for power and temperature to settle before the idle baseline.
    #[arg(long = "idle-cooldown", value_name = "SECONDS")]
    pub idle_cooldown_s: Option<f64>,
    /// How long idle power is averaged.
    #[arg(long = "idle-measure", value_name = "SECONDS")]
    pub idle_measure_s: Option<f64>,
    /// Price of one device hour in US dollars, ENGINE=USD or DEVICE=USD (an engine's own price
    /// wins over its device's); repeatable or a comma list. Config: a `[price_per_hour]` table.
    #[arg(long, value_delimiter = ',', value_name = "ENGINE=USD")]
    #[serde(default, deserialize_with = "toml_forms::prices")]
    pub price_per_hour: Vec<HourlyPrice>,
    /// Price of electricity in US dollars per kWh, for the energy cost per 1M output tokens.
    #[arg(long, value_name = "USD_PER_KWH")]
    pub energy_price: Option<f64>,
    /// Grid carbon intensity in grams of CO2-equivalent per kWh, for emissions per 1M output
    /// tokens.
    #[arg(long, value_name = "G_CO2E_PER_KWH")]
    pub carbon_intensity: Option<f64>,
    /// Run shard I of N (`0/4`): the measured requests whose id % N == I, with a share of the
    /// served engines' users or rate; `benchmark-runner merge` joins the shards' directories.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardSpec>,
    /// Shards: after loading and warming up, wait until this UTC instant (RFC 3339, e.g.
    /// 2026-05-01T12:00:00Z) to start measuring, so shards on several machines start together.
    #[arg(long, value_name = "RFC3339")]
    pub start_at: Option<StartAt>,
}

/// `over` laid on `base`: every value `over` sets wins; keyed lists (engine options, URLs,
/// objectives, prices) keep both, `over`'s entries last so they win key by key.
pub fn layer(base: Settings, over: Settings) -> Settings {
    fn keyed<T>(mut base: Vec<T>, over: Vec<T>) -> Vec<T> {
        base.extend(over);
        base
    }
    Settings {
        name: over.name.or(base.name),
        engines: over.engines.or(base.engines),
        requests: over.requests.or(base.requests),
        max_tokens: over.max_tokens.or(base.max_tokens),
        warmup: over.warmup.or(base.warmup),
        repetitions: over.repetitions.or(base.repetitions),
        ignore_eos: over.ignore_eos.or(base.ignore_eos),
        model: over.model.or(base.model),
        dataset: over.dataset.or(base.dataset),
        min_prompt_tokens: over.min_prompt_tokens.or(base.min_prompt_tokens),
        max_prompt_tokens: over.max_prompt_tokens.or(base.max_prompt_tokens),
        raw_prompts: over.raw_prompts.or(base.raw_prompts),
        warmup_cv: over.warmup_cv.or(base.warmup_cv),
        target_ci: over.target_ci.or(base.target_ci),
        seed: over.seed.or(base.seed),
        retries: over.retries.or(base.retries),
        out: over.out.or(base.out),
        device: over.device.or(base.device),
        engine_options: keyed(base.engine_options, over.engine_options),
        url: keyed(base.url, over.url),
        ca_cert: over.ca_cert.or(base.ca_cert),
        concurrency: over.concurrency.or(base.concurrency),
        rate: over.rate.or(base.rate),
        arrival: over.arrival.or(base.arrival),
        max_concurrency: over.max_concurrency.or(base.max_concurrency),
        ramp_up_s: over.ramp_up_s.or(base.ramp_up_s),
        slo: keyed(base.slo, over.slo),
        request_timeout_s: over.request_timeout_s.or(base.request_timeout_s),
        load_timeout_s: over.load_timeout_s.or(base.load_timeout_s),
        telemetry: over.telemetry.or(base.telemetry),
        telemetry_root: over.telemetry_root.or(base.telemetry_root),
        telemetry_url: over.telemetry_url.or(base.telemetry_url),
        telemetry_token_file: over.telemetry_token_file.or(base.telemetry_token_file),
        telemetry_ca: over.telemetry_ca.or(base.telemetry_ca),
        telemetry_interval_ms: over.telemetry_interval_ms.or(base.telemetry_interval_ms),
        idle: over.idle.or(base.idle),
        idle_cooldown_s: over.idle_cooldown_s.or(base.idle_cooldown_s),
        idle_measure_s: over.idle_measure_s.or(base.idle_measure_s),
        price_per_hour: keyed(base.price_per_hour, over.price_per_hour),
        energy_price: over.energy_price.or(base.energy_price),
        carbon_intensity: over.carbon_intensity.or(base.carbon_intensity),
        shard: over.shard.or(base.shard),
        start_at: over.start_at.or(base.start_at),
    }
}

impl Settings {
    /// Parse config text (one line per problem, naming the key).
    pub fn parse_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.message().replace('\n', " "))
    }

    /// Read and parse a config file; every problem is a one-line usage error naming the file.
    pub fn read(path: &Path) -> Result<Settings, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read config {}: {e}", path.display())))?;
        Self::parse_toml(&text)
            .map_err(|e| usage(format!("invalid config {}: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests;
