//! The protocol side of a workload: samples as they arrive, progress about once a second, and a
//! failed sample for any request that ended without one (none is dropped silently).

use std::collections::HashMap;
use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use shared_protocol::{Progress, Request, Sample, WorkerMessage};

/// What a workload produced, for the closing log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub samples: u64,
    pub failed: u64,
    /// Requests that asked for `ignore_eos` yet came back shorter than `max_tokens`.
    pub short_under_ignore_eos: u64,
    /// Requests whose task ended without a sample (reported as failed samples).
    pub lost: u64,
}

/// Forward samples from `rx` to `emit` until every sender is gone; then a failed sample made
/// by `lost` for each of `requests` that produced none.
pub fn collect(
    rx: &Receiver<Sample>,
    requests: &[Request],
    lost: &dyn Fn(&Request) -> Sample,
    emit: &mut dyn FnMut(WorkerMessage) -> io::Result<()>,
) -> io::Result<Tally> {
    let total = requests.len() as u64;
    let index: HashMap<u64, usize> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let mut seen = vec![false; requests.len()];
    let mut tally = Tally::default();
    let mut last_progress = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(sample) => {
                if let Some(&i) = index.get(&sample.request_id) {
                    seen[i] = true;
                    let r = &requests[i];
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
        tally.lost += 1;
        tally.samples += 1;
        tally.failed += 1;
        emit(WorkerMessage::Sample(Box::new(lost(&requests[i]))))?;
    }
    emit(WorkerMessage::Progress(Progress {
        done: tally.samples,
        total,
    }))?;
    Ok(tally)
}
