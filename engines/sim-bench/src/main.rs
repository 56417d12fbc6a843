//! `sim-bench`: the synthetic engine's worker binary.

#![deny(clippy::print_stdout)]

use std::process::ExitCode;

fn main() -> ExitCode {
    bench_worker::run::<sim_bench::Sim>()
}
