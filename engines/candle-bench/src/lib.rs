//! The candle engine: candle-transformers' llama family behind [`bench_worker::Engine`].
//!
//! GGUF files run through `quantized_llama`, Hugging Face safetensors directories through
//! `llama`. The worker receives token ids, runs one forward pass over the whole prompt
//! (prefill), then decodes one token per forward pass; tokens go into the shared sink, which
//! does all the timing.
//!
//! # Layout
//!
//! - [`engine`]: [`Candle`], the [`bench_worker::Engine`] implementation.
//! - [`generate`](mod@generate): the prefill-then-decode loop.
//! - [`model`]: [`Model`], one forward pass over either model kind, with its KV cache.
//! - [`load`](mod@load): reading a GGUF file or a safetensors directory.
//! - [`sampler`]: greedy and seeded temperature / top-p sampling.
//! - [`options`]: the engine options and the device string.
//! - `cuda_clock` (feature `cuda`): CUDA events on candle's stream as the device clock.
//! - `cuda_bandwidth` (feature `cuda`): the GPU's copy bandwidth, the denominator of its MBU.

#![deny(clippy::print_stdout)]

#[cfg(feature = "cuda")]
pub mod cuda_bandwidth;
#[cfg(feature = "cuda")]
pub mod cuda_clock;
pub mod engine;
pub mod generate;
pub mod load;
pub mod model;
pub mod options;
pub mod sampler;

pub use engine::Candle;
pub use model::Model;

/// Version of candle this worker links.
pub const CANDLE_VERSION: &str = env!("CANDLE_VERSION");
