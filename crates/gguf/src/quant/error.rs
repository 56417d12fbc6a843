//! [`QuantError`]: a block conversion asked of a type, a length or a buffer that cannot take it.

use crate::ggml_type::GgmlType;

/// Why a tensor could not be converted between its ggml type and `f32`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantError {
    #[error("cannot {op} {ggml_type}: not implemented (supported: {supported})")]
    Unsupported {
        op: &'static str,
        ggml_type: GgmlType,
        supported: String,
    },
    #[error(
        "{n_elements} elements are not a whole number of {ggml_type} blocks of {block_size} elements"
    )]
    PartialBlock {
        ggml_type: GgmlType,
        n_elements: u64,
        block_size: u64,
    },
    #[error("{n_elements} {ggml_type} elements take {expected} bytes, got {got}")]
    ByteLength {
        ggml_type: GgmlType,
        n_elements: u64,
        expected: u64,
        got: u64,
    },
}
