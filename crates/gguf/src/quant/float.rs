//! Plain float types: `F32` (little-endian), `F16` and `BF16` (truncated `f32`).

use half::f16;

pub(super) fn dequantize_f32(bytes: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(bytes.as_chunks::<4>().0) {
        *o = f32::from_le_bytes(*b);
    }
}

pub(super) fn dequantize_f16(bytes: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(bytes.as_chunks::<2>().0) {
        *o = f16::from_le_bytes(*b).to_f32();
    }
}

/// `BF16` is the high half of an `f32`.
pub(super) fn dequantize_bf16(bytes: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(bytes.as_chunks::<2>().0) {
        *o = f32::from_bits(u32::from(u16::from_le_bytes(*b)) << 16);
    }
}

pub(super) fn quantize_f32(values: &[f32], out: &mut [u8]) {
    for (o, v) in out.as_chunks_mut::<4>().0.iter_mut().zip(values) {
        *o = v.to_le_bytes();
    }
}

/// Round to nearest even; overflow gives infinity.
pub(super) fn quantize_f16(values: &[f32], out: &mut [u8]) {
    for (o, v) in out.as_chunks_mut::<2>().0.iter_mut().zip(values) {
        *o = f16::from_f32(*v).to_le_bytes();
    }
}

/// Round to nearest even with a NaN kept quiet, as ggml's `ggml_compute_fp32_to_bf16`.
pub(super) fn quantize_bf16(values: &[f32], out: &mut [u8]) {
    for (o, v) in out.as_chunks_mut::<2>().0.iter_mut().zip(values) {
        *o = bf16_bits(*v).to_le_bytes();
    }
}

fn bf16_bits(v: f32) -> u16 {
    let n = v.to_bits();
    if n & 0x7fff_ffff > 0x7f80_0000 {
        return ((n >> 16) | 0x0040) as u16;
    }
    ((u64::from(n) + 0x7fff + u64::from((n >> 16) & 1)) >> 16) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_rounds_to_nearest_even_and_keeps_nan_quiet() {
        // 1 + 2^-8 is halfway between two bf16 values: the even one (1.0) wins.
        assert_eq!(bf16_bits(1.0 + 1.0 / 256.0), 0x3f80);
        assert_eq!(bf16_bits(1.0 + 3.0 / 256.0), 0x3f82);
        assert_eq!(bf16_bits(f32::MAX), 0x7f80, "overflows to infinity");
        assert_eq!(bf16_bits(f32::from_bits(0x7f80_0001)), 0x7fc0);
        let mut out = [0f32; 1];
        dequantize_bf16(&0x7fc0u16.to_le_bytes(), &mut out);
        assert!(out[0].is_nan());
    }

    #[test]
    fn f16_nan_stays_nan() {
        let mut out = [0f32; 1];
        dequantize_f16(&0x7e01u16.to_le_bytes(), &mut out);
        assert!(out[0].is_nan());
    }
}
