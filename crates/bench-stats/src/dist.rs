//! Thin wrappers over statrs' Student's t and normal distributions, in the shapes the tests and
//! intervals here need.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Degrees of freedom from which [`t_quantile`] uses the Cornish-Fisher expansion: statrs'
/// inverse of the regularised incomplete beta function takes time growing with `df` (minutes at
/// the `df` of a million-sample run), while the expansion's error there is below 1e-15.
const T_EXPANSION_MIN_DF: f64 = 1000.0;

/// The p-quantile of Student's t with `df` degrees of freedom; `None` when `df` is not positive.
///
/// Below [`T_EXPANSION_MIN_DF`], statrs' inverse CDF. From there on, the Cornish-Fisher
/// expansion in `1 / df` around the normal quantile `z` (Abramowitz and Stegun 26.7.5, four
/// terms), whose truncation error is of order `z^11 / df^5`.
pub(crate) fn t_quantile(p: f64, df: f64) -> Option<f64> {
    if df >= T_EXPANSION_MIN_DF && p > 0.0 && p < 1.0 {
        let z = Normal::standard().inverse_cdf(p);
        let z2 = z * z;
        let g1 = z * (z2 + 1.0) / 4.0;
        let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
        let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
        let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
        return Some(z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df);
    }
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

    // scipy 1.17.1: stats.t.ppf(0.975, df) and 2 * stats.t.sf(2.5, df).
    #[test]
    fn large_degrees_of_freedom_match_scipy() {
        for (df, ppf, p) in [
            (999.0, 1.962_341_461_133_449_3, 0.012_578_727_584_509_217),
            (1000.0, 1.962_339_080_826_408_3, 0.012_578_567_801_090_807),
            (5000.0, 1.960_438_551_706_507_3, 0.012_451_116_199_721_14),
            (1e5, 1.959_987_707_534_609_5, 0.012_420_919_192_559_051),
            (1e6, 1.959_966_356_814_107, 0.012_419_489_502_163_254),
            (3.2e7, 1.959_964_058_673_532_5, 0.012_419_335_615_622_126),
        ] {
            assert_relative_eq!(t_quantile(0.975, df).unwrap(), ppf, max_relative = 1e-12);
            assert_relative_eq!(t_quantile(0.025, df).unwrap(), -ppf, max_relative = 1e-12);
            // statrs' regularised incomplete beta loses digits at huge df (1.3e-8 at 3.2e7).
            assert_relative_eq!(t_two_sided_p(2.5, df).unwrap(), p, max_relative = 1e-7);
        }
    }
}
