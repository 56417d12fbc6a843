//! `Q4_K`: 256-element super-blocks of eight 32-element sub-blocks with 6-bit scales and mins
//! (144 bytes: `f16 d`, `f16 dmin`, 12 bytes of packed scales/mins, 128 bytes of nibbles).
//! Value: `d * scale_j * q - dmin * min_j`. Each 64 elements share 32 bytes: the first 32
//! elements in the low nibbles, the next 32 in the high ones.

use super::{Q8KRow, QK_K, f16_at};

/// Bytes per super-block.
pub const BLOCK_BYTES: usize = 144;

/// Scale and min of sub-block `j` (0..8) from the 12 packed bytes.
#[inline]
fn scale_min(j: usize, s: &[u8]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

/// Dot product of a `Q4_K` row with a `Q8_K` activation row.
pub fn dot(row: &[u8], a: Q8KRow<'_>) -> f32 {
    let mut sum = 0f32;
    for (b, blk) in row.chunks_exact(BLOCK_BYTES).enumerate() {
        let (d, dmin) = (f16_at(blk), f16_at(&blk[2..]));
        let scales = &blk[4..16];
        let qs = &blk[16..];
        let aq = &a.qs[b * QK_K..(b + 1) * QK_K];
        let bsums = &a.bsums[b * 16..(b + 1) * 16];
        let mut acc = 0i32;
        let mut mins = 0i32;
        for j in 0..8 {
            let (sc, m) = scale_min(j, scales);
            let bytes = &qs[(j / 2) * 32..(j / 2) * 32 + 32];
            let shift = if j % 2 == 0 { 0 } else { 4 };
            let sumi: i32 = bytes
                .iter()
                .zip(&aq[j * 32..j * 32 + 32])
                .map(|(&q, &x)| i32::from((q >> shift) & 0x0F) * i32::from(x))
                .sum();
            acc += i32::from(sc) * sumi;
            mins += i32::from(m) * (i32::from(bsums[2 * j]) + i32::from(bsums[2 * j + 1]));
        }
        sum += a.d[b] * (d * acc as f32 - dmin * mins as f32);
    }
    sum
}
