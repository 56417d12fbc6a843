//! Thin wrappers over statrs' Student's t and normal distributions, in the shapes the tests and
//! intervals here need.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// The p-quantile of Student's t with `df` degrees of freedom; `None` when `df` is not positive.
pub(crate) fn t_quantile(p: f64, df: f64) -> Option<f64> {
    StudentsT::new(0.0, 1.0, df).ok().map(|t| t.inverse_cdf(p))
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom; `None` when `df` is not
/// positive.
pub(crate) fn t_two_sided_p(t: f64, df: f64) -> Option<f64> {
    StudentsT::new(0.0, 1.0, df)
        .ok()
        .map(|dist| (2.0 * dist.sf(t.abs())).min(1.0))
}

/// Two-sided p-value of a standard normal statistic.
pub(crate) fn normal_two_sided_p(z: f64) -> f64 {
    (2.0 * Normal::standard().sf(z.abs())).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    // scipy 1.17: stats.t.ppf(0.975, 9) = 2.262157162798205,
    // 2 * stats.t.sf(2.0, 5) = 0.10193947882985835, 2 * stats.norm.sf(1.96) = 0.04999579029644087
    #[test]
    fn matches_scipy() {
        assert_relative_eq!(
            t_quantile(0.975, 9.0).unwrap(),
            2.262_157_162_798_205,
            max_relative = 1e-9
        );
        assert_relative_eq!(
            t_two_sided_p(-2.0, 5.0).unwrap(),
            0.101_939_478_829_858_35,
            max_relative = 1e-9
        );
        assert_relative_eq!(
            normal_two_sided_p(1.96),
            0.049_995_790_296_440_87,
            max_relative = 1e-9
        );
        assert!(t_quantile(0.5, 0.0).is_none());
    }
}
