//! What `--dataset` names: a bundled dataset, a user file, `ShareGPT` conversations, or a
//! synthetic workload; parsed from one string.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::Error;

/// A source of prompts.
#[derive(Debug, Clone, PartialEq)]
pub enum DatasetSpec {
    /// `configs/datasets/<name>.jsonl`, prompts in `problem`, reference in `answer`.
    Bundled(String),
    /// A JSONL, JSON (array of objects) or CSV file; `prompt_field` or the first known one.
    File {
        path: PathBuf,
        prompt_field: Option<String>,
    },
    /// `ShareGPT` conversations: the first human turn of each.
    ShareGpt(PathBuf),
    /// Prompts of controlled token lengths.
    Synthetic(Synthetic),
}

/// A synthetic workload: `requests` prompts with input and output lengths drawn from the given
/// distributions with `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    pub requests: usize,
    pub input: LengthDist,
    pub output: LengthDist,
    pub seed: u64,
}

/// A distribution of lengths in tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LengthDist {
    /// `128`
    Fixed(u32),
    /// `64..256`, both ends included.
    Uniform { min: u32, max: u32 },
    /// `512~64`: mean~sd, rounded, at least 1.
    Normal { mean: f64, sd: f64 },
}

/// Synthetic prompts generated when `requests` is not given.
pub const DEFAULT_SYNTHETIC_REQUESTS: usize = 1000;

/// File extensions read as user datasets.
const FILE_EXTENSIONS: [&str; 3] = ["jsonl", "json", "csv"];

fn spec_err(spec: &str, message: impl Into<String>) -> Error {
    Error::DatasetSpec {
        spec: spec.to_owned(),
        message: message.into(),
    }
}

impl FromStr for DatasetSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if let Some(rest) = s.strip_prefix("synthetic:") {
            return parse_synthetic(s, rest).map(DatasetSpec::Synthetic);
        }
        if let Some(path) = s.strip_prefix("sharegpt:") {
            if path.is_empty() {
                return Err(spec_err(s, "sharegpt: needs a path"));
            }
            return Ok(DatasetSpec::ShareGpt(PathBuf::from(path)));
        }
        let (path, field) = match s.rsplit_once('#') {
            Some((p, f)) if !f.is_empty() && !f.contains('/') => (p, Some(f.to_owned())),
            _ => (s, None),
        };
        let has_ext = FILE_EXTENSIONS.iter().any(|e| {
            path.rsplit_once('.')
                .is_some_and(|(_, x)| x.eq_ignore_ascii_case(e))
        });
        if has_ext || path.contains('/') {
            return Ok(DatasetSpec::File {
                path: PathBuf::from(path),
                prompt_field: field,
            });
        }
        let valid = !s.is_empty()
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
            });
        if !valid {
            return Err(spec_err(
                s,
                "expected a bundled dataset name, PATH.jsonl|.json|.csv[#FIELD], sharegpt:PATH or synthetic:input=LEN,output=LEN",
            ));
        }
        Ok(DatasetSpec::Bundled(s.to_owned()))
    }
}

fn parse_synthetic(spec: &str, rest: &str) -> Result<Synthetic, Error> {
    let (mut input, mut output, mut requests, mut seed) = (None, None, None, 0u64);
    for part in rest.split(',').filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| spec_err(spec, format!("'{part}' is not key=value")))?;
        match key {
            "input" | "in" => input = Some(parse_length(spec, value)?),
            "output" | "out" => output = Some(parse_length(spec, value)?),
            "requests" | "n" => {
                requests =
                    Some(value.parse().map_err(|_| {
                        spec_err(spec, format!("requests '{value}' is not a count"))
                    })?);
            }
            "seed" => {
                seed = value
                    .parse()
                    .map_err(|_| spec_err(spec, format!("seed '{value}' is not an integer")))?;
            }
            _ => {
                return Err(spec_err(
                    spec,
                    format!("unknown key '{key}' (known: input, output, requests, seed)"),
                ));
            }
        }
    }
    Ok(Synthetic {
        requests: requests.unwrap_or(DEFAULT_SYNTHETIC_REQUESTS),
        input: input.ok_or_else(|| spec_err(spec, "input=LEN is required"))?,
        output: output.ok_or_else(|| spec_err(spec, "output=LEN is required"))?,
        seed,
    })
}

