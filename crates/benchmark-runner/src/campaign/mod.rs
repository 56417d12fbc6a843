//! Campaigns: a grid of comparisons (the Cartesian product of `[vary]` laid over `[base]`),
//! each experiment run `cycles` times in a chosen order with cool-downs between runs, recorded
//! in `campaign.json` as it goes and reported across the grid.
//!
//! The file ([`CampaignFile`]) is read here; [`grid`] expands it into experiments, each a
//! [`Settings`] validated by [`crate::plan::build`]; [`order`] schedules the runs; [`record`]
//! is the manifest; [`cooldown`] waits between runs; [`stats`] and [`report`] summarise.

pub mod cooldown;
pub mod grid;
pub mod order;
pub mod record;
pub mod report;
pub mod resume;
pub mod stats;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Failure, usage};
use crate::settings::{Device, EngineLabel, Settings};

/// A campaign file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignFile {
    /// Names the campaign in progress lines, reports and the default directory.
    pub name: String,
    #[serde(default)]
    pub order: Order,
    /// How many times the whole campaign runs.
    #[serde(default = "one")]
    pub cycles: u32,
    /// Seed of the shuffled order.
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub cooldown: CooldownFile,
    /// Settings every experiment starts from (a compare config's keys).
    #[serde(default)]
    pub base: Settings,
    /// The values to vary; every combination is one experiment.
    #[serde(default)]
    pub vary: Vary,
}

fn one() -> u32 {
    1
}

/// The order of the runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// Each cycle runs every experiment; odd cycles in grid order, even cycles reversed.
    #[default]
    Interleaved,
    /// Each cycle runs every experiment in a seeded random order.
    Shuffled,
    /// Each experiment's cycles back to back.
    Grouped,
}

/// The `[cooldown]` table as written: `seconds = S`, or `until = "idle-temperature"` with
/// `max_seconds` (and optionally `tolerance_c`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CooldownFile {
    pub seconds: Option<f64>,
    pub until: Option<Until>,
    pub max_seconds: Option<f64>,
    pub tolerance_c: Option<f64>,
}

/// What a cool-down waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Until {
    /// Every telemetry temperature back within `tolerance_c` of its reading before the first
    /// run.
    IdleTemperature,
}

/// A validated cool-down rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Cooldown {
    /// A fixed gap.
    Fixed { seconds: f64 },
    /// Until temperatures are back at the idle baseline, at most `max_seconds`.
    IdleTemperature { max_seconds: f64, tolerance_c: f64 },
}

/// Degrees Celsius above its idle reading a temperature may stay at for the device to count as
/// cooled down.
pub const DEFAULT_TOLERANCE_C: f64 = 2.0;

impl CooldownFile {
    /// The rule this table describes; no table is no gap.
    pub fn rule(&self) -> Result<Cooldown, String> {
        let non_negative = |key: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(format!(
                    "cooldown.{key} must be a non-negative number, got {v}"
                ))
            }
        };
        match (self.seconds, self.until) {
            (Some(_), Some(_)) => Err(
                "cooldown: give either seconds (a fixed gap) or until with max_seconds".to_owned(),
            ),
            (Some(s), None) => {
                if self.max_seconds.is_some() || self.tolerance_c.is_some() {
                    return Err(
                        "cooldown: max_seconds and tolerance_c go with until = \"idle-temperature\""
                            .to_owned(),
                    );
                }
                Ok(Cooldown::Fixed {
                    seconds: non_negative("seconds", s)?,
                })
            }
            (None, Some(Until::IdleTemperature)) => {
                let Some(max) = self.max_seconds else {
                    return Err(
                        "cooldown: until = \"idle-temperature\" needs max_seconds".to_owned()
                    );
                };
                Ok(Cooldown::IdleTemperature {
                    max_seconds: non_negative("max_seconds", max)?,
                    tolerance_c: non_negative(
                        "tolerance_c",
                        self.tolerance_c.unwrap_or(DEFAULT_TOLERANCE_C),
                    )?,
                })
            }
            (None, None) if self.max_seconds.is_some() || self.tolerance_c.is_some() => Err(
                "cooldown: max_seconds and tolerance_c go with until = \"idle-temperature\""
                    .to_owned(),
            ),
            (None, None) => Ok(Cooldown::Fixed { seconds: 0.0 }),
        }
    }
}

