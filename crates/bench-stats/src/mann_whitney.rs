//! The Mann-Whitney U test (Wilcoxon rank-sum) of two samples.
//!
//! The p-value is two-sided. It is exact when either sample has at most
//! [`EXACT_MAX_LEN`] values and no value is tied across the pooled data (the distribution of U
//! is counted through the Gaussian binomial coefficient); otherwise it uses the normal
//! approximation with the tie correction of the variance and a continuity correction of 0.5.
//! This is the rule and the arithmetic of `scipy.stats.mannwhitneyu(b, a,
//! alternative="two-sided")` with its default `method="auto"`, except that samples with more
//! than [`EXACT_MAX_PAIRS`] pairs always use the approximation.

use serde::{Deserialize, Serialize};

use crate::dist::normal_two_sided_p;
use crate::sample::Sample;

/// Largest size of the smaller sample for which the exact distribution is used (when there are no
/// ties).
pub const EXACT_MAX_LEN: usize = 8;

/// Largest `n_a n_b` for which the exact distribution is used: its table holds `n_a n_b + 1`
/// entries. Beyond it the normal approximation is accurate anyway.
pub const EXACT_MAX_PAIRS: usize = 1_000_000;

/// How a Mann-Whitney p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MannWhitneyMethod {
    /// The exact null distribution of U.
    Exact,
    /// The normal approximation with tie and continuity corrections.
    Asymptotic,
}

/// Result of the Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// U of `b`: the number of pairs `(a_i, b_j)` with `b_j > a_i`, ties counting one half.
    /// Above `n_a n_b / 2` means `b` tends to be larger.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// How the p-value was computed.
    pub method: MannWhitneyMethod,
}

/// The Mann-Whitney U test of `a` against `b` (two-sided; see the module docs for the method).
/// When every pooled value is tied, U sits exactly at its mean and the p-value is 1.
pub fn mann_whitney_u(a: &Sample, b: &Sample) -> MannWhitney {
    from_ranks(&RankSums::of(a.sorted(), b.sorted()))
}

/// [`mann_whitney_u`] and [`crate::cliffs_delta`] of `a` and `b` (the same values each returns)
/// from one walk through the two sorted samples: on the tens of millions of inter-token gaps a
/// long run pools, each walk is most of a comparison's time.
pub(crate) fn mann_whitney_and_cliffs_delta(a: &Sample, b: &Sample) -> (MannWhitney, f64) {
    let ranks = RankSums::of(a.sorted(), b.sorted());
    let delta = crate::effect_size::cliffs_from_counts(ranks.b_above, ranks.b_below, a, b);
    (from_ranks(&ranks), delta)
}

/// The test from the two samples' rank sums.
fn from_ranks(ranks: &RankSums) -> MannWhitney {
    let (na, nb) = (ranks.na, ranks.nb);
    let u_b = ranks.rank_sum_b - (nb * (nb + 1)) as f64 / 2.0;
    let mean_u = (na * nb) as f64 / 2.0;
    if ranks.tie_term <= 0.0 && na.min(nb) <= EXACT_MAX_LEN && na * nb <= EXACT_MAX_PAIRS {
        // Without ties U is a whole number; the distribution is symmetric about its mean.
        let upper = mean_u + (u_b - mean_u).abs();
        let p_value = (2.0 * exact_upper_tail(na, nb, upper.round() as usize)).min(1.0);
        return MannWhitney {
            u: u_b,
            p_value,
            method: MannWhitneyMethod::Exact,
        };
    }
    let pooled = (na + nb) as f64;
    let var_u =
        (na * nb) as f64 / 12.0 * ((pooled + 1.0) - ranks.tie_term / (pooled * (pooled - 1.0)));
    let p_value = if var_u > 0.0 {
        let z = ((u_b - mean_u).abs() - 0.5).max(0.0) / var_u.sqrt();
        normal_two_sided_p(z)
    } else {
        1.0
    };
    MannWhitney {
        u: u_b,
        p_value,
        method: MannWhitneyMethod::Asymptotic,
    }
}

/// Rank sum of `b` in the pooled data (average ranks for ties) and the tie term
/// `sum(t^3 - t)` over groups of `t` tied values.
struct RankSums {
    na: usize,
    nb: usize,
    rank_sum_b: f64,
    tie_term: f64,
    /// Pairs (one value of each sample) whose `b` value is above the `a` value, and below it.
    b_above: usize,
    b_below: usize,
}

