//! Harness overhead: the client against a zero-delay mock on its own thread, reporting the
//! latency the client itself adds (TTFT and ITL percentiles) and the chunk rate it sustains.
//! With TLS on, the same run is repeated against the mock serving `https`, and the TLS
//! overhead is reported beside the plain figures: the handshake on its own, and the change in
//! added TTFT, ITL and chunk rate on kept-alive connections.

use std::sync::Arc;
use std::time::Duration;

use bench_worker::mono_ns;
use rustls::pki_types::pem::PemObject as _;
use serde::Serialize;
use shared_protocol::{Phase, Request, Sample, Sampling};

use crate::api::{self, Api};
use crate::client::{Prepared, Target};
use crate::engine::client_runtime;
use crate::load::Plan;
use crate::mock::{MockConfig, MockTls, start_thread_with};
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
    /// Repeat the run over TLS and report the overhead.
    pub tls: bool,
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
    /// The clock behind arrival times: `kernel` (receive timestamps) or `client` (the read's
    /// return), as the requests' `arrival_clock` says.
    pub arrival_clock: String,
    /// How long the client took to read data the kernel had received: the median over
    /// requests of each request's mean lag, and the 99th percentile of each request's
    /// longest (null without kernel timestamps). Not part of any timing when the arrival
    /// clock is the kernel's.
    pub client_lag_mean_p50_us: Option<f64>,
    pub client_lag_max_p99_us: Option<f64>,
    /// Content chunks per second while every user had a request in flight (from the last
    /// user's first send to the first user's last arrival), over `steady_s` seconds.
    pub chunks_per_s: f64,
    pub steady_s: f64,
    pub requests_per_s: f64,
    pub wall_s: f64,
    pub cpu_model: Option<String>,
    pub cores: usize,
    /// What the machine itself does to a thread that never sleeps, measured just before the
    /// run: a latency tail no client can go below.
    pub host_stalls: HostStalls,
    /// The same run over TLS (`https`), beside the plain one above; absent with `--no-tls`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsOverhead>,
}

/// What TLS adds: the handshake, measured alone over fresh connections, and the figures of the
/// same calibration over `https` with their differences from plain HTTP (https minus http).
#[derive(Debug, Clone, Serialize)]
pub struct TlsOverhead {
    /// The TLS version and cipher suite the connections used.
    pub protocol: String,
    pub cipher_suite: String,
    /// Fresh connections timed, one after another.
    pub handshakes: usize,
    /// TCP connect alone (plain), and the TLS handshake after it, per connection.
    pub tcp_connect_p50_us: f64,
    pub handshake_p50_us: f64,
    pub handshake_p99_us: f64,
    /// The calibration's figures over `https`.
    pub failed: usize,
    pub added_ttft_p50_ms: f64,
    pub added_ttft_p99_ms: f64,
    pub added_itl_p50_us: f64,
    pub added_itl_p99_us: f64,
    pub chunks_per_s: f64,
    pub arrival_clock: String,
    /// Per-chunk overhead: https minus http, kept-alive connections (no handshake inside).
    pub ttft_p50_overhead_ms: f64,
    pub itl_p50_overhead_us: f64,
    pub itl_p99_overhead_us: f64,
    /// https chunk rate over http's (below 1: TLS costs throughput).
    pub chunks_per_s_ratio: f64,
}

/// Stalls seen by threads that only read the clock (one per core, for `probe_s` seconds):
/// gaps between successive readings longer than `threshold_us`, which is time the thread was
/// not running (preempted by the kernel or, in a virtual machine, by the host).
#[derive(Debug, Clone, Serialize)]
pub struct HostStalls {
    pub probe_s: f64,
    pub threshold_us: f64,
    pub per_s: f64,
    /// Share of the probe's time lost to stalls.
    pub stalled_fraction: f64,
    pub p50_us: f64,
    pub max_us: f64,
}

/// Spin `threads` threads for `secs`, each reading the monotonic clock in a loop, and collect
/// the gaps longer than `threshold_ns`.
fn host_stalls(threads: usize, secs: f64, threshold_ns: u64) -> HostStalls {
    let span = (secs * 1e9) as u64;
    let handles: Vec<_> = (0..threads.max(1))
        .map(|_| {
            std::thread::spawn(move || {
                let mut gaps = Vec::new();
                let t0 = mono_ns();
                let mut last = t0;
                while last - t0 < span {
                    let now = mono_ns();
                    if now - last > threshold_ns {
                        gaps.push(now - last);
                    }
                    last = now;
                }
                gaps
            })
        })
        .collect();
    let mut gaps: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    let total = secs * threads.max(1) as f64;
    let lost: u64 = gaps.iter().sum();
    HostStalls {
        probe_s: secs,
        threshold_us: threshold_ns as f64 / 1e3,
        per_s: gaps.len() as f64 / total,
        stalled_fraction: lost as f64 / 1e9 / total,
        p50_us: percentile(&mut gaps, 0.5) / 1e3,
        max_us: gaps.iter().max().copied().unwrap_or(0) as f64 / 1e3,
    }
}

