//! Figures measured once per machine and thread count (the memory read bandwidth behind MBU, the
//! f32 matrix-multiply throughput behind a CPU's MFU), cached as JSON under `results/`: a cached
//! figure is used while it stands for this CPU and thread count, otherwise one is measured and
//! written.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The CPU's model name.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A measurement of this machine as cached.
pub trait MachineFigure: Serialize + DeserializeOwned {
    /// `model name` of `/proc/cpuinfo` when measured.
    fn cpu_model(&self) -> &str;
    /// Threads it was measured with.
    fn threads(&self) -> usize;
    /// Profile of the runner that measured it.
    fn build_profile(&self) -> &str;
}

/// The figure cached at `path`, when it was measured on this CPU with `threads` threads and
/// `profile_ok` accepts the profile of the runner that measured it.
pub fn cached<T: MachineFigure>(
    path: &Path,
    threads: usize,
    profile_ok: impl Fn(&str) -> bool,
) -> Option<T> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<T>(&t).ok())
        .filter(|c| {
            c.cpu_model() == cpu_model() && c.threads() == threads && profile_ok(c.build_profile())
        })
}

/// The figure [`cached`] at `path`, otherwise `measure()`, written to `path`.
pub fn cached_or<T: MachineFigure>(
    path: &Path,
    threads: usize,
    profile_ok: impl Fn(&str) -> bool,
    measure: impl FnOnce() -> T,
) -> anyhow::Result<T> {
    if let Some(c) = cached(path, threads, profile_ok) {
        return Ok(c);
    }
    let figure = measure();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&figure)
        .with_context(|| format!("serializing {}", path.display()))?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    Ok(figure)
}
