//! Request traces: arrival times with input and output lengths, replayed as synthetic prompts
//! of those lengths sent at those times.
//!
//! Formats read:
//! - Mooncake JSONL: `{"timestamp": MS, "input_length": N, "output_length": N, ...}`, the
//!   timestamp in milliseconds.
//! - `BurstGPT` CSV (`Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`) and
//!   the same columns as JSONL keys: `Timestamp` in seconds.
//!
//! Rows are ordered by arrival; offsets count from the first arrival and are multiplied by the
//! time scale (`2` replays at half the rate, `0.5` at twice the rate).

use std::path::Path;

use serde_json::{Map, Value};

use super::records::read_rows;
use crate::error::{Error, Result};

/// One request of a trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceRow {
    /// Arrival time in milliseconds, on the trace's own clock.
    pub arrival_ms: f64,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

fn trace_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Dataset {
        source_name: path.display().to_string(),
        message: message.into(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `(timestamp key, milliseconds per unit, input key, output key)` of each known format.
const FORMATS: [(&str, f64, &str, &str); 2] = [
    ("timestamp", 1.0, "input_length", "output_length"),
    ("Timestamp", 1000.0, "Request tokens", "Response tokens"),
];

fn row(path: &Path, n: usize, r: &Map<String, Value>) -> Result<TraceRow> {
    let Some(&(ts, unit, input, output)) = FORMATS.iter().find(|f| r.contains_key(f.0)) else {
        return Err(trace_err(
            path,
            format!(
                "record {n}: neither Mooncake (timestamp, input_length, output_length) nor BurstGPT (Timestamp, Request tokens, Response tokens)"
            ),
        ));
    };
    let field = |key: &str| {
        r.get(key)
            .and_then(number)
            .filter(|x| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| {
                trace_err(
                    path,
                    format!("record {n}: '{key}' is not a non-negative number"),
                )
            })
    };
    let tokens = |key: &str| -> Result<u32> {
        let x = field(key)?;
        u32::try_from(x.round() as u64)
            .map_err(|_| trace_err(path, format!("record {n}: '{key}' {x} is too large")))
    };
    Ok(TraceRow {
        arrival_ms: field(ts)? * unit,
        input_tokens: tokens(input)?,
        output_tokens: tokens(output)?,
    })
}

/// The rows of a trace file, ordered by arrival (stable for equal times).
pub fn read_trace(path: &Path) -> Result<Vec<TraceRow>> {
    let rows = read_rows(path)?;
    let mut out = rows
        .iter()
        .enumerate()
        .map(|(i, r)| row(path, i + 1, r))
        .collect::<Result<Vec<_>>>()?;
    if out.is_empty() {
        return Err(trace_err(path, "no rows"));
    }
    out.sort_by(|a, b| a.arrival_ms.total_cmp(&b.arrival_ms));
    Ok(out)
}

/// Prompts of a trace's input lengths (exact in tokens, from the synthetic word tokens), in
/// arrival order, asking for its output lengths (at least 1), reproducible from `seed`.
pub(crate) fn prompts(
    path: &Path,
    seed: u64,
    tokenizer: &crate::tokenizer::Tokenizer,
) -> Result<Vec<super::Prompt>> {
    use rand::SeedableRng;
    use rand::seq::IndexedRandom;
    let rows = read_trace(path)?;
    let words = super::synthetic::word_tokens(tokenizer)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Ok(rows
        .iter()
        .enumerate()
        .map(|(index, r)| {
            let mut text = String::with_capacity(r.input_tokens as usize * 8);
            for _ in 0..r.input_tokens.max(1) {
                text.push_str(words.choose(&mut rng).map_or("", String::as_str));
            }
            super::Prompt {
                index,
                text,
                reference: None,
                expected_output_tokens: Some(r.output_tokens.max(1)),
                group: None,
                conversation: None,
                turn: None,
            }
        })
        .collect())
}

/// Send offsets in nanoseconds from the first arrival, the trace's gaps multiplied by
/// `time_scale`.
pub fn trace_offsets_ns(rows: &[TraceRow], time_scale: f64) -> Vec<u64> {
    let first = rows.first().map_or(0.0, |r| r.arrival_ms);
    rows.iter()
        .map(|r| ((r.arrival_ms - first) * time_scale * 1e6).round() as u64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    #[test]
    fn mooncake_jsonl_reads_milliseconds() {
        let rows = read_trace(&fixture("trace-mooncake.jsonl")).expect("reads");
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0],
            TraceRow {
                arrival_ms: 0.0,
                input_tokens: 6955,
                output_tokens: 52
            }
        );
        // Timestamps 0, 0, 3000, 3500 ms; at time scale 0.5 the gaps halve.
        assert_eq!(
            trace_offsets_ns(&rows, 1.0),
            [0, 0, 3_000_000_000, 3_500_000_000]
        );
        assert_eq!(
            trace_offsets_ns(&rows, 0.5),
            [0, 0, 1_500_000_000, 1_750_000_000]
        );
    }

    #[test]
    fn burstgpt_csv_and_jsonl_read_seconds_in_arrival_order() {
        for name in ["trace-burstgpt.csv", "trace-burstgpt.jsonl"] {
            let rows = read_trace(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let lengths: Vec<(u32, u32)> = rows
                .iter()
                .map(|r| (r.input_tokens, r.output_tokens))
                .collect();
            // Timestamps 5, 45, 118, 97 s: the last row arrives before the third; offsets from 5 s.
            assert_eq!(
                lengths,
                [(472, 18), (1087, 230), (388, 275), (93, 0)],
                "{name}"
            );
            assert_eq!(
                trace_offsets_ns(&rows, 1.0),
                [0, 40_000_000_000, 92_000_000_000, 113_000_000_000],
                "{name}"
            );
            // 100x faster: the 113 s span replays in 1.13 s.
            assert_eq!(trace_offsets_ns(&rows, 0.01)[3], 1_130_000_000, "{name}");
        }
    }

    #[test]
    fn unknown_columns_and_bad_values_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("t.jsonl");
        std::fs::write(&p, "{\"time\":1,\"in\":2}\n").expect("write");
        let err = read_trace(&p).expect_err("unknown").to_string();
        assert!(
            err.contains("record 1") && err.contains("Mooncake"),
            "{err}"
        );
        std::fs::write(
            &p,
            "{\"timestamp\":1,\"input_length\":2,\"output_length\":3}\n{\"timestamp\":-1,\"input_length\":2,\"output_length\":3}\n",
        )
        .expect("write");
        let err = read_trace(&p).expect_err("negative").to_string();
        assert!(
            err.contains("record 2") && err.contains("'timestamp'"),
            "{err}"
        );
    }
}
