//! Idle baseline: wait for power and temperature to settle after load, then measure idle power.
//!
//! Idle power depends on thermal history (an H100 idles at 72-76 W cold but about 124 W just
//! after load), so the baseline is taken only once the least-squares slopes of power and
//! temperature over a sliding window fall below thresholds, or after a maximum cooldown, and
//! says which of the two ended the wait.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, secs};
use crate::collector::Collector;
use crate::energy::{EnergyCurve, EnergyMethod};
use crate::reading::Domain;
use crate::series::{Channel, Point};

/// How long to wait and what counts as settled.
#[derive(Debug, Clone, PartialEq)]
pub struct IdleConfig {
    /// Give up waiting for the device to settle after this long.
    pub cooldown_max: Duration,
    /// Window over which slopes are fitted.
    pub settle_window: Duration,
    /// Settled when |power slope| is below this (watts per second).
    pub max_power_slope_w_per_s: f64,
    /// Settled when |temperature slope| is below this (degrees per second).
    pub max_temp_slope_c_per_s: f64,
    /// How long idle power is averaged once settled.
    pub measure: Duration,
    /// Time between reads.
    pub interval: Duration,
}

impl Default for IdleConfig {
    fn default() -> Self {
        Self {
            cooldown_max: Duration::from_mins(2),
            settle_window: Duration::from_secs(10),
            max_power_slope_w_per_s: 0.5,
            max_temp_slope_c_per_s: 0.05,
            measure: Duration::from_secs(5),
            interval: Duration::from_millis(100),
        }
    }
}

/// Idle power of one collector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleBaseline {
    /// Collector name.
    pub collector: String,
    /// Average idle power; `None` with `error` when it could not be measured.
    pub power_w: Option<f64>,
    /// How the average was obtained.
    pub method: Option<EnergyMethod>,
    /// Time spent waiting for the device to settle.
    pub cooldown_s: f64,
    /// Whether power and temperature settled before `cooldown_max`.
    pub settled: bool,
    /// Why `power_w` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Recent (time, power, temperature) of one collector, for the settle test.
#[derive(Default)]
struct Recent {
    points: VecDeque<(u64, Option<f64>, Option<f64>)>,
    last_energy: Option<(u64, f64)>,
}

impl Recent {
    fn push(&mut self, t_ns: u64, reading: &crate::reading::Reading, window_ns: u64) {
        // Without a power reading, power is the counter's slope since the previous read.
        let counter_power = match (self.last_energy, reading.energy_j) {
            (Some((t0, e0)), Some(e1)) if t_ns > t0 => Some((e1 - e0) / secs(t_ns - t0)),
            _ => None,
        };
        if let Some(e) = reading.energy_j {
            self.last_energy = Some((t_ns, e));
        }
        let power = reading.power_w.or(counter_power);
        self.points.push_back((t_ns, power, reading.temperature_c));
        while self.points.front().is_some_and(|p| p.0 + window_ns < t_ns) {
            self.points.pop_front();
        }
    }

    fn settled(&self, config: &IdleConfig) -> bool {
        let power: Vec<(u64, f64)> = self
            .points
            .iter()
            .filter_map(|p| Some((p.0, p.1?)))
            .collect();
        let temp: Vec<(u64, f64)> = self
            .points
            .iter()
            .filter_map(|p| Some((p.0, p.2?)))
            .collect();
        let calm = |series: &[(u64, f64)], max: f64| slope(series).is_none_or(|s| s.abs() < max);
        calm(&power, config.max_power_slope_w_per_s) && calm(&temp, config.max_temp_slope_c_per_s)
    }
}

