//! The protocol side of a run: samples as they arrive, progress about once a second, and a
//! failed sample for any request that ended without one (none is dropped silently).

use std::collections::HashMap;
use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use shared_protocol::{FailureKind, Outcome, Progress, Sample, WorkerMessage};

use crate::load::Plan;
use crate::record::Recorder;

/// What a run produced, for the closing log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub samples: u64,
    pub failed: u64,
    /// Requests that asked for `ignore_eos` yet came back shorter than `max_tokens`.
    pub short_under_ignore_eos: u64,
    /// Requests whose task ended without a sample (reported as failed samples).
    pub lost: u64,
}

/// Forward samples from `rx` to `emit` until every sender is gone.
pub fn collect(
    rx: &Receiver<Sample>,
    plan: &Plan,
    emit: &mut dyn FnMut(WorkerMessage) -> io::Result<()>,
) -> io::Result<Tally> {
    let total = plan.requests.len() as u64;
    let index: HashMap<u64, usize> = plan
        .requests
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let mut seen = vec![false; plan.requests.len()];
    let mut tally = Tally::default();
    let mut last_progress = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(sample) => {
                if let Some(&i) = index.get(&sample.request_id) {
                    seen[i] = true;
                    let r = &plan.requests[i];
                    if r.ignore_eos
                        && sample.outcome.is_ok()
                        && sample.completion_tokens < r.max_tokens
                    {
                        tally.short_under_ignore_eos += 1;
                    }
                }
                tally.samples += 1;
                tally.failed += u64::from(!sample.outcome.is_ok());
                emit(WorkerMessage::Sample(Box::new(sample)))?;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            emit(WorkerMessage::Progress(Progress {
                done: tally.samples,
                total,
            }))?;
        }
    }
    for (i, _) in seen.iter().enumerate().filter(|(_, s)| !**s) {
        let r = &plan.requests[i];
        let outcome = Outcome::Failed {
            kind: FailureKind::EngineError,
            message: "the request's task ended without a result".into(),
            http_status: None,
        };
        let now = bench_worker::mono_ns();
        let mut rec = Recorder::new(0);
        rec.start_ns = now;
        tally.lost += 1;
        tally.samples += 1;
        tally.failed += 1;
        emit(WorkerMessage::Sample(Box::new(
            rec.into_sample(r, plan.phase, outcome, now),
        )))?;
    }
    emit(WorkerMessage::Progress(Progress {
        done: tally.samples,
        total,
    }))?;
    Ok(tally)
}
