//! The validated plan of a `compare`: everything below this module sees only these types.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};
use shared_protocol::{Arrival, EngineId, LoadPattern};

use crate::catalog::{self, EngineKind};
use crate::cli::CompareArgs;
use crate::config::CompareConfig;
use crate::energy::{IdleSettings, TelemetryPlan};
use crate::error::{Failure, usage};
use crate::worker::Timeouts;

/// A validated comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub name: String,
    pub out_dir: PathBuf,
    pub engines: Vec<EnginePlan>,
    pub workload: WorkloadPlan,
    pub repetitions: u32,
    pub seed: u64,
    /// Engine index per repetition, in the order they run.
    pub order: Vec<Slot>,
    pub telemetry: TelemetryPlan,
    /// Goodput objectives: a request meets them when every named metric is within its limit.
    pub slo: BTreeMap<String, f64>,
    #[serde(skip)]
    pub timeouts: Timeouts,
    #[serde(skip)]
    pub verbose: bool,
}

/// One engine's settings. `label` names it in results: the engine id, or `ID@VARIANT` when the
/// same engine runs in several configurations (`sim@slow`, `candle@t1`).
#[derive(Debug, Clone, Serialize)]
pub struct EnginePlan {
    pub id: EngineId,
    pub label: String,
    pub worker: String,
    pub device: String,
    pub options: Map<String, Value>,
    /// How requests are offered (in-process engines: one at a time).
    pub load: LoadPattern,
}

/// One engine (by label) in one repetition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub repetition: u32,
    pub label: String,
}

/// What every engine runs.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadPlan {
    pub requests: u32,
    pub warmup: u32,
    pub max_tokens: u32,
    pub ignore_eos: bool,
    pub dataset: String,
    /// Model id or path; `None`: the registry's default.
    pub model: Option<String>,
    pub min_prompt_tokens: Option<u32>,
    pub max_prompt_tokens: Option<u32>,
    /// Send prompts as they are, without the chat template.
    pub raw_prompts: bool,
    /// Stop warming up once the CV of the last 5 warm-up E2E latencies is at most this
    /// (`warmup` is then the maximum).
    pub warmup_cv: Option<f64>,
    /// Stop measuring once the 95% CI half-width of the mean E2E latency, relative to the mean,
    /// is at most this (`requests` is then the maximum; at least 20 are measured).
    pub target_ci: Option<f64>,
}

/// Defaults for anything neither the command line nor the config sets.
pub mod defaults {
    pub const ENGINES: &[&str] = &["lm-rs", "candle"];
    pub const REQUESTS: u32 = 50;
    pub const MAX_TOKENS: u32 = 64;
    pub const WARMUP: u32 = 3;
    pub const REPETITIONS: u32 = 1;
    pub const SEED: u64 = 0;
    pub const DATASET: &str = "gsm-symbolic-1000";
}

/// Merge command line over config over defaults and validate. `now` names the results
/// directory when `--out` is absent.
pub fn compare_plan(args: &CompareArgs, now: &jiff::Timestamp) -> Result<Plan, Failure> {
    let config = match &args.config {
        Some(path) => CompareConfig::read(path)?,
        None => CompareConfig::default(),
    };
    plan_from(args, &config, now)
}

