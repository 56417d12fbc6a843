//! Load generation: closed loop (N users, each on its own kept-alive connection) and open loop
//! (precomputed send times paced on a dedicated thread, optionally capped in concurrency), with
//! every finished request sent as a sample to the thread that writes the protocol.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use bench_worker::mono_ns;
use serde_json::Value;
use shared_protocol::{FailureKind, LoadPattern, Outcome, Phase, Request, Sample};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use crate::client::{self, Conn, Failure, Prepared, Target};
use crate::pacer::wait_until;
use crate::pool::Pool;
use crate::record::Recorder;

/// A load that could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("open loop: {0}")]
    Schedule(#[from] crate::arrivals::ScheduleError),
    #[error("cannot start the pacing thread: {0}")]
    Thread(std::io::Error),
}

/// Everything a run needs, prepared before the first request is sent.
#[derive(Debug)]
pub struct Plan {
    pub target: Arc<Target>,
    pub requests: Vec<Request>,
    pub prepared: Vec<Prepared>,
    pub phase: Phase,
    pub timeout: Duration,
}

/// Run one request on `conn` (or a new connection), returning its sample and the connection
/// when it can carry another request.
pub async fn one(
    plan: &Plan,
    index: usize,
    mut conn: Option<Conn>,
    scheduled_ns: Option<u64>,
) -> (Sample, Option<Conn>) {
    let request = &plan.requests[index];
    let prepared = &plan.prepared[index];
    let mut rec = Recorder::new(prepared.max_tokens);
    rec.scheduled_ns = scheduled_ns;
    let mut reused = conn.is_some();
    let mut result;
    let conn = loop {
        let mut c = match ready(&plan.target, conn.take(), &mut reused, &mut rec).await {
            Ok(c) => c,
            Err(f) => {
                rec.start_ns = mono_ns();
                let end = rec.start_ns;
                return (rec.into_sample(request, plan.phase, failed(f), end), None);
            }
        };
        result = tokio::time::timeout(
            plan.timeout,
            client::stream(&plan.target, &mut c, prepared, &mut rec),
        )
        .await;
        // A kept-alive connection the server closed as the request went out: no answer came,
        // so the request is sent again, once, on a new connection (as HTTP clients do).
        let stale = matches!(&result, Ok(Err(f)) if f.kind == FailureKind::Connection);
        if !(stale && reused) {
            break c;
        }
        reused = false;
        rec.engine_metrics
            .insert("resent_on_new_connection".into(), Value::Bool(true));
    };
    let end = mono_ns();
    let (outcome, conn) = match result {
        Ok(Ok(())) => (Outcome::Ok, Some(conn)),
        Ok(Err(f)) => (failed(f), None),
        Err(_) => (
            failed(Failure::new(
                FailureKind::Timeout,
                format!(
                    "no end of stream within {} ms ({} content chunks)",
                    plan.timeout.as_millis(),
                    rec.chunks()
                ),
            )),
            None,
        ),
    };
    (rec.into_sample(request, plan.phase, outcome, end), conn)
}

/// A connection ready for a request: `conn` when it is still open (`reused` stays true),
/// else a new one (`reused` set false, its set-up time recorded as `connect_ns`).
async fn ready(
    target: &Target,
    conn: Option<Conn>,
    reused: &mut bool,
    rec: &mut Recorder,
) -> Result<Conn, Failure> {
    if let Some(c) = conn
        && !c.is_closed()
    {
        return Ok(c);
    }
    *reused = false;
    let t0 = mono_ns();
    let c = target.connect().await?;
    rec.engine_metrics
        .insert("connect_ns".into(), Value::from(mono_ns() - t0));
    Ok(c)
}

fn failed(f: Failure) -> Outcome {
    Outcome::Failed {
        kind: f.kind,
        message: f.message,
        http_status: f.http_status,
    }
}

/// Closed loop: `concurrency` users, each taking the next request when its last one finished;
/// user `k` starts `k * stagger` after the first.
pub async fn closed(
    plan: Arc<Plan>,
    concurrency: usize,
    stagger: Duration,
    tx: mpsc::Sender<Sample>,
) {
    let users = concurrency.min(plan.requests.len());
    let mut conns = Vec::with_capacity(users);
    for _ in 0..users {
        // A failed connect is retried by the request itself, and recorded there.
        conns.push(plan.target.connect().await.ok());
    }
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    let t0 = tokio::time::Instant::now();
    for (k, mut conn) in conns.into_iter().enumerate() {
        let (plan, next, tx) = (Arc::clone(&plan), Arc::clone(&next), tx.clone());
        set.spawn(async move {
            if !stagger.is_zero() {
                tokio::time::sleep_until(t0 + stagger * k as u32).await;
            }
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= plan.requests.len() {
                    break;
                }
                let (sample, back) = one(&plan, i, conn.take(), None).await;
                conn = back;
                if tx.send(sample).is_err() {
                    break;
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
}

/// Open loop, run on the calling (pacing) thread: each request is started at its send time
/// on `handle`'s runtime, whatever happened to the earlier ones. A request waiting for a
/// concurrency slot or a connection keeps its intended send time, so the wait shows as lag.
pub fn open(
    plan: &Arc<Plan>,
    handle: &Handle,
    offsets_ns: &[u64],
    max_concurrency: Option<usize>,
    tx: &mpsc::Sender<Sample>,
) {
    let pool = Arc::new(Pool::new());
    let warm = max_concurrency.unwrap_or(8).min(plan.requests.len());
    if let Err(f) = handle.block_on(pool.warm(&plan.target, warm)) {
        eprintln!(
            "http-bench: could not open connections ahead of the run: {}",
            f.message
        );
    }
    let slots = max_concurrency.map(|n| Arc::new(Semaphore::new(n)));
    let t0 = mono_ns() + 1_000_000;
    for (i, offset) in offsets_ns.iter().enumerate() {
        let at = t0 + offset;
        wait_until(at);
        let (plan, pool, slots, tx) = (
            Arc::clone(plan),
            Arc::clone(&pool),
            slots.clone(),
            tx.clone(),
        );
        handle.spawn(async move {
            let _permit = match &slots {
                Some(s) => s.acquire().await.ok(),
                None => None,
            };
            let (sample, back) = one(&plan, i, pool.take(), Some(at)).await;
            if let Some(conn) = back {
                pool.put(conn);
            }
            let _ = tx.send(sample);
        });
    }
}

/// Start the load on `handle`; samples arrive on the returned receiver, which disconnects
/// when every request has produced one.
pub fn start(
    plan: Arc<Plan>,
    handle: &Handle,
    load: &LoadPattern,
) -> Result<mpsc::Receiver<Sample>, LoadError> {
    let (tx, rx) = mpsc::channel();
    match *load {
        LoadPattern::Closed { concurrency } => {
            handle.spawn(closed(
                plan,
                concurrency.max(1) as usize,
                Duration::ZERO,
                tx,
            ));
        }
        LoadPattern::Open {
            rate_rps,
            arrival,
            max_concurrency,
            seed,
            ramp_up_s,
        } => {
            let offsets = crate::arrivals::offsets_ns(
                plan.requests.len(),
                rate_rps,
                arrival,
                seed,
                ramp_up_s,
            )?;
            let handle = handle.clone();
            let max = max_concurrency.map(|m| m.max(1) as usize);
            std::thread::Builder::new()
                .name("http-bench-pacer".into())
                .spawn(move || open(&plan, &handle, &offsets, max, &tx))
                .map_err(LoadError::Thread)?;
        }
    }
    Ok(rx)
}
