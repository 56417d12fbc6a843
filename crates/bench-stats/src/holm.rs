//! Holm-Bonferroni adjustment of p-values for a family of tests.

use crate::error::StatsError;

/// Holm-Bonferroni adjusted p-values, in the input order.
///
/// With the `m` p-values sorted ascending as `p_(1) <= ... <= p_(m)`, the adjusted value of
/// `p_(i)` is `max_{j <= i} min(1, (m - j + 1) p_(j))`. Rejecting every hypothesis whose adjusted
/// p-value is below `alpha` controls the family-wise error rate at `alpha`. Matches
/// `statsmodels.stats.multitest.multipletests(p, method="holm")[1]`.
///
/// ```
/// use bench_stats::holm;
/// // statsmodels: multipletests([0.01, 0.04, 0.03, 0.005], method="holm")[1]
/// assert_eq!(holm(&[0.01, 0.04, 0.03, 0.005])?, [0.03, 0.06, 0.06, 0.02]);
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>, StatsError> {
    if let Some(&p) = p_values.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(StatsError::InvalidParameter {
            name: "p-value",
            value: p,
            expected: "a number in [0, 1]",
        });
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![0.0; m];
    let mut running_max = 0.0f64;
    for (rank, &index) in order.iter().enumerate() {
        let scaled = ((m - rank) as f64 * p_values[index]).min(1.0);
        running_max = running_max.max(scaled);
        adjusted[index] = running_max;
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    // statsmodels 0.15: multipletests([0.2, 0.01, 0.5, 0.01, 0.03], method='holm')[1]
    // -> [0.4, 0.05, 0.5, 0.05, 0.09]
    #[test]
    fn matches_statsmodels_with_ties() {
        let got = holm(&[0.2, 0.01, 0.5, 0.01, 0.03]).unwrap();
        for (g, w) in got.iter().zip([0.4, 0.05, 0.5, 0.05, 0.09]) {
            assert_relative_eq!(*g, w, max_relative = 1e-12);
        }
    }

    #[test]
    fn empty_and_invalid() {
        assert_eq!(holm(&[]).unwrap(), Vec::<f64>::new());
        assert!(holm(&[0.5, 1.5]).is_err());
        assert!(holm(&[f64::NAN]).is_err());
    }

    #[test]
    fn single_test_is_unchanged() {
        assert_eq!(holm(&[0.042]).unwrap(), [0.042]);
    }

    proptest! {
        #[test]
        fn adjusted_is_at_least_raw_and_keeps_the_order(
            p in prop::collection::vec(0.0f64..=1.0, 1..30),
        ) {
            let adjusted = holm(&p).unwrap();
            for (i, (&raw, &adj)) in p.iter().zip(&adjusted).enumerate() {
                prop_assert!(raw <= adj && adj <= 1.0);
                for (&raw_j, &adj_j) in p.iter().zip(&adjusted).skip(i + 1) {
                    if raw < raw_j {
                        prop_assert!(adj <= adj_j);
                    }
                }
            }
        }
    }
}
