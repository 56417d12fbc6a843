//! Axis coordinates for plotters: linear, logarithmic (ticked at round base-10 values or at powers
//! of two), or named categories, with their ranges, tick positions and tick labels.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

use crate::{Scale, format};

/// One axis of a plot; values are always `f64` (categories sit at 0, 1, 2, ...). `Log2` maps like
/// `Log` and is ticked at powers of two.
#[derive(Debug, Clone)]
pub(crate) enum AxisCoord {
    Linear { lo: f64, hi: f64 },
    Log { lo: f64, hi: f64 },
    Log2 { lo: f64, hi: f64 },
    Categories { names: Vec<String> },
}

impl AxisCoord {
    /// An axis of `scale` that shows `lo..=hi` with a little room on both sides; `from_zero`
    /// keeps a linear axis of non-negative data anchored at zero.
    pub(crate) fn fit(scale: Scale, lo: f64, hi: f64, from_zero: bool) -> Self {
        match scale {
            Scale::Linear => {
                let (lo, hi) = if from_zero && lo >= 0.0 {
                    (0.0, hi)
                } else {
                    (lo, hi)
                };
                let (lo, hi) = widen_if_flat(lo, hi);
                let pad = (hi - lo) * 0.04;
                let lo = if from_zero && lo == 0.0 {
                    0.0
                } else {
                    lo - pad
                };
                Self::Linear { lo, hi: hi + pad }
            }
            Scale::Log | Scale::Log2 => {
                let (lo, hi) = if hi / lo < 1.5 {
                    (lo / 1.25, hi * 1.25)
                } else {
                    (lo, hi)
                };
                let pad = (hi / lo).log10() * 0.04;
                let (lo, hi) = (lo / 10f64.powf(pad), hi * 10f64.powf(pad));
                if scale == Scale::Log2 {
                    Self::Log2 { lo, hi }
                } else {
                    Self::Log { lo, hi }
                }
            }
        }
    }

    /// The same axis with its top raised so the data keeps out of the top `fraction` of the
    /// plot (room for a legend); categories are unchanged.
    pub(crate) fn with_headroom(self, fraction: f64) -> Self {
        let keep = 1.0 - fraction.clamp(0.0, 0.6);
        match self {
            Self::Linear { lo, hi } => Self::Linear {
                lo,
                hi: lo + (hi - lo) / keep,
            },
            Self::Log { lo, hi } => Self::Log {
                lo,
                hi: lo * (hi / lo).powf(1.0 / keep),
            },
            Self::Log2 { lo, hi } => Self::Log2 {
                lo,
                hi: lo * (hi / lo).powf(1.0 / keep),
            },
            categories @ Self::Categories { .. } => categories,
        }
    }

    /// Where `value` falls along the axis, 0 at the start and 1 at the end.
    fn fraction(&self, value: f64) -> f64 {
        match self {
            Self::Linear { lo, hi } => (value - lo) / (hi - lo),
            Self::Log { lo, hi } | Self::Log2 { lo, hi } => {
                (value.max(f64::MIN_POSITIVE).ln() - lo.ln()) / (hi.ln() - lo.ln())
            }
            Self::Categories { names } => (value + 0.5) / names.len().max(1) as f64,
        }
    }

    /// The tick label at `value`.
    pub(crate) fn label(&self, value: f64) -> String {
        match self {
            Self::Categories { names } => {
                let index = value.round();
                if index < 0.0 {
                    return String::new();
                }
                names.get(index as usize).cloned().unwrap_or_default()
            }
            Self::Linear { .. } | Self::Log { .. } | Self::Log2 { .. } => format::number(value),
        }
    }
}

/// Makes an empty range show something around its single value.
fn widen_if_flat(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        return (lo, hi);
    }
    let half = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
    (lo - half, hi + half)
}

impl Ranged for AxisCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        limit.0 + (self.fraction(*value) * span).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let light = hint.weight().allow_light_points();
        match self {
            Self::Linear { lo, hi } => RangedCoordf64::from(*lo..*hi).key_points(hint),
            Self::Log { lo, hi } => log_ticks(*lo, *hi, hint.max_num_points(), light),
            Self::Log2 { .. } if light => Vec::new(),
            Self::Log2 { lo, hi } => log2_ticks(*lo, *hi, hint.max_num_points()),
            Self::Categories { names } if !light => {
                let step = names.len().div_ceil(hint.max_num_points().max(1)).max(1);
                (0..names.len()).step_by(step).map(|i| i as f64).collect()
            }
            Self::Categories { .. } => Vec::new(),
        }
    }

    fn range(&self) -> Range<f64> {
        match self {
            Self::Linear { lo, hi } | Self::Log { lo, hi } | Self::Log2 { lo, hi } => *lo..*hi,
            Self::Categories { names } => -0.5..names.len() as f64 - 0.5,
        }
    }
}

