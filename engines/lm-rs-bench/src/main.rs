//! The lm-rs worker: the bench-worker loop around [`lm_rs_bench::LmRs`].

use std::process::ExitCode;

fn main() -> ExitCode {
    bench_worker::run::<lm_rs_bench::LmRs>()
}