/// The `[vary]` table: each key a list of values; absent keys keep the base's value.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Vary {
    /// One engine (label) per experiment; absent: the base's engines run together in each.
    pub engines: Option<Vec<String>>,
    pub model: Option<Vec<String>>,
    pub device: Option<Vec<String>>,
    /// Prompts, e.g. `synthetic:input=128,output=64` for prompt lengths.
    pub dataset: Option<Vec<String>>,
    pub max_tokens: Option<Vec<u32>>,
    pub requests: Option<Vec<u32>>,
    pub concurrency: Option<Vec<u32>>,
    pub rate: Option<Vec<f64>>,
}

/// A campaign file read and checked: its text and hash (what a resume compares), the file, and
/// its cool-down rule.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub text: String,
    pub sha256: String,
    pub file: CampaignFile,
    pub cooldown: Cooldown,
}

impl Campaign {
    /// Parse campaign text; every problem is one line naming the key.
    pub fn parse(text: &str) -> Result<Campaign, String> {
        let file: CampaignFile =
            toml::from_str(text).map_err(|e| e.message().replace('\n', " "))?;
        if file.cycles == 0 {
            return Err("cycles must be at least 1".to_owned());
        }
        if file.base.out.is_some() {
            return Err(
                "base.out: the campaign places each run (give the campaign's directory with --out)"
                    .to_owned(),
            );
        }
        if file.base.name.is_some() {
            return Err("base.name: the campaign names each run after its experiment".to_owned());
        }
        let cooldown = file.cooldown.rule()?;
        Ok(Campaign {
            sha256: bench_inputs::hash::sha256_hex(text.as_bytes()),
            text: text.to_owned(),
            file,
            cooldown,
        })
    }

    /// Read and parse a campaign file; problems are one-line usage errors naming the file.
    pub fn read(path: &Path) -> Result<Campaign, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read campaign {}: {e}", path.display())))?;
        Campaign::parse(&text)
            .map_err(|e| usage(format!("invalid campaign {}: {e}", path.display())))
    }

    /// The campaign's name.
    pub fn name(&self) -> &str {
        &self.file.name
    }
}

/// Parse an engine label as `--engines` does.
fn engine_label(raw: &str) -> Result<EngineLabel, String> {
    raw.parse()
}

/// Parse a device as `--device` does.
fn device(raw: &str) -> Result<Device, String> {
    raw.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldown_tables_read_into_one_rule_each() {
        let rule = |t: &str| {
            toml::from_str::<CooldownFile>(t)
                .map_err(|e| e.to_string())
                .and_then(|c| c.rule())
        };
        assert_eq!(rule(""), Ok(Cooldown::Fixed { seconds: 0.0 }));
        assert_eq!(rule("seconds = 2"), Ok(Cooldown::Fixed { seconds: 2.0 }));
        assert_eq!(
            rule("until = \"idle-temperature\"\nmax_seconds = 120"),
            Ok(Cooldown::IdleTemperature {
                max_seconds: 120.0,
                tolerance_c: DEFAULT_TOLERANCE_C
            })
        );
        assert!(rule("until = \"idle-temperature\"").is_err());
        assert!(rule("seconds = 2\nuntil = \"idle-temperature\"").is_err());
        assert!(rule("seconds = -1").is_err());
        assert!(rule("minutes = 1").is_err(), "unknown keys are refused");
    }

    #[test]
    fn unknown_keys_and_zero_cycles_are_refused() {
        let e = Campaign::parse("name = \"x\"\nrepeat = 2").expect_err("unknown key");
        assert!(e.contains("repeat"), "{e}");
        let e = Campaign::parse("name = \"x\"\n[vary]\nthreads = [1]").expect_err("unknown key");
        assert!(e.contains("threads"), "{e}");
        let e = Campaign::parse("name = \"x\"\ncycles = 0").expect_err("zero cycles");
        assert!(e.contains("cycles"), "{e}");
        let e = Campaign::parse("name = \"x\"\norder = \"random\"").expect_err("bad order");
        assert!(e.contains("random"), "{e}");
        let ok = Campaign::parse("name = \"x\"\norder = \"grouped\"\ncycles = 2").expect("valid");
        assert_eq!(ok.file.order, Order::Grouped);
        assert_eq!(ok.sha256.len(), 64);
    }
}
