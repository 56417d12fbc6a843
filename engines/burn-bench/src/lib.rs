//! The burn engine: a llama-family forward pass written on burn's modules, behind
//! [`bench_worker::Engine`].
//!
//! burn has no llama crate on crates.io, so the model is this crate's own: [`model::Llama`] puts
//! burn's `Embedding`, `RmsNorm`, `Linear`, `SwiGlu` and `RotaryEncoding` together with a
//! preallocated KV cache and burn's attention op. Weights come from GGUF files, dequantised to
//! f32 at load by the project's `gguf` crate, or from Hugging Face safetensors directories. The worker receives token ids, runs one forward
//! pass over the prompt (prefill), then one per generated token; tokens go into the shared
//! sink, which does all the timing.
//!
//! Devices are burn backends, each behind a cargo feature except the first: `cpu` (burn-flex),
//! `wgpu` (cubecl kernels through wgpu; on Linux, Vulkan) and `cuda` (cubecl's CUDA runtime; its
//! build downloads LLVM from GitHub, so it is not built where only package registries are
//! reachable: see the README). burn gives no per-pass device timestamps, so every figure is a host
//! time; on a GPU backend a pass ends when its logits are read back.
//!
//! # Layout
//!
//! - [`engine`]: [`Burn`], the [`bench_worker::Engine`] implementation.
//! - [`generate`](mod@generate): the prefill-then-decode loop.
//! - [`model`]: [`model::Llama`], the forward pass and its cache.
//! - [`load`]: reading a GGUF file into f32 weights; [`hf`]: a Hugging Face llama directory.
//! - [`options`]: the engine options and the device string.

#![deny(clippy::print_stdout)]

pub mod engine;
pub mod generate;
pub mod hf;
pub mod load;
pub mod model;
pub mod options;

pub use engine::Burn;

/// Version of burn this worker links.
pub const BURN_VERSION: &str = env!("BURN_VERSION");
