//! Welch's unequal-variance t-test of two samples' means.

use serde::{Deserialize, Serialize};

use crate::describe::{mean, variance};
use crate::dist::t_two_sided_p;
use crate::error::StatsError;
use crate::sample::Sample;

/// Result of Welch's t-test. `t > 0` means `b`'s mean is larger than `a`'s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WelchTest {
    /// `(mean_b - mean_a) / sqrt(var_a / n_a + var_b / n_b)`.
    pub t: f64,
    /// Welch-Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Welch's t-test of `a` against `b` (two-sided). Needs two values in each sample and a non-zero
/// variance in at least one. The p-value does not depend on argument order; `t` changes sign.
///
/// Matches `scipy.stats.ttest_ind(b, a, equal_var=False)`.
pub fn welch_t_test(a: &Sample, b: &Sample) -> Result<WelchTest, StatsError> {
    let too_few = |got| StatsError::TooFewValues {
        what: "welch's t-test (per sample)",
        needed: 2,
        got,
    };
    let var_a = variance(a).ok_or_else(|| too_few(a.len()))?;
    let var_b = variance(b).ok_or_else(|| too_few(b.len()))?;
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (se2_a, se2_b) = (var_a / na, var_b / nb);
    let se2 = se2_a + se2_b;
    if se2 <= 0.0 {
        return Err(StatsError::ZeroVariance("welch's t"));
    }
    let t = (mean(b) - mean(a)) / se2.sqrt();
    let df = se2 * se2 / (se2_a * se2_a / (na - 1.0) + se2_b * se2_b / (nb - 1.0));
    let p_value = t_two_sided_p(t, df).ok_or(StatsError::ZeroVariance("welch's t"))?;
    Ok(WelchTest { t, df, p_value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    const A: [f64; 8] = [12.1, 11.8, 12.5, 13.0, 12.2, 11.9, 12.7, 12.4];
    const B: [f64; 10] = [12.9, 13.4, 12.8, 13.9, 13.1, 13.6, 12.6, 14.0, 13.3, 13.2];

    // scipy 1.17: r = stats.ttest_ind(B, A, equal_var=False)
    // -> statistic 4.677122482378543, df 15.790046489543458, pvalue 0.0002610731230766874
    #[test]
    fn matches_scipy() {
        let a = Sample::new(A.to_vec()).unwrap();
        let b = Sample::new(B.to_vec()).unwrap();
        let r = welch_t_test(&a, &b).unwrap();
        assert_relative_eq!(r.t, 4.677_122_482_378_543, max_relative = 1e-9);
        assert_relative_eq!(r.df, 15.790_046_489_543_458, max_relative = 1e-9);
        assert_relative_eq!(r.p_value, 0.000_261_073_123_076_687_4, max_relative = 1e-6);
    }

    #[test]
    fn refuses_degenerate_input() {
        let one = Sample::new(vec![1.0]).unwrap();
        let flat = Sample::new(vec![2.0, 2.0]).unwrap();
        assert!(matches!(
            welch_t_test(&one, &flat),
            Err(StatsError::TooFewValues { got: 1, .. })
        ));
        assert_eq!(
            welch_t_test(&flat, &flat),
            Err(StatsError::ZeroVariance("welch's t"))
        );
    }

    proptest! {
        #[test]
        fn p_in_unit_interval_and_symmetric(
            a in prop::collection::vec(-1e3f64..1e3, 2..40),
            b in prop::collection::vec(-1e3f64..1e3, 2..40),
        ) {
            let (a, b) = (Sample::new(a).unwrap(), Sample::new(b).unwrap());
            if let (Ok(ab), Ok(ba)) = (welch_t_test(&a, &b), welch_t_test(&b, &a)) {
                prop_assert!((0.0..=1.0).contains(&ab.p_value));
                prop_assert!((ab.p_value - ba.p_value).abs() <= 1e-12);
                prop_assert!((ab.t + ba.t).abs() <= 1e-9 * ab.t.abs().max(1.0));
            }
        }
    }
}
