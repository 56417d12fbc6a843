//! [`build`]: settings (command line over config over defaults, merged before this) into a
//! validated [`Plan`]. Every check of user input happens here, before anything runs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};
use shared_protocol::LoadPattern;

use super::{
    CostPlan, DeviceHourPrice, EnginePlan, IdleSettings, Plan, SloMetric, StopRule, TelemetryPlan,
    WorkloadPlan, interleave,
};
use crate::catalog;
use crate::error::{Failure, usage};
use crate::settings::{Device, EngineLabel, PriceTarget, Settings};
use crate::worker::Timeouts;

mod checks;

pub use checks::check_out_dir;
use checks::{fraction, non_negative, positive, seconds, validate_name};

/// Defaults for anything the settings leave unset.
pub mod defaults {
    pub const ENGINES: &[&str] = &["lm-rs", "candle"];
    // Enough for the verdicts between engines of the default comparison, and a first table within
    // minutes even for the slowest CPU engine; raise it (or use --target-ci) for tight intervals.
    pub const REQUESTS: u32 = 20;
    pub const MAX_TOKENS: u32 = 64;
    pub const WARMUP: u32 = 3;
    pub const REPETITIONS: u32 = 1;
    pub const SEED: u64 = 0;
    pub const DATASET: &str = "gsm-symbolic-1000";
    pub const TELEMETRY_INTERVAL_MS: u64 = 50;
    pub const IDLE_COOLDOWN_S: f64 = 60.0;
    pub const IDLE_MEASURE_S: f64 = 5.0;
}

/// Validate `s` (already layered) into a plan. `now` names the results directory when `out`
/// is unset; `verbose` only changes what the terminal shows.
pub fn build(s: &Settings, now: &jiff::Timestamp, verbose: bool) -> Result<Plan, Failure> {
    let labels = engine_labels(s)?;
    let requests = positive("requests", s.requests, defaults::REQUESTS)?;
    let max_tokens = positive("max-tokens", s.max_tokens, defaults::MAX_TOKENS)?;
    let repetitions = positive("repetitions", s.repetitions, defaults::REPETITIONS)?;
    let seed = s.seed.unwrap_or(defaults::SEED);
    let name = s.name.clone().unwrap_or_else(|| {
        labels
            .iter()
            .map(|l| l.label.as_str())
            .collect::<Vec<_>>()
            .join("-")
    });
    validate_name(&name)?;

    let (mut options, urls) = by_label(s, &labels)?;
    let ca_cert = ca_cert(s)?;
    let dataset = s
        .dataset
        .clone()
        .unwrap_or_else(|| defaults::DATASET.to_owned());
    let (points, warmup) = points_and_warmup(s, &dataset, requests, seed)?;
    let mut engines = Vec::new();
    let mut price_per_hour = BTreeMap::new();
    // One label at a time, so each of its planned engines (sweep points) gets its price.
    for l in &labels {
        let planned = engine_plans(
            std::slice::from_ref(l),
            &mut options,
            &urls,
            ca_cert.as_deref(),
            s.device.unwrap_or(Device::Cpu),
            &points,
        )?;
        for e in &planned {
            if let Some(price) = hourly_price(s, l, e.device) {
                price_per_hour.insert(e.label.clone(), price);
            }
        }
        engines.extend(planned);
    }
    let cost = CostPlan {
        price_per_hour,
        energy_usd_per_kwh: non_negative("energy-price", s.energy_price)?,
        carbon_g_co2e_per_kwh: non_negative("carbon-intensity", s.carbon_intensity)?,
    };
    let run_labels: Vec<String> = engines.iter().map(|e| e.label.clone()).collect();

    let mut timeouts = Timeouts::default();
    if let Some(v) = s.request_timeout_s {
        timeouts.request = seconds("request-timeout", v)?;
    }
    if let Some(v) = s.load_timeout_s {
        timeouts.load = seconds("load-timeout", v)?;
    }

    set_retries(&mut engines, s.retries);
    let out_dir = match &s.out {
        Some(dir) => dir.clone(),
        None => PathBuf::from("results").join(format!("{}-{name}", now.strftime("%Y%m%dT%H%M%SZ"))),
    };
    check_out_dir(&out_dir)?;

    let stop = match fraction("target-ci", s.target_ci)? {
        Some(half_width) => StopRule::TargetCi { half_width },
        None => StopRule::Count,
    };
    let slo: BTreeMap<SloMetric, f64> = s.slo.iter().map(|t| (t.metric, t.limit)).collect();
    let shard = super::shard::shard_plan(s, &engines, &dataset)?;
    Ok(Plan {
        name,
        out_dir,
        order: interleave(&run_labels, repetitions, seed),
        engines,
        workload: WorkloadPlan {
            requests,
            warmup,
            max_tokens,
            ignore_eos: s.ignore_eos.unwrap_or(false),
            dataset,
            model: s.model.clone(),
            min_prompt_tokens: s.min_prompt_tokens,
            max_prompt_tokens: s.max_prompt_tokens,
            raw_prompts: s.raw_prompts.unwrap_or(false),
            warmup_cv: fraction("warmup-cv", s.warmup_cv)?,
            stop,
        },
        repetitions,
        seed,
        telemetry: telemetry_plan(s)?,
        slo,
        timeouts,
        cost,
        shard,
        verbose,
    })
}

