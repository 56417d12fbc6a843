//! Harness overhead: the client against a zero-delay mock on its own thread, reporting the
//! latency the client itself adds (TTFT and ITL percentiles) and the chunk rate it sustains.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use shared_protocol::{LoadPattern, Phase, Request, Sample, Sampling};

use crate::api::{self, Api};
use crate::client::{Prepared, Target};
use crate::engine::client_runtime;
use crate::load::{self, Plan};
use crate::mock::{MockConfig, start_thread};
use crate::url::BaseUrl;

/// How to calibrate.
#[derive(Debug, Clone)]
pub struct Settings {
    pub concurrency: u32,
    pub chunks: u32,
    pub requests: usize,
    pub warmup_requests: usize,
    pub client_threads: usize,
    pub mock_threads: usize,
    /// Events the mock writes together, at most.
    pub burst: u32,
    pub api: Api,
}

/// The figures, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub concurrency: u32,
    pub chunks_per_request: u32,
    pub requests: usize,
    pub failed: usize,
    pub api: Api,
    pub client_threads: usize,
    pub mock_threads: usize,
    pub mock_burst: u32,
    pub added_ttft_p50_ms: f64,
    pub added_ttft_p99_ms: f64,
    pub added_itl_p50_us: f64,
    pub added_itl_p99_us: f64,
    pub max_schedule_lag_us: f64,
    pub chunks_per_s: f64,
    pub requests_per_s: f64,
    pub wall_s: f64,
    pub cpu_model: Option<String>,
    pub cores: usize,
}

/// A calibration that could not run.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error("cannot start the mock or the client runtime: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot reach the mock: {0}")]
    Connect(String),
    #[error("{0}")]
    Load(#[from] load::LoadError),
    #[error("no request succeeded; first failure: {0}")]
    NothingMeasured(String),
}

/// Run the calibration.
pub fn calibrate(s: &Settings) -> Result<Calibration, CalibrateError> {
    let mock = start_thread(
        MockConfig {
            chunks: Some(s.chunks),
            burst: s.burst,
            ..MockConfig::default()
        },
        0,
        s.mock_threads,
    )?;
    let runtime = client_runtime(s.client_threads)?;
    let base = BaseUrl::parse(&mock.url()).map_err(|e| CalibrateError::Connect(e.to_string()))?;
    let target = Arc::new(
        runtime
            .block_on(Target::resolve(base, None))
            .map_err(|f| CalibrateError::Connect(f.message))?,
    );
    let load = LoadPattern::Closed {
        concurrency: s.concurrency,
    };
    let warmup = plan(&target, s, s.warmup_requests, Phase::Warmup);
    let _ = drain(&runtime, warmup, &load)?;
    let samples = drain(
        &runtime,
        plan(&target, s, s.requests, Phase::Measure),
        &load,
    )?;
    drop(mock);
    summarize(s, &samples)
}

fn plan(target: &Arc<Target>, s: &Settings, n: usize, phase: Phase) -> Plan {
    let engine = shared_protocol::EngineId::Llamacpp;
    let requests: Vec<Request> = (0..n as u64)
        .map(|id| Request {
            id,
            text: "calibrate the client".into(),
            prompt_token_ids: None,
            chat: s.api.is_chat(),
            max_tokens: s.chunks,
            ignore_eos: true,
            sampling: Sampling::default(),
        })
        .collect();
    let prepared = requests
        .iter()
        .map(|r| Prepared {
            api: s.api,
            path: target.base.path(s.api.route()),
            body: api::body(s.api, engine, "mock", r).to_string().into(),
            max_tokens: r.max_tokens,
        })
        .collect();
    Plan {
        target: Arc::clone(target),
        requests,
        prepared,
        phase,
        timeout: Duration::from_mins(1),
    }
}

fn drain(
    runtime: &tokio::runtime::Runtime,
    plan: Plan,
    load: &LoadPattern,
) -> Result<Vec<Sample>, CalibrateError> {
    let n = plan.requests.len();
    let rx = load::start(Arc::new(plan), runtime.handle(), load)?;
    let mut out = Vec::with_capacity(n);
    out.extend(rx.iter());
    Ok(out)
}

fn summarize(s: &Settings, samples: &[Sample]) -> Result<Calibration, CalibrateError> {
    let ok: Vec<&Sample> = samples.iter().filter(|x| x.outcome.is_ok()).collect();
    if ok.is_empty() {
        let first = samples
            .iter()
            .find_map(|x| match &x.outcome {
                shared_protocol::Outcome::Failed { message, .. } => Some(message.clone()),
                shared_protocol::Outcome::Ok => None,
            })
            .unwrap_or_else(|| "no samples".into());
        return Err(CalibrateError::NothingMeasured(first));
    }
    let mut ttft: Vec<u64> = ok.iter().filter_map(|x| x.ttft_ns).collect();
    let mut itl: Vec<u64> = ok.iter().flat_map(|x| x.itl_ns.iter().copied()).collect();
    let first = ok.iter().map(|x| x.start_mono_ns).min().unwrap_or(0);
    let last = ok
        .iter()
        .map(|x| x.start_mono_ns + x.e2e_ns)
        .max()
        .unwrap_or(first);
    let wall_s = (last - first) as f64 / 1e9;
    let chunks: u64 = ok
        .iter()
        .filter_map(|x| x.token_counts.chunks)
        .map(u64::from)
        .sum();
    let lag = samples
        .iter()
        .filter_map(|x| {
            x.scheduled_mono_ns
                .map(|t| x.start_mono_ns.saturating_sub(t))
        })
        .max()
        .unwrap_or(0);
    Ok(Calibration {
        concurrency: s.concurrency,
        chunks_per_request: s.chunks,
        requests: samples.len(),
        failed: samples.len() - ok.len(),
        api: s.api,
        client_threads: s.client_threads,
        mock_threads: s.mock_threads,
        mock_burst: s.burst,
        added_ttft_p50_ms: percentile(&mut ttft, 0.50) / 1e6,
        added_ttft_p99_ms: percentile(&mut ttft, 0.99) / 1e6,
        added_itl_p50_us: percentile(&mut itl, 0.50) / 1e3,
        added_itl_p99_us: percentile(&mut itl, 0.99) / 1e3,
        max_schedule_lag_us: lag as f64 / 1e3,
        chunks_per_s: if wall_s > 0.0 {
            chunks as f64 / wall_s
        } else {
            0.0
        },
        requests_per_s: if wall_s > 0.0 {
            ok.len() as f64 / wall_s
        } else {
            0.0
        },
        wall_s,
        cpu_model: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    })
}

/// Nearest-rank percentile (`q` in 0..=1) in nanoseconds; 0 for no data.
fn percentile(v: &mut [u64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1] as f64
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        let p = |v: &mut [u64], q| percentile(v, q) as u64;
        assert_eq!(p(&mut v, 0.5), 50);
        assert_eq!(p(&mut v, 0.99), 99);
        assert_eq!(p(&mut v, 1.0), 100);
        assert_eq!(p(&mut [], 0.5), 0);
    }
}
