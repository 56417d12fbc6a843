//! `Q6_K`: 256-element super-blocks of sixteen 16-element groups with `i8` scales (210 bytes:
//! 128 bytes of low nibbles `ql`, 64 bytes of high bit pairs `qh`, 16 scales, `f16 d`).
//! Value: `d * scale_g * (q - 32)` with the 6-bit `q` assembled from `ql` and `qh`.

use super::{Q8KRow, QK_K, f16_at};

/// Bytes per super-block.
pub const BLOCK_BYTES: usize = 210;

/// The 256 six-bit values of a block, minus 32.
#[inline]
fn unpack(blk: &[u8], q: &mut [i8; QK_K]) {
    let (ql, qh) = (&blk[..128], &blk[128..192]);
    for half in 0..2 {
        let (ql, qh) = (&ql[64 * half..], &qh[32 * half..]);
        let q = &mut q[128 * half..];
        for l in 0..32 {
            q[l] = ((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) as i8 - 32;
            q[l + 32] = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) as i8 - 32;
            q[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i8 - 32;
            q[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i8 - 32;
        }
    }
}

/// Dot product of a `Q6_K` row with a `Q8_K` activation row.
pub fn dot(row: &[u8], a: Q8KRow<'_>) -> f32 {
    let mut q = [0i8; QK_K];
    let mut sum = 0f32;
    for (b, blk) in row.chunks_exact(BLOCK_BYTES).enumerate() {
        unpack(blk, &mut q);
        let aq = &a.qs[b * QK_K..(b + 1) * QK_K];
        let mut acc = 0i32;
        for g in 0..16 {
            let sumi: i32 = q[g * 16..g * 16 + 16]
                .iter()
                .zip(&aq[g * 16..g * 16 + 16])
                .map(|(&w, &x)| i32::from(w) * i32::from(x))
                .sum();
            acc += i32::from(blk[192 + g] as i8) * sumi;
        }
        sum += f16_at(&blk[208..]) * a.d[b] * acc as f32;
    }
    sum
}
