//! The mistral.rs engine: the `mistralrs` crate run in-process behind [`bench_worker::Engine`].
//!
//! mistral.rs is driven as its users drive it: a GGUF model built with its `GgufModelBuilder`,
//! requests sent to its scheduler (`MistralRs::get_sender`), streamed responses read from a
//! channel. The worker sends the runner's token ids (a completion request of tokens), so no
//! tokenizer or chat template of mistral.rs's takes part. mistral.rs runs its scheduler and the
//! model on its own threads; every timing is the host clock where the worker receives each
//! streamed chunk ([`stream`]).
//!
//! mistral.rs's responses carry text, not token ids. A logits processor given with each request
//! ([`recorder::TokenRecorder`]) records, inside mistral.rs's sampler, the token each step
//! picks: greedy steps are read (argmax, as mistral.rs's own greedy sampler picks), sampled steps
//! are drawn by the project's host sampler (the one every in-process engine shares) and handed
//! to mistral.rs's greedy pick. `ignore_eos` masks the end-of-sequence tokens (mistral.rs has no
//! option to generate past them), as llama.cpp's server does.
//!
//! # Layout
//!
//! - [`engine`]: [`MistralRs`], the [`bench_worker::Engine`] implementation, one request at a
//!   time and whole workloads under mistral.rs's own scheduler.
//! - [`stream`]: one request: sending it, stamping its chunks, its ids and chunk sizes.
//! - [`recorder`]: the logits processor that records (or draws) each step's token.
//! - [`workload`]: whole workloads under mistral.rs's scheduler, on the shared load drivers.
//! - [`options`]: the engine options and the device string.

#![deny(clippy::print_stdout)]

pub mod engine;
pub mod options;
pub mod recorder;
pub mod stream;
pub mod workload;

pub use engine::MistralRs;

/// Version of mistral.rs this worker links.
pub const MISTRALRS_VERSION: &str = env!("MISTRALRS_VERSION");
