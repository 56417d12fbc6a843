//! `Q4_0` and `Q4_1`: 32 four-bit codes with an `f16` scale `d` (and for `Q4_1` an `f16`
//! minimum `m`); byte `j` holds element `j` in its low nibble and element `j + 16` in its high one.
//! `Q4_0` value `d * (q - 8)` (18 bytes), `Q4_1` value `d * q + m` (20 bytes).

use super::block::{f16_at, f16_bytes, inverse, min_max, signed_absmax};

pub(super) fn dequantize_q4_0(b: &[u8; 18], out: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    for (j, &q) in b[2..].iter().enumerate() {
        out[j] = d * f32::from((q & 0x0F) as i8 - 8);
        out[j + 16] = d * f32::from((q >> 4) as i8 - 8);
    }
}

pub(super) fn dequantize_q4_1(b: &[u8; 20], out: &mut [f32; 32]) {
    let (d, m) = (f16_at(b, 0), f16_at(b, 2));
    for (j, &q) in b[4..].iter().enumerate() {
        out[j] = d * f32::from(q & 0x0F) + m;
        out[j + 16] = d * f32::from(q >> 4) + m;
    }
}

/// `d = max / -8` where `max` is the value of largest magnitude, `q = trunc(x / d + 8.5)`
/// clamped to 15.
pub(super) fn quantize_q4_0(x: &[f32; 32], out: &mut [u8; 18]) {
    let d = signed_absmax(x) / -8.0;
    let id = inverse(d);
    out[..2].copy_from_slice(&f16_bytes(d));
    let q = |v: f32| ((v * id + 8.5).trunc() as u8).min(15);
    for j in 0..16 {
        out[2 + j] = q(x[j]) | (q(x[j + 16]) << 4);
    }
}

/// `d = (max - min) / 15`, `m = min`, `q = trunc((x - min) / d + 0.5)` clamped to 15.
pub(super) fn quantize_q4_1(x: &[f32; 32], out: &mut [u8; 20]) {
    let (min, max) = min_max(x);
    let d = (max - min) / 15.0;
    let id = inverse(d);
    out[..2].copy_from_slice(&f16_bytes(d));
    out[2..4].copy_from_slice(&f16_bytes(min));
    let q = |v: f32| (((v - min) * id + 0.5).trunc() as u8).min(15);
    for j in 0..16 {
        out[4 + j] = q(x[j]) | (q(x[j + 16]) << 4);
    }
}
