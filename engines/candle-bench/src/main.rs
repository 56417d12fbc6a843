//! `candle-bench`: the candle engine's worker binary.

#![deny(clippy::print_stdout)]

use std::process::ExitCode;

fn main() -> ExitCode {
    bench_worker::run::<candle_bench::Candle>()
}
