//! Whole workloads under mistral.rs's own scheduler: the runner's closed- and open-loop load
//! plans (the drivers http-bench uses, from `bench-load`) offer requests to mistral.rs
//! concurrently, and it batches them as it would a server's.
//!
//! Each request runs as [`stream::run`](crate::stream::run) does alone, with a sink of its own:
//! stamped chunks, the ids its recorder saw, and the send time it was scheduled for (open loop),
//! so schedule lag shows. A request past the workload's timeout, or one mistral.rs refuses, is a
//! failed sample; one whose task ends without a sample is reported failed by the collector.

use std::sync::Arc;
use std::time::Duration;

use bench_worker::{TokenSink, mono_ns};
use mistralrs::Model;
use shared_protocol::{FailureKind, Outcome, Phase, Request, Sample, WorkerMessage, Workload};

use crate::engine::MistralRs;
use crate::stream::{self, Limits};

/// A workload as the load drivers see it.
struct Plan {
    model: Arc<Model>,
    requests: Vec<Request>,
    phase: Phase,
    timeout: Duration,
    eos_ids: Vec<u32>,
    vocab: usize,
    max_seq_len: usize,
}

impl Plan {
    fn limits(&self) -> Limits<'_> {
        Limits {
            eos_ids: &self.eos_ids,
            vocab: self.vocab,
            max_seq_len: self.max_seq_len,
        }
    }
}

impl bench_load::Requester for Plan {
    type Slot = ();

    fn len(&self) -> usize {
        self.requests.len()
    }

    async fn open_slot(&self) -> Result<(), String> {
        Ok(())
    }

    async fn run(
        self: Arc<Self>,
        index: usize,
        _slot: Option<()>,
        scheduled_ns: Option<u64>,
    ) -> (Sample, Option<()>) {
        let request = &self.requests[index];
        let mut sink = TokenSink::new(None);
        let prepared = sink.prepare(request.max_tokens);
        sink.start();
        let result = match prepared {
            Ok(()) => {
                let limits = self.limits();
                tokio::time::timeout(
                    self.timeout,
                    stream::run(&self.model, request, &limits, &mut sink),
                )
                .await
            }
            Err(e) => Ok(Err(e)),
        };
        let end = mono_ns();
        let outcome = match result {
            Ok(Ok(())) => Outcome::Ok,
            Ok(Err(e)) => failed(FailureKind::EngineError, format!("{e:#}")),
            Err(_) => failed(
                FailureKind::Timeout,
                format!(
                    "not finished within {} ms ({} chunks received)",
                    self.timeout.as_millis(),
                    sink.chunks()
                ),
            ),
        };
        let (mut sample, _) = sink.finish(request, self.phase, end, outcome);
        sample.scheduled_mono_ns = scheduled_ns;
        (sample, Some(()))
    }
}

fn failed(kind: FailureKind, message: String) -> Outcome {
    Outcome::Failed {
        kind,
        message,
        http_status: None,
    }
}

/// Run `workload` on `engine`, emitting one sample per request and progress; the samples emitted.
pub fn run(
    engine: &MistralRs,
    workload: &Workload,
    emit: &mut dyn FnMut(WorkerMessage) -> std::io::Result<()>,
) -> anyhow::Result<u64> {
    let (runtime, model) = engine.parts();
    let limits = engine.limits();
    // Refuse what no request could run before offering any load.
    for r in &workload.requests {
        stream::check(r, &limits).map_err(|e| anyhow::anyhow!("request {}: {e:#}", r.id))?;
    }
    let plan = Arc::new(Plan {
        model: Arc::clone(model),
        requests: workload.requests.clone(),
        phase: workload.phase,
        timeout: Duration::from_millis(workload.request_timeout_ms.max(1)),
        eos_ids: limits.eos_ids.to_vec(),
        vocab: limits.vocab,
        max_seq_len: limits.max_seq_len,
    });
    let rx = bench_load::start(
        Arc::clone(&plan),
        runtime.handle(),
        &workload.load,
        "mistral-rs-bench",
    )?;
    let lost = |r: &Request| {
        let now = mono_ns();
        let mut sink = TokenSink::new(None);
        let _ = sink.prepare(0);
        let (sample, _) = sink.finish(
            r,
            plan.phase,
            now,
            failed(
                FailureKind::EngineError,
                "the request's task ended without a result".into(),
            ),
        );
        sample
    };
    let tally = bench_load::collect(&rx, &plan.requests, &lost, emit)?;
    if tally.lost > 0 {
        eprintln!(
            "mistral-rs-bench: {} requests ended without a result and are reported as failed",
            tally.lost
        );
    }
    Ok(tally.samples)
}
