//! Cool-downs between a campaign's runs: a fixed gap, or until every temperature telemetry
//! reads is back within a tolerance of its reading before the first run (the idle baseline).
//! Where no collector reads a temperature, the maximum time is waited and the record says so.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Cooldown;
use crate::energy::Sources;

/// How often temperatures are read while cooling down.
const POLL: Duration = Duration::from_millis(500);

/// The cool-down a run had before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CooldownTaken {
    /// How long it actually lasted.
    pub seconds: f64,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What a cool-down waited for and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "until", rename_all = "kebab-case")]
pub enum Outcome {
    /// The fixed gap.
    Fixed,
    /// Temperatures by collector: the idle baseline and the last reading; `settled` false when
    /// `max_seconds` passed first.
    IdleTemperature {
        baseline_c: BTreeMap<String, f64>,
        end_c: BTreeMap<String, f64>,
        settled: bool,
    },
    /// No collector reads a temperature: the maximum time was waited instead.
    NoTemperature { note: String },
}

/// The collectors a temperature cool-down reads and their idle temperatures.
pub struct Thermometer {
    sources: Option<Sources>,
    baseline_c: BTreeMap<String, f64>,
}

impl Thermometer {
    /// Read the idle baseline from `sources` (none: no temperature is known).
    pub fn idle(mut sources: Option<Sources>) -> Thermometer {
        let baseline_c = sources.as_mut().map(read_temperatures).unwrap_or_default();
        Thermometer {
            sources,
            baseline_c,
        }
    }

    /// A thermometer over `sources` whose idle temperatures were read before (a resumed
    /// campaign keeps the baseline of its first start).
    pub fn with_baseline(
        sources: Option<Sources>,
        baseline_c: BTreeMap<String, f64>,
    ) -> Thermometer {
        Thermometer {
            sources,
            baseline_c,
        }
    }

    /// A thermometer that knows no temperature.
    pub fn none() -> Thermometer {
        Thermometer {
            sources: None,
            baseline_c: BTreeMap::new(),
        }
    }

    /// The idle temperatures, by collector.
    pub fn baseline_c(&self) -> &BTreeMap<String, f64> {
        &self.baseline_c
    }
}

/// Each collector's temperature now, for those that read one.
fn read_temperatures(sources: &mut Sources) -> BTreeMap<String, f64> {
    sources
        .collectors
        .iter_mut()
        .filter_map(|c| {
            let t = c.read().temperature_c?;
            t.is_finite().then(|| (c.name().to_owned(), t))
        })
        .collect()
}

/// Whether every baseline temperature is back within `tolerance_c` in `now`.
pub fn cooled(
    baseline_c: &BTreeMap<String, f64>,
    now: &BTreeMap<String, f64>,
    tolerance_c: f64,
) -> bool {
    baseline_c
        .iter()
        .all(|(name, base)| now.get(name).is_none_or(|t| *t <= base + tolerance_c))
}

/// Wait as `rule` says. Cancel-safe: dropping the future stops the wait.
pub async fn wait(rule: Cooldown, thermometer: &mut Thermometer) -> CooldownTaken {
    let start = Instant::now();
    let outcome = match rule {
        Cooldown::Fixed { seconds } => {
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            Outcome::Fixed
        }
        Cooldown::IdleTemperature {
            max_seconds,
            tolerance_c,
        } => {
            let max = Duration::from_secs_f64(max_seconds);
            match thermometer.sources.as_mut() {
                Some(sources) if !thermometer.baseline_c.is_empty() => {
                    let base = &thermometer.baseline_c;
                    loop {
                        let now = tokio::task::block_in_place(|| read_temperatures(sources));
                        let settled = cooled(base, &now, tolerance_c);
                        if settled || start.elapsed() >= max {
                            break Outcome::IdleTemperature {
                                baseline_c: base.clone(),
                                end_c: now,
                                settled,
                            };
                        }
                        tokio::time::sleep(POLL.min(max.saturating_sub(start.elapsed()))).await;
                    }
                }
                _ => {
                    tokio::time::sleep(max).await;
                    Outcome::NoTemperature {
                        note: format!(
                            "no telemetry temperature to wait for: waited max_seconds ({max_seconds} s)"
                        ),
                    }
                }
            }
        }
    };
    CooldownTaken {
        seconds: start.elapsed().as_secs_f64(),
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooled_once_every_known_temperature_is_within_the_tolerance() {
        let base = BTreeMap::from([("nvml:0".to_owned(), 40.0), ("amd".to_owned(), 50.0)]);
        let now =
            |a: f64, b: f64| BTreeMap::from([("nvml:0".to_owned(), a), ("amd".to_owned(), b)]);
        assert!(cooled(&base, &now(42.0, 51.0), 2.0));
        assert!(!cooled(&base, &now(42.5, 51.0), 2.0));
        assert!(!cooled(&base, &now(40.0, 60.0), 2.0));
        assert!(
            cooled(&base, &BTreeMap::new(), 2.0),
            "a collector that stopped reading does not hold the campaign"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn without_temperatures_the_maximum_is_waited_and_recorded() {
        let mut t = Thermometer::none();
        let rule = Cooldown::IdleTemperature {
            max_seconds: 0.05,
            tolerance_c: 2.0,
        };
        let taken = wait(rule, &mut t).await;
        assert!(taken.seconds >= 0.05, "{taken:?}");
        assert!(
            matches!(taken.outcome, Outcome::NoTemperature { .. }),
            "{taken:?}"
        );
        let fixed = wait(Cooldown::Fixed { seconds: 0.02 }, &mut t).await;
        assert!(fixed.seconds >= 0.02 && fixed.outcome == Outcome::Fixed);
    }
}
