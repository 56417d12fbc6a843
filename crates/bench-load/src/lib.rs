//! Load plans for workers that run a whole workload under the engine's own scheduling: a served
//! engine behind http-bench, or an in-process engine that batches concurrent requests itself
//! (mistral-rs-bench). The worker supplies how one request runs ([`Requester`]); this crate
//! offers the requests as the runner's load pattern says and hands every sample to the protocol.
//!
//! # Layout
//!
//! - [`arrivals`]: open-loop send times, precomputed from the seed.
//! - [`drive`]: closed loop (N users) and open loop (a pacing thread that starts each request at
//!   its send time, optionally capped in concurrency), over any [`Requester`].
//! - [`collect`](mod@collect): samples and progress to the protocol; a request that ends
//!   without a sample becomes a failed one, never a missing one.

pub mod arrivals;
pub mod collect;
pub mod drive;

pub use arrivals::{ScheduleError, offsets_ns};
pub use collect::{Tally, collect};
pub use drive::{LoadError, Requester, closed, open, start};
