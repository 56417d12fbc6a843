//! Cumulative energy as a function of time, from an energy counter or, failing that, from power.
//!
//! Counter: the hardware counter is a staircase (NVML updates it about every 100 ms while the
//! sampler reads at 20 Hz), so repeated values carry no news. The curve keeps the first sample of
//! each new value (plus the last sample) as knots and interpolates linearly between them; window
//! edges are interpolated between the knots bracketing them.
//!
//! Power: the readings are taken as a piecewise-linear power signal and integrated exactly
//! (trapezoids, with the edge segments cut at the window edges). Some sources report power
//! averaged over their own window (NVML on Hopper: one second), which smooths bursts away: this is
//! the fallback when a source has no counter.

use serde::{Deserialize, Serialize};

use crate::clock::secs;
use crate::series::Channel;

/// How an energy figure was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnergyMethod {
    /// Interpolated from a cumulative hardware energy counter.
    Counter,
    /// Integrated from power readings.
    PowerIntegration,
}

/// Why there is no energy figure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EnergyUnavailable(pub String);

/// Energy of one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowEnergy {
    /// Energy used in the window.
    pub energy_j: f64,
    /// Window length.
    pub duration_s: f64,
    /// How the energy was obtained.
    pub method: EnergyMethod,
    /// False when the window is shorter than three typical counter updates (or sample
    /// intervals): the figure is then mostly interpolation.
    pub resolved: bool,
}

/// Cumulative energy over time for one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyCurve {
    method: EnergyMethod,
    /// `(t_ns, cumulative joules)`; for power integration, at every power sample.
    knots: Vec<(u64, f64)>,
    /// `(t_ns, watts)` power readings, for power integration and peak power.
    power: Vec<(u64, f64)>,
    /// Median time between knots: the counter's update interval as the sampler saw it.
    update_ns: u64,
}

/// How many typical update intervals a window needs to count as resolved.
const RESOLVED_UPDATES: u64 = 3;

impl EnergyCurve {
    /// The curve of `channel`: from its energy counter where it has at least two distinct
    /// values, else from its power readings.
    pub fn from_channel(channel: &Channel) -> Result<Self, EnergyUnavailable> {
        let power: Vec<(u64, f64)> = channel
            .points
            .iter()
            .filter_map(|p| p.reading.power_w.map(|w| (p.t_ns, w)))
            .collect();
        let counter: Vec<(u64, f64)> = channel
            .points
            .iter()
            .filter_map(|p| p.reading.energy_j.map(|e| (p.t_ns, e)))
            .collect();
        let knots = counter_knots(&counter);
        if knots.len() >= 2 && knots.first().map(|k| k.1) != knots.last().map(|k| k.1) {
            return Ok(Self::new(EnergyMethod::Counter, knots, power));
        }
        if power.len() >= 2 {
            let knots = integrate(&power);
            return Ok(Self::new(EnergyMethod::PowerIntegration, knots, power));
        }
        Err(EnergyUnavailable(format!(
            "{}: fewer than two energy counter updates or power readings",
            channel.name
        )))
    }

    fn new(method: EnergyMethod, knots: Vec<(u64, f64)>, power: Vec<(u64, f64)>) -> Self {
        // For the counter, the last knot may only repeat the final value at the end of the
        // series; it says nothing about the update rate.
        let spaced = match method {
            EnergyMethod::Counter => &knots[..knots.len() - 1],
            EnergyMethod::PowerIntegration => &knots[..],
        };
        let update_ns = median_gap(spaced);
        Self {
            method,
            knots,
            power,
            update_ns,
        }
    }

    /// How the curve was built.
    pub fn method(&self) -> EnergyMethod {
        self.method
    }

    /// Median interval between counter updates (or power samples).
    pub fn update_interval_ns(&self) -> u64 {
        self.update_ns
    }

    /// Shortest window that counts as resolved.
    pub fn resolution_ns(&self) -> u64 {
        self.update_ns * RESOLVED_UPDATES
    }

    /// Time span the curve covers.
    pub fn span_ns(&self) -> (u64, u64) {
        // `from_channel` guarantees at least two knots.
        (self.knots[0].0, self.knots[self.knots.len() - 1].0)
    }

