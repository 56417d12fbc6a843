//! Supervising one worker process: spawn it, read its handshake, exchange protocol lines with a
//! timeout on every wait, keep its stderr tail for error messages, kill it when dropped.

mod failure;
mod process;
mod tail;

pub use failure::WorkerFailure;
pub use process::{Timeouts, WorkerProcess};
