//! The loop every engine worker runs.
//!
//! An engine implements [`Engine`] (load a model; generate, pushing tokens into a [`TokenSink`])
//! and its `main` calls [`run`]. This crate owns everything else: the handshake, stdin/stdout,
//! the clocks, warm-up phases, panics and errors turned into protocol messages.
//!
//! # Layout
//!
//! - [`engine`]: the trait engines implement and the options helper.
//! - [`inputs`]: the local model, the device string and a request's prompt ids, checked alike
//!   by every worker.
//! - [`sink`]: the timed token sink; the only code that runs inside a timed region.
//! - [`clock`]: the host monotonic clock and the device-clock seam ([`DeviceClock`]).
//! - [`serve`]: the message loop.
//! - [`stdio`]: protocol output, with stray writes to fd 1 diverted to stderr.
//! - [`procfs`]: resident set size of the worker.
//! - [`sampler`]: greedy and seeded top-p sampling over host logits.
//! - [`cpu`]: sizing rayon's global pool (engines whose CPU kernels run on it) and the SIMD
//!   extensions a binary was compiled for.
//!
//! # Timed regions
//!
//! For each request the loop prepares the sink (allocations happen here), reads the clock, calls
//! [`Engine::generate`], reads the clock again, and only then builds the sample, writes it and
//! logs. Inside `generate`, each [`TokenSink::token`] call reads the clock and stores the reading
//! and the id into preallocated buffers: no allocation, IPC or logging.

#![deny(clippy::print_stdout)]

pub mod clock;
pub mod cpu;
pub mod engine;
pub mod inputs;
pub mod procfs;
pub mod sampler;
pub mod serve;
pub mod sink;
pub mod stdio;

pub use clock::{DeviceClock, DeviceTimings, Mark, MarkLog, mono_ns, sleep_until};
pub use engine::{Description, Engine, Loaded, parse_options};
pub use serve::run;
pub use shared_protocol;
pub use sink::{Flow, TokenSink};
