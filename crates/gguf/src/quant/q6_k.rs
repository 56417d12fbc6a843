//! `Q6_K`: 256-element super-blocks of sixteen 16-element groups with `i8` scales (210 bytes:
//! 128 bytes of low nibbles `ql`, 64 bytes of high bit pairs `qh`, 16 scales, `f16 d`).
//! Value: `(d * scale_g) * (q - 32)`. In each 128-element half, element `32 * r + l` takes its
//! low nibble from `ql[64 * half + 32 * (r % 2) + l]` (low nibble for `r < 2`) and its high
//! bits from bits `2r..2r+2` of `qh[32 * half + l]`.

use super::block::f16_at;

pub(super) fn dequantize(block: &[u8; 210], out: &mut [f32; 256]) {
    let (ql, qh, scales) = (&block[..128], &block[128..192], &block[192..208]);
    let d = f16_at(block, 208);
    for (e, o) in out.iter_mut().enumerate() {
        let (half, row, l) = (e / 128, (e % 128) / 32, e % 32);
        let low = (ql[64 * half + 32 * (row % 2) + l] >> (4 * (row / 2))) & 0x0F;
        let high = (qh[32 * half + l] >> (2 * row)) & 3;
        let q = (low | (high << 4)) as i8 - 32;
        *o = (d * f32::from(scales[e / 16] as i8)) * f32::from(q);
    }
}
