//! `Q8_0`: 32 `i8` codes with an `f16` scale `d`, value `d * q` (34 bytes).

use super::block::{f16_at, f16_bytes, inverse};

pub(super) fn dequantize_q8_0(b: &[u8; 34], out: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    for (o, &q) in out.iter_mut().zip(&b[2..]) {
        *o = f32::from(q as i8) * d;
    }
}

/// `d = max|x| / 127`, `q = x / d` rounded half away from zero (ggml's reference `roundf`).
pub(super) fn quantize_q8_0(x: &[f32; 32], out: &mut [u8; 34]) {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = inverse(d);
    out[..2].copy_from_slice(&f16_bytes(d));
    for (o, v) in out[2..].iter_mut().zip(x) {
        // |v * id| <= 127 by construction of `id`.
        *o = (v * id).round() as i8 as u8;
    }
}
