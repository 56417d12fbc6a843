//! The grid: `[vary]`'s Cartesian product laid over `[base]`, one [`Experiment`] per
//! combination. A combination an engine cannot run (by the catalogue: a load pattern for an
//! engine that runs one request at a time, a device it does not run on) is skipped with the
//! reason; anything else invalid refuses the campaign, naming the experiment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Campaign, device, engine_label};
use crate::catalog::{self, EngineKind};
use crate::error::{Failure, usage};
use crate::plan::{self, Plan};
use crate::settings::{Device, EngineLabel, PriceTarget, Settings, layer};

/// One varied value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Engine(EngineLabel),
    Model(String),
    Device(Device),
    Dataset(String),
    MaxTokens(u32),
    Requests(u32),
    Concurrency(u32),
    Rate(f64),
}

impl Value {
    /// The `[vary]` key it comes from.
    pub fn key(&self) -> &'static str {
        match self {
            Value::Engine(_) => "engines",
            Value::Model(_) => "model",
            Value::Device(_) => "device",
            Value::Dataset(_) => "dataset",
            Value::MaxTokens(_) => "max_tokens",
            Value::Requests(_) => "requests",
            Value::Concurrency(_) => "concurrency",
            Value::Rate(_) => "rate",
        }
    }

    /// The value as written in reports.
    pub fn text(&self) -> String {
        match self {
            Value::Engine(l) => l.label.clone(),
            Value::Model(s) | Value::Dataset(s) => s.clone(),
            Value::Device(d) => d.to_string(),
            Value::MaxTokens(n) | Value::Requests(n) | Value::Concurrency(n) => n.to_string(),
            Value::Rate(r) => r.to_string(),
        }
    }

    /// Its part of an experiment id: short, and only characters a run name may hold.
    fn id_part(&self) -> String {
        let raw = match self {
            Value::Engine(l) => l.label.clone(),
            Value::Model(s) => std::path::Path::new(s)
                .file_stem()
                .map_or_else(|| s.clone(), |f| f.to_string_lossy().into_owned()),
            Value::Dataset(s) => s.clone(),
            Value::Device(d) => d.to_string().replace(':', ""),
            Value::MaxTokens(n) => format!("mt{n}"),
            Value::Requests(n) => format!("n{n}"),
            Value::Concurrency(n) => format!("c{n}"),
            Value::Rate(r) => format!("r{r}"),
        };
        let clean: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        clean.chars().take(40).collect()
    }

    /// `over` with this value set.
    fn apply(&self, over: &mut Settings) {
        match self {
            Value::Engine(l) => over.engines = Some(vec![l.clone()]),
            Value::Model(s) => over.model = Some(s.clone()),
            Value::Device(d) => over.device = Some(*d),
            Value::Dataset(s) => over.dataset = Some(s.clone()),
            Value::MaxTokens(n) => over.max_tokens = Some(*n),
            Value::Requests(n) => over.requests = Some(*n),
            Value::Concurrency(n) => over.concurrency = Some(vec![*n]),
            Value::Rate(r) => over.rate = Some(vec![*r]),
        }
    }
}

/// An engine left out of an experiment, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEngine {
    pub engine: String,
    pub reason: String,
}

/// One combination of the grid.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// `NN-PART-PART`: its place in the grid (from 01) and its values.
    pub id: String,
    pub values: Vec<Value>,
    /// The engines (labels) that run in it.
    pub engines: Vec<String>,
    /// Engines of the experiment that cannot run its values.
    pub skipped_engines: Vec<SkippedEngine>,
    /// The validated plan (its results directory is set per run); `None` when no engine can
    /// run the experiment.
    pub plan: Option<Plan>,
}

impl Experiment {
    /// Varied keys and their values, as the manifest and reports show them.
    pub fn varied(&self) -> BTreeMap<String, String> {
        self.values
            .iter()
            .map(|v| (v.key().to_owned(), v.text()))
            .collect()
    }

    /// `sim@b concurrency=2`: the engines and the other varied values.
    pub fn describe(&self) -> String {
        let mut parts = vec![self.engines.join(",")];
        parts.extend(
            self.values
                .iter()
                .filter(|v| v.key() != "engines")
                .map(|v| format!("{}={}", v.key(), v.text())),
        );
        parts.join(" ")
    }

