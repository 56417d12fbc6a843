//! The HTTP client's own overhead: `calibrate` runs `http-bench calibrate` against its
//! zero-delay mock and keeps the figures; every summary with a served engine carries them, or
//! says they were not measured.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use serde_json::Value;
use shared_protocol::EngineId;

use crate::catalog;
use crate::locate::Locator;

/// Where the latest calibration is kept: `results/calibration.json` under the current directory.
pub fn cache_path() -> PathBuf {
    PathBuf::from("results").join("calibration.json")
}

/// Run `http-bench calibrate` with `args` and return its JSON report.
pub fn run(locator: &Locator, args: &[String]) -> anyhow::Result<Value> {
    let entry = catalog::entry(EngineId::Openai);
    let path = locator
        .ensure(&entry, &[], crate::worker_build::Flavour::Generic)?
        .path;
    let out = Command::new(&path)
        .arg("calibrate")
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", path.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "http-bench calibrate failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .context("http-bench calibrate printed no JSON")?;
    let mut report: Value = serde_json::from_str(line).context("calibration JSON")?;
    report["measured_utc"] = Value::from(jiff::Timestamp::now().to_string());
    Ok(report)
}

/// The stored calibration, or why there is none, for a summary.
pub fn for_summary(path: &Path) -> Value {
    match std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    {
        Some(v) => {
            serde_json::json!({ "measured": true, "figures": v, "file": path.display().to_string() })
        }
        None => serde_json::json!({
            "measured": false,
            "reason": format!("not measured: run `benchmark-runner calibrate` (expected {})", path.display()),
        }),
    }
}
