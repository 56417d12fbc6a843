//! A line's bytes taken a 64-bit word at a time: whole numbers read from decimal text, and
//! short strings compared.

/// Powers of ten up to 10^8.
pub(super) const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// How many of `bytes` are decimal digits before the first that is not (0 to 8), and their
/// value, read with a few whole-word operations instead of a loop over the digits.
#[inline]
pub(super) fn eight_digits(bytes: [u8; 8]) -> (usize, u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The first character in the lowest byte.
    let chunk = u64::from_le_bytes(bytes);
    let values = chunk.wrapping_sub(ONES * u64::from(b'0'));
    // A byte's high bit is set in `below` when it is under '0' (wrapped) and in `above` when it
    // is over '9'; a borrow from a byte under '0' only ever reaches the bytes after it, so the
    // lowest flagged byte is the first that is not a digit.
    let below = values;
    let above = chunk.wrapping_add(ONES * (0x7f - u64::from(b'9')));
    let not_digit = (below | above | chunk) & HIGH;
    let n = (not_digit.trailing_zeros() / 8) as usize;
    if n == 0 {
        return (0, 0);
    }
    // The digits moved to the top bytes; the bytes below them read as leading zeros.
    let mut v = values << (8 * (8 - n));
    // Pairs, then quads, then the eight: each step joins neighbouring groups of digits.
    v = v.wrapping_mul(10).wrapping_add(v >> 8);
    v = (v & 0x0000_00ff_0000_00ff)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((v >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    (n, v)
}

/// Whether `a` and `b` hold the same bytes, compared a word at a time in line: the keys and
/// enum strings compared for every line are a few bytes long, and a call to `memcmp` for each
/// cost more than the comparison itself.
#[inline]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    let word =
        |s: &[u8], at: usize| <[u8; 8]>::try_from(&s[at..at + 8]).map_or(0, u64::from_ne_bytes);
    if len >= 8 {
        // Whole words, the last one overlapping the one before it.
        let mut at = 0;
        while at + 8 < len {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        word(a, len - 8) == word(b, len - 8)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}
