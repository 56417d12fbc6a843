//! What happened to an engine's requests and runs: counts, failures, throughput over measured
//! wall time, and the warnings a reader should see.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared_protocol::Outcome;

use super::token_counts::TokenCountCheck;
use crate::metrics::Request;
use crate::store::{EngineRun, RunStatus};
use bench_stats::Summary;

/// A failed engine run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunFailure {
    pub repetition: u32,
    pub reason: String,
    pub message: String,
}

/// Request counts over measured requests.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestCounts {
    pub ok: u64,
    pub failed: u64,
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Measured requests planned (requests x repetitions).
    pub planned: u64,
    /// Planned but never answered (the worker died before them).
    pub not_run: u64,
    /// Planned but not needed: adaptive stopping reached its target precision first.
    pub stopped_early: u64,
    pub warmup: u64,
    /// Measured requests sent again after a transient failure (`--retries`); their figures are
    /// their last attempt's.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retried: u64,
    /// With retries: measured requests whose first attempt failed (retried, or failed with no
    /// retry left), over every measured request: the failure rate retries hide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_attempt_failure_rate: Option<f64>,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Aggregate rates over the measured wall time of each repetition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Throughput {
    /// Sum over repetitions of (last measured completion - first measured submission).
    pub wall_s: f64,
    pub output_tok_s: Option<f64>,
    pub requests_per_s: Option<f64>,
}

/// Counts over `measured` rows (`ok` of them successful); `planned_per_rep` requests were planned
/// per repetition, and under adaptive stopping the unanswered ones were not needed.
pub fn counts(
    measured: &[&Request],
    ok: usize,
    warmup: usize,
    planned_per_rep: u64,
    runs: &[&EngineRun],
    adaptive: bool,
) -> RequestCounts {
    let mut counts = RequestCounts {
        ok: ok as u64,
        warmup: warmup as u64,
        planned: planned_per_rep * runs.len().max(1) as u64,
        ..RequestCounts::default()
    };
    let mut first_failed = 0_u64;
    for r in measured {
        if r.retry > 0 {
            counts.retried += 1;
        }
        if r.retry > 0 || !r.outcome().is_ok() {
            first_failed += 1;
        }
        if let Outcome::Failed { kind, .. } = r.outcome() {
            counts.failed += 1;
            *counts
                .failed_by_reason
                .entry(kind.as_str().to_owned())
                .or_default() += 1;
        }
    }
    if counts.retried > 0 {
        counts.first_attempt_failure_rate = Some(first_failed as f64 / measured.len() as f64);
    }
    let unanswered = counts.planned.saturating_sub(measured.len() as u64);
    let failed_runs = runs.iter().any(|r| r.status != RunStatus::Ok);
    if adaptive && !failed_runs {
        counts.stopped_early = unanswered;
    } else {
        counts.not_run = unanswered;
    }
    counts
}

/// The failed runs among `runs`.
pub fn failures(runs: &[&EngineRun]) -> Vec<RunFailure> {
    runs.iter()
        .filter_map(|r| match &r.status {
            RunStatus::Failed { reason, message } => Some(RunFailure {
                repetition: r.repetition,
                reason: reason.clone(),
                message: message.clone(),
            }),
            RunStatus::Ok => None,
        })
        .collect()
}

/// Output tokens and requests per second over the measured wall time of every repetition.
pub fn throughput(runs: &[&EngineRun], ok: &[&Request]) -> Throughput {
    let wall_s: f64 = runs
        .iter()
        .filter_map(|r| Some(r.measured_ns()? as f64 / 1e9))
        .sum();
    let output_tokens: u64 = ok.iter().map(|s| u64::from(s.completion_tokens)).sum();
    Throughput {
        wall_s,
        output_tok_s: (wall_s > 0.0).then(|| output_tokens as f64 / wall_s),
        requests_per_s: (wall_s > 0.0).then(|| ok.len() as f64 / wall_s),
    }
}

/// Reasons a reader should be careful with an engine's figures (telemetry's validity flags
/// last).
pub fn warnings(
    failures: &[RunFailure],
    loaded_runs: usize,
    requests: &RequestCounts,
    ttft_ms: Option<&Summary>,
    token_counts: Option<&TokenCountCheck>,
    validity: &[String],
) -> Vec<String> {
    let mut w = Vec::new();
    if !failures.is_empty() {
        w.push(format!(
            "{} of {} repetition(s) failed; figures cover what was measured before",
            failures.len(),
            loaded_runs.max(failures.len())
        ));
    }
    if requests.failed > 0 {
        w.push(format!(
            "{} measured request(s) failed and are excluded from latency figures",
            requests.failed
        ));
    }
    if requests.not_run > 0 {
        w.push(format!(
            "{} planned request(s) were never run",
            requests.not_run
        ));
    }
    if let Some(t) = ttft_ms {
        if !t.tail.p99_supported {
            w.push(format!("n={} is too small for p99 (needs 100)", t.n));
        } else if !t.tail.p99_9_supported {
            w.push(format!("n={} is too small for p99.9 (needs 1000)", t.n));
        }
    }
    if requests.ok == 0 {
        w.push("no successful measured request: no latency figures".to_owned());
    }
    if let Some(c) = token_counts {
        if c.server_vs_tokenizer.1 > 0 {
            w.push(format!(
                "server and tokenizer completion-token counts differ on {} of {} requests",
                c.server_vs_tokenizer.1, c.server_vs_tokenizer.0
            ));
        }
        if c.server_vs_chunks.1 > 0 {
            w.push(format!(
                "server token counts differ from chunk counts on {} of {} requests: ITL is per chunk",
                c.server_vs_chunks.1, c.server_vs_chunks.0
            ));
        }
    }
    w.extend(validity.iter().cloned());
    w
}
