//! `Q4_K` and `Q5_K`: 256-element super-blocks of eight 32-element sub-blocks with 6-bit scales
//! and mins. `Q4_K` (144 bytes): `f16 d`, `f16 dmin`, 12 bytes of packed scales and mins, 128
//! bytes of nibbles; `Q5_K` (176 bytes) adds 32 bytes of fifth bits `qh` before the nibbles.
//! Value: `(d * scale_j) * q - (dmin * min_j)`. Each 32 nibble bytes hold two sub-blocks: the
//! first in the low nibbles, the next in the high ones; bit `j` of `qh[l]` is the fifth bit of
//! element `l` of sub-block `j`.

use super::block::f16_at;

/// Scale and min of sub-block `j` (0..8) from the 12 packed bytes.
fn scale_min(s: &[u8], j: usize) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

/// Shared by both types: `code(j, l)` is element `l` of sub-block `j`.
fn dequantize_with(b: &[u8], out: &mut [f32; 256], code: impl Fn(usize, usize) -> u8) {
    let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
    let scales = &b[4..16];
    for (j, sub) in out.chunks_exact_mut(32).enumerate() {
        let (sc, m) = scale_min(scales, j);
        let (dl, ml) = (d * f32::from(sc), dmin * f32::from(m));
        for (l, o) in sub.iter_mut().enumerate() {
            *o = dl * f32::from(code(j, l)) - ml;
        }
    }
}

fn nibble(qs: &[u8], j: usize, l: usize) -> u8 {
    (qs[32 * (j / 2) + l] >> (4 * (j % 2))) & 0x0F
}

pub(super) fn dequantize_q4_k(b: &[u8; 144], out: &mut [f32; 256]) {
    let qs = &b[16..];
    dequantize_with(b, out, |j, l| nibble(qs, j, l));
}

pub(super) fn dequantize_q5_k(b: &[u8; 176], out: &mut [f32; 256]) {
    let (qh, qs) = (&b[16..48], &b[48..]);
    dequantize_with(b, out, |j, l| nibble(qs, j, l) | (((qh[l] >> j) & 1) << 4));
}