impl RankSums {
    /// Merges two ascending slices, walking one group of equal values at a time.
    fn of(sorted_a: &[f64], sorted_b: &[f64]) -> Self {
        let (mut next_a, mut next_b) = (0, 0);
        let mut rank_sum_b = 0.0;
        let mut tie_term = 0.0;
        let mut ranked = 0usize;
        let (mut b_above, mut b_below) = (0usize, 0usize);
        loop {
            let value = match (sorted_a.get(next_a), sorted_b.get(next_b)) {
                (Some(&va), Some(&vb)) => va.min(vb),
                (Some(&v), None) | (None, Some(&v)) => v,
                (None, None) => break,
            };
            // Everything left is >= value (both slices ascend), so `<=` selects the ties.
            let in_a = sorted_a[next_a..]
                .iter()
                .take_while(|&&v| v <= value)
                .count();
            let in_b = sorted_b[next_b..]
                .iter()
                .take_while(|&&v| v <= value)
                .count();
            let group = (in_a + in_b) as f64;
            // Ranks ranked+1 ..= ranked+group share their average.
            let average_rank = ranked as f64 + f64::midpoint(1.0, group);
            rank_sum_b += average_rank * in_b as f64;
            tie_term += group * group * group - group;
            ranked += in_a + in_b;
            // This group's `b` values are above every `a` value before it, below every one after.
            b_above += in_b * next_a;
            b_below += in_b * (sorted_a.len() - next_a - in_a);
            next_a += in_a;
            next_b += in_b;
        }
        Self {
            na: sorted_a.len(),
            nb: sorted_b.len(),
            rank_sum_b,
            tie_term,
            b_above,
            b_below,
        }
    }
}

