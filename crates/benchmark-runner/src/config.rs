//! The TOML config a `compare` (or a nightly suite) can read: the same settings as the command
//! line, which overrides it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Failure, usage};

/// A `compare` config file. Unknown keys are errors.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareConfig {
    pub name: Option<String>,
    pub engines: Option<Vec<String>>,
    pub requests: Option<u32>,
    pub max_tokens: Option<u32>,
    pub warmup: Option<u32>,
    pub repetitions: Option<u32>,
    pub ignore_eos: Option<bool>,
    pub model: Option<String>,
    pub dataset: Option<String>,
    pub min_prompt_tokens: Option<u32>,
    pub max_prompt_tokens: Option<u32>,
    pub raw_prompts: Option<bool>,
    pub warmup_cv: Option<f64>,
    pub target_ci: Option<f64>,
    pub seed: Option<u64>,
    pub device: Option<String>,
    pub request_timeout_s: Option<f64>,
    pub load_timeout_s: Option<f64>,
    pub telemetry: Option<String>,
    pub telemetry_interval_ms: Option<u64>,
    pub idle: Option<bool>,
    pub idle_cooldown_s: Option<f64>,
    pub idle_measure_s: Option<f64>,
    /// `[engine_options.ENGINE]` tables, passed to that engine's worker as they are.
    #[serde(default)]
    pub engine_options: BTreeMap<String, toml::Table>,
}

impl CompareConfig {
    /// Read and parse `path`; every problem is a one-line usage error naming the file.
    pub fn read(path: &Path) -> Result<CompareConfig, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read config {}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| usage(format!("invalid config {}: {e}", path.display())))
    }

    /// Parse config text.
    pub fn parse(text: &str) -> Result<CompareConfig, String> {
        toml::from_str(text).map_err(|e| e.message().replace('\n', " "))
    }

    /// Engine options as JSON maps.
    pub fn options_json(&self) -> BTreeMap<String, Map<String, Value>> {
        self.engine_options
            .iter()
            .map(|(engine, table)| {
                let json = serde_json::to_value(table).unwrap_or(Value::Null);
                let map = match json {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                (engine.clone(), map)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let c = CompareConfig::parse(
            r#"
            name = "sim-check"
            engines = ["sim"]
            requests = 50
            [engine_options.sim]
            ttft_ms = "normal:20:2"
            fail_rate = 0.1
            "#,
        )
        .expect("valid");
        assert_eq!(c.requests, Some(50));
        let opts = c.options_json();
        assert_eq!(opts["sim"]["ttft_ms"], "normal:20:2");
        assert_eq!(opts["sim"]["fail_rate"], 0.1);
    }

    #[test]
    fn unknown_keys_and_bad_types_are_named() {
        let e = CompareConfig::parse("reqests = 5").expect_err("unknown");
        assert!(e.contains("reqests"), "{e}");
        let e = CompareConfig::parse("requests = \"many\"").expect_err("type");
        assert!(e.contains("invalid type"), "{e}");
        assert!(!e.contains('\n'));
    }
}
