//! Distribution specs as written in options: `const:V`, `uniform:LO:HI`, `normal:MEAN:SD`,
//! `lognormal:MEDIAN:SIGMA`. Values are clamped at zero.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use rand_distr::{Distribution, LogNormal, Normal};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A sampling distribution over non-negative values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    Const(f64),
    Uniform {
        lo: f64,
        hi: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Log-normal given by its median and the sd of the log.
    LogNormal {
        median: f64,
        sigma: f64,
    },
}

impl Dist {
    /// Draw one value, clamped at zero.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let v = match *self {
            Dist::Const(v) => v,
            Dist::Uniform { lo, hi } => {
                if hi > lo {
                    rng.random_range(lo..hi)
                } else {
                    lo
                }
            }
            Dist::Normal { mean, sd } => match Normal::new(mean, sd) {
                Ok(n) => n.sample(rng),
                Err(_) => mean,
            },
            Dist::LogNormal { median, sigma } => match LogNormal::new(median.ln(), sigma) {
                Ok(n) => n.sample(rng),
                Err(_) => median,
            },
        };
        v.max(0.0)
    }

    /// The true median of the (unclamped) distribution.
    pub fn median(&self) -> f64 {
        match *self {
            Dist::Const(v) => v,
            Dist::Uniform { lo, hi } => f64::midpoint(lo, hi),
            Dist::Normal { mean, .. } => mean,
            Dist::LogNormal { median, .. } => median,
        }
    }
}

/// A spec that does not parse, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDist(String);

impl fmt::Display for BadDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadDist {}

impl FromStr for Dist {
    type Err = BadDist;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(':');
        let kind = parts.next().unwrap_or_default();
        let nums: Vec<f64> = parts
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| BadDist(format!("'{s}': '{p}' is not a finite number")))
            })
            .collect::<Result<_, _>>()?;
        let want = |n: usize, form: &str| {
            if nums.len() == n {
                Ok(())
            } else {
                Err(BadDist(format!("'{s}': expected {form}")))
            }
        };
        let non_negative = |v: f64, what: &str| {
            if v >= 0.0 {
                Ok(v)
            } else {
                Err(BadDist(format!("'{s}': {what} must not be negative")))
            }
        };
        match kind {
            "const" => {
                want(1, "const:VALUE")?;
                Ok(Dist::Const(non_negative(nums[0], "value")?))
            }
            "uniform" => {
                want(2, "uniform:LO:HI")?;
                if nums[1] < nums[0] {
                    return Err(BadDist(format!("'{s}': HI is below LO")));
                }
                Ok(Dist::Uniform {
                    lo: non_negative(nums[0], "LO")?,
                    hi: nums[1],
                })
            }
            "normal" => {
                want(2, "normal:MEAN:SD")?;
                Ok(Dist::Normal {
                    mean: non_negative(nums[0], "MEAN")?,
                    sd: non_negative(nums[1], "SD")?,
                })
            }
            "lognormal" => {
                want(2, "lognormal:MEDIAN:SIGMA")?;
                if nums[0] <= 0.0 {
                    return Err(BadDist(format!("'{s}': MEDIAN must be positive")));
                }
                Ok(Dist::LogNormal {
                    median: nums[0],
                    sigma: non_negative(nums[1], "SIGMA")?,
                })
            }
            _ => Err(BadDist(format!(
                "'{s}': unknown distribution (use const:V, uniform:LO:HI, normal:MEAN:SD or lognormal:MEDIAN:SIGMA)"
            ))),
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dist::Const(v) => write!(f, "const:{v}"),
            Dist::Uniform { lo, hi } => write!(f, "uniform:{lo}:{hi}"),
            Dist::Normal { mean, sd } => write!(f, "normal:{mean}:{sd}"),
            Dist::LogNormal { median, sigma } => write!(f, "lognormal:{median}:{sigma}"),
        }
    }
}

impl Serialize for Dist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A bare number means a constant.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(v) => format!("const:{v}").parse(),
            Raw::Text(s) => s.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn parses_every_form_and_round_trips() {
        for s in [
            "const:20",
            "uniform:10:30",
            "normal:20:2",
            "lognormal:20:0.25",
        ] {
            let d: Dist = s.parse().expect(s);
            assert_eq!(d.to_string(), s);
        }
    }

    #[test]
    fn rejects_bad_specs_with_reasons() {
        for (s, why) in [
            ("gauss:1:2", "unknown distribution"),
            ("normal:20", "expected normal:MEAN:SD"),
            ("uniform:5:1", "HI is below LO"),
            ("const:x", "not a finite number"),
            ("const:-1", "must not be negative"),
            ("lognormal:0:1", "MEDIAN must be positive"),
        ] {
            let err = s.parse::<Dist>().expect_err(s).to_string();
            assert!(err.contains(why), "{s}: {err}");
        }
    }

    #[test]
    fn sample_medians_approach_the_truth() {
        let mut rng = StdRng::seed_from_u64(1);
        for d in [
            Dist::Normal {
                mean: 10.0,
                sd: 1.0,
            },
            Dist::LogNormal {
                median: 10.0,
                sigma: 0.3,
            },
            Dist::Uniform { lo: 5.0, hi: 15.0 },
        ] {
            let mut v: Vec<f64> = (0..20_001).map(|_| d.sample(&mut rng)).collect();
            v.sort_by(f64::total_cmp);
            let median = v[v.len() / 2];
            assert!((median - d.median()).abs() < 0.2, "{d}: median {median}");
        }
    }

    #[test]
    fn a_bare_number_is_a_constant() {
        let d: Dist = serde_json::from_str("7").expect("number");
        assert_eq!(d, Dist::Const(7.0));
    }
}
