//! Effect sizes of two samples: Cohen's d (standardised mean difference) and Cliff's delta
//! (dominance). Both are positive when `b` tends to be larger than `a`.

use crate::describe::{mean, variance};
use crate::error::StatsError;
use crate::sample::Sample;

/// Cohen's d: `(mean_b - mean_a) / s_pooled` with
/// `s_pooled = sqrt(((n_a - 1) var_a + (n_b - 1) var_b) / (n_a + n_b - 2))`.
///
/// Needs three values in all (so the pooled variance has a degree of freedom) and a non-zero
/// pooled variance.
pub fn cohens_d(a: &Sample, b: &Sample) -> Result<f64, StatsError> {
    let (na, nb) = (a.len(), b.len());
    if na + nb < 3 {
        return Err(StatsError::TooFewValues {
            what: "cohen's d (both samples together)",
            needed: 3,
            got: na + nb,
        });
    }
    let ss = |s: &Sample| variance(s).map_or(0.0, |v| v * (s.len() - 1) as f64);
    let pooled = ((ss(a) + ss(b)) / (na + nb - 2) as f64).sqrt();
    if pooled == 0.0 {
        return Err(StatsError::ZeroVariance("cohen's d"));
    }
    Ok((mean(b) - mean(a)) / pooled)
}

/// Cliff's delta: `(#{b_j > a_i} - #{b_j < a_i}) / (n_a n_b)` over all pairs, in `[-1, 1]`.
/// Swapping the arguments negates it.
///
/// The pairs are counted in one merge of the two sorted samples (as `b`'s values rise, the
/// counts of `a`'s below each and at most each only grow), or, when `b` is much the smaller,
/// by two binary searches of `a` per value of `b`.
pub fn cliffs_delta(a: &Sample, b: &Sample) -> f64 {
    let sorted_a = a.sorted();
    let n = sorted_a.len();
    let mut greater = 0usize;
    let mut less = 0usize;
    let searches = b.len() * (usize::BITS - n.leading_zeros()) as usize;
    if searches < n {
        for &y in b.sorted() {
            greater += sorted_a.partition_point(|&x| x < y);
            less += n - sorted_a.partition_point(|&x| x <= y);
        }
        return cliffs_from_counts(greater, less, a, b);
    }
    let (mut below, mut at_most) = (0usize, 0usize);
    for &y in b.sorted() {
        while below < n && sorted_a[below] < y {
            below += 1;
        }
        at_most = at_most.max(below);
        while at_most < n && sorted_a[at_most] <= y {
            at_most += 1;
        }
        greater += below;
        less += n - at_most;
    }
    cliffs_from_counts(greater, less, a, b)
}

/// Cliff's delta from the counts of pairs whose `b` value is above (`greater`) and below
/// (`less`) the `a` value.
pub(crate) fn cliffs_from_counts(greater: usize, less: usize, a: &Sample, b: &Sample) -> f64 {
    (greater as f64 - less as f64) / (a.len() * b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    fn sample(v: &[f64]) -> Sample {
        Sample::new(v.to_vec()).unwrap()
    }

    // numpy reference:
    //   a = [12.1, 11.8, 12.5, 13.0, 12.2, 11.9, 12.7, 12.4]
    //   b = [12.9, 13.4, 12.8, 13.9, 13.1, 13.6, 12.6, 14.0, 13.3, 13.2]
    //   sp = np.sqrt(((8-1)*np.var(a,ddof=1) + (10-1)*np.var(b,ddof=1)) / 16)
    //   (np.mean(b) - np.mean(a)) / sp = 2.186967147256508
    #[test]
    fn cohens_d_matches_numpy() {
        let a = sample(&[12.1, 11.8, 12.5, 13.0, 12.2, 11.9, 12.7, 12.4]);
        let b = sample(&[12.9, 13.4, 12.8, 13.9, 13.1, 13.6, 12.6, 14.0, 13.3, 13.2]);
        assert_relative_eq!(
            cohens_d(&a, &b).unwrap(),
            2.186_967_147_256_508,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            cohens_d(&b, &a).unwrap(),
            -2.186_967_147_256_508,
            max_relative = 1e-12
        );
    }

    #[test]
    fn cohens_d_refuses_degenerate_input() {
        let one = sample(&[1.0]);
        assert!(matches!(
            cohens_d(&one, &one),
            Err(StatsError::TooFewValues { .. })
        ));
        let flat = sample(&[2.0, 2.0]);
        assert!(matches!(
            cohens_d(&flat, &one),
            Err(StatsError::ZeroVariance(_))
        ));
    }

    // Brute force over all pairs in Python:
    //   x = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6]; y = [2, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9]
    //   (sum(j > i for i in x for j in y) - sum(j < i for i in x for j in y)) / 110
    //   = 0.5363636363636364
    #[test]
    fn cliffs_delta_with_ties() {
        let x = sample(&[1., 2., 2., 3., 3., 3., 4., 5., 5., 6.]);
        let y = sample(&[2., 3., 4., 4., 5., 5., 6., 6., 7., 8., 9.]);
        assert_relative_eq!(
            cliffs_delta(&x, &y),
            0.536_363_636_363_636_4,
            max_relative = 1e-12
        );
        assert_eq!(cliffs_delta(&sample(&[1.0]), &sample(&[2.0, 3.0])), 1.0);
        assert_eq!(cliffs_delta(&sample(&[1.0]), &sample(&[1.0])), 0.0);
    }

    proptest! {
        #[test]
        fn cliffs_delta_counts_every_pair(
            a in proptest::collection::vec(-5i32..5, 1..40),
            b in proptest::collection::vec(-5i32..5, 1..40),
        ) {
            // Few distinct values: ties on both sides of every merge step.
            let (x, y): (Vec<f64>, Vec<f64>) = (
                a.iter().map(|&v| f64::from(v)).collect(),
                b.iter().map(|&v| f64::from(v)).collect(),
            );
            let pairs = |keep: fn(f64, f64) -> bool| {
                x.iter().flat_map(|&p| y.iter().map(move |&q| (p, q))).filter(|&(p, q)| keep(p, q)).count()
            };
            let expected = (pairs(|p, q| q > p) as f64 - pairs(|p, q| q < p) as f64)
                / (x.len() * y.len()) as f64;
            prop_assert_eq!(cliffs_delta(&sample(&x), &sample(&y)), expected);
        }

        #[test]
        fn cliffs_delta_is_antisymmetric_and_bounded(
            a in prop::collection::vec(-50i32..50, 1..40),
            b in prop::collection::vec(-50i32..50, 1..40),
        ) {
            // Small integers force plenty of ties.
            let a = Sample::new(a.into_iter().map(f64::from).collect()).unwrap();
            let b = Sample::new(b.into_iter().map(f64::from).collect()).unwrap();
            let ab = cliffs_delta(&a, &b);
            prop_assert!((-1.0..=1.0).contains(&ab));
            prop_assert_eq!(ab, -cliffs_delta(&b, &a));
        }
    }
}
