//! Synthetic sample streams with known integrals, for the energy tests.

use crate::reading::{Domain, Reading};
use crate::series::{Channel, Point};

pub(crate) const MS: u64 = 1_000_000;
pub(crate) const S: u64 = 1_000_000_000;

/// A channel sampled every `sample_ms` (first sample at `phase_ms`) for `end_s` seconds, whose
/// energy counter reports `energy(t)` as of its last update (every `update_ms`), like NVML's.
pub(crate) fn counter_channel(
    energy: impl Fn(f64) -> f64,
    end_s: f64,
    sample_ms: u64,
    update_ms: u64,
    phase_ms: u64,
) -> Channel {
    let mut channel = Channel::new("synthetic", Domain::Gpu);
    let mut t = phase_ms * MS;
    while (t as f64) / 1e9 <= end_s {
        let last_update = t / (update_ms * MS) * (update_ms * MS);
        channel.points.push(Point {
            t_ns: t,
            reading: Reading {
                energy_j: Some(energy(last_update as f64 / 1e9)),
                ..Reading::default()
            },
        });
        t += sample_ms * MS;
    }
    channel
}

/// A channel with instantaneous power `power(t)` sampled every `sample_ms`, and no counter.
pub(crate) fn power_channel(power: impl Fn(f64) -> f64, end_s: f64, sample_ms: u64) -> Channel {
    let mut channel = Channel::new("synthetic", Domain::Gpu);
    let mut t = 0;
    while (t as f64) / 1e9 <= end_s {
        channel.points.push(Point {
            t_ns: t,
            reading: Reading {
                power_w: Some(power(t as f64 / 1e9)),
                ..Reading::default()
            },
        });
        t += sample_ms * MS;
    }
    channel
}

/// `a` within `rel` (relative) of `b`.
pub(crate) fn assert_close(a: f64, b: f64, rel: f64) {
    assert!(
        (a - b).abs() <= rel * b.abs().max(1e-9),
        "{a} is not within {rel} of {b}"
    );
}
