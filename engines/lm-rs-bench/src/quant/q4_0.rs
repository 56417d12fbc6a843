//! `Q4_0`: blocks of 32 four-bit values `q` with an `f16` scale `d`, value `d * (q - 8)`
//! (18 bytes). Byte `j` holds element `j` in its low nibble and element `j + 16` in its high one.

use super::{Q8Row, QK, f16_at};

/// Bytes per block.
pub const BLOCK_BYTES: usize = 18;

/// Scalar dot product of a `Q4_0` row with a quantised activation row.
pub fn dot(row: &[u8], a: Q8Row<'_>) -> f32 {
    let mut sum = 0f32;
    for (b, blk) in row.chunks_exact(BLOCK_BYTES).enumerate() {
        let aq = &a.qs[b * QK..(b + 1) * QK];
        let mut sumi = 0i32;
        for (j, &q) in blk[2..].iter().enumerate() {
            sumi += (i32::from(q & 0x0F) - 8) * i32::from(aq[j]);
            sumi += (i32::from(q >> 4) - 8) * i32::from(aq[j + 16]);
        }
        sum += f16_at(blk) * a.d[b] * sumi as f32;
    }
    sum
}
