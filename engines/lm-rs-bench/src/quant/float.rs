//! Float weights (`F32`, `F16`, `BF16`): conversion and dot products with `f32` activations.

use half::{bf16, f16};

/// Decode little-endian `f32`s.
pub fn dequantize_f32(row: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(row.chunks_exact(4)) {
        *o = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
}

/// Decode little-endian `f16`s.
pub fn dequantize_f16(row: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(row.chunks_exact(2)) {
        *o = f16::from_le_bytes([b[0], b[1]]).to_f32();
    }
}

/// Decode little-endian `bf16`s.
pub fn dequantize_bf16(row: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(row.chunks_exact(2)) {
        *o = bf16::from_le_bytes([b[0], b[1]]).to_f32();
    }
}

/// Dot product of `f32` vectors with eight independent partial sums (so it vectorises).
#[inline]
pub fn dot_f32s(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// A row of any float type dotted with `x`, converted in small stack chunks.
fn dot_converted(row: &[u8], x: &[f32], bytes: usize, convert: fn(&[u8], &mut [f32])) -> f32 {
    let mut buf = [0f32; 64];
    let mut sum = 0f32;
    for (rb, xb) in row.chunks(64 * bytes).zip(x.chunks(64)) {
        let n = xb.len();
        convert(rb, &mut buf[..n]);
        sum += dot_f32s(&buf[..n], xb);
    }
    sum
}

pub fn dot_f32(row: &[u8], x: &[f32]) -> f32 {
    dot_converted(row, x, 4, dequantize_f32)
}

pub fn dot_f16(row: &[u8], x: &[f32]) -> f32 {
    dot_converted(row, x, 2, dequantize_f16)
}

pub fn dot_bf16(row: &[u8], x: &[f32]) -> f32 {
    dot_converted(row, x, 2, dequantize_bf16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_dots_match_plain_sums() {
        let x: Vec<f32> = (0..100).map(|i| i as f32 * 0.25 - 10.0).collect();
        let w: Vec<f32> = (0..100).map(|i| (i % 7) as f32 - 3.0).collect();
        let expect: f32 = x.iter().zip(&w).map(|(a, b)| a * b).sum();
        let f32_bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
        let f16_bytes: Vec<u8> = w
            .iter()
            .flat_map(|&v| f16::from_f32(v).to_le_bytes())
            .collect();
        let bf16_bytes: Vec<u8> = w
            .iter()
            .flat_map(|&v| bf16::from_f32(v).to_le_bytes())
            .collect();
        assert!((dot_f32(&f32_bytes, &x) - expect).abs() < 1e-3);
        assert!((dot_f16(&f16_bytes, &x) - expect).abs() < 1e-3);
        assert!((dot_bf16(&bf16_bytes, &x) - expect).abs() < 1e-3);
    }
}
