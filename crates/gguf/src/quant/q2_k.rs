//! `Q2_K`: 256-element super-blocks of sixteen 16-element groups (84 bytes: 16 bytes of 4-bit
//! scale and min per group, 64 bytes of 2-bit codes, `f16 d`, `f16 dmin`).
//! Value: `(d * scale_g) * q - (dmin * min_g)`. Each 32 code bytes hold 128 elements: element
//! `32 * s + l` of that half in bits `2s..2s+2` of byte `l`.

use super::block::f16_at;

pub(super) fn dequantize(block: &[u8; 84], out: &mut [f32; 256]) {
    let (scales, qs) = (&block[..16], &block[16..80]);
    let (d, dmin) = (f16_at(block, 80), f16_at(block, 82));
    for (e, o) in out.iter_mut().enumerate() {
        let g = e / 16;
        let (half, pair, l) = (e / 128, (e % 128) / 32, e % 32);
        let q = (qs[32 * half + l] >> (2 * pair)) & 3;
        let dl = d * f32::from(scales[g] & 0x0F);
        let ml = dmin * f32::from(scales[g] >> 4);
        *o = dl * f32::from(q) - ml;
    }
}