/// The price of a device hour of engine `l` on `device`: the last `--price-per-hour` given for
/// the engine, else the last given for the device.
fn hourly_price(s: &Settings, l: &EngineLabel, device: Device) -> Option<DeviceHourPrice> {
    let last = |want: &dyn Fn(&PriceTarget) -> bool| {
        s.price_per_hour.iter().rev().find(|p| want(&p.target))
    };
    last(&|t: &PriceTarget| matches!(t, PriceTarget::Engine(e) if e.label == l.label))
        .or_else(|| last(&|t: &PriceTarget| *t == PriceTarget::Device(device)))
        .map(|p| DeviceHourPrice {
            usd_per_hour: p.usd_per_hour,
            set_for: p.target.to_string(),
        })
}

/// Engine options and URLs, keyed by engine label; each names an engine of the run.
#[allow(clippy::type_complexity, reason = "two maps by label, used once")]
fn by_label(
    s: &Settings,
    labels: &[EngineLabel],
) -> Result<
    (
        BTreeMap<String, Map<String, Value>>,
        BTreeMap<String, String>,
    ),
    Failure,
> {
    let listed = |label: &str| labels.iter().any(|l| l.label == label);
    let mut options: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for o in &s.engine_options {
        let label: EngineLabel = o.engine.parse().map_err(usage)?;
        if !listed(&label.label) {
            return Err(usage(format!(
                "options given for engine {}, which is not in --engines",
                label.label
            )));
        }
        options
            .entry(label.label)
            .or_default()
            .insert(o.key.clone(), o.value.clone());
    }
    for p in &s.price_per_hour {
        if let PriceTarget::Engine(e) = &p.target
            && !listed(&e.label)
        {
            return Err(usage(format!(
                "--price-per-hour given for engine {}, which is not in --engines",
                e.label
            )));
        }
    }
    let mut urls = BTreeMap::new();
    for u in &s.url {
        if !listed(&u.engine) {
            return Err(usage(format!(
                "--url given for {}, which is not in --engines",
                u.engine
            )));
        }
        urls.insert(u.engine.clone(), u.url.clone());
    }

    Ok((options, urls))
}