    /// Cumulative energy at `t_ns`; `None` outside the span.
    pub fn at(&self, t_ns: u64) -> Option<f64> {
        let (first, last) = self.span_ns();
        if t_ns < first || t_ns > last {
            return None;
        }
        // Index of the first knot after t (at least 1 because t >= first knot).
        let i = self.knots.partition_point(|k| k.0 <= t_ns);
        if i == self.knots.len() {
            return Some(self.knots[i - 1].1);
        }
        let (t0, e0) = self.knots[i - 1];
        let (t1, e1) = self.knots[i];
        let dt = secs(t_ns - t0);
        Some(match self.method {
            EnergyMethod::Counter => e0 + (e1 - e0) * (t_ns - t0) as f64 / (t1 - t0) as f64,
            EnergyMethod::PowerIntegration => {
                let (p0, p1) = (self.power[i - 1].1, self.power[i].1);
                let slope = (p1 - p0) / secs(t1 - t0);
                e0 + p0 * dt + 0.5 * slope * dt * dt
            }
        })
    }

    /// Energy used in `[t0_ns, t1_ns]`.
    pub fn window(&self, t0_ns: u64, t1_ns: u64) -> Result<WindowEnergy, EnergyUnavailable> {
        if t1_ns < t0_ns {
            return Err(EnergyUnavailable(format!(
                "window ends before it starts ({t1_ns} < {t0_ns})"
            )));
        }
        let (Some(e0), Some(e1)) = (self.at(t0_ns), self.at(t1_ns)) else {
            let (first, last) = self.span_ns();
            return Err(EnergyUnavailable(format!(
                "window [{t0_ns}, {t1_ns}] ns is not covered by telemetry [{first}, {last}] ns"
            )));
        };
        Ok(WindowEnergy {
            energy_j: e1 - e0,
            duration_s: secs(t1_ns - t0_ns),
            method: self.method,
            resolved: t1_ns - t0_ns >= self.resolution_ns(),
        })
    }

    /// Highest power in `[t0_ns, t1_ns]`: the highest power reading there, or without readings
    /// the steepest counter segment overlapping the window.
    pub fn peak_power_w(&self, t0_ns: u64, t1_ns: u64) -> Option<f64> {
        let readings = self
            .power
            .iter()
            .filter(|(t, _)| *t >= t0_ns && *t <= t1_ns)
            .map(|&(_, w)| w)
            .reduce(f64::max);
        readings.or_else(|| {
            self.knots
                .windows(2)
                .filter(|k| k[1].0 > t0_ns && k[0].0 < t1_ns && k[1].0 > k[0].0)
                .map(|k| (k[1].1 - k[0].1) / secs(k[1].0 - k[0].0))
                .reduce(f64::max)
        })
    }
}

/// First sample of each new counter value, plus the last sample.
fn counter_knots(counter: &[(u64, f64)]) -> Vec<(u64, f64)> {
    let mut knots: Vec<(u64, f64)> = Vec::new();
    for &(t, e) in counter {
        match knots.last() {
            // Exact equality: an unchanged counter reads back the very same value.
            Some(&(lt, le)) if e.to_bits() == le.to_bits() || t <= lt => {}
            _ => knots.push((t, e)),
        }
    }
    if let (Some(&last), Some(&(lt, _))) = (counter.last(), knots.last())
        && last.0 > lt
    {
        knots.push(last);
    }
    knots
}

/// Cumulative trapezoid integral of power readings.
fn integrate(power: &[(u64, f64)]) -> Vec<(u64, f64)> {
    let mut total = 0.0;
    let mut knots = Vec::with_capacity(power.len());
    knots.push((power[0].0, 0.0));
    for w in power.windows(2) {
        total += 0.5 * (w[0].1 + w[1].1) * secs(w[1].0 - w[0].0);
        knots.push((w[1].0, total));
    }
    knots
}

