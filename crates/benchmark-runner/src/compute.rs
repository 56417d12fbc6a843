//! f32 matrix-multiply throughput of the machine's CPUs, measured once and cached in
//! `results/gemm.json`: the peak that model FLOPs utilisation (MFU) of a CPU engine is held
//! against.
//!
//! Each thread multiplies its own pair of square matrices with `matrixmultiply`'s `sgemm`
//! (blocked, with AVX/FMA kernels picked at run time), all threads at once; a pass counts
//! `2 n^3` FLOPs per product (one multiply-add is two) over the pass's wall time, and the
//! fastest pass counts.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::machine_figure::{self, MachineFigure};

/// Side of each thread's square matrices: 2 n^3 FLOPs over 3 n^2 values, so `sgemm`'s blocking
/// keeps the work in cache and the figure is the arithmetic peak, not a memory bound.
pub const SIZE: usize = 512;
/// Products per thread in one pass.
pub const PRODUCTS: u32 = 8;
/// Passes; the fastest counts.
pub const PASSES: u32 = 5;

/// One measurement, as cached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gemm {
    /// f32 FLOPs per second over all threads, best pass.
    pub flops_per_s: f64,
    /// What was measured: `f32 sgemm (matrixmultiply), measured`.
    pub method: String,
    /// `model name` of `/proc/cpuinfo`, or `unknown`.
    pub cpu_model: String,
    pub threads: usize,
    /// Side of each square matrix.
    pub size: usize,
    pub products: u32,
    pub passes: u32,
    /// Profile of the runner that measured: a debug build's kernels are far from the peak.
    pub build_profile: String,
    pub measured_utc: String,
}

impl MachineFigure for Gemm {
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

/// Where the measurement is kept: `results/gemm.json` under the current directory.
pub fn cache_path() -> PathBuf {
    PathBuf::from("results").join("gemm.json")
}

/// `c = a b` for row-major `n x n` matrices.
pub fn sgemm(n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    assert!(
        a.len() == n * n && b.len() == n * n && c.len() == n * n,
        "sgemm: three {n} x {n} matrices"
    );
    let stride = isize::try_from(n).expect("a matrix side fits isize");
    // SAFETY: each slice holds n * n elements, checked above; row-major strides (n, 1) keep
    // every index below n * n; `c` is borrowed mutably, so it aliases neither `a` nor `b`.
    unsafe {
        matrixmultiply::sgemm(
            n,
            n,
            n,
            1.0,
            a.as_ptr(),
            stride,
            1,
            b.as_ptr(),
            stride,
            1,
            0.0,
            c.as_mut_ptr(),
            stride,
            1,
        );
    }
}

/// f32 FLOPs per second that `threads` threads reach, each doing `products` `size x size`
/// products per pass, best of `passes`.
pub fn measure_flops(threads: usize, size: usize, products: u32, passes: u32) -> f64 {
    let threads = threads.max(1);
    let inputs: Vec<(Vec<f32>, Vec<f32>)> = (0..threads)
        .map(|t| {
            let fill = |k: usize| -> Vec<f32> {
                (0..size * size)
                    .map(|i| ((i * 7 + k + t) % 13) as f32 / 13.0)
                    .collect()
            };
            (fill(1), fill(2))
        })
        .collect();
    let mut outputs: Vec<Vec<f32>> = vec![vec![0.0; size * size]; threads];
    let mut best = f64::MAX;
    for _ in 0..passes.max(1) {
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for ((a, b), c) in inputs.iter().zip(outputs.iter_mut()) {
                s.spawn(move || {
                    for _ in 0..products.max(1) {
                        sgemm(size, a, b, c);
                        std::hint::black_box(&mut *c);
                    }
                });
            }
        });
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let flops = 2.0 * (size as f64).powi(3) * f64::from(products.max(1)) * threads as f64;
    flops / best
}

/// Measure now with `threads` threads ([`SIZE`], [`PRODUCTS`], [`PASSES`]).
pub fn measure(threads: usize) -> Gemm {
    measure_with(threads, SIZE, PRODUCTS, PASSES)
}

fn measure_with(threads: usize, size: usize, products: u32, passes: u32) -> Gemm {
    Gemm {
        flops_per_s: measure_flops(threads, size, products, passes),
        method: "f32 sgemm (matrixmultiply), measured".to_owned(),
        cpu_model: machine_figure::cpu_model(),
        threads,
        size,
        products,
        passes,
        build_profile: crate::build_profile().to_owned(),
        measured_utc: jiff::Timestamp::now().to_string(),
    }
}

/// The cached measurement at `path` when it stands for this machine at `threads` threads (same
/// CPU and threads, measured by a release build), otherwise a new one, written to `path`.
pub fn cached_or_measure(path: &Path, threads: usize) -> anyhow::Result<Gemm> {
    cached_or(path, threads, || {
        eprintln!("measuring f32 matrix-multiply throughput ({threads} threads)");
        measure(threads)
    })
}

/// The cached measurement at `path`, when a release runner measured it on this CPU with
/// `threads` threads.
fn cached(path: &Path, threads: usize) -> Option<Gemm> {
    machine_figure::cached(path, threads, |profile| profile == "release")
}

fn cached_or(path: &Path, threads: usize, measure: impl FnOnce() -> Gemm) -> anyhow::Result<Gemm> {
    machine_figure::cached_or(path, threads, |profile| profile == "release", measure)
}

/// The compute peak for a run with CPU engines: the cached one when it stands for this machine,
/// a new measurement from a release runner, and none from a debug runner (whose figure would be
/// far below the peak and inflate MFU), with the reason.
pub fn for_run(threads: usize) -> Result<Gemm, String> {
    let path = cache_path();
    if crate::build_profile() == "release" {
        return cached_or_measure(&path, threads).map_err(|e| format!("{e:#}"));
    }
    cached(&path, threads).ok_or_else(|| {
        "not measured: a debug runner does not measure the compute peak; run a release build once"
            .to_owned()
    })
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "small integers, exact in f32")]
mod tests {
    use super::*;

    #[test]
    fn sgemm_multiplies() {
        // [[1, 2], [3, 4]] [[5, 6], [7, 8]] = [[19, 22], [43, 50]].
        let mut c = [0.0; 4];
        sgemm(2, &[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0], &mut c);
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
    }

    #[test]
    fn measures_something_and_caches_only_a_release_figure() {
        let f = measure_flops(2, 32, 1, 1);
        assert!(f.is_finite() && f > 0.0, "{f}");

        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/gemm.json");
        let release = |threads| {
            move || Gemm {
                build_profile: "release".into(),
                ..measure_with(threads, 16, 1, 1)
            }
        };
        let first = cached_or(&path, 1, release(1)).expect("measured and written");
        let again = cached_or(&path, 1, || panic!("the cached figure stands")).expect("cached");
        assert_eq!(first, again);
        let other = cached_or(&path, 3, release(3)).expect("measured");
        assert_eq!(other.threads, 3, "other thread count: measured anew");
        let debug = cached_or(&path, 2, || Gemm {
            build_profile: "debug".into(),
            ..measure_with(2, 16, 1, 1)
        })
        .expect("measured");
        assert_eq!(debug.threads, 2);
        assert_eq!(cached(&path, 2), None, "a debug figure never stands");
    }
}
