//! Measure the memory read bandwidth a decode step can hope for: `threads` threads summing a
//! buffer much larger than the caches, best of several passes.
//!
//! ```text
//! cargo run --release -p lm-rs-bench --example bandwidth -- [--threads N] [--mib N]
//! ```

use std::time::Instant;

use anyhow::{Context, bail};
use rayon::prelude::*;

fn main() -> anyhow::Result<()> {
    let mut threads = lm_rs_bench::threads::default_threads();
    let mut mib = 1024usize;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value: usize = it
            .next()
            .with_context(|| format!("{flag} needs a value"))?
            .parse()?;
        match flag.as_str() {
            "--threads" => threads = value,
            "--mib" => mib = value,
            other => bail!("unknown option {other}"),
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let words = mib * (1 << 20) / 8;
    let buf: Vec<u64> = pool.install(|| (0..words as u64).into_par_iter().collect());
    let chunk = words.div_ceil(threads * 8);
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t0 = Instant::now();
        let sum: u64 = pool.install(|| {
            buf.par_chunks(chunk)
                .map(|c| c.iter().fold(0u64, |a, &b| a.wrapping_add(b)))
                .reduce(|| 0, u64::wrapping_add)
        });
        std::hint::black_box(sum);
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let gb_s = (words * 8) as f64 / best / 1e9;
    println!("read bandwidth: {gb_s:.1} GB/s ({threads} threads, {mib} MiB buffer)");
    Ok(())
}