fn median_gap(knots: &[(u64, f64)]) -> u64 {
    let mut gaps: Vec<u64> = knots.windows(2).map(|k| k[1].0 - k[0].0).collect();
    if gaps.is_empty() {
        return 0;
    }
    gaps.sort_unstable();
    gaps[gaps.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counter::CounterUnwrap;
    use crate::energy::synthetic::{MS, S, assert_close, counter_channel, power_channel};
    use crate::reading::Reading;
    use crate::series::Point;

    #[test]
    fn constant_power_from_a_staircase_counter_is_exact() {
        // 300 W, counter updated every 100 ms, sampled every 50 ms from 7 ms on.
        let ch = counter_channel(|t| 300.0 * t, 10.0, 50, 100, 7);
        let curve = EnergyCurve::from_channel(&ch).expect("curve");
        assert_eq!(curve.method(), EnergyMethod::Counter);
        assert_eq!(curve.update_interval_ns(), 100 * MS);
        let w = curve.window(1_230 * MS, 3_470 * MS).expect("window");
        assert_close(w.energy_j, 300.0 * 2.24, 1e-9);
        assert!(w.resolved);
        assert_close(w.duration_s, 2.24, 1e-12);
    }

    #[test]
    fn ramp_from_counter_is_close_and_from_power_is_exact() {
        // p(t) = 100 + 20 t, E(t) = 100 t + 10 t^2.
        let energy = |t: f64| 100.0 * t + 10.0 * t * t;
        let truth = energy(7.5) - energy(2.25);
        let ch = counter_channel(energy, 10.0, 50, 100, 0);
        let w = EnergyCurve::from_channel(&ch)
            .expect("curve")
            .window(2_250 * MS, 7_500 * MS)
            .expect("window");
        assert_close(w.energy_j, truth, 0.01);

        let ch = power_channel(|t| 100.0 + 20.0 * t, 10.0, 50);
        let curve = EnergyCurve::from_channel(&ch).expect("curve");
        assert_eq!(curve.method(), EnergyMethod::PowerIntegration);
        let w = curve.window(2_250 * MS + 3, 7_500 * MS).expect("window");
        assert_eq!(w.method, EnergyMethod::PowerIntegration);
        assert_close(w.energy_j, truth, 1e-6);
    }

    #[test]
    fn a_wrapping_raw_counter_unwraps_into_the_true_integral() {
        // 50 W read as microjoules by a counter that wraps every 2.6 J.
        let range = 2_600_000;
        let mut unwrap = CounterUnwrap::new(Some(range));
        let mut ch = Channel::new("rapl", crate::reading::Domain::CpuPackage);
        for i in 0..=200u64 {
            let t = i * 20 * MS;
            let raw_uj = (50.0 * t as f64 / 1e3) as u64 % range;
            ch.points.push(Point {
                t_ns: t,
                reading: Reading {
                    energy_j: Some(unwrap.update(raw_uj) as f64 / 1e6),
                    ..Reading::default()
                },
            });
        }
        let w = EnergyCurve::from_channel(&ch)
            .expect("curve")
            .window(0, 4 * S)
            .expect("window");
        assert_close(w.energy_j, 200.0, 1e-6);
    }

    #[test]
    fn short_windows_are_unresolved_and_uncovered_ones_unavailable() {
        let ch = counter_channel(|t| 70.0 * t, 2.0, 50, 100, 0);
        let curve = EnergyCurve::from_channel(&ch).expect("curve");
        assert!(!curve.window(S, S + 250 * MS).expect("window").resolved);
        assert!(curve.window(S, S + 300 * MS).expect("window").resolved);
        let err = curve.window(S, 5 * S).expect_err("beyond the series");
        assert!(err.0.contains("not covered"), "{err}");
    }

    #[test]
    fn a_channel_without_energy_or_power_says_so() {
        let mut ch = Channel::new("rss:1", crate::reading::Domain::Process);
        ch.points.push(Point {
            t_ns: 0,
            reading: Reading::default(),
        });
        let err = EnergyCurve::from_channel(&ch).expect_err("no energy");
        assert!(err.0.starts_with("rss:1: fewer than two"), "{err}");
    }

    #[test]
    fn peak_power_prefers_readings_and_falls_back_to_counter_slope() {
        let ch = power_channel(|t| if t > 1.0 { 400.0 } else { 100.0 }, 2.0, 50);
        let curve = EnergyCurve::from_channel(&ch).expect("curve");
        assert_eq!(curve.peak_power_w(0, S), Some(100.0));
        assert_eq!(curve.peak_power_w(0, 2 * S), Some(400.0));

        let ch = counter_channel(|t| 250.0 * t, 2.0, 50, 100, 0);
        let curve = EnergyCurve::from_channel(&ch).expect("curve");
        assert_close(curve.peak_power_w(0, 2 * S).expect("peak"), 250.0, 1e-9);
    }
}
