//! What the block codecs share: iteration over whole blocks, `f16` scales, block extrema.

/// Apply `f` to each block of `TS` bytes and its `BS` output values (lengths checked by caller).
pub(super) fn blocks<const TS: usize, const BS: usize>(
    bytes: &[u8],
    out: &mut [f32],
    f: fn(&[u8; TS], &mut [f32; BS]),
) {
    let (blocks, _) = bytes.as_chunks::<TS>();
    let (outs, _) = out.as_chunks_mut::<BS>();
    for (b, o) in blocks.iter().zip(outs) {
        f(b, o);
    }
}

/// Apply `f` to each block of `BS` values and its `TS` output bytes (lengths checked by caller).
pub(super) fn blocks_mut<const BS: usize, const TS: usize>(
    values: &[f32],
    out: &mut [u8],
    f: fn(&[f32; BS], &mut [u8; TS]),
) {
    let (blocks, _) = values.as_chunks::<BS>();
    let (outs, _) = out.as_chunks_mut::<TS>();
    for (x, o) in blocks.iter().zip(outs) {
        f(x, o);
    }
}

/// The little-endian `f16` at `b[i..i + 2]`, as `f32`.
#[inline]
pub(super) fn f16_at(b: &[u8], i: usize) -> f32 {
    half::f16::from_le_bytes([b[i], b[i + 1]]).to_f32()
}

/// `x` rounded to `f16` (nearest even), little-endian.
#[inline]
pub(super) fn f16_bytes(x: f32) -> [u8; 2] {
    half::f16::from_f32(x).to_le_bytes()
}

/// `1 / d`, or 0 where `d` is 0 (an all-zero block).
#[inline]
pub(super) fn inverse(d: f32) -> f32 {
    if d == 0.0 { 0.0 } else { 1.0 / d }
}

/// The value of largest magnitude, the first one on ties (`numpy.argmax` of `abs`), so an
/// all-zero block keeps the sign of its first zero. `x` is a whole block, never empty.
#[inline]
pub(super) fn signed_absmax(x: &[f32]) -> f32 {
    x.iter()
        .skip(1)
        .fold(x[0], |m, &v| if v.abs() > m.abs() { v } else { m })
}

/// The block's minimum and maximum.
#[inline]
pub(super) fn min_max(x: &[f32]) -> (f32, f32) {
    x.iter()
        .fold((x[0], x[0]), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}
