//! One request of a workload on a kept-alive connection ([`one`]), and the plan as the shared
//! load drivers see it ([`bench_load::Requester`]): closed-loop users each keep a connection,
//! open-loop requests share a pool of idle ones.

use std::sync::Arc;
use std::time::Duration;

use bench_worker::mono_ns;
use serde_json::Value;
use shared_protocol::{FailureKind, Outcome, Phase, Request, Sample};

use crate::client::{self, Conn, Failure, Prepared, Target};
use crate::record::Recorder;

/// Everything a run needs, prepared before the first request is sent.
#[derive(Debug)]
pub struct Plan {
    pub target: Arc<Target>,
    pub requests: Vec<Request>,
    pub prepared: Vec<Prepared>,
    pub phase: Phase,
    pub timeout: Duration,
    /// Retries after a transient failure (429, 5xx, connection reset, timeout).
    pub retries: u32,
    /// Wait before the first retry, doubled before each next one.
    pub retry_backoff: Duration,
}

/// Run one request (each attempt on `conn` or a new connection), sent again after a transient
/// failure up to `plan.retries` times, waiting `retry_backoff`, then twice that, and so on. The
/// sample returned is the last attempt's, its `retry` the number of attempts before it; each failed
/// attempt is kept in its `engine_metrics.failed_attempts` (start, duration, failure).
pub async fn one(
    plan: &Plan,
    index: usize,
    mut conn: Option<Conn>,
    scheduled_ns: Option<u64>,
) -> (Sample, Option<Conn>) {
    let mut failed_attempts = Vec::new();
    let mut retry = 0;
    loop {
        let (mut sample, c) = attempt(plan, index, conn.take(), scheduled_ns).await;
        if retry < plan.retries && transient(&sample.outcome) {
            failed_attempts.push(serde_json::json!({
                "start_mono_ns": sample.start_mono_ns,
                "e2e_ns": sample.e2e_ns,
                "outcome": sample.outcome,
            }));
            tokio::time::sleep(plan.retry_backoff.saturating_mul(1 << retry.min(16))).await;
            retry += 1;
            conn = c;
            continue;
        }
        sample.retry = retry;
        if !failed_attempts.is_empty() {
            sample
                .engine_metrics
                .insert("failed_attempts".into(), Value::Array(failed_attempts));
        }
        return (sample, c);
    }
}

/// Whether a failure may pass if the request is sent again: HTTP 429 or 5xx, a connection
/// refused or reset, a timeout.
pub fn transient(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Failed {
            http_status: Some(s),
            ..
        } => *s == 429 || (500..600).contains(s),
        Outcome::Failed { kind, .. } => {
            matches!(kind, FailureKind::Connection | FailureKind::Timeout)
        }
        Outcome::Ok => false,
    }
}

/// Run one attempt of a request on `conn` (or a new connection), returning its sample and the
/// connection when it can carry another request.
async fn attempt(
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

impl bench_load::Requester for Plan {
    type Slot = Conn;

    fn len(&self) -> usize {
        self.requests.len()
    }

    async fn open_slot(&self) -> Result<Conn, String> {
        self.target.connect().await.map_err(|f| f.message)
    }

    fn usable(conn: &Conn) -> bool {
        !conn.is_closed()
    }

    async fn run(
        self: Arc<Self>,
        index: usize,
        conn: Option<Conn>,
        scheduled_ns: Option<u64>,
    ) -> (Sample, Option<Conn>) {
        one(&self, index, conn, scheduled_ns).await
    }
}

/// The failed sample of a request whose task ended without one.
pub fn lost(plan: &Plan, request: &Request) -> Sample {
    let outcome = Outcome::Failed {
        kind: FailureKind::EngineError,
        message: "the request's task ended without a result".into(),
        http_status: None,
    };
    let now = mono_ns();
    let mut rec = Recorder::new(0);
    rec.start_ns = now;
    rec.into_sample(request, plan.phase, outcome, now)
}