/// `--engines`, or the default engines: at least one, no label twice.
fn engine_labels(s: &Settings) -> Result<Vec<EngineLabel>, Failure> {
    let labels: Vec<EngineLabel> = match &s.engines {
        Some(l) => l.clone(),
        None => defaults::ENGINES
            .iter()
            .map(|e| e.parse().map_err(usage))
            .collect::<Result<_, _>>()?,
    };
    if labels.is_empty() {
        return Err(usage("no engines given (--engines a,b,...)"));
    }
    for (i, l) in labels.iter().enumerate() {
        if labels[..i].iter().any(|m| m.label == l.label) {
            return Err(usage(format!("engine {} is listed twice", l.label)));
        }
    }
    Ok(labels)
}

/// `--ca-cert` as an absolute path (workers may run elsewhere than the current directory),
/// checked to be a file.
fn ca_cert(s: &Settings) -> Result<Option<String>, Failure> {
    let Some(path) = &s.ca_cert else {
        return Ok(None);
    };
    if !path.is_file() {
        return Err(usage(format!("--ca-cert {}: no such file", path.display())));
    }
    let path = std::path::absolute(path)
        .map_err(|e| usage(format!("--ca-cert {}: {e}", path.display())))?;
    Ok(Some(path.display().to_string()))
}

/// `--retries N`: the `retries` option of each served engine that does not set its own.
fn set_retries(engines: &mut [EnginePlan], retries: Option<u32>) {
    let Some(n) = retries else { return };
    for e in engines
        .iter_mut()
        .filter(|e| catalog::entry(e.id).is_served())
    {
        e.options
            .entry("retries".to_owned())
            .or_insert(Value::from(n));
    }
}

/// One engine plan per engine label and load point, on the device each can run on.
fn engine_plans(
    labels: &[EngineLabel],
    options: &mut BTreeMap<String, Map<String, Value>>,
    urls: &BTreeMap<String, String>,
    ca_cert: Option<&str>,
    device: Device,
    points: &[(Option<String>, LoadPattern)],
) -> Result<Vec<EnginePlan>, Failure> {
    let mut engines = Vec::new();
    for l in labels {
        let entry = catalog::entry(l.id);
        let mut opts = options.remove(&l.label).unwrap_or_default();
        let device = entry.device_for(device);
        if entry.features_for(device).is_none() {
            let kinds: Vec<&str> = entry.device_kinds().iter().map(|k| k.as_str()).collect();
            return Err(usage(format!(
                "engine {} does not run on {device} (it runs on {})",
                l.label,
                kinds.join(", ")
            )));
        }
        let sweep = if entry.is_served() {
            opts.insert("engine".to_owned(), Value::from(l.id.as_str()));
            if let Some(url) = urls.get(&l.label) {
                opts.insert("url".to_owned(), Value::from(url.clone()));
            }
            if let Some(path) = ca_cert {
                opts.entry("ca_cert".to_owned())
                    .or_insert_with(|| Value::from(path));
            }
            points.to_vec()
        } else if entry.takes_load() {
            points.to_vec()
        } else {
            vec![(None, LoadPattern::Closed { concurrency: 1 })]
        };
        let single = sweep.len() == 1;
        for (suffix, load) in sweep {
            let label = match (&suffix, single) {
                (Some(s), false) if l.label.contains('@') => format!("{}-{s}", l.label),
                (Some(s), false) => format!("{}@{s}", l.label),
                _ => l.label.clone(),
            };
            engines.push(EnginePlan {
                id: l.id,
                label,
                worker: entry.worker.to_owned(),
                device,
                options: opts.clone(),
                load,
            });
        }
    }
    Ok(engines)
}

