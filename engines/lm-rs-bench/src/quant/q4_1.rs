//! `Q4_1`: blocks of 32 four-bit values `q` with an `f16` scale `d` and minimum `m`, value
//! `d * q + m` (20 bytes). Nibble order as in `Q4_0`.

use super::{Q8Row, QK, f16_at};

/// Bytes per block.
pub const BLOCK_BYTES: usize = 20;

/// Scalar dot product of a `Q4_1` row with a quantised activation row:
/// `sum_b d_b * d'_b * sum(q * q') + m_b * s'_b`.
pub fn dot(row: &[u8], a: Q8Row<'_>) -> f32 {
    let mut sum = 0f32;
    for (b, blk) in row.chunks_exact(BLOCK_BYTES).enumerate() {
        let aq = &a.qs[b * QK..(b + 1) * QK];
        let mut sumi = 0i32;
        for (j, &q) in blk[4..].iter().enumerate() {
            sumi += i32::from(q & 0x0F) * i32::from(aq[j]);
            sumi += i32::from(q >> 4) * i32::from(aq[j + 16]);
        }
        sum += f16_at(blk) * a.d[b] * sumi as f32 + f16_at(&blk[2..]) * a.s[b];
    }
    sum
}
