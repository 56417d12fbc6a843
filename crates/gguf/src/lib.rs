//! GGUF files: read (v2 and v3, tensor data memory-mapped) and write.
//!
//! GGUF is llama.cpp's single-file model format: a header, typed key/value metadata (hyper-
//! parameters, tokenizer, chat template), a tensor index, then aligned tensor data.
//!
//! ```no_run
//! use gguf::GgufFile;
//! let file = GgufFile::open(std::path::Path::new("models/smollm2-135m-instruct-q4_1.gguf"))?;
//! let layers = file.metadata().get_u32("llama.block_count");
//! let embd = file.tensor("token_embd.weight").map(|t| file.tensor_data(t));
//! let norm = file.tensor("output_norm.weight").map(|t| file.tensor_f32(t)).transpose()?;
//! # Ok::<(), gguf::GgufError>(())
//! ```
//!
//! # Layout
//!
//! - [`mod@file`]: [`GgufFile`], the memory-mapped file and its index.
//! - `parse`: the header, metadata and tensor-index parser shared by both read paths.
//! - [`metadata`]: [`Metadata`] and its typed getters.
//! - [`value`]: [`Value`], a metadata value, and its on-disk type ids.
//! - [`tensor`]: [`TensorInfo`], one entry of the tensor index.
//! - [`ggml_type`]: [`GgmlType`], tensor element types with their block geometry.
//! - [`quant`]: block (de)quantisation between ggml types and `f32`, bit-exact with the `gguf`
//!   Python package: [`dequantize`], [`quantize`], [`GgufFile::tensor_f32`].
//! - [`requant`]: [`requantize`], a file with its matrices re-encoded as another type.
//! - [`writer`]: [`GgufWriter`], which writes v3 files.
//! - [`error`]: every failure is a [`GgufError`] naming the file and offset.
//!
//! Tensor dimensions follow ggml's order: `dims[0]` varies fastest (the row length of a
//! matrix), so a `[n_embd, n_vocab]` tensor holds `n_vocab` rows of `n_embd` elements.

pub mod error;
pub mod file;
pub mod ggml_type;
pub mod metadata;
mod parse;
pub mod quant;
pub mod requant;
pub mod tensor;
pub mod value;
pub mod writer;

pub use error::GgufError;
pub use file::GgufFile;
pub use ggml_type::GgmlType;
pub use metadata::Metadata;
pub use quant::{
    QuantError, can_dequantize, can_quantize, dequantize, dequantize_into, quantize, quantize_into,
};
pub use requant::requantize;
pub use tensor::TensorInfo;
pub use value::{Value, ValueType};
pub use writer::{Generator, GgufWriter, TensorSource};

/// `GGUF` read as a little-endian `u32`.
pub const MAGIC: u32 = 0x4655_4747;
/// Alignment of tensor data when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// The metadata key that overrides [`DEFAULT_ALIGNMENT`].
pub const ALIGNMENT_KEY: &str = "general.alignment";
