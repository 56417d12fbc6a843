//! lm-rs: the project's own llama-family engine for the CPU, in plain Rust with no ML
//! framework and no BLAS (std, a memory map, a thread pool and half-precision floats).
//!
//! It reads a GGUF file, keeps the weights quantised in the memory map, and runs the forward
//! pass with integer dot products over quantised blocks, the rows of each matrix split across
//! a thread pool. The whole prompt goes through one batched pass (prefill), then one token per
//! pass (decode), with greedy or seeded temperature/top-p sampling.
//!
//! # Layout
//!
//! - [`engine`]: [`LmRs`], the [`bench_worker::Engine`] implementation and its options.
//! - [`model`]: the weights indexed in the file; [`config`]: hyper-parameters from metadata.
//! - [`forward`]: the forward pass over a batch of tokens; [`attention`], [`rope`], [`ops`]:
//!   its parts.
//! - [`state`]: activations and the KV cache of one sequence.
//! - [`matmul`]: quantised weight matrices and the threaded products over them.
//! - [`quant`]: block formats, dequantisation, dot products (scalar and AVX2) and activation
//!   quantisation.
//! - [`sampler`]: greedy and top-p sampling (bench-worker's, shared with burn-bench); [`threads`]: the default thread count.
//! - [`error`]: [`ModelError`], why a model cannot be run.

#![deny(clippy::print_stdout)]

pub mod attention;
pub mod config;
pub mod engine;
pub mod error;
pub mod forward;
pub mod matmul;
pub mod model;
pub mod ops;
pub mod quant;
pub mod rope;
pub mod state;
pub mod threads;

pub use bench_worker::sampler;
pub use engine::{LmRs, Options};
pub use error::ModelError;