/// Merge command line over an already-read config over defaults and validate.
#[allow(
    clippy::too_many_lines,
    reason = "one linear merge of every setting, read top to bottom"
)]
pub fn plan_from(
    args: &CompareArgs,
    config: &CompareConfig,
    now: &jiff::Timestamp,
) -> Result<Plan, Failure> {
    let engine_names: Vec<String> = args
        .engines
        .clone()
        .or_else(|| config.engines.clone())
        .unwrap_or_else(|| defaults::ENGINES.iter().map(|s| (*s).to_owned()).collect());
    let mut ids = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for name in &engine_names {
        let (id, label) = parse_engine_label(name.trim())?;
        if labels.contains(&label) {
            return Err(usage(format!("engine {label} is listed twice")));
        }
        ids.push(id);
        labels.push(label);
    }
    if ids.is_empty() {
        return Err(usage("no engines given (--engines a,b,...)"));
    }

    let requests = positive(
        "requests",
        args.requests.or(config.requests),
        defaults::REQUESTS,
    )?;
    let max_tokens = positive(
        "max-tokens",
        args.max_tokens.or(config.max_tokens),
        defaults::MAX_TOKENS,
    )?;
    let repetitions = positive(
        "repetitions",
        args.repetitions.or(config.repetitions),
        defaults::REPETITIONS,
    )?;
    let warmup = args.warmup.or(config.warmup).unwrap_or(defaults::WARMUP);
    let seed = args.seed.or(config.seed).unwrap_or(defaults::SEED);
    let name = args
        .name
        .clone()
        .or_else(|| config.name.clone())
        .unwrap_or_else(|| engine_names.join("-"));
    validate_name(&name)?;

    let mut options = config.options_json();
    for (engine, key, value) in args
        .engine_opts
        .iter()
        .map(|o| parse_engine_opt(o))
        .collect::<Result<Vec<_>, _>>()?
    {
        options.entry(engine).or_default().insert(key, value);
    }
    for label in options.keys() {
        let (_, label) = parse_engine_label(label)?;
        if !labels.contains(&label) {
            return Err(usage(format!(
                "options given for engine {label}, which is not in --engines"
            )));
        }
    }

    let device = args
        .device
        .clone()
        .or_else(|| config.device.clone())
        .unwrap_or_else(|| "cpu".to_owned());
    let urls = parse_urls(&args.url, &labels)?;
    let points = load_points(args)?;
    let mut engines = Vec::new();
    let mut labels_run = Vec::new();
    for (&id, label) in ids.iter().zip(&labels) {
        let entry = catalog::entry(id);
        let mut opts = options.remove(label).unwrap_or_default();
        let served = entry.kind == EngineKind::Served;
        if served {
            opts.insert("engine".to_owned(), Value::from(id.as_str()));
            if let Some(url) = urls.get(label) {
                opts.insert("url".to_owned(), Value::from(url.clone()));
            }
        }
        let device = match entry.kind {
            EngineKind::InProcess => device.clone(),
            EngineKind::Served => "remote".to_owned(),
            EngineKind::Synthetic => "none".to_owned(),
        };
        let sweep: Vec<(Option<String>, LoadPattern)> = if served {
            points.clone()
        } else {
            vec![(None, LoadPattern::Closed { concurrency: 1 })]
        };
        let single = sweep.len() == 1;
        for (suffix, load) in sweep {
            let point_label = match (&suffix, single) {
                (Some(s), false) if label.contains('@') => format!("{label}-{s}"),
                (Some(s), false) => format!("{label}@{s}"),
                _ => label.clone(),
            };
            labels_run.push(point_label.clone());
            engines.push(EnginePlan {
                id,
                label: point_label,
                worker: entry.worker.to_owned(),
                device: device.clone(),
                options: opts.clone(),
                load,
            });
        }
    }
    let labels = labels_run;

    let mut timeouts = Timeouts::default();
    if let Some(s) = args.request_timeout.or(config.request_timeout_s) {
        timeouts.request = seconds("request-timeout", s)?;
    }
    if let Some(s) = args.load_timeout.or(config.load_timeout_s) {
        timeouts.load = seconds("load-timeout", s)?;
    }

    let telemetry = telemetry_plan(args, config)?;

    let out_dir = match &args.out {
        Some(dir) => dir.clone(),
        None => PathBuf::from("results").join(format!("{}-{name}", now.strftime("%Y%m%dT%H%M%SZ"))),
    };
    check_out_dir(&out_dir)?;

    Ok(Plan {
        name,
        out_dir,
        order: interleave(&labels, repetitions, seed),
        engines,
        workload: WorkloadPlan {
            requests,
            warmup,
            max_tokens,
            ignore_eos: args.ignore_eos || config.ignore_eos.unwrap_or(false),
            dataset: args
                .dataset
                .clone()
                .or_else(|| config.dataset.clone())
                .unwrap_or_else(|| defaults::DATASET.to_owned()),
            model: args.model.clone().or_else(|| config.model.clone()),
            min_prompt_tokens: args.min_prompt_tokens.or(config.min_prompt_tokens),
            max_prompt_tokens: args.max_prompt_tokens.or(config.max_prompt_tokens),
            raw_prompts: args.raw_prompts || config.raw_prompts.unwrap_or(false),
            warmup_cv: fraction("warmup-cv", args.warmup_cv.or(config.warmup_cv))?,
            target_ci: fraction("target-ci", args.target_ci.or(config.target_ci))?,
        },
        repetitions,
        seed,
        telemetry,
        slo: parse_slo(&args.slo)?,
        timeouts,
        verbose: args.verbose,
    })
}