/// Least-squares slope per second; `None` with fewer than three points.
fn slope(points: &[(u64, f64)]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let t0 = points[0].0;
    let n = points.len() as f64;
    let xs = || points.iter().map(|p| secs(p.0 - t0));
    let mean_x = xs().sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = xs().map(|x| (x - mean_x).powi(2)).sum();
    let sxy: f64 = xs()
        .zip(points)
        .map(|(x, p)| (x - mean_x) * (p.1 - mean_y))
        .sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Wait until every collector's power and temperature settle (or `cooldown_max` passes), then
/// average each one's power over `measure`. Process collectors are skipped. Reads happen on the
/// calling thread: call this while no sampler owns the collectors.
pub fn measure_idle(
    collectors: &mut [Box<dyn Collector>],
    config: &IdleConfig,
    clock: &dyn Clock,
) -> Vec<IdleBaseline> {
    let measured: Vec<usize> = (0..collectors.len())
        .filter(|&i| collectors[i].domain() != Domain::Process)
        .collect();
    let window_ns = config.settle_window.as_nanos() as u64;
    let start = clock.now_ns();
    let mut recent: Vec<Recent> = measured.iter().map(|_| Recent::default()).collect();
    let settled = loop {
        let now = clock.now_ns();
        for (slot, &i) in measured.iter().enumerate() {
            recent[slot].push(now, &collectors[i].read(), window_ns);
        }
        if now - start >= window_ns && recent.iter().all(|r| r.settled(config)) {
            break true;
        }
        if now - start >= config.cooldown_max.as_nanos() as u64 {
            break false;
        }
        clock.sleep(config.interval);
    };
    let cooldown_s = secs(clock.now_ns() - start);

    let mut channels: Vec<Channel> = measured
        .iter()
        .map(|&i| Channel::new(collectors[i].name(), collectors[i].domain()))
        .collect();
    let measure_start = clock.now_ns();
    loop {
        let now = clock.now_ns();
        for (slot, &i) in measured.iter().enumerate() {
            for reading in collectors[i].read_batch() {
                let t_ns = reading.observed_ns.unwrap_or(now);
                channels[slot].points.push(Point { t_ns, reading });
            }
        }
        if now - measure_start >= config.measure.as_nanos() as u64 {
            break;
        }
        clock.sleep(config.interval);
    }
    channels
        .iter()
        .map(|channel| baseline(channel, cooldown_s, settled))
        .collect()
}

fn baseline(channel: &Channel, cooldown_s: f64, settled: bool) -> IdleBaseline {
    let average = EnergyCurve::from_channel(channel).and_then(|curve| {
        let (t0, t1) = curve.span_ns();
        let w = curve.window(t0, t1)?;
        Ok((w.energy_j / w.duration_s.max(f64::MIN_POSITIVE), w.method))
    });
    let (power_w, method, error) = match average {
        Ok((p, m)) => (Some(p), Some(m), None),
        Err(e) => (None, None, Some(e.0)),
    };
    IdleBaseline {
        collector: channel.name.clone(),
        power_w,
        method,
        cooldown_s,
        settled,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::{Reading, StaticInfo};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Simulated time shared by the clock and the device.
    #[derive(Clone, Default)]
    struct SimTime(Arc<AtomicU64>);

    impl Clock for SimTime {
        fn now_ns(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
        fn sleep(&self, d: Duration) {
            self.0.fetch_add(d.as_nanos() as u64, Ordering::SeqCst);
        }
    }

    /// A GPU cooling from 124 W / 60 C towards 74 W / 35 C with a 20 s time constant,
    /// reporting power or, when `counter`, only a cumulative energy counter.
    struct CoolingGpu {
        time: SimTime,
        counter: bool,
    }

    impl CoolingGpu {
        fn power(t: f64) -> f64 {
            74.0 + 50.0 * (-t / 20.0).exp()
        }
        fn energy(t: f64) -> f64 {
            74.0 * t + 50.0 * 20.0 * (1.0 - (-t / 20.0).exp())
        }
    }

    impl Collector for CoolingGpu {
        fn name(&self) -> &'static str {
            "sim:0"
        }
        fn domain(&self) -> Domain {
            Domain::Gpu
        }
        fn static_info(&mut self) -> StaticInfo {
            StaticInfo::default()
        }
        fn read(&mut self) -> Reading {
            let t = secs(self.time.now_ns());
            Reading {
                power_w: (!self.counter).then(|| Self::power(t)),
                energy_j: self.counter.then(|| Self::energy(t)),
                temperature_c: Some(35.0 + 25.0 * (-t / 20.0).exp()),
                ..Reading::default()
            }
        }
    }

    fn run(counter: bool, cooldown_max_s: u64) -> IdleBaseline {
        let time = SimTime::default();
        let mut collectors: Vec<Box<dyn Collector>> = vec![Box::new(CoolingGpu {
            time: time.clone(),
            counter,
        })];
        let config = IdleConfig {
            cooldown_max: Duration::from_secs(cooldown_max_s),
            ..IdleConfig::default()
        };
        measure_idle(&mut collectors, &config, &time).remove(0)
    }

    #[test]
    fn waits_for_the_device_to_settle_then_measures_near_cold_idle() {
        let b = run(false, 600);
        assert!(b.settled);
        // Temperature slope is 1.25 exp(-t/20) C/s: below 0.05 C/s only after ~64 s.
        assert!(
            b.cooldown_s > 60.0 && b.cooldown_s < 120.0,
            "{}",
            b.cooldown_s
        );
        let p = b.power_w.expect("power");
        assert!(p > 74.0 && p < 80.0, "{p}");
        assert_eq!(b.method, Some(EnergyMethod::PowerIntegration));
    }

    #[test]
    fn uses_the_energy_counter_when_there_is_one() {
        let b = run(true, 600);
        assert!(b.settled);
        assert_eq!(b.method, Some(EnergyMethod::Counter));
        let p = b.power_w.expect("power");
        assert!(p > 74.0 && p < 80.0, "{p}");
    }

    #[test]
    fn gives_up_after_the_maximum_cooldown_and_says_so() {
        let b = run(false, 15);
        assert!(!b.settled);
        assert!((b.cooldown_s - 15.0).abs() < 0.2, "{}", b.cooldown_s);
        assert!(b.power_w.expect("power") > 90.0);
    }
}