/// `P(U >= u)` under the null for samples of sizes `na` and `nb` without ties.
///
/// The counts of arrangements with each U are the coefficients of the Gaussian binomial
/// coefficient `[na + nb choose m]_q = prod_{i=1..m} (1 - q^(k+i)) / (1 - q^i)` with
/// `m = min(na, nb)`, `k = max(na, nb)`. Coefficients above degree `m k` never feed lower ones,
/// so the polynomial is truncated there.
fn exact_upper_tail(na: usize, nb: usize, u: usize) -> f64 {
    let (m, k) = (na.min(nb), na.max(nb));
    let top = m * k;
    let mut coef = vec![0.0f64; top + 1];
    coef[0] = 1.0;
    for i in 1..=m {
        let shift = k + i;
        for d in (shift..=top).rev() {
            coef[d] -= coef[d - shift];
        }
        for d in i..=top {
            coef[d] += coef[d - i];
        }
    }
    let total: f64 = coef.iter().sum();
    let tail: f64 = coef.get(u..).map_or(0.0, |c| c.iter().sum());
    (tail / total).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effect_size::cliffs_delta;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    fn sample(v: &[f64]) -> Sample {
        Sample::new(v.to_vec()).unwrap()
    }

    const A: [f64; 8] = [12.1, 11.8, 12.5, 13.0, 12.2, 11.9, 12.7, 12.4];
    const B: [f64; 10] = [12.9, 13.4, 12.8, 13.9, 13.1, 13.6, 12.6, 14.0, 13.3, 13.2];

    // Reference values from scipy 1.17, `stats.mannwhitneyu(y, x, alternative='two-sided', ...)`:
    //   x = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6]; y = [2, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9]
    //   method='asymptotic', use_continuity=True -> U 84.5, p 0.03904884575434861
    //   (B, A) method='auto' (exact)            -> U 76.0, p 0.0005484711367064308
    //   c = [0.5, 1.7, 2.2, 3.9, 0.1]; d = np.round(np.linspace(0.05, 4.95, 40), 4)
    //   (d, c) method='auto' (exact)            -> U 132.0, p 0.2642108631898763
    //   (d, d[:30] + 0.013) method='auto'       -> U 735.0, p 0.1104393869359311
    #[test]
    fn asymptotic_with_ties_matches_scipy() {
        let x = sample(&[1., 2., 2., 3., 3., 3., 4., 5., 5., 6.]);
        let y = sample(&[2., 3., 4., 4., 5., 5., 6., 6., 7., 8., 9.]);
        let r = mann_whitney_u(&x, &y);
        assert_eq!(r.method, MannWhitneyMethod::Asymptotic);
        assert_eq!(r.u, 84.5);
        assert_relative_eq!(r.p_value, 0.039_048_845_754_348_61, max_relative = 1e-9);
    }

    #[test]
    fn exact_matches_scipy() {
        let r = mann_whitney_u(&sample(&A), &sample(&B));
        assert_eq!((r.u, r.method), (76.0, MannWhitneyMethod::Exact));
        assert_relative_eq!(r.p_value, 0.000_548_471_136_706_430_8, max_relative = 1e-9);

        let c = sample(&[0.5, 1.7, 2.2, 3.9, 0.1]);
        let d = sample(&linspace_d());
        let r = mann_whitney_u(&c, &d);
        assert_eq!((r.u, r.method), (132.0, MannWhitneyMethod::Exact));
        assert_relative_eq!(r.p_value, 0.264_210_863_189_876_3, max_relative = 1e-9);
    }

    // scipy 1.17: c = [0.5, 1.7, 2.2, 3.9, 0.1, 2.95, 4.4, 1.05]
    //   d = np.round(np.linspace(0.03, 4.97, 200), 6)
    //   stats.mannwhitneyu(d, c, alternative='two-sided', method='exact')
    //   -> U 929.0, p 0.4485163940781877
    #[test]
    fn exact_with_a_large_second_sample_matches_scipy() {
        let c = sample(&[0.5, 1.7, 2.2, 3.9, 0.1, 2.95, 4.4, 1.05]);
        let d: Vec<f64> = (0..200)
            .map(|i| {
                let v = 0.03 + (4.97 - 0.03) * f64::from(i) / 199.0;
                (v * 1e6).round() / 1e6
            })
            .collect();
        let r = mann_whitney_u(&c, &sample(&d));
        assert_eq!((r.u, r.method), (929.0, MannWhitneyMethod::Exact));
        assert_relative_eq!(r.p_value, 0.448_516_394_078_187_7, max_relative = 1e-9);
    }

    #[test]
    fn asymptotic_without_ties_matches_scipy() {
        let d = linspace_d();
        let shifted: Vec<f64> = d[..30].iter().map(|v| v + 0.013).collect();
        let r = mann_whitney_u(&sample(&shifted), &sample(&d));
        assert_eq!((r.u, r.method), (735.0, MannWhitneyMethod::Asymptotic));
        assert_relative_eq!(r.p_value, 0.110_439_386_935_931_1, max_relative = 1e-9);
    }

    #[test]
    fn all_tied_gives_p_one() {
        let flat = sample(&[3.0; 12]);
        let r = mann_whitney_u(&flat, &flat);
        assert_eq!((r.u, r.p_value), (72.0, 1.0));
    }

    #[test]
    fn exact_distribution_sums_to_one_and_is_symmetric() {
        // Sizes 3 and 4: 35 arrangements; P(U >= 12) = 1/35, P(U >= 0) = 1.
        assert_relative_eq!(exact_upper_tail(3, 4, 12), 1.0 / 35.0, max_relative = 1e-12);
        assert_relative_eq!(exact_upper_tail(3, 4, 0), 1.0, max_relative = 1e-12);
        for u in 0..=12 {
            // P(U >= u) + P(U >= 13 - u) = 1 by symmetry about 6.
            let sum = exact_upper_tail(3, 4, u) + exact_upper_tail(3, 4, 13 - u);
            assert_relative_eq!(sum, 1.0, max_relative = 1e-12);
        }
    }

    proptest! {
        #[test]
        fn symmetric_p_and_u_agrees_with_cliffs_delta(
            a in prop::collection::vec(-20i32..20, 1..30),
            b in prop::collection::vec(-20i32..20, 1..30),
        ) {
            let a = Sample::new(a.into_iter().map(f64::from).collect()).unwrap();
            let b = Sample::new(b.into_iter().map(f64::from).collect()).unwrap();
            let (ab, ba) = (mann_whitney_u(&a, &b), mann_whitney_u(&b, &a));
            prop_assert!((0.0..=1.0).contains(&ab.p_value));
            prop_assert!((ab.p_value - ba.p_value).abs() < 1e-12);
            let pairs = (a.len() * b.len()) as f64;
            prop_assert!((ab.u + ba.u - pairs).abs() < 1e-9);
            // Cliff's delta counts the same pairs: delta = 2 U_b / (n_a n_b) - 1.
            prop_assert!((2.0 * ab.u / pairs - 1.0 - cliffs_delta(&a, &b)).abs() < 1e-12);
        }

        /// The walk that gives both returns exactly what each function returns alone, with
        /// ties, and with one sample much the smaller (where Cliff's delta searches instead).
        #[test]
        fn one_walk_gives_the_test_and_cliffs_delta_of_each(
            a in prop::collection::vec(-40i32..40, 1..400),
            b in prop::collection::vec(-40i32..40, 1..400),
            scale in prop::sample::select(vec![1.0, 0.1, 1e-3]),
        ) {
            let a = Sample::new(a.into_iter().map(|v| f64::from(v) * scale).collect()).unwrap();
            let b = Sample::new(b.into_iter().map(|v| f64::from(v) * scale).collect()).unwrap();
            for (x, y) in [(&a, &b), (&b, &a)] {
                let (test, delta) = mann_whitney_and_cliffs_delta(x, y);
                prop_assert_eq!(test, mann_whitney_u(x, y));
                prop_assert_eq!(delta.to_bits(), cliffs_delta(x, y).to_bits());
            }
        }
    }

    /// `np.round(np.linspace(0.05, 4.95, 40), 4)`.
    fn linspace_d() -> Vec<f64> {
        (0..40)
            .map(|i| {
                let v = 0.05 + (4.95 - 0.05) * f64::from(i) / 39.0;
                (v * 1e4).round() / 1e4
            })
            .collect()
    }
}
