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
    /// Groups of synthetic prompts, each group's prompts opening with the same prefix.
    SharedPrefix(SharedPrefix),
    /// Multi-turn `ShareGPT` conversations, one request per user turn sent with the history
    /// of the earlier turns (their recorded answers), `think_time_ms` between a conversation's
    /// turns, at most `max_turns` user turns per conversation.
    MultiTurn {
        path: PathBuf,
        max_turns: Option<u32>,
        think_time_ms: u64,
    },
    /// A request trace (Mooncake or BurstGPT): synthetic prompts of the trace's lengths, sent
    /// at its arrival times multiplied by `time_scale`.
    Trace {
        path: PathBuf,
        time_scale: f64,
        seed: u64,
    },
}

/// A shared-prefix workload: `requests` prompts in `groups` groups (request `i` in group
/// `i % groups`); every prompt of a group opens with the group's `prefix` tokens (a synthetic
/// system prompt) followed by its own suffix of `suffix` tokens; outputs of `output` tokens;
/// all reproducible from `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedPrefix {
    pub groups: u32,
    /// Prefix length `L` in tokens, shared within a group.
    pub prefix: u32,
    pub suffix: LengthDist,
    pub output: LengthDist,
    pub requests: usize,
    pub seed: u64,
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
        if let Some(rest) = s.strip_prefix("shared-prefix:") {
            return parse_shared_prefix(s, rest).map(DatasetSpec::SharedPrefix);
        }
        if let Some(rest) = s.strip_prefix("multiturn:") {
            return parse_multiturn(s, rest);
        }
        if let Some(rest) = s.strip_prefix("trace:") {
            return parse_trace(s, rest);
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
                "expected a bundled dataset name, PATH.jsonl|.json|.csv[#FIELD], sharegpt:PATH, synthetic:input=LEN,output=LEN or shared-prefix:groups=N,prefix=L,suffix=LEN,output=LEN",
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

/// `multiturn:PATH[,turns=K][,think-ms=MS]`.
fn parse_multiturn(spec: &str, rest: &str) -> Result<DatasetSpec, Error> {
    let mut parts = rest.split(',');
    let path = parts.next().unwrap_or_default();
    if path.is_empty() {
        return Err(spec_err(spec, "multiturn: needs a path"));
    }
    let (mut max_turns, mut think_time_ms) = (None, 0u64);
    for part in parts.filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("turns", v)) => {
                max_turns = Some(v.parse().ok().filter(|n: &u32| *n > 0).ok_or_else(|| {
                    spec_err(spec, format!("turns '{v}' is not a positive count"))
                })?);
            }
            Some(("think-ms" | "think_ms", v)) => {
                think_time_ms = v.parse().map_err(|_| {
                    spec_err(
                        spec,
                        format!("think-ms '{v}' is not a whole number of milliseconds"),
                    )
                })?;
            }
            _ => {
                return Err(spec_err(
                    spec,
                    format!("'{part}' is not turns=K or think-ms=MS"),
                ));
            }
        }
    }
    Ok(DatasetSpec::MultiTurn {
        path: PathBuf::from(path),
        max_turns,
        think_time_ms,
    })
}

/// `trace:PATH[,time-scale=X][,seed=S]`.
fn parse_trace(spec: &str, rest: &str) -> Result<DatasetSpec, Error> {
    let mut parts = rest.split(',');
    let path = parts.next().unwrap_or_default();
    if path.is_empty() {
        return Err(spec_err(spec, "trace: needs a path"));
    }
    let (mut time_scale, mut seed) = (1.0f64, 0u64);
    for part in parts.filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("time-scale" | "time_scale", v)) => {
                time_scale = v
                    .parse()
                    .ok()
                    .filter(|x: &f64| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| {
                        spec_err(spec, format!("time-scale '{v}' is not a positive number"))
                    })?;
            }
            Some(("seed", v)) => {
                seed = v
                    .parse()
                    .map_err(|_| spec_err(spec, format!("seed '{v}' is not an integer")))?;
            }
            _ => {
                return Err(spec_err(
                    spec,
                    format!("'{part}' is not time-scale=X or seed=S"),
                ));
            }
        }
    }
    Ok(DatasetSpec::Trace {
        path: PathBuf::from(path),
        time_scale,
        seed,
    })
}

