//! `burn-bench`: the burn engine's worker binary.

#![deny(clippy::print_stdout)]

use std::process::ExitCode;

fn main() -> ExitCode {
    bench_worker::run::<burn_bench::Burn>()
}