fn parse_length(spec: &str, v: &str) -> Result<LengthDist, Error> {
    let bad = || {
        spec_err(
            spec,
            format!("length '{v}' is not N, MIN..MAX or MEAN~SD with positive values"),
        )
    };
    let positive = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(bad)
    };
    if let Some((a, b)) = v.split_once("..") {
        let (min, max) = (positive(a)?, positive(b)?);
        if min > max {
            return Err(bad());
        }
        return Ok(LengthDist::Uniform { min, max });
    }
    if let Some((m, s)) = v.split_once('~') {
        let mean: f64 = m.trim().parse().map_err(|_| bad())?;
        let sd: f64 = s.trim().parse().map_err(|_| bad())?;
        if !(mean.is_finite() && sd.is_finite() && mean > 0.0 && sd >= 0.0) {
            return Err(bad());
        }
        return Ok(LengthDist::Normal { mean, sd });
    }
    positive(v).map(LengthDist::Fixed)
}

impl fmt::Display for LengthDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LengthDist::Fixed(n) => write!(f, "{n}"),
            LengthDist::Uniform { min, max } => write!(f, "{min}..{max}"),
            LengthDist::Normal { mean, sd } => write!(f, "{mean}~{sd}"),
        }
    }
}

impl fmt::Display for DatasetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetSpec::Bundled(name) => f.write_str(name),
            DatasetSpec::File { path, prompt_field } => {
                write!(f, "{}", path.display())?;
                match prompt_field {
                    Some(field) => write!(f, "#{field}"),
                    None => Ok(()),
                }
            }
            DatasetSpec::ShareGpt(path) => write!(f, "sharegpt:{}", path.display()),
            DatasetSpec::Synthetic(s) => write!(
                f,
                "synthetic:input={},output={},requests={},seed={}",
                s.input, s.output, s.requests, s.seed
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> DatasetSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn each_form_parses_and_round_trips() {
        assert_eq!(
            parse("gsm-symbolic-1000"),
            DatasetSpec::Bundled("gsm-symbolic-1000".into())
        );
        assert_eq!(
            parse("data/q.jsonl#question"),
            DatasetSpec::File {
                path: "data/q.jsonl".into(),
                prompt_field: Some("question".into())
            }
        );
        assert_eq!(
            parse("q.CSV"),
            DatasetSpec::File {
                path: "q.CSV".into(),
                prompt_field: None
            }
        );
        assert_eq!(
            parse("sharegpt:sg.json"),
            DatasetSpec::ShareGpt("sg.json".into())
        );
        let s = parse("synthetic:input=64..256,output=512~64,requests=10,seed=3");
        assert_eq!(
            s,
            DatasetSpec::Synthetic(Synthetic {
                requests: 10,
                input: LengthDist::Uniform { min: 64, max: 256 },
                output: LengthDist::Normal {
                    mean: 512.0,
                    sd: 64.0
                },
                seed: 3,
            })
        );
        assert_eq!(parse(&s.to_string()), s);
        let fixed = parse("synthetic:input=128,output=32");
        assert!(matches!(
            fixed,
            DatasetSpec::Synthetic(Synthetic {
                requests: DEFAULT_SYNTHETIC_REQUESTS,
                input: LengthDist::Fixed(128),
                ..
            })
        ));
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for (spec, needle) in [
            ("synthetic:input=0,output=3", "positive"),
            ("synthetic:input=9..3,output=3", "MIN..MAX"),
            ("synthetic:output=3", "input=LEN"),
            ("synthetic:input=3,output=3,colour=red", "unknown key"),
            ("Some Name", "bundled dataset name"),
            ("sharegpt:", "needs a path"),
        ] {
            let err = spec.parse::<DatasetSpec>().expect_err(spec).to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }
}