/// `ENGINE=URL` pairs, keyed by engine label.
fn parse_urls(raw: &[String], labels: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    let mut urls = BTreeMap::new();
    for r in raw {
        let (label, url) = r.split_once('=').ok_or_else(|| {
            usage(format!(
                "--url '{r}' must look like ENGINE=URL (e.g. vllm=http://127.0.0.1:8000)"
            ))
        })?;
        if !labels.iter().any(|l| l == label) {
            return Err(usage(format!(
                "--url given for {label}, which is not in --engines"
            )));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(usage(format!(
                "--url {label}: '{url}' is not an http(s) URL"
            )));
        }
        urls.insert(label.to_owned(), url.to_owned());
    }
    Ok(urls)
}

/// The load points of served engines: one closed-loop point by default, a sweep when a list is
/// given.
fn load_points(args: &CompareArgs) -> Result<Vec<(Option<String>, LoadPattern)>, Failure> {
    if let Some(rates) = &args.rate {
        let arrival = match args.arrival.as_deref().unwrap_or("poisson") {
            "constant" => Arrival::Constant,
            "poisson" => Arrival::Poisson,
            other => match other.strip_prefix("gamma:").map(str::parse::<f64>) {
                Some(Ok(shape)) if shape.is_finite() && shape > 0.0 => Arrival::Gamma { shape },
                _ => {
                    return Err(usage(format!(
                        "--arrival '{other}' must be constant, poisson or gamma:SHAPE with SHAPE > 0"
                    )));
                }
            },
        };
        let ramp_up_s = args.ramp_up.unwrap_or(0.0);
        if !(ramp_up_s.is_finite() && ramp_up_s >= 0.0) {
            return Err(usage("--ramp-up must be a non-negative number of seconds"));
        }
        if args.max_concurrency == Some(0) {
            return Err(usage("--max-concurrency must be at least 1"));
        }
        return rates
            .iter()
            .map(|&r| {
                if r.is_finite() && r > 0.0 {
                    Ok((
                        Some(format!("r{r}")),
                        LoadPattern::Open {
                            rate_rps: r,
                            arrival,
                            max_concurrency: args.max_concurrency,
                            seed: args.seed.unwrap_or(defaults::SEED),
                            ramp_up_s,
                        },
                    ))
                } else {
                    Err(usage(format!("--rate must be positive, got {r}")))
                }
            })
            .collect();
    }
    if args.arrival.is_some() || args.ramp_up.is_some() || args.max_concurrency.is_some() {
        return Err(usage(
            "--arrival, --ramp-up and --max-concurrency need --rate (open loop)",
        ));
    }
    let levels = args.concurrency.clone().unwrap_or_else(|| vec![1]);
    levels
        .iter()
        .map(|&c| {
            if c == 0 {
                Err(usage("--concurrency must be at least 1"))
            } else {
                Ok((
                    Some(format!("c{c}")),
                    LoadPattern::Closed { concurrency: c },
                ))
            }
        })
        .collect()
}

/// `METRIC=LIMIT` objectives over `ttft_ms`, `tpot_ms` or `e2e_ms`.
fn parse_slo(raw: &[String]) -> Result<BTreeMap<String, f64>, Failure> {
    let mut slo = BTreeMap::new();
    for r in raw {
        let bad = || {
            usage(format!(
                "--slo '{r}' must look like METRIC=LIMIT with METRIC one of ttft_ms, tpot_ms, e2e_ms"
            ))
        };
        let (metric, limit) = r.split_once('=').ok_or_else(bad)?;
        if !matches!(metric, "ttft_ms" | "tpot_ms" | "e2e_ms") {
            return Err(bad());
        }
        let limit: f64 = limit.parse().map_err(|_| bad())?;
        if !(limit.is_finite() && limit > 0.0) {
            return Err(bad());
        }
        slo.insert(metric.to_owned(), limit);
    }
    Ok(slo)
}

