//! Block (de)quantisation of ggml tensor types: bytes to `f32` and back.
//!
//! Every routine reproduces the `gguf` Python package (`gguf.quants`, the reference for what a
//! GGUF file's bytes mean) bit for bit: the same `f32` operations in the same order, and for
//! quantisation the same rounding (`Q8_0` rounds half away from zero, `Q4_*`/`Q5_*` truncate
//! after adding a half, `F16` and `BF16` round to nearest even). Non-finite inputs to a
//! quantiser give codes that are memory-safe but unspecified.
//!
//! - `block`: what the block codecs share (block iteration, `f16` scales, extrema).
//! - `float`: `F32`, `F16`, `BF16`.
//! - `q4`, `q5`, `q8`: the 32-element formats `Q4_0`, `Q4_1`, `Q5_0`, `Q5_1`, `Q8_0`.
//! - `q2_k`, `q3_k`, `q4_k` (with `Q5_K`), `q6_k`: the 256-element K-quants (dequantisation only,
//!   as in the reference).

mod block;
mod error;
mod float;
mod q2_k;
mod q3_k;
mod q4;
mod q4_k;
mod q5;
mod q6_k;
mod q8;

pub use error::QuantError;

use block::{blocks, blocks_mut};

use crate::ggml_type::GgmlType;

/// Decodes `out.len()` values from exactly their bytes.
type Dequantizer = fn(&[u8], &mut [f32]);
/// Encodes `values` into exactly their bytes.
type Quantizer = fn(&[f32], &mut [u8]);

fn dequantizer(ggml_type: GgmlType) -> Option<Dequantizer> {
    Some(match ggml_type {
        GgmlType::F32 => float::dequantize_f32,
        GgmlType::F16 => float::dequantize_f16,
        GgmlType::BF16 => float::dequantize_bf16,
        GgmlType::Q4_0 => |b, o| blocks(b, o, q4::dequantize_q4_0),
        GgmlType::Q4_1 => |b, o| blocks(b, o, q4::dequantize_q4_1),
        GgmlType::Q5_0 => |b, o| blocks(b, o, q5::dequantize_q5_0),
        GgmlType::Q5_1 => |b, o| blocks(b, o, q5::dequantize_q5_1),
        GgmlType::Q8_0 => |b, o| blocks(b, o, q8::dequantize_q8_0),
        GgmlType::Q2_K => |b, o| blocks(b, o, q2_k::dequantize),
        GgmlType::Q3_K => |b, o| blocks(b, o, q3_k::dequantize),
        GgmlType::Q4_K => |b, o| blocks(b, o, q4_k::dequantize_q4_k),
        GgmlType::Q5_K => |b, o| blocks(b, o, q4_k::dequantize_q5_k),
        GgmlType::Q6_K => |b, o| blocks(b, o, q6_k::dequantize),
        _ => return None,
    })
}

fn quantizer(ggml_type: GgmlType) -> Option<Quantizer> {
    Some(match ggml_type {
        GgmlType::F32 => float::quantize_f32,
        GgmlType::F16 => float::quantize_f16,
        GgmlType::BF16 => float::quantize_bf16,
        GgmlType::Q4_0 => |x, o| blocks_mut(x, o, q4::quantize_q4_0),
        GgmlType::Q4_1 => |x, o| blocks_mut(x, o, q4::quantize_q4_1),
        GgmlType::Q5_0 => |x, o| blocks_mut(x, o, q5::quantize_q5_0),
        GgmlType::Q5_1 => |x, o| blocks_mut(x, o, q5::quantize_q5_1),
        GgmlType::Q8_0 => |x, o| blocks_mut(x, o, q8::quantize_q8_0),
        _ => return None,
    })
}

/// Whether [`dequantize`] reads `ggml_type`.
pub fn can_dequantize(ggml_type: GgmlType) -> bool {
    dequantizer(ggml_type).is_some()
}

/// Whether [`quantize`] writes `ggml_type`.
pub fn can_quantize(ggml_type: GgmlType) -> bool {
    quantizer(ggml_type).is_some()
}

/// Decode `n_elements` values of type `ggml_type` from `bytes` (exactly their encoding).
pub fn dequantize(
    ggml_type: GgmlType,
    bytes: &[u8],
    n_elements: usize,
) -> Result<Vec<f32>, QuantError> {
    let mut out = vec![0f32; n_elements];
    dequantize_into(ggml_type, bytes, &mut out)?;
    Ok(out)
}

/// Decode `out.len()` values of type `ggml_type` from `bytes` (exactly their encoding) into `out`.
pub fn dequantize_into(
    ggml_type: GgmlType,
    bytes: &[u8],
    out: &mut [f32],
) -> Result<(), QuantError> {
    let f = dequantizer(ggml_type)
        .ok_or_else(|| unsupported("dequantize", ggml_type, can_dequantize))?;
    let expected = encoded_bytes(ggml_type, out.len())?;
    if bytes.len() as u64 != expected {
        return Err(QuantError::ByteLength {
            ggml_type,
            n_elements: out.len() as u64,
            expected,
            got: bytes.len() as u64,
        });
    }
    f(bytes, out);
    Ok(())
}

/// Encode `values` as `ggml_type`.
pub fn quantize(ggml_type: GgmlType, values: &[f32]) -> Result<Vec<u8>, QuantError> {
    let mut out = Vec::new();
    quantize_into(ggml_type, values, &mut out)?;
    Ok(out)
}

/// Encode `values` as `ggml_type`, appending the bytes to `out`.
pub fn quantize_into(
    ggml_type: GgmlType,
    values: &[f32],
    out: &mut Vec<u8>,
) -> Result<(), QuantError> {
    let f = quantizer(ggml_type).ok_or_else(|| unsupported("quantize", ggml_type, can_quantize))?;
    let n_bytes = encoded_bytes(ggml_type, values.len())?;
    let start = out.len();
    out.resize(start + n_bytes as usize, 0);
    f(values, &mut out[start..]);
    Ok(())
}

/// Bytes that `n_elements` values of `ggml_type` take.
pub fn encoded_bytes(ggml_type: GgmlType, n_elements: usize) -> Result<u64, QuantError> {
    let n = n_elements as u64;
    let block_size = ggml_type.block_size();
    if !n.is_multiple_of(block_size) {
        return Err(QuantError::PartialBlock {
            ggml_type,
            n_elements: n,
            block_size,
        });
    }
    Ok(n / block_size * ggml_type.type_size())
}

fn unsupported(op: &'static str, ggml_type: GgmlType, can: fn(GgmlType) -> bool) -> QuantError {
    let names: Vec<&str> = GgmlType::all()
        .filter(|&t| can(t))
        .map(GgmlType::name)
        .collect();
    QuantError::Unsupported {
        op,
        ggml_type,
        supported: names.join(", "),
    }
}
