//! Each engine of a run held against the first one listed (the reference): ratio of medians with
//! a bootstrap CI, Holm-corrected rank tests, effect sizes, a verdict.

use serde::{Deserialize, Serialize};
use shared_protocol::Phase;

use crate::plan::Plan;
use crate::store::SampleRow;

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
pub fn reference_verdicts(plan: &Plan, rows: &[SampleRow]) -> Option<Verdicts> {
    let labels = plan.labels();
    let (reference, others) = labels.split_first()?;
    if others.is_empty() {
        return None;
    }
    let ok = |label: &str| -> Vec<&shared_protocol::Sample> {
        rows.iter()
            .filter(|r| {
                r.label == label && r.sample.phase == Phase::Measure && r.sample.outcome.is_ok()
            })
            .map(|r| &r.sample)
            .collect()
    };
    let pairs: Vec<_> = others
        .iter()
        .map(|l| (l.clone(), ok(reference), ok(l)))
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