/// The load points and the warm-up count: a dataset that sets its own load (a trace, multi-turn
/// conversations, which take no warm-up) or the settings' load.
fn points_and_warmup(
    s: &Settings,
    dataset: &str,
    requests: u32,
    seed: u64,
) -> Result<(super::trace::Points, u32), Failure> {
    let multiturn = super::trace::multiturn_loads(dataset, requests, s.concurrency.as_deref())?;
    // A warm-up would be turns of conversations of their own, filling the prefix cache the
    // later turns are measured against: conversations run cold.
    if multiturn.is_some() && s.warmup.is_some_and(|w| w > 0) {
        return Err(usage(
            "multi-turn conversations take no warm-up (--warmup 0): it would fill the prefix cache the turns are measured against",
        ));
    }
    let warmup = if multiturn.is_some() {
        0
    } else {
        s.warmup.unwrap_or(defaults::WARMUP)
    };
    if multiturn.is_some() && (s.rate.is_some() || s.max_concurrency.is_some()) {
        return Err(usage(
            "multi-turn conversations run closed loop: leave out --rate and --max-concurrency",
        ));
    }
    let points = match super::trace::trace_load(dataset, requests, warmup, s.max_concurrency)? {
        _ if multiturn.is_some() => multiturn.unwrap_or_default(),
        Some(_) if s.rate.is_some() || s.concurrency.is_some() => {
            return Err(usage(
                "a trace dataset sets its own arrival times: leave out --rate and --concurrency",
            ));
        }
        Some(trace) => vec![(Some("trace".to_owned()), trace)],
        None => load_points(s, seed)?,
    };
    Ok((points, warmup))
}

/// The load points of served engines: one closed-loop point by default, a sweep when a list is
/// given. Open-loop arrival times draw from the run's `seed`.
fn load_points(s: &Settings, seed: u64) -> Result<Vec<(Option<String>, LoadPattern)>, Failure> {
    if s.concurrency.is_some() && s.rate.is_some() {
        return Err(usage("--concurrency and --rate exclude each other"));
    }
    if let Some(rates) = &s.rate {
        let arrival = s.arrival.map_or(shared_protocol::Arrival::Poisson, |a| a.0);
        let ramp_up_s = s.ramp_up_s.unwrap_or(0.0);
        if !(ramp_up_s.is_finite() && ramp_up_s >= 0.0) {
            return Err(usage("--ramp-up must be a non-negative number of seconds"));
        }
        if s.max_concurrency == Some(0) {
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
                            max_concurrency: s.max_concurrency,
                            seed,
                            ramp_up_s,
                        },
                    ))
                } else {
                    Err(usage(format!("--rate must be positive, got {r}")))
                }
            })
            .collect();
    }
    if s.arrival.is_some() || s.ramp_up_s.is_some() || s.max_concurrency.is_some() {
        return Err(usage(
            "--arrival, --ramp-up and --max-concurrency need --rate (open loop)",
        ));
    }
    let levels = s.concurrency.clone().unwrap_or_else(|| vec![1]);
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

fn telemetry_plan(s: &Settings) -> Result<TelemetryPlan, Failure> {
    let interval_ms = s
        .telemetry_interval_ms
        .unwrap_or(defaults::TELEMETRY_INTERVAL_MS);
    if !(1..=10_000).contains(&interval_ms) {
        return Err(usage(format!(
            "--telemetry-interval-ms must be within 1..=10000, got {interval_ms}"
        )));
    }
    let idle = if s.idle.unwrap_or(true) {
        Some(IdleSettings {
            cooldown_max: seconds(
                "idle-cooldown",
                s.idle_cooldown_s.unwrap_or(defaults::IDLE_COOLDOWN_S),
            )?,
            measure: seconds(
                "idle-measure",
                s.idle_measure_s.unwrap_or(defaults::IDLE_MEASURE_S),
            )?,
        })
    } else {
        None
    };
    if let Some(root) = s.telemetry_root.as_ref().filter(|r| !r.is_dir()) {
        return Err(usage(format!(
            "--telemetry-root {} is not a directory",
            root.display()
        )));
    }
    Ok(TelemetryPlan {
        kind: s.telemetry.unwrap_or_default(),
        root: s.telemetry_root.clone(),
        url: s.telemetry_url.clone(),
        token_file: s.telemetry_token_file.clone(),
        ca: s.telemetry_ca.clone(),
        interval: Duration::from_millis(interval_ms),
        idle,
    })
}

#[cfg(test)]
mod tests;
