//! Why a worker could not go on; each variant carries the worker's stderr tail where it has one.

use std::time::Duration;

/// A worker failure, recorded with the engine's results; the run goes on with other engines.
#[derive(Debug, thiserror::Error)]
pub enum WorkerFailure {
    #[error("cannot start worker {worker} ({path}): {source}")]
    Spawn {
        worker: String,
        path: String,
        source: std::io::Error,
    },
    #[error("worker {worker} did not answer within {after:?} while {waiting_for}: {stderr}")]
    Timeout {
        worker: String,
        waiting_for: String,
        after: Duration,
        stderr: String,
    },
    #[error("worker {worker} died ({status}) while {waiting_for}: {stderr}")]
    Exited {
        worker: String,
        waiting_for: String,
        status: String,
        stderr: String,
    },
    #[error(
        "worker {worker} wrote {lines} lines of garbage to stdout while {waiting_for} (last: {last:?}): {stderr}"
    )]
    Garbage {
        worker: String,
        waiting_for: String,
        lines: u64,
        last: String,
        stderr: String,
    },
    #[error("worker {worker} broke the protocol: {message}")]
    Protocol { worker: String, message: String },
    #[error("worker {worker} reported: {message}")]
    Reported { worker: String, message: String },
}

impl WorkerFailure {
    /// A short machine-readable reason for summaries.
    pub fn reason(&self) -> &'static str {
        match self {
            WorkerFailure::Spawn { .. } => "spawn",
            WorkerFailure::Timeout { .. } => "timeout",
            WorkerFailure::Exited { .. } => "crashed",
            WorkerFailure::Garbage { .. } => "garbage",
            WorkerFailure::Protocol { .. } => "protocol",
            WorkerFailure::Reported { .. } => "engine_error",
        }
    }
}