/// A calibration that could not run.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error("cannot start the mock or the client runtime: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot reach the mock: {0}")]
    Connect(String),
    #[error("no request succeeded; first failure: {0}")]
    NothingMeasured(String),
    #[error("cannot set up the TLS run: {0}")]
    Tls(String),
}

/// Run the calibration (and again over TLS when `s.tls`).
pub fn calibrate(s: &Settings) -> Result<Calibration, CalibrateError> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let stalls = host_stalls(cores, 1.0, 50_000);
    let runtime = client_runtime(s.client_threads)?;
    let samples = measure(&runtime, s, None)?;
    let mut plain = summarize(s, &samples, stalls.clone())?;
    if s.tls {
        let certs = MockTls::generate().map_err(CalibrateError::Tls)?;
        let samples = measure(&runtime, s, Some(&certs))?;
        let https = summarize(s, &samples, stalls)?;
        let (handshakes, protocol) = handshakes(&runtime, s, &certs, 50)?;
        plain.tls = Some(overhead(&plain, &https, &handshakes, protocol));
    }
    Ok(plain)
}

/// The mock, the target and a warm-up, then the measured samples; over TLS with `tls`.
fn measure(
    runtime: &tokio::runtime::Runtime,
    s: &Settings,
    tls: Option<&MockTls>,
) -> Result<Vec<Sample>, CalibrateError> {
    let mock = start_mock(s, tls)?;
    let target = Arc::new(resolve(runtime, &mock.url(), tls)?);
    let warmup = drain(
        runtime,
        plan(&target, s, s.warmup_requests, Phase::Warmup),
        s.concurrency,
        Duration::ZERO,
    );
    // Against a zero-delay mock, users that start together finish together and their next
    // requests reach the mock as one burst, whose queue is the mock's, not the client's. So
    // the measured users start spread over one request's duration, as measured in the warm-up.
    let mut e2e: Vec<u64> = warmup
        .iter()
        .filter(|x| x.outcome.is_ok())
        .map(|x| x.e2e_ns)
        .collect();
    let stagger = Duration::from_nanos(percentile(&mut e2e, 0.5) as u64) / s.concurrency.max(1);
    let samples = drain(
        runtime,
        plan(&target, s, s.requests, Phase::Measure),
        s.concurrency,
        stagger,
    );
    drop(mock);
    Ok(samples)
}

fn start_mock(s: &Settings, tls: Option<&MockTls>) -> std::io::Result<crate::mock::MockServer> {
    let config = MockConfig {
        chunks: Some(s.chunks),
        burst: s.burst,
        ..MockConfig::default()
    };
    start_thread_with(config, 0, s.mock_threads, tls)
}

/// The mock's target, trusting the mock's CA over TLS.
fn resolve(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    tls: Option<&MockTls>,
) -> Result<Target, CalibrateError> {
    let base = BaseUrl::parse(url).map_err(|e| CalibrateError::Connect(e.to_string()))?;
    let config = match tls {
        Some(t) => {
            let certs = rustls::pki_types::CertificateDer::pem_slice_iter(t.ca_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CalibrateError::Tls(e.to_string()))?;
            Some(
                crate::tls::client_config(&certs, "the mock's CA")
                    .map_err(|e| CalibrateError::Tls(e.to_string()))?,
            )
        }
        None => None,
    };
    runtime
        .block_on(Target::resolve(base, None, config))
        .map_err(|f| CalibrateError::Connect(f.message))
}

/// Time `n` fresh connections one after another, plain and over TLS: the plain connects
/// (nanoseconds), the TLS handshakes (nanoseconds), and the negotiated version and suite.
fn handshakes(
    runtime: &tokio::runtime::Runtime,
    s: &Settings,
    tls: &MockTls,
    n: usize,
) -> Result<(Handshakes, (String, String)), CalibrateError> {
    let plain_mock = start_mock(s, None)?;
    let tls_mock = start_mock(s, Some(tls))?;
    let plain = resolve(runtime, &plain_mock.url(), None)?;
    let secure = resolve(runtime, &tls_mock.url(), Some(tls))?;
    runtime.block_on(async {
        let mut out = Handshakes::default();
        let mut protocol = (String::new(), String::new());
        for _ in 0..n {
            let t0 = mono_ns();
            let conn = plain
                .connect()
                .await
                .map_err(|f| CalibrateError::Connect(f.message))?;
            out.tcp_ns.push(mono_ns() - t0);
            drop(conn);
            let conn = secure
                .connect()
                .await
                .map_err(|f| CalibrateError::Connect(f.message))?;
            out.handshake_ns.push(conn.handshake_ns());
            protocol = conn.tls_session().unwrap_or_default();
        }
        Ok((out, protocol))
    })
}

/// Connection set-up times over the handshake probe.
#[derive(Debug, Clone, Default)]
struct Handshakes {
    tcp_ns: Vec<u64>,
    handshake_ns: Vec<u64>,
}