fn parse_shared_prefix(spec: &str, rest: &str) -> Result<SharedPrefix, Error> {
    let (mut groups, mut prefix, mut suffix, mut output, mut requests, mut seed) =
        (None, None, None, None, None, 0u64);
    let count = |key: &str, value: &str| {
        value
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| spec_err(spec, format!("{key} '{value}' is not a positive count")))
    };
    for part in rest.split(',').filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| spec_err(spec, format!("'{part}' is not key=value")))?;
        match key {
            "groups" => groups = Some(count(key, value)?),
            "prefix" => prefix = Some(count(key, value)?),
            "suffix" => suffix = Some(parse_length(spec, value)?),
            "output" | "out" => output = Some(parse_length(spec, value)?),
            "requests" | "n" => requests = Some(count(key, value)?),
            "seed" => {
                seed = value
                    .parse()
                    .map_err(|_| spec_err(spec, format!("seed '{value}' is not an integer")))?;
            }
            _ => {
                return Err(spec_err(
                    spec,
                    format!(
                        "unknown key '{key}' (known: groups, prefix, suffix, output, requests, seed)"
                    ),
                ));
            }
        }
    }
    let too_big = |key: &str, n: u64| {
        u32::try_from(n).map_err(|_| spec_err(spec, format!("{key} {n} is too large")))
    };
    Ok(SharedPrefix {
        groups: too_big(
            "groups",
            groups.ok_or_else(|| spec_err(spec, "groups=N is required"))?,
        )?,
        prefix: too_big(
            "prefix",
            prefix.ok_or_else(|| spec_err(spec, "prefix=L is required"))?,
        )?,
        suffix: suffix.ok_or_else(|| spec_err(spec, "suffix=LEN is required"))?,
        output: output.ok_or_else(|| spec_err(spec, "output=LEN is required"))?,
        requests: requests.map_or(DEFAULT_SYNTHETIC_REQUESTS, |n| n as usize),
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
            DatasetSpec::MultiTurn {
                path,
                max_turns,
                think_time_ms,
            } => {
                write!(f, "multiturn:{}", path.display())?;
                if let Some(k) = max_turns {
                    write!(f, ",turns={k}")?;
                }
                write!(f, ",think-ms={think_time_ms}")
            }
            DatasetSpec::Trace {
                path,
                time_scale,
                seed,
            } => write!(
                f,
                "trace:{},time-scale={time_scale},seed={seed}",
                path.display()
            ),
            DatasetSpec::SharedPrefix(s) => write!(
                f,
                "shared-prefix:groups={},prefix={},suffix={},output={},requests={},seed={}",
                s.groups, s.prefix, s.suffix, s.output, s.requests, s.seed
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
        let sp =
            parse("shared-prefix:groups=4,prefix=256,suffix=16..32,output=8,requests=40,seed=2");
        assert_eq!(
            sp,
            DatasetSpec::SharedPrefix(SharedPrefix {
                groups: 4,
                prefix: 256,
                suffix: LengthDist::Uniform { min: 16, max: 32 },
                output: LengthDist::Fixed(8),
                requests: 40,
                seed: 2,
            })
        );
        assert_eq!(parse(&sp.to_string()), sp);
        let mt = parse("multiturn:sg.json,turns=3,think-ms=250");
        assert_eq!(
            mt,
            DatasetSpec::MultiTurn {
                path: "sg.json".into(),
                max_turns: Some(3),
                think_time_ms: 250
            }
        );
        assert_eq!(parse(&mt.to_string()), mt);
        let tr = parse("trace:t/mooncake.jsonl,time-scale=0.5");
        assert_eq!(
            tr,
            DatasetSpec::Trace {
                path: "t/mooncake.jsonl".into(),
                time_scale: 0.5,
                seed: 0
            }
        );
        assert_eq!(parse(&tr.to_string()), tr);
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
            ("trace:", "needs a path"),
            ("multiturn:", "needs a path"),
            ("multiturn:a.json,turns=0", "turns '0'"),
            ("multiturn:a.json,think=3", "think-ms=MS"),
            ("trace:t.csv,time-scale=0", "time-scale '0'"),
            ("trace:t.csv,speed=2", "time-scale=X"),
            ("shared-prefix:prefix=8,suffix=2,output=2", "groups=N"),
            (
                "shared-prefix:groups=0,prefix=8,suffix=2,output=2",
                "groups '0'",
            ),
            ("shared-prefix:groups=2,suffix=2,output=2", "prefix=L"),
            (
                "shared-prefix:groups=2,prefix=8,suffix=2,output=2,size=3",
                "unknown key",
            ),
        ] {
            let err = spec.parse::<DatasetSpec>().expect_err(spec).to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }
}
