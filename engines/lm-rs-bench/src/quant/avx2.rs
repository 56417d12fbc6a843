//! x86-64 dot products for the 32-element formats (`Q4_0`, `Q4_1`, `Q8_0`) against quantised
//! activations, in the style of ggml's kernels: nibbles are unpacked to bytes, unsigned weight
//! bytes are multiplied with signed activation bytes and summed into eight `i32` lanes, and an
//! FMA applies the two block scales. Two blocks are in flight per iteration, with separate
//! accumulators, so the FMA latency does not serialise the loop.
//!
//! Each kernel asserts its operand lengths once, then reads blocks with unaligned loads.

#![allow(
    clippy::many_single_char_names,
    reason = "kernel variables follow ggml's names: d scale, m min, w weights, x activations"
)]
#![allow(
    clippy::inline_always,
    reason = "the helpers must inline into the target-feature kernels to compile to single \
              instructions"
)]
#![allow(
    clippy::cast_ptr_alignment,
    reason = "every vector load here is an unaligned load (loadu)"
)]

use std::arch::x86_64::{
    __m128i, __m256, __m256i, _mm_add_ps, _mm_add_ss, _mm_and_si128, _mm_cvtph_ps,
    _mm_cvtsi32_si128, _mm_cvtss_f32, _mm_loadu_si128, _mm_movehl_ps, _mm_set1_epi8,
    _mm_shuffle_ps, _mm_srli_epi16, _mm256_add_ps, _mm256_castps256_ps128, _mm256_cvtepi32_ps,
    _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_loadu_si256, _mm256_madd_epi16,
    _mm256_maddubs_epi16, _mm256_set_m128i, _mm256_set1_epi8, _mm256_set1_epi16, _mm256_set1_ps,
    _mm256_setzero_ps, _mm256_sign_epi8, _mm256_sub_epi8,
};

use super::{Q8Row, QK, q4_0, q4_1, q8_0};

/// Unsigned bytes `w` times signed bytes `x`, summed in fours into eight `i32` lanes:
/// `maddubs` to 16-bit pairs (no saturation: the 4-bit formats have w <= 15, and `Q8_0` goes
/// through `sign`, so |w| <= 128 with |x| <= 127), then `madd` with ones.
#[inline(always)]
unsafe fn mul_sum(w: __m256i, x: __m256i) -> __m256i {
    // SAFETY: the caller runs on a CPU with AVX2.
    unsafe { _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1)) }
}

/// Sum of the eight lanes.
#[inline(always)]
unsafe fn hsum(v: __m256) -> f32 {
    // SAFETY: AVX, implied by every caller's features.
    unsafe {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
        _mm_cvtss_f32(s)
    }
}

/// Two little-endian `f16`s at `p` as `f32`s.
///
/// # Safety
///
/// `p` must be valid for reading four bytes; the CPU must have F16C.
#[inline(always)]
unsafe fn two_f16(p: *const u8) -> (f32, f32) {
    // SAFETY: the caller guarantees four readable bytes and F16C.
    unsafe {
        let v = _mm_cvtph_ps(_mm_cvtsi32_si128(p.cast::<i32>().read_unaligned()));
        (_mm_cvtss_f32(v), _mm_cvtss_f32(_mm_shuffle_ps::<1>(v, v)))
    }
}

/// The 16 bytes of nibbles at `p` as 32 bytes: low nibbles (elements 0..16), then high ones.
///
/// # Safety
///
/// `p` must be valid for reading 16 bytes; the CPU must have AVX2.
#[inline(always)]
unsafe fn nibbles(p: *const u8) -> __m256i {
    // SAFETY: the caller guarantees 16 readable bytes and AVX2.
    unsafe {
        let q = _mm_loadu_si128(p.cast::<__m128i>());
        let mask = _mm_set1_epi8(0x0F);
        _mm256_set_m128i(
            _mm_and_si128(_mm_srli_epi16::<4>(q), mask),
            _mm_and_si128(q, mask),
        )
    }
}

/// Signed bytes `w` times signed bytes `x`: `w`'s sign moves onto `x`.
#[inline(always)]
unsafe fn signed_mul_sum(w: __m256i, x: __m256i) -> __m256i {
    // SAFETY: AVX2, implied by every caller's features.
    unsafe { mul_sum(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w)) }
}

/// One block's contribution: `acc += (d_w * d_x) * sums`.
#[inline(always)]
unsafe fn fma_block(acc: __m256, sums: __m256i, scale: f32) -> __m256 {
    // SAFETY: AVX2 and FMA, implied by every caller's features.
    unsafe { _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_set1_ps(scale), acc) }
}

