//! `Q8_0`: blocks of 32 `i8` with an `f16` scale (34 bytes).

use super::{Q8Row, QK, f16_at};

/// Bytes per block.
pub const BLOCK_BYTES: usize = 34;

/// Scalar dot product of a `Q8_0` row with a quantised activation row.
pub fn dot(row: &[u8], a: Q8Row<'_>) -> f32 {
    let mut sum = 0f32;
    for (b, blk) in row.chunks_exact(BLOCK_BYTES).enumerate() {
        let aq = &a.qs[b * QK..(b + 1) * QK];
        let sumi: i32 = blk[2..]
            .iter()
            .zip(aq)
            .map(|(&w, &x)| i32::from(w as i8) * i32::from(x))
            .sum();
        sum += f16_at(blk) * a.d[b] * sumi as f32;
    }
    sum
}
