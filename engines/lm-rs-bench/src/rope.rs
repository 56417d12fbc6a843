//! Rotary position embeddings in ggml's "normal" style: adjacent pairs `(x[2i], x[2i+1])` are
//! rotated (GGUF llama weights are stored permuted for this), with the model's base frequency,
//! linear position scaling and optional per-pair frequency factors.

/// Cosines and sines for every position up to a capacity, computed once per capacity.
#[derive(Debug, Default)]
pub struct Rope {
    half: usize,
    cos: Vec<f32>,
    sin: Vec<f32>,
}

impl Rope {
    /// Tables for positions `0..positions`. Angles follow ggml's recurrence in `f32`
    /// (`theta *= base^(-2/n_rot)` per pair) so positions match llama.cpp bit for bit where the
    /// math library agrees.
    pub fn new(
        n_rot: usize,
        theta_base: f32,
        linear_factor: f32,
        freq_factors: Option<&[f32]>,
        positions: usize,
    ) -> Rope {
        let half = n_rot / 2;
        let theta_scale = theta_base.powf(-2.0 / n_rot as f32);
        let freq_scale = 1.0 / linear_factor;
        let mut cos = Vec::with_capacity(positions * half);
        let mut sin = Vec::with_capacity(positions * half);
        for p in 0..positions {
            let mut theta = p as f32;
            for i in 0..half {
                let ff = freq_factors.map_or(1.0, |f| f[i]);
                let angle = freq_scale * (theta / ff);
                cos.push(angle.cos());
                sin.push(angle.sin());
                theta *= theta_scale;
            }
        }
        Rope { half, cos, sin }
    }

    /// Positions the tables cover.
    pub fn positions(&self) -> usize {
        self.cos.len().checked_div(self.half).unwrap_or(0)
    }

    /// Rotate the first `n_rot` elements of one head vector for position `pos`.
    #[inline]
    pub fn apply(&self, head: &mut [f32], pos: usize) {
        let cos = &self.cos[pos * self.half..(pos + 1) * self.half];
        let sin = &self.sin[pos * self.half..(pos + 1) * self.half];
        for ((pair, &c), &s) in head.chunks_exact_mut(2).zip(cos).zip(sin) {
            let (x0, x1) = (pair[0], pair[1]);
            pair[0] = x0 * c - x1 * s;
            pair[1] = x0 * s + x1 * c;
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "these values are exact")]
mod tests {
    use super::*;

    #[test]
    fn position_zero_is_identity_and_norm_is_kept() {
        let rope = Rope::new(8, 10_000.0, 1.0, None, 4);
        assert_eq!(rope.positions(), 4);
        let orig = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let mut v = orig;
        rope.apply(&mut v, 0);
        assert_eq!(v, orig);
        rope.apply(&mut v, 3);
        for (a, b) in v.chunks(2).zip(orig.chunks(2)) {
            let (na, nb) = (a[0].hypot(a[1]), b[0].hypot(b[1]));
            assert!((na - nb).abs() < 1e-5);
        }
        // The first pair turns by exactly `pos` radians.
        let mut u = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        rope.apply(&mut u, 2);
        assert!((u[0] - 2f32.cos()).abs() < 1e-6 && (u[1] - 2f32.sin()).abs() < 1e-6);
    }

    #[test]
    fn linear_scaling_and_factors_slow_the_rotation() {
        let scaled = Rope::new(2, 10_000.0, 2.0, None, 3);
        let factored = Rope::new(2, 10_000.0, 1.0, Some(&[2.0]), 3);
        let plain = Rope::new(2, 10_000.0, 1.0, None, 3);
        let (mut a, mut b, mut c) = ([1.0, 0.0], [1.0, 0.0], [1.0, 0.0]);
        scaled.apply(&mut a, 2);
        factored.apply(&mut b, 2);
        plain.apply(&mut c, 1);
        assert!((a[1] - c[1]).abs() < 1e-6 && (b[1] - c[1]).abs() < 1e-6);
    }
}
