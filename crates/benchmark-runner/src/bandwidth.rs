//! Memory read bandwidth of the machine, measured once and cached in `results/bandwidth.json`,
//! and the figures it turns decode timings into: model bandwidth utilisation (MBU) and the
//! floor TPOT that bandwidth allows.
//!
//! A decode step of a dense model reads every weight once, so its time is bounded below by
//! bytes read over bandwidth; MBU is how close an engine gets to that bound.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use crate::machine_figure::cpu_model;
use crate::machine_figure::{self, MachineFigure};

/// Bytes summed per pass: far larger than any cache.
pub const BUFFER_BYTES: usize = 1 << 30;
/// Passes; the fastest counts.
pub const PASSES: u32 = 7;

/// One measurement, as cached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    /// Bytes read per second, best pass.
    pub read_bytes_per_s: f64,
    /// `model name` of `/proc/cpuinfo`, or `unknown`.
    pub cpu_model: String,
    pub threads: usize,
    pub buffer_bytes: u64,
    pub passes: u32,
    /// Profile of the runner that measured: a debug build sums too slowly to reach the memory
    /// bound, so its figure is only a lower bound.
    pub build_profile: String,
    pub measured_utc: String,
}

impl MachineFigure for Bandwidth {
    fn cpu_model(&self) -> &str {
        &self.cpu_model
    }
    fn threads(&self) -> usize {
        self.threads
    }
    fn build_profile(&self) -> &str {
        &self.build_profile
    }
}

/// Where the measurement is kept: `results/bandwidth.json` under the current directory.
pub fn cache_path() -> PathBuf {
    PathBuf::from("results").join("bandwidth.json")
}

/// Bytes per second that `threads` threads read summing a `buffer_bytes` buffer, best of
/// `passes` passes.
pub fn measure_read(threads: usize, buffer_bytes: usize, passes: u32) -> f64 {
    let threads = threads.max(1);
    let words = (buffer_bytes / 8).max(threads);
    // Written (not zero pages from the allocator), so reads hit real memory.
    let buf: Vec<u64> = (0..words as u64).collect();
    let chunk = words.div_ceil(threads);
    let mut best = f64::MAX;
    for _ in 0..passes.max(1) {
        let t0 = Instant::now();
        let sum = std::thread::scope(|s| {
            let handles: Vec<_> = buf
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().fold(0u64, |a, &b| a.wrapping_add(b))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(0))
                .fold(0u64, u64::wrapping_add)
        });
        std::hint::black_box(sum);
        best = best.min(t0.elapsed().as_secs_f64());
    }
    (words * 8) as f64 / best
}

/// Measure now with `threads` threads ([`BUFFER_BYTES`], [`PASSES`]).
pub fn measure(threads: usize) -> Bandwidth {
    measure_with(threads, BUFFER_BYTES, PASSES)
}

fn measure_with(threads: usize, buffer_bytes: usize, passes: u32) -> Bandwidth {
    Bandwidth {
        read_bytes_per_s: measure_read(threads, buffer_bytes, passes),
        cpu_model: cpu_model(),
        threads,
        buffer_bytes: buffer_bytes as u64,
        passes,
        build_profile: crate::build_profile().to_owned(),
        measured_utc: jiff::Timestamp::now().to_string(),
    }
}

/// Whether a cached figure measured by a runner of `profile` stands: a release runner takes a
/// release runner's figure only; a debug runner takes any.
fn profile_ok(profile: &str) -> bool {
    profile == "release" || crate::build_profile() == "debug"
}

/// The cached measurement at `path` when it still stands for this machine, otherwise a new one,
/// written to `path`.
pub fn cached_or_measure(path: &Path, threads: usize) -> anyhow::Result<Bandwidth> {
    cached_or(path, threads, || {
        eprintln!("measuring memory read bandwidth ({threads} threads, 1 GiB buffer)");
        measure(threads)
    })
}

fn cached_or(
    path: &Path,
    threads: usize,
    measure: impl FnOnce() -> Bandwidth,
) -> anyhow::Result<Bandwidth> {
    machine_figure::cached_or(path, threads, profile_ok, measure)
}

/// The fastest time per output token `bytes_per_step` allows at `read_bytes_per_s`, in ms.
pub fn floor_tpot_ms(bytes_per_step: u64, read_bytes_per_s: f64) -> Option<f64> {
    (read_bytes_per_s > 0.0).then(|| bytes_per_step as f64 / read_bytes_per_s * 1e3)
}

/// Model bandwidth utilisation: the bandwidth a decode step of `bytes_per_step` in `tpot_ms`
/// achieves, over `read_bytes_per_s`. `None` when an input is not positive.
pub fn mbu(bytes_per_step: u64, tpot_ms: f64, read_bytes_per_s: f64) -> Option<f64> {
    (tpot_ms > 0.0 && read_bytes_per_s > 0.0)
        .then(|| bytes_per_step as f64 / (tpot_ms / 1e3) / read_bytes_per_s)
}

/// The bandwidth figure for a run with CPU engines: the cached one when it stands for this
/// machine, a new measurement from a release runner, and none from a debug runner (whose copy
/// loop cannot reach the memory bound), with the reason.
pub fn for_run(threads: usize) -> Result<Bandwidth, String> {
    let path = cache_path();
    if crate::build_profile() == "release" {
        return cached_or_measure(&path, threads).map_err(|e| format!("{e:#}"));
    }
    machine_figure::cached(&path, threads, |_| true).ok_or_else(|| {
        "not measured: a debug runner does not measure bandwidth; run a release build once"
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbu_and_floor() {
        // 1 GB per step at 10 GB/s: 100 ms at best; 200 ms is half the bandwidth.
        let floor = floor_tpot_ms(1_000_000_000, 10e9).expect("positive");
        assert!((floor - 100.0).abs() < 1e-9);
        let m = mbu(1_000_000_000, 200.0, 10e9).expect("positive");
        assert!((m - 0.5).abs() < 1e-12);
        assert_eq!(mbu(1, 0.0, 1.0), None);
        assert_eq!(floor_tpot_ms(1, 0.0), None);
    }

    #[test]
    fn measures_something_and_caches_it() {
        let bps = measure_read(2, 1 << 20, 2);
        assert!(bps.is_finite() && bps > 0.0, "{bps}");

        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/bandwidth.json");
        let small = |threads| move || measure_with(threads, 1 << 20, 1);
        let first = cached_or(&path, 1, small(1)).expect("measured and written");
        let again = cached_or(&path, 1, || panic!("the cached figure stands")).expect("cached");
        assert_eq!(first, again);
        let other = cached_or(&path, 3, small(3)).expect("measured");
        assert_eq!(other.threads, 3, "other thread count: measured anew");
        let text = std::fs::read_to_string(&path).expect("cache file");
        assert!(text.contains("\"threads\": 3"), "{text}");
    }
}
