//! A synthetic engine: TTFT, per-token latency and output length follow seeded, configured
//! distributions, and it spends that time for real (sleep, then spin), so what the runner
//! measures can be held against a known truth. It can also be told to misbehave: fail requests,
//! panic, crash, hang, or write garbage to its protocol stream.
//!
//! # Layout
//!
//! - [`dist`]: the distribution specs (`const:20`, `normal:20:2`, ...).
//! - [`options`]: the engine options and their defaults.
//! - [`engine`]: the [`bench_worker::Engine`] implementation.

#![deny(clippy::print_stdout)]

pub mod dist;
pub mod engine;
pub mod options;

pub use engine::Sim;
