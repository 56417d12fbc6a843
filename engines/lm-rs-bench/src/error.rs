//! Why a model cannot be run.

use gguf::{GgmlType, GgufError};

/// A model this engine cannot load or run, with what to do about it where there is something.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error(
        "unsupported architecture '{0}': lm-rs runs the llama family (general.architecture = \"llama\")"
    )]
    UnsupportedArchitecture(String),
    #[error("metadata key '{key}' is missing or not {expected}")]
    Metadata { key: String, expected: &'static str },
    #[error("invalid hyper-parameters: {0}")]
    Config(String),
    #[error("tensor '{0}' is missing")]
    MissingTensor(String),
    #[error("tensor '{name}' has shape {found:?}, expected {expected:?}")]
    Shape {
        name: String,
        found: Vec<u64>,
        expected: Vec<u64>,
    },
    #[error(
        "tensor '{name}' has type {ty}, which lm-rs does not compute with (supported: f32, f16, bf16, q8_0, q4_0, q4_1, q4_K, q6_K)"
    )]
    UnsupportedType { name: String, ty: GgmlType },
    #[error("unsupported rope scaling '{0}' (supported: none, linear)")]
    RopeScaling(String),
}
