//! `Q3_K`: 256-element super-blocks of sixteen 16-element groups (110 bytes: 32 bytes of high
//! bits `hmask`, 64 bytes of 2-bit low codes, 12 bytes of packed 6-bit scales, `f16 d`).
//! Value: `(d * (scale_g - 32)) * q` with `q` in `-4..=3`: the low two bits, minus 4 where the
//! element's `hmask` bit is clear.

use super::block::f16_at;

/// Signed scale of group `g` (0..16) from the 12 packed bytes: low four bits from byte `g % 8`
/// (low nibble for `g < 8`), high two bits from byte `8 + g % 4` at bit `2 * (g / 4)`.
fn scale(s: &[u8], g: usize) -> f32 {
    let low = if g < 8 { s[g] & 0x0F } else { s[g - 8] >> 4 };
    let high = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
    f32::from((low | (high << 4)) as i8 - 32)
}

pub(super) fn dequantize(block: &[u8; 110], out: &mut [f32; 256]) {
    let (hmask, qs, scales) = (&block[..32], &block[32..96], &block[96..108]);
    let d = f16_at(block, 108);
    for (e, o) in out.iter_mut().enumerate() {
        let (half, pair, l) = (e / 128, (e % 128) / 32, e % 32);
        let low = ((qs[32 * half + l] >> (2 * pair)) & 3) as i8;
        let high_clear = ((hmask[l] >> (e / 32)) & 1) ^ 1;
        let q = low - ((high_clear << 2) as i8);
        *o = (d * scale(scales, e / 16)) * f32::from(q);
    }
}
