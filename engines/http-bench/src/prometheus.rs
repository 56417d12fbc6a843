//! Prometheus text exposition: parse a `/metrics` page and take the change across a run.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// `name{labels}` to value, comments and unparsable lines skipped.
pub fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // The series is everything up to the last space-separated value (labels may hold spaces).
        let series_end = line
            .rfind('}')
            .map_or_else(|| line.find(' ').unwrap_or(line.len()), |i| i + 1);
        let (series, rest) = line.split_at(series_end);
        let Some(value) = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        else {
            continue;
        };
        out.insert(series.to_owned(), value);
    }
    out
}

/// Series whose value changed between `before` and `after` (a series new in `after` counts from
/// zero), as `after - before`.
pub fn delta(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, a) in after {
        let d = a - before.get(k).copied().unwrap_or(0.0);
        if d != 0.0 && d.is_finite() {
            out.insert(k.clone(), Value::from(d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_of_counters() {
        let before = parse("# HELP x\nvllm:tokens_total{model=\"a b\"} 10\nup 1\n");
        let after = parse("vllm:tokens_total{model=\"a b\"} 25 1700000000\nup 1\nnew_total 3\n");
        let d = delta(&before, &after);
        assert_eq!(d["vllm:tokens_total{model=\"a b\"}"], 15.0);
        assert_eq!(d["new_total"], 3.0);
        assert!(!d.contains_key("up"));
    }
}