fn telemetry_plan(args: &CompareArgs, config: &CompareConfig) -> Result<TelemetryPlan, Failure> {
    let kind = match args.telemetry.as_ref().or(config.telemetry.as_ref()) {
        Some(k) => k
            .parse::<telemetry::TelemetryKind>()
            .map_err(|e| usage(format!("--telemetry: {e}")))?,
        None => telemetry::TelemetryKind::Auto,
    };
    let interval_ms = args
        .telemetry_interval_ms
        .or(config.telemetry_interval_ms)
        .unwrap_or(50);
    if !(1..=10_000).contains(&interval_ms) {
        return Err(usage(format!(
            "--telemetry-interval-ms must be within 1..=10000, got {interval_ms}"
        )));
    }
    let idle_wanted = !args.no_idle && config.idle.unwrap_or(true);
    let idle = if idle_wanted {
        Some(IdleSettings {
            cooldown_max: seconds(
                "idle-cooldown",
                args.idle_cooldown
                    .or(config.idle_cooldown_s)
                    .unwrap_or(60.0),
            )?,
            measure: seconds(
                "idle-measure",
                args.idle_measure.or(config.idle_measure_s).unwrap_or(5.0),
            )?,
        })
    } else {
        None
    };
    if let Some(root) = args.telemetry_root.as_ref().filter(|r| !r.is_dir()) {
        return Err(usage(format!(
            "--telemetry-root {} is not a directory",
            root.display()
        )));
    }
    Ok(TelemetryPlan {
        kind,
        root: args.telemetry_root.clone(),
        url: args.telemetry_url.clone(),
        interval: Duration::from_millis(interval_ms),
        idle,
    })
}

fn fraction(flag: &str, value: Option<f64>) -> Result<Option<f64>, Failure> {
    match value {
        Some(v) if !(v > 0.0 && v < 1.0) => Err(usage(format!(
            "--{flag} must be a fraction within (0, 1), got {v}"
        ))),
        v => Ok(v),
    }
}

fn positive(flag: &str, value: Option<u32>, default: u32) -> Result<u32, Failure> {
    match value {
        Some(0) => Err(usage(format!("--{flag} must be at least 1"))),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

fn seconds(flag: &str, s: f64) -> Result<Duration, Failure> {
    if s.is_finite() && s > 0.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(usage(format!(
            "--{flag} must be a positive number of seconds, got {s}"
        )))
    }
}

fn validate_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(usage(format!(
            "run name '{name}' must be non-empty and use only letters, digits, '-', '_', '.' and '@'"
        )))
    }
}

/// `ID` or `ID@VARIANT` (letters, digits, '-', '_'): the engine id and the label.
fn parse_engine_label(raw: &str) -> Result<(EngineId, String), Failure> {
    let (id, variant) = match raw.split_once('@') {
        Some((id, variant)) => (id, Some(variant)),
        None => (raw, None),
    };
    let id: EngineId = id.parse().map_err(|e| usage(format!("{e}")))?;
    if let Some(v) = variant {
        let ok = !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if !ok {
            return Err(usage(format!(
                "engine variant '{raw}' must look like ID@NAME with letters, digits, '-' or '_' in NAME"
            )));
        }
    }
    Ok((id, raw.to_owned()))
}