/// The TLS figures beside the plain ones.
fn overhead(
    plain: &Calibration,
    https: &Calibration,
    h: &Handshakes,
    (protocol, cipher_suite): (String, String),
) -> TlsOverhead {
    let mut tcp = h.tcp_ns.clone();
    let mut hs = h.handshake_ns.clone();
    TlsOverhead {
        protocol,
        cipher_suite,
        handshakes: hs.len(),
        tcp_connect_p50_us: percentile(&mut tcp, 0.5) / 1e3,
        handshake_p50_us: percentile(&mut hs, 0.5) / 1e3,
        handshake_p99_us: percentile(&mut hs, 0.99) / 1e3,
        failed: https.failed,
        added_ttft_p50_ms: https.added_ttft_p50_ms,
        added_ttft_p99_ms: https.added_ttft_p99_ms,
        added_itl_p50_us: https.added_itl_p50_us,
        added_itl_p99_us: https.added_itl_p99_us,
        chunks_per_s: https.chunks_per_s,
        arrival_clock: https.arrival_clock.clone(),
        ttft_p50_overhead_ms: https.added_ttft_p50_ms - plain.added_ttft_p50_ms,
        itl_p50_overhead_us: https.added_itl_p50_us - plain.added_itl_p50_us,
        itl_p99_overhead_us: https.added_itl_p99_us - plain.added_itl_p99_us,
        chunks_per_s_ratio: if plain.chunks_per_s > 0.0 {
            https.chunks_per_s / plain.chunks_per_s
        } else {
            0.0
        },
    }
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
        retries: 0,
        retry_backoff: Duration::ZERO,
    }
}

/// Run `plan` closed-loop at the settings' concurrency, users starting `stagger` apart.
fn drain(
    runtime: &tokio::runtime::Runtime,
    plan: Plan,
    concurrency: u32,
    stagger: Duration,
) -> Vec<Sample> {
    let n = plan.requests.len();
    let (tx, rx) = std::sync::mpsc::channel();
    runtime.spawn(bench_load::closed(
        Arc::new(plan),
        concurrency.max(1) as usize,
        stagger,
        tx,
    ));
    let mut out = Vec::with_capacity(n);
    out.extend(rx.iter());
    out
}

fn summarize(
    s: &Settings,
    samples: &[Sample],
    host_stalls: HostStalls,
) -> Result<Calibration, CalibrateError> {
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
    let (chunks_per_s, steady_s) = steady_chunk_rate(&ok, s.concurrency as usize);
    let lag = samples
        .iter()
        .filter_map(|x| {
            x.scheduled_mono_ns
                .map(|t| x.start_mono_ns.saturating_sub(t))
        })
        .max()
        .unwrap_or(0);
    let metric = |x: &Sample, key: &str| {
        x.engine_metrics
            .get(key)
            .and_then(serde_json::Value::as_u64)
    };
    let mut lag_mean: Vec<u64> = ok
        .iter()
        .filter_map(|x| metric(x, "client_lag_mean_ns"))
        .collect();
    let mut lag_max: Vec<u64> = ok
        .iter()
        .filter_map(|x| metric(x, "client_lag_max_ns"))
        .collect();
    let kernel = ok.iter().all(|x| {
        x.engine_metrics
            .get("arrival_clock")
            .and_then(serde_json::Value::as_str)
            == Some("kernel")
    });
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
        arrival_clock: (if kernel { "kernel" } else { "client" }).to_owned(),
        client_lag_mean_p50_us: (!lag_mean.is_empty())
            .then(|| percentile(&mut lag_mean, 0.50) / 1e3),
        client_lag_max_p99_us: (!lag_max.is_empty()).then(|| percentile(&mut lag_max, 0.99) / 1e3),
        chunks_per_s,
        steady_s,
        requests_per_s: if wall_s > 0.0 {
            ok.len() as f64 / wall_s
        } else {
            0.0
        },
        wall_s,
        cpu_model: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        host_stalls,
        tls: None,
    })
}

/// Content chunks per second between the `users`-th earliest send (every user has started)
/// and the `users`-th latest end (no user has finished its last request), and that window's
/// length in seconds; over the whole run where that window is empty.
fn steady_chunk_rate(ok: &[&Sample], users: usize) -> (f64, f64) {
    let mut starts: Vec<u64> = ok.iter().map(|x| x.start_mono_ns).collect();
    let mut ends: Vec<u64> = ok.iter().map(|x| x.start_mono_ns + x.e2e_ns).collect();
    starts.sort_unstable();
    ends.sort_unstable_by(|a, b| b.cmp(a));
    let k = users.clamp(1, ok.len()) - 1;
    let (mut from, mut to) = (starts[k], ends[k]);
    if to <= from {
        from = starts[0];
        to = ends[0];
    }
    let arrivals = ok.iter().flat_map(|x| {
        let first = x.ttft_ns.map(|t| x.start_mono_ns + t);
        first
            .into_iter()
            .chain(x.itl_ns.iter().scan(first.unwrap_or(0), |t, gap| {
                *t += gap;
                Some(*t)
            }))
    });
    let n = arrivals.filter(|&t| t >= from && t <= to).count();
    let secs = (to - from) as f64 / 1e9;
    (if secs > 0.0 { n as f64 / secs } else { 0.0 }, secs)
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
#[path = "calibrate_tests.rs"]
mod tests;
