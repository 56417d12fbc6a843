//! Each engine of a run held against the first one listed (the reference): ratio of medians with
//! a bootstrap CI, Holm-corrected rank tests, effect sizes, a verdict.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metrics::MetricSamples;
use crate::plan::Plan;

/// Engines of one run compared with a reference engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdicts {
    pub reference: String,
    pub correction: String,
    pub alpha: f64,
    pub noise_threshold: f64,
    pub rows: Vec<crate::diff::DiffRow>,
    pub skipped: Vec<String>,
}

/// Every other engine against the first engine of the plan.
///
/// `metrics` holds each engine label's metric samples (a label with none compares as empty).
pub fn reference_verdicts(
    plan: &Plan,
    metrics: &BTreeMap<String, MetricSamples>,
) -> Option<Verdicts> {
    let labels = plan.labels();
    let (reference, others) = labels.split_first()?;
    if others.is_empty() {
        return None;
    }
    let empty = MetricSamples::default();
    let of = |label: &str| metrics.get(label).unwrap_or(&empty);
    let pairs: Vec<_> = others
        .iter()
        .map(|l| (l.clone(), of(reference), of(l)))
        .collect();
    let options = crate::diff::DiffOptions {
        seed: plan.seed,
        ..crate::diff::DiffOptions::default()
    };
    let (rows, skipped) = crate::diff::compare_pairs(&pairs, &options);
    Some(Verdicts {
        reference: reference.clone(),
        correction: "holm".to_owned(),
        alpha: options.alpha,
        noise_threshold: options.noise_threshold,
        rows,
        skipped,
    })
}