/// `ENGINE.KEY=VALUE`, VALUE as JSON when it parses, else as a string.
fn parse_engine_opt(raw: &str) -> Result<(String, String, Value), Failure> {
    let bad = || {
        usage(format!(
            "engine option '{raw}' must look like ENGINE.KEY=VALUE (e.g. sim.ttft_ms=normal:20:2)"
        ))
    };
    let (lhs, value) = raw.split_once('=').ok_or_else(bad)?;
    let (engine, key) = lhs.split_once('.').ok_or_else(bad)?;
    if engine.is_empty() || key.is_empty() {
        return Err(bad());
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((engine.to_owned(), key.to_owned(), value))
}

/// Engine order per repetition: a seeded permutation, reversed on odd repetitions (A B, B A,
/// ...), so slow drift over the run affects every engine alike.
pub fn interleave(labels: &[String], repetitions: u32, seed: u64) -> Vec<Slot> {
    let mut base: Vec<String> = labels.to_vec();
    // Fisher-Yates with a splitmix64 stream: the order is reproducible from the seed alone.
    let mut state = seed;
    let mut next = || crate::workload::splitmix64(&mut state);
    for i in (1..base.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        base.swap(i, j);
    }
    (0..repetitions)
        .flat_map(|r| {
            let mut order = base.clone();
            if r % 2 == 1 {
                order.reverse();
            }
            order.into_iter().map(move |label| Slot {
                repetition: r,
                label,
            })
        })
        .collect()
}

fn check_out_dir(dir: &std::path::Path) -> Result<(), Failure> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(usage(format!(
                    "output directory {} is not empty; choose another --out",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(usage(format!(
            "cannot use output directory {}: {e}",
            dir.display()
        ))),
    }
}

/// Engine options keyed by engine, for the manifest.
pub fn options_by_engine(plan: &Plan) -> BTreeMap<String, Map<String, Value>> {
    plan.engines
        .iter()
        .map(|e| (e.label.clone(), e.options.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(engines: &str) -> CompareArgs {
        CompareArgs {
            engines: Some(engines.split(',').map(str::to_owned).collect()),
            ..CompareArgs::default()
        }
    }

    fn now() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_700_000_000).expect("valid")
    }

    #[test]
    fn defaults_fill_what_is_unset() {
        let plan = compare_plan(&args("sim"), &now()).expect("valid");
        assert_eq!(plan.workload.requests, defaults::REQUESTS);
        let defaulted = compare_plan(&CompareArgs::default(), &now()).expect("valid");
        let ids: Vec<EngineId> = defaulted.engines.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![EngineId::LmRs, EngineId::Candle]);
        assert_eq!(plan.engines[0].worker, "sim-bench");
        assert_eq!(plan.out_dir, PathBuf::from("results/20231114T221320Z-sim"));
    }

    #[test]
    fn bad_inputs_are_usage_errors_naming_the_problem() {
        for (a, why) in [
            (args("sim,candel"), "unknown engine 'candel'"),
            (args("sim,sim"), "listed twice"),
            (args("sim,sim@a b"), "engine variant"),
            (
                CompareArgs {
                    requests: Some(0),
                    ..args("sim")
                },
                "--requests must be at least 1",
            ),
            (
                CompareArgs {
                    engine_opts: vec!["sim-ttft=3".into()],
                    ..args("sim")
                },
                "ENGINE.KEY=VALUE",
            ),
            (
                CompareArgs {
                    engine_opts: vec!["candle.threads=2".into()],
                    ..args("sim")
                },
                "not in --engines",
            ),
            (
                CompareArgs {
                    name: Some("a b".into()),
                    ..args("sim")
                },
                "run name",
            ),
        ] {
            match compare_plan(&a, &now()) {
                Err(Failure::Usage(m)) => assert!(m.contains(why), "{m}"),
                other => panic!("expected usage error for {why}, got {other:?}"),
            }
        }
    }

    #[test]
    fn engine_options_parse_json_or_string() {
        let a = CompareArgs {
            engine_opts: vec!["sim.fail_rate=0.5".into(), "sim.ttft_ms=normal:5:1".into()],
            ..args("sim")
        };
        let plan = compare_plan(&a, &now()).expect("valid");
        assert_eq!(plan.engines[0].options["fail_rate"], 0.5);
        assert_eq!(plan.engines[0].options["ttft_ms"], "normal:5:1");
    }

    #[test]
    fn order_alternates_between_repetitions_and_is_seeded() {
        let ids = ["sim".to_owned(), "lm-rs".to_owned(), "candle".to_owned()];
        let order = interleave(&ids, 2, 7);
        let first: Vec<_> = order[..3].iter().map(|s| s.label.clone()).collect();
        let second: Vec<_> = order[3..].iter().map(|s| s.label.clone()).collect();
        let mut reversed = first.clone();
        reversed.reverse();
        assert_eq!(second, reversed);
        assert_eq!(interleave(&ids, 2, 7), order);
        let mut sorted = first.clone();
        sorted.sort();
        let mut all = ids.to_vec();
        all.sort();
        assert_eq!(sorted, all, "each engine once per repetition");
    }
}
