//! The pytorch engine: a bundled Python worker (torch and transformers, a hand-written decode
//! loop) behind the same protocol as every worker, started and relayed by this binary.
//!
//! Unlike the Rust engines, this one does not implement [`bench_worker::Engine`]: the timed
//! regions must run inside the Python process, next to the model, so the Python worker speaks
//! the whole protocol itself (checked in tests against the JSON Schema that shared-protocol
//! derives from its types) and this binary relays its lines unchanged. What it adds is the part
//! a Python process cannot do for itself: choosing the interpreter, checking the handshake, and
//! turning a missing interpreter or a dead Python process into protocol errors instead of a dead
//! pipe.
//!
//! # Layout
//!
//! - [`interpreter`]: which Python runs the worker, and the message when it cannot.
//! - [`bundle`]: the Python package, embedded in the binary and written out at start-up.
//! - [`python`]: the Python process: start, handshake check, the stdout relay thread.
//! - [`relay`]: the message loop, forwarding to Python or answering in its place.

#![deny(clippy::print_stdout)]

pub mod bundle;
pub mod interpreter;
pub mod python;
pub mod relay;

pub use relay::run;