/// Ticks on a log axis: the densest round mantissas per decade that fit (1-1.5-2-3-5-7 down to
/// 1-3), else powers of ten, else (for ranges too narrow for four round ticks) evenly spaced
/// ticks. Light grid lines at 1..9 per decade when the range spans few decades.
fn log_ticks(lo: f64, hi: f64, max: usize, light: bool) -> Vec<f64> {
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    let within = |mantissas: &[f64], every: usize| -> Vec<f64> {
        (first..=last)
            .step_by(every)
            .flat_map(|exp| mantissas.iter().map(move |m| m * 10f64.powi(exp)))
            .filter(|v| *v >= lo && *v <= hi)
            .collect()
    };
    if light {
        return if last - first <= 4 {
            within(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 1)
        } else {
            Vec::new()
        };
    }
    let max = max.max(2);
    // From the densest set of round mantissas down; the first that fits with at least four
    // ticks wins.
    let sets: [&[f64]; 4] = [
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
        &[1.0, 2.0, 3.0, 5.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 3.0],
    ];
    for mantissas in sets {
        let ticks = within(mantissas, 1);
        if ticks.len() <= max {
            if ticks.len() >= 4 {
                return ticks;
            }
            // Too narrow a range for round mantissas: evenly spaced ticks read better.
            return RangedCoordf64::from(lo..hi).key_points(max.min(6));
        }
    }
    let decades = (last - first + 1) as usize;
    within(&[1.0], decades.div_ceil(max).max(1))
}

/// Ticks on a logarithmic axis at powers of two within `lo..=hi`, every second (fourth, ...)
/// one when more than `max` would fit.
fn log2_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let first = lo.log2().ceil() as i32;
    let last = hi.log2().floor() as i32;
    if last < first {
        return Vec::new();
    }
    let count = (last - first + 1) as usize;
    let every = count.div_ceil(max.max(2)).max(1);
    (first..=last)
        .step_by(every)
        .map(|exp| 2f64.powi(exp))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_ticks_sit_on_powers_of_two_and_thin_out() {
        assert_eq!(log2_ticks(0.9, 4.5, 10), vec![1.0, 2.0, 4.0]);
        // 2^0 to 2^10: eleven powers, more than ten, so every second one.
        assert_eq!(
            log2_ticks(0.9, 1100.0, 10),
            vec![1.0, 4.0, 16.0, 64.0, 256.0, 1024.0]
        );
        assert!(log2_ticks(2.5, 3.5, 10).is_empty());
        let AxisCoord::Log2 { lo, hi } = AxisCoord::fit(Scale::Log2, 1.0, 8.0, false) else {
            panic!("log2 expected");
        };
        assert!(lo < 1.0 && hi > 8.0);
    }

    #[test]
    fn log_ticks_use_the_densest_round_mantissas_that_fit() {
        let ticks = log_ticks(0.8, 120.0, 10, false);
        assert_eq!(
            ticks,
            vec![1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0]
        );
        let ticks = log_ticks(14.0, 130.0, 10, false);
        assert_eq!(ticks, vec![15.0, 20.0, 30.0, 50.0, 70.0, 100.0]);
    }

    #[test]
    fn log_ticks_fall_back_to_decades_then_linear() {
        let wide = log_ticks(1.0, 1e9, 6, false);
        assert!(wide.len() <= 6 && wide.len() >= 3, "{wide:?}");
        assert!(
            wide.iter()
                .all(|v| (v.log10() - v.log10().round()).abs() < 1e-9)
        );
        let narrow = log_ticks(21.0, 38.0, 10, false);
        assert!(narrow.len() >= 2, "{narrow:?}");
        assert!(narrow.iter().all(|v| (21.0..=38.0).contains(v)));
    }

    #[test]
    fn fitted_linear_axis_keeps_zero_and_pads_the_top() {
        let AxisCoord::Linear { lo, hi } = AxisCoord::fit(Scale::Linear, 3.0, 10.0, true) else {
            panic!("linear expected");
        };
        assert!(lo.abs() < f64::EPSILON);
        assert!(hi > 10.0);
        let AxisCoord::Linear { lo, hi } = AxisCoord::fit(Scale::Linear, 5.0, 5.0, false) else {
            panic!("linear expected");
        };
        assert!(lo < 5.0 && hi > 5.0);
    }

    #[test]
    fn headroom_keeps_the_data_below_the_top_fraction() {
        let AxisCoord::Linear { hi, .. } =
            (AxisCoord::Linear { lo: 0.0, hi: 80.0 }).with_headroom(0.2)
        else {
            panic!("linear expected");
        };
        assert!((hi - 100.0).abs() < 1e-9);
        let AxisCoord::Log { hi, .. } = (AxisCoord::Log { lo: 1.0, hi: 100.0 }).with_headroom(0.5)
        else {
            panic!("log expected");
        };
        assert!((hi - 10_000.0).abs() < 1e-6);
    }

    #[test]
    fn maps_ends_of_the_range_to_the_pixel_limits() {
        let log = AxisCoord::Log { lo: 1.0, hi: 100.0 };
        assert_eq!(log.map(&1.0, (0, 200)), 0);
        assert_eq!(log.map(&10.0, (0, 200)), 100);
        assert_eq!(log.map(&100.0, (0, 200)), 200);
        let cats = AxisCoord::Categories {
            names: vec!["a".into(), "b".into()],
        };
        assert_eq!(cats.map(&0.0, (0, 200)), 50);
        assert_eq!(cats.label(1.0), "b");
        assert_eq!(cats.label(7.0), "");
    }
}
