//! Goodput: the share and rate of measured requests that meet every service-level objective.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metrics::Request;
use crate::plan::SloMetric;

/// Requests meeting the service-level objectives.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Goodput {
    pub slo: BTreeMap<SloMetric, f64>,
    /// Measured requests (failed ones count as missing the objectives).
    pub requests: u64,
    pub met: u64,
    pub share: f64,
    /// Met requests per second of measured wall time.
    pub rate_rps: Option<f64>,
}

/// Goodput of `rows` (one engine's) under `slo` over `wall_s` seconds of measured time; `None`
/// without objectives.
pub fn goodput(slo: &BTreeMap<SloMetric, f64>, rows: &[&Request], wall_s: f64) -> Option<Goodput> {
    if slo.is_empty() {
        return None;
    }
    let measured: Vec<&Request> = rows
        .iter()
        .copied()
        .filter(|r| r.phase == shared_protocol::Phase::Measure)
        .collect();
    let meets = |s: &Request| {
        s.outcome().is_ok()
            && slo
                .iter()
                .all(|(metric, &limit)| metric.value(s).is_some_and(|v| v <= limit))
    };
    let met = measured.iter().filter(|s| meets(s)).count() as u64;
    let n = measured.len() as u64;
    Some(Goodput {
        slo: slo.clone(),
        requests: n,
        met,
        share: if n > 0 { met as f64 / n as f64 } else { 0.0 },
        rate_rps: (wall_s > 0.0).then(|| met as f64 / wall_s),
    })
}
