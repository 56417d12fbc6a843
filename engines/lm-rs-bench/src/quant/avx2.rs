//! AVX2/FMA/F16C dot products for the 32-element formats (`Q4_0`, `Q4_1`, `Q8_0`) against
//! quantised activations, in the style of ggml's x86 kernels: nibbles are unpacked to bytes,
//! `maddubs` multiplies unsigned weight bytes with signed activation bytes into 16-bit pairs,
//! `madd` widens to 32 bits, and an FMA applies the two block scales.
//!
//! Each function asserts its operand lengths once, then reads blocks with unaligned loads.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m128i, __m256, __m256i, _mm_add_ps, _mm_add_ss, _mm_and_si128, _mm_cvtph_ps, _mm_cvtsi32_si128,
    _mm_cvtss_f32, _mm_loadu_si128, _mm_movehl_ps, _mm_set1_epi8, _mm_shuffle_ps,
    _mm_srli_epi16, _mm256_castps256_ps128, _mm256_cvtepi32_ps, _mm256_extractf128_ps,
    _mm256_fmadd_ps, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_maddubs_epi16,
    _mm256_set_m128i, _mm256_set1_epi8, _mm256_set1_epi16, _mm256_set1_ps, _mm256_setzero_ps,
    _mm256_sign_epi8, _mm256_sub_epi8,
};

#[cfg(target_arch = "x86_64")]
use super::{Q8Row, QK, q4_0, q4_1, q8_0};

/// Sum of the eight lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
    _mm_cvtss_f32(s)
}

/// Two little-endian `f16`s at `p` as `f32`s.
///
/// # Safety
///
/// `p` must be valid for reading four bytes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn two_f16(p: *const u8) -> (f32, f32) {
    // SAFETY: the caller guarantees four readable bytes.
    let bits = unsafe { p.cast::<i32>().read_unaligned() };
    let v = _mm_cvtph_ps(_mm_cvtsi32_si128(bits));
    (_mm_cvtss_f32(v), _mm_cvtss_f32(_mm_shuffle_ps::<1>(v, v)))
}

/// The 16 bytes of nibbles at `p` as 32 bytes: low nibbles (elements 0..16), then high ones.
///
/// # Safety
///
/// `p` must be valid for reading 16 bytes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn nibbles(p: *const u8) -> __m256i {
    // SAFETY: the caller guarantees 16 readable bytes.
    let q = unsafe { _mm_loadu_si128(p.cast::<__m128i>()) };
    let mask = _mm_set1_epi8(0x0F);
    _mm256_set_m128i(
        _mm_and_si128(_mm_srli_epi16::<4>(q), mask),
        _mm_and_si128(q, mask),
    )
}

/// Signed bytes `w` times signed bytes `x`, summed in pairs of pairs into eight `i32` lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn dot_i8(w: __m256i, x: __m256i) -> __m256i {
    // maddubs takes unsigned by signed: move w's sign onto x.
    let p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    _mm256_madd_epi16(p, _mm256_set1_epi16(1))
}

/// `Q4_1` row dot quantised activations.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
pub fn dot_q4_1(row: &[u8], a: Q8Row<'_>) -> f32 {
    let nb = row.len() / q4_1::BLOCK_BYTES;
    assert!(a.qs.len() >= nb * QK && a.d.len() >= nb && a.s.len() >= nb);
    let ones = _mm256_set1_epi16(1);
    let mut acc = _mm256_setzero_ps();
    let mut acc_m = 0f32;
    for b in 0..nb {
        // SAFETY: block b lies inside `row` (nb whole blocks) and activation block b inside
        // `a.qs` (asserted above).
        let (d, m, w, x) = unsafe {
            let p = row.as_ptr().add(b * q4_1::BLOCK_BYTES);
            let (d, m) = two_f16(p);
            let x = _mm256_loadu_si256(a.qs.as_ptr().add(b * QK).cast::<__m256i>());
            (d, m, nibbles(p.add(4)), x)
        };
        let p = _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), ones);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d * a.d[b]), acc);
        acc_m = m.mul_add(a.s[b], acc_m);
    }
    hsum(acc) + acc_m
}

/// `Q4_0` row dot quantised activations.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
pub fn dot_q4_0(row: &[u8], a: Q8Row<'_>) -> f32 {
    let nb = row.len() / q4_0::BLOCK_BYTES;
    assert!(a.qs.len() >= nb * QK && a.d.len() >= nb);
    let eight = _mm256_set1_epi8(8);
    let mut acc = _mm256_setzero_ps();
    for b in 0..nb {
        // SAFETY: as in `dot_q4_1`; the scale's two bytes are followed by 16 more, so reading
        // four at the block start stays inside the block.
        let (d, w, x) = unsafe {
            let p = row.as_ptr().add(b * q4_0::BLOCK_BYTES);
            let (d, _) = two_f16(p);
            let x = _mm256_loadu_si256(a.qs.as_ptr().add(b * QK).cast::<__m256i>());
            (d, nibbles(p.add(2)), x)
        };
        let p = dot_i8(_mm256_sub_epi8(w, eight), x);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d * a.d[b]), acc);
    }
    hsum(acc)
}

/// `Q8_0` row dot quantised activations.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
pub fn dot_q8_0(row: &[u8], a: Q8Row<'_>) -> f32 {
    let nb = row.len() / q8_0::BLOCK_BYTES;
    assert!(a.qs.len() >= nb * QK && a.d.len() >= nb);
    let mut acc = _mm256_setzero_ps();
    for b in 0..nb {
        // SAFETY: as in `dot_q4_0`.
        let (d, w, x) = unsafe {
            let p = row.as_ptr().add(b * q8_0::BLOCK_BYTES);
            let (d, _) = two_f16(p);
            let w = _mm256_loadu_si256(p.add(2).cast::<__m256i>());
            let x = _mm256_loadu_si256(a.qs.as_ptr().add(b * QK).cast::<__m256i>());
            (d, w, x)
        };
        let p = dot_i8(w, x);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d * a.d[b]), acc);
    }
    hsum(acc)
}