    /// Why it does not run, when no engine can.
    pub fn skip_reason(&self) -> Option<String> {
        self.plan.is_none().then(|| {
            self.skipped_engines
                .iter()
                .map(|s| s.reason.clone())
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// The axes of `[vary]` in grid order (the first varies slowest), each value parsed.
fn axes(c: &Campaign) -> Result<Vec<Vec<Value>>, String> {
    fn axis<T: Clone>(
        key: &str,
        values: Option<&Vec<T>>,
        f: impl Fn(&T) -> Result<Value, String>,
    ) -> Result<Option<Vec<Value>>, String> {
        let Some(values) = values else {
            return Ok(None);
        };
        if values.is_empty() {
            return Err(format!("vary.{key} is empty"));
        }
        let parsed = values
            .iter()
            .map(|v| f(v).map_err(|e| format!("vary.{key}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, v) in parsed.iter().enumerate() {
            if parsed[..i].contains(v) {
                return Err(format!("vary.{key}: {} is listed twice", v.text()));
            }
        }
        Ok(Some(parsed))
    }
    let v = &c.file.vary;
    Ok([
        axis("engines", v.engines.as_ref(), |s| {
            engine_label(s).map(Value::Engine)
        })?,
        axis("model", v.model.as_ref(), |s| Ok(Value::Model(s.clone())))?,
        axis("device", v.device.as_ref(), |s| {
            device(s).map(Value::Device)
        })?,
        axis("dataset", v.dataset.as_ref(), |s| {
            Ok(Value::Dataset(s.clone()))
        })?,
        axis("max_tokens", v.max_tokens.as_ref(), |&n| {
            Ok(Value::MaxTokens(n))
        })?,
        axis("requests", v.requests.as_ref(), |&n| Ok(Value::Requests(n)))?,
        axis("concurrency", v.concurrency.as_ref(), |&n| {
            Ok(Value::Concurrency(n))
        })?,
        axis("rate", v.rate.as_ref(), |&r| Ok(Value::Rate(r)))?,
    ]
    .into_iter()
    .flatten()
    .collect())
}

/// Every combination of the axes, the last axis varying fastest.
fn product(axes: &[Vec<Value>]) -> Vec<Vec<Value>> {
    axes.iter().fold(vec![Vec::new()], |acc, axis| {
        acc.iter()
            .flat_map(|prefix| {
                axis.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect()
    })
}

/// Why engine `l` cannot run `values` (`None`: it can). `axes` give each key's first value: an
/// engine a key does not apply to runs at that value only, the others being the same run.
pub fn cannot_run(l: &EngineLabel, values: &[Value], axes: &[Vec<Value>]) -> Option<String> {
    let entry = catalog::entry(l.id);
    let first = |key: &str| {
        axes.iter()
            .find(|a| a.first().is_some_and(|v| v.key() == key))
            .and_then(|a| a.first())
    };
    let same_as_first = |v: &Value, what: &str| {
        let f = first(v.key())?;
        (f != v).then(|| {
            format!(
                "{} {what}: the same run as {}={}",
                l.label,
                f.key(),
                f.text()
            )
        })
    };
    values.iter().find_map(|v| match v {
        Value::Concurrency(c) if *c != 1 && !entry.takes_load() => Some(format!(
            "{} runs one request at a time: concurrency {c} applies only to engines that take load patterns (served engines and engines that schedule requests themselves)",
            l.label
        )),
        Value::Rate(r) if !entry.takes_load() => Some(format!(
            "{} runs one request at a time: rate {r} applies only to engines that take load patterns (served engines and engines that schedule requests themselves)",
            l.label
        )),
        Value::Device(d) if entry.kind == EngineKind::InProcess => {
            entry.features_for(*d).is_none().then(|| {
                let kinds: Vec<&str> = entry.device_kinds().iter().map(|k| k.as_str()).collect();
                format!(
                    "{} does not run on {d} (it runs on {})",
                    l.label,
                    kinds.join(", ")
                )
            })
        }
        Value::Device(_) => same_as_first(v, "runs on no local device"),
        Value::Model(_) if entry.kind == EngineKind::Synthetic => {
            same_as_first(v, "takes no model")
        }
        _ => None,
    })
}

/// `s` keeping only what concerns `labels`: engine options, URLs and prices of other engines
/// are dropped with them.
fn restrict(mut s: Settings, labels: &[EngineLabel]) -> Settings {
    let kept = |label: &str| labels.iter().any(|l| l.label == label);
    s.engine_options.retain(|o| {
        o.engine
            .parse::<EngineLabel>()
            .map_or(true, |l| kept(&l.label))
    });
    s.url.retain(|u| kept(&u.engine));
    s.price_per_hour.retain(|p| match &p.target {
        PriceTarget::Engine(e) => kept(&e.label),
        PriceTarget::Device(_) => true,
    });
    s.engines = Some(labels.to_vec());
    s
}

/// Expand the campaign into its experiments, each validated by [`plan::build`] before any
/// runs. `now` only names the plans' default directories, which the runs replace.
pub fn expand(
    c: &Campaign,
    now: &jiff::Timestamp,
    verbose: bool,
) -> Result<Vec<Experiment>, Failure> {
    let name = c.name();
    let refuse = |e: String| usage(format!("campaign {name}: {e}"));
    let axes = axes(c).map_err(refuse)?;
    let combos = product(&axes);
    let width = combos.len().to_string().len().max(2);
    let mut out = Vec::with_capacity(combos.len());
    for (i, values) in combos.into_iter().enumerate() {
        let mut id = format!("{:0width$}", i + 1);
        for v in &values {
            id.push('-');
            id.push_str(&v.id_part());
        }
        let mut over = Settings {
            name: Some(format!("{name}-{id}")),
            ..Settings::default()
        };
        for v in &values {
            v.apply(&mut over);
        }
        let settings = layer(c.file.base.clone(), over);
        let labels: Vec<EngineLabel> = match &settings.engines {
            Some(l) => l.clone(),
            None => plan::defaults::ENGINES
                .iter()
                .map(|e| e.parse())
                .collect::<Result<_, _>>()
                .map_err(|e| refuse(format!("experiment {id}: {e}")))?,
        };
        let mut runnable = Vec::new();
        let mut skipped_engines = Vec::new();
        for l in labels {
            match cannot_run(&l, &values, &axes) {
                Some(reason) => skipped_engines.push(SkippedEngine {
                    engine: l.label.clone(),
                    reason,
                }),
                None => runnable.push(l),
            }
        }
        let plan = if runnable.is_empty() {
            None
        } else {
            let settings = restrict(settings, &runnable);
            let plan = plan::build(&settings, now, verbose)
                .map_err(|e| refuse(format!("experiment {id}: {}", e.message())))?;
            Some(plan)
        };
        out.push(Experiment {
            id,
            values,
            engines: runnable.iter().map(|l| l.label.clone()).collect(),
            skipped_engines,
            plan,
        });
    }
    Ok(out)
}

#[cfg(test)]
#[path = "grid_tests.rs"]
mod tests;
