//! `Q5_0` and `Q5_1`: 32 five-bit codes, the low four bits packed as in `Q4_0` and the fifth bits
//! of all 32 in a little-endian `u32` `qh` (bit `j` for element `j`). `Q5_0`: `f16 d`, `qh`,
//! 16 bytes, value `d * (q - 16)` (22 bytes); `Q5_1`: `f16 d`, `f16 m`, `qh`, 16 bytes, value
//! `d * q + m` (24 bytes).

use super::block::{f16_at, f16_bytes, inverse, min_max, signed_absmax};

/// The 32 five-bit codes of a block from its `qh` and nibble bytes.
fn codes(qh: &[u8], qs: &[u8]) -> [u8; 32] {
    let qh = u32::from_le_bytes([qh[0], qh[1], qh[2], qh[3]]);
    std::array::from_fn(|e| {
        let low = if e < 16 {
            qs[e] & 0x0F
        } else {
            qs[e - 16] >> 4
        };
        low | ((((qh >> e) & 1) as u8) << 4)
    })
}

/// Pack 32 five-bit codes into `qh` (4 bytes) and 16 nibble bytes.
fn pack(q: &[u8; 32], out: &mut [u8]) {
    let qh = q
        .iter()
        .enumerate()
        .fold(0u32, |h, (e, &v)| h | (u32::from(v >> 4) << e));
    out[..4].copy_from_slice(&qh.to_le_bytes());
    for j in 0..16 {
        out[4 + j] = (q[j] & 0x0F) | (q[j + 16] << 4);
    }
}

pub(super) fn dequantize_q5_0(b: &[u8; 22], out: &mut [f32; 32]) {
    let d = f16_at(b, 0);
    for (o, q) in out.iter_mut().zip(codes(&b[2..6], &b[6..])) {
        *o = d * f32::from(q as i8 - 16);
    }
}

pub(super) fn dequantize_q5_1(b: &[u8; 24], out: &mut [f32; 32]) {
    let (d, m) = (f16_at(b, 0), f16_at(b, 2));
    for (o, q) in out.iter_mut().zip(codes(&b[4..8], &b[8..])) {
        *o = d * f32::from(q) + m;
    }
}

/// `d = max / -16` where `max` is the value of largest magnitude, `q = trunc(x / d + 16.5)`
/// clamped to 31.
pub(super) fn quantize_q5_0(x: &[f32; 32], out: &mut [u8; 22]) {
    let d = signed_absmax(x) / -16.0;
    let id = inverse(d);
    out[..2].copy_from_slice(&f16_bytes(d));
    let q = x.map(|v| ((v * id + 16.5).trunc() as u8).min(31));
    pack(&q, &mut out[2..]);
}

/// `d = (max - min) / 31`, `m = min`, `q = trunc((x - min) / d + 0.5)` clamped to 31.
pub(super) fn quantize_q5_1(x: &[f32; 32], out: &mut [u8; 24]) {
    let (min, max) = min_max(x);
    let d = (max - min) / 31.0;
    let id = inverse(d);
    out[..2].copy_from_slice(&f16_bytes(d));
    out[2..4].copy_from_slice(&f16_bytes(min));
    let q = x.map(|v| (((v - min) * id + 0.5).trunc() as u8).min(31));
    pack(&q, &mut out[4..]);
}
