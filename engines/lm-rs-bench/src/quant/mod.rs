//! Quantised weight formats: block layouts, dequantisation and dot products against quantised
//! activations, plus the activation quantisers.
//!
//! Matrix-vector products never dequantise a weight matrix. The activation vector is quantised
//! once per product, as llama.cpp does, into 32-element blocks of `i8` with an `f32` scale (for
//! `Q4_0`, `Q4_1` and `Q8_0` weights) or into 256-element `Q8_K` blocks (for the K-quants), and
//! each weight block is dotted with its activation block in integer arithmetic. Float weights
//! (`F32`, `F16`, `BF16`) are dotted with the `f32` activations directly.
//!
//! Each weight format has its own file with a scalar `dot`; `avx2` holds the x86-64 SIMD versions
//! of the formats that matter for speed, chosen at run time by [`Isa`]. Rows that are needed as
//! `f32` (embeddings, norms) are dequantised by the `gguf` crate.

pub mod activation;
#[cfg(target_arch = "x86_64")]
pub mod avx2;
pub mod float;
pub mod q4_0;
pub mod q4_1;
pub mod q4_k;
pub mod q6_k;
pub mod q8_0;

use gguf::GgmlType;
use half::f16;

pub use activation::{Q8Acts, Q8KActs, Q8KRow, Q8Row};

/// Elements per block of the 32-element formats.
pub const QK: usize = 32;
/// Elements per K-quant super-block.
pub const QK_K: usize = 256;

/// Weight types this engine computes with.
pub const SUPPORTED: [GgmlType; 8] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q4_K,
    GgmlType::Q6_K,
];

/// The instruction set the kernels use, detected once at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Portable Rust, vectorised by the compiler where it can.
    Scalar,
    /// x86-64 AVX2, FMA and F16C.
    Avx2,
}

impl Isa {
    /// The best instruction set this CPU supports.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("f16c")
        {
            return Isa::Avx2;
        }
        Isa::Scalar
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
        }
    }
}

/// What a weight type's dot product takes as the other operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActFormat {
    F32,
    Q8,
    Q8K,
}

/// The activation format weights of type `ty` are dotted with (`None`: unsupported type).
pub fn act_format(ty: GgmlType) -> Option<ActFormat> {
    match ty {
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => Some(ActFormat::F32),
        GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q4_1 => Some(ActFormat::Q8),
        GgmlType::Q4_K | GgmlType::Q6_K => Some(ActFormat::Q8K),
        _ => None,
    }
}

/// Dequantise one row of `ty` (`out.len()` elements) from its bytes.
///
/// # Panics
///
/// If `ty` is not in [`SUPPORTED`] or `row` is not `out.len()` elements of it (both checked when
/// the model loads).
pub fn dequantize_row(ty: GgmlType, row: &[u8], out: &mut [f32]) {
    if let Err(e) = gguf::dequantize_into(ty, row, out) {
        unreachable!("weight types and row lengths are checked at load: {e}");
    }
}

/// An `f16` stored little-endian at `b[0..2]`, as `f32`.
#[inline]
pub(crate) fn f16_at(b: &[u8]) -> f32 {
    f16::from_le_bytes([b[0], b[1]]).to_f32()
}