/// Sums and scale of one block (`Q4_1` also its `min * s` term), for the paired loop.
type Block = (__m256i, f32, f32);

/// Walk the `nb` blocks in pairs, each pair into two accumulators. A macro rather than a
/// function taking a closure: closures do not inherit the kernels' target features, and the
/// intrinsics would not be inlined into them.
macro_rules! paired {
    ($nb:expr, |$b:ident| $block:expr) => {{
        let nb: usize = $nb;
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let (mut min0, mut min1) = (0f32, 0f32);
        let mut $b = 0;
        while $b + 1 < nb {
            let (sums, scale, min): Block = $block;
            acc0 = fma_block(acc0, sums, scale);
            min0 += min;
            $b += 1;
            let (sums, scale, min): Block = $block;
            acc1 = fma_block(acc1, sums, scale);
            min1 += min;
            $b += 1;
        }
        if $b < nb {
            let (sums, scale, min): Block = $block;
            acc0 = fma_block(acc0, sums, scale);
            min0 += min;
        }
        hsum(_mm256_add_ps(acc0, acc1)) + (min0 + min1)
    }};
}

#[inline(always)]
unsafe fn q4_1(row: &[u8], a: Q8Row<'_>) -> f32 {
    let nb = row.len() / q4_1::BLOCK_BYTES;
    assert!(a.qs.len() >= nb * QK && a.d.len() >= nb && a.s.len() >= nb);
    // SAFETY: block b < nb lies inside `row` (nb whole blocks) and activation block b inside
    // `a` (asserted above); the caller's CPU has AVX2, FMA and F16C.
    unsafe {
        paired!(nb, |b| {
            let p = row.as_ptr().add(b * q4_1::BLOCK_BYTES);
            let (d, m) = two_f16(p);
            let x = _mm256_loadu_si256(a.qs.as_ptr().add(b * QK).cast::<__m256i>());
            let sums = mul_sum(nibbles(p.add(4)), x);
            (sums, d * *a.d.get_unchecked(b), m * *a.s.get_unchecked(b))
        })
    }
}

#[inline(always)]
unsafe fn q4_0(row: &[u8], a: Q8Row<'_>) -> f32 {
    let nb = row.len() / q4_0::BLOCK_BYTES;
    assert!(a.qs.len() >= nb * QK && a.d.len() >= nb);
    // SAFETY: as in `q4_1`; reading four bytes at a block start stays inside the block.
    unsafe {
        let eight = _mm256_set1_epi8(8);
        paired!(nb, |b| {
            let p = row.as_ptr().add(b * q4_0::BLOCK_BYTES);
            let (d, _) = two_f16(p);
            let x = _mm256_loadu_si256(a.qs.as_ptr().add(b * QK).cast::<__m256i>());
            let w = _mm256_sub_epi8(nibbles(p.add(2)), eight);
            (signed_mul_sum(w, x), d * *a.d.get_unchecked(b), 0.0)
        })
    }
}

#[inline(always)]
unsafe fn q8_0(row: &[u8], a: Q8Row<'_>) -> f32 {
    let nb = row.len() / q8_0::BLOCK_BYTES;
    assert!(a.qs.len() >= nb * QK && a.d.len() >= nb);
    // SAFETY: as in `q4_0`.
    unsafe {
        paired!(nb, |b| {
            let p = row.as_ptr().add(b * q8_0::BLOCK_BYTES);
            let (d, _) = two_f16(p);
            let w = _mm256_loadu_si256(p.add(2).cast::<__m256i>());
            let x = _mm256_loadu_si256(a.qs.as_ptr().add(b * QK).cast::<__m256i>());
            (signed_mul_sum(w, x), d * *a.d.get_unchecked(b), 0.0)
        })
    }
}

macro_rules! kernels {
    ($($name:ident = $body:ident, $doc:literal;)*) => {$(
        #[doc = $doc]
        ///
        /// # Safety
        ///
        /// The CPU must have AVX2, FMA and F16C.
        #[target_feature(enable = "avx2,fma,f16c")]
        pub unsafe fn $name(row: &[u8], a: Q8Row<'_>) -> f32 {
            // SAFETY: this function's features are the ones the body needs.
            unsafe { $body(row, a) }
        }
    )*};
}

kernels! {
    dot_q4_1 = q4_1, "`Q4_1` row · quantised activations.";
    dot_q4_0 = q4_0, "`Q4_0` row · quantised activations.";
    dot_q8_0 = q8_0, "`Q8_0` row · quantised activations.";
}
