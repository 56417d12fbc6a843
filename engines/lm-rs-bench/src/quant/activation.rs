//! Activation quantisers: `f32` rows to 32-element `i8` blocks (`Q8_1`-style, with the scaled
//! block sum) and to 256-element `Q8_K` blocks, following ggml's reference rounding.

use half::f16;

use super::{QK, QK_K};

/// `x` rounded to the nearest integer, ties to even, for `|x| < 2^22`: ggml's trick (adding
/// 1.5 * 2^23 leaves no fraction bits), which its x86 quantisers use too. A plain `round` would
/// call into libm on baseline x86-64.
#[inline]
fn round_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC) - MAGIC
}

/// Rows of activations quantised to 32-element blocks.
#[derive(Debug, Default)]
pub struct Q8Acts {
    qs: Vec<i8>,
    /// Scale of each block, rounded through `f16` as ggml stores it.
    d: Vec<f32>,
    /// `d * sum(qs)` of each block, rounded through `f16` (used by formats with an offset).
    s: Vec<f32>,
    cols: usize,
}

/// One quantised activation row.
#[derive(Debug, Clone, Copy)]
pub struct Q8Row<'a> {
    pub qs: &'a [i8],
    pub d: &'a [f32],
    pub s: &'a [f32],
}

impl Q8Acts {
    /// Quantise `n_rows` rows of `cols` elements (`cols` a multiple of 32) from `x`.
    /// Reuses its buffers; allocates only when they must grow.
    pub fn quantize(&mut self, x: &[f32], cols: usize) {
        debug_assert!(cols.is_multiple_of(QK) && x.len().is_multiple_of(cols));
        let nb = x.len() / QK;
        self.cols = cols;
        self.qs.resize(x.len(), 0);
        self.d.resize(nb, 0.0);
        self.s.resize(nb, 0.0);
        for (((xb, qb), d), s) in x
            .chunks_exact(QK)
            .zip(self.qs.chunks_exact_mut(QK))
            .zip(&mut self.d)
            .zip(&mut self.s)
        {
            let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = amax / 127.0;
            let inv = if scale == 0.0 { 0.0 } else { 1.0 / scale };
            let mut sum = 0i32;
            for (q, &v) in qb.iter_mut().zip(xb) {
                *q = round_even(v * inv) as i8;
                sum += i32::from(*q);
            }
            let d16 = f16::from_f32(scale);
            *d = d16.to_f32();
            *s = f16::from_f32(sum as f32 * scale).to_f32();
        }
    }

    /// Row `t` of the last quantised batch.
    #[inline]
    pub fn row(&self, t: usize) -> Q8Row<'_> {
        let nb = self.cols / QK;
        Q8Row {
            qs: &self.qs[t * self.cols..(t + 1) * self.cols],
            d: &self.d[t * nb..(t + 1) * nb],
            s: &self.s[t * nb..(t + 1) * nb],
        }
    }
}

/// Rows of activations quantised to `Q8_K` super-blocks.
#[derive(Debug, Default)]
pub struct Q8KActs {
    qs: Vec<i8>,
    d: Vec<f32>,
    /// Sum of each 16 consecutive `qs`.
    bsums: Vec<i16>,
    cols: usize,
}

/// One `Q8_K` activation row.
#[derive(Debug, Clone, Copy)]
pub struct Q8KRow<'a> {
    pub qs: &'a [i8],
    pub d: &'a [f32],
    pub bsums: &'a [i16],
}

impl Q8KActs {
    /// Quantise rows of `cols` elements (`cols` a multiple of 256) from `x`.
    pub fn quantize(&mut self, x: &[f32], cols: usize) {
        debug_assert!(cols.is_multiple_of(QK_K) && x.len().is_multiple_of(cols));
        self.cols = cols;
        self.qs.resize(x.len(), 0);
        self.d.resize(x.len() / QK_K, 0.0);
        self.bsums.resize(x.len() / 16, 0);
        for (((xb, qb), d), bs) in x
            .chunks_exact(QK_K)
            .zip(self.qs.chunks_exact_mut(QK_K))
            .zip(&mut self.d)
            .zip(self.bsums.chunks_exact_mut(QK_K / 16))
        {
            // ggml scales by the signed value of largest magnitude so that it maps to -127.
            let mut max = 0f32;
            let mut amax = 0f32;
            for &v in xb {
                if v.abs() > amax {
                    amax = v.abs();
                    max = v;
                }
            }
            if amax == 0.0 {
                *d = 0.0;
                qb.fill(0);
                bs.fill(0);
                continue;
            }
            let iscale = -127.0 / max;
            for (q, &v) in qb.iter_mut().zip(xb) {
                *q = round_even(iscale * v).clamp(-128.0, 127.0) as i8;
            }
            for (b, q16) in bs.iter_mut().zip(qb.chunks_exact(16)) {
                *b = q16.iter().map(|&q| i16::from(q)).sum();
            }
            *d = 1.0 / iscale;
        }
    }

    /// Row `t` of the last quantised batch.
    #[inline]
    pub fn row(&self, t: usize) -> Q8KRow<'_> {
        let nb = self.cols / QK_K;
        Q8KRow {
            qs: &self.qs[t * self.cols..(t + 1) * self.cols],
            d: &self.d[t * nb..(t + 1) * nb],
            bsums: &self.bsums[t * self.cols / 16..(t + 1) * self.cols / 16],
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "these values are exact")]
mod tests {
    use super::*;

    #[test]
    fn q8_round_trip_is_close_and_sums_match() {
        let x: Vec<f32> = (0..64)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        let mut a = Q8Acts::default();
        a.quantize(&x, 64);
        let r = a.row(0);
        for (b, xb) in x.chunks(32).enumerate() {
            let mut sum = 0i32;
            for (j, &v) in xb.iter().enumerate() {
                let q = r.qs[b * 32 + j];
                sum += i32::from(q);
                assert!((f32::from(q) * r.d[b] - v).abs() <= r.d[b] * 0.51 + 1e-3);
            }
            assert!((r.s[b] - sum as f32 * r.d[b]).abs() < 1e-2 * r.s[b].abs().max(1.0));
        }
    }

    #[test]
    fn q8k_round_trip_is_close() {
        let x: Vec<f32> = (0..512)
            .map(|i| ((i * 53 % 97) as f32 - 48.0) / 13.0)
            .collect();
        let mut a = Q8KActs::default();
        a.quantize(&x, 256);
        for t in 0..2 {
            let r = a.row(t);
            for (j, &v) in x[t * 256..(t + 1) * 256].iter().enumerate() {
                assert!((f32::from(r.qs[j]) * r.d[0] - v).abs() <= r.d[0].abs() * 0.51);
            }
            let s: i16 = r.qs[16..32].iter().map(|&q| i16::from(q)).sum();
            assert_eq!(r.bsums[1], s);
        }
    }

    #[test]
    fn rounding_is_to_nearest_even() {
        let got: Vec<f32> = [0.4, 0.5, 1.5, 2.5, -0.5, -1.5, -126.6, 126.5]
            .iter()
            .map(|&x| round_even(x))
            .collect();
        assert_eq!(got, [0.0, 0.0, 2.0, 2.0, 0.0, -2.0, -127.0, 126.0]);
    }

    #[test]
    fn zero_rows_quantise_to_zero() {
        let mut a = Q8Acts::default();
        a.quantize(&[0.0; 32], 32);
        assert!(a.row(0).qs.iter().all(|&q| q == 0));
        assert_eq!(a.row(0).d[0], 0.0);
    }
}
