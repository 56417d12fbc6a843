//! `mistral-rs-bench`: the mistral.rs engine's worker binary.

#![deny(clippy::print_stdout)]

use std::process::ExitCode;

fn main() -> ExitCode {
    bench_worker::run::<mistral_rs_bench::MistralRs>()
}
