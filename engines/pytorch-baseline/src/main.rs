//! `pytorch-baseline`: the pytorch engine's worker binary, a relay to the bundled Python worker.

#![deny(clippy::print_stdout)]

use std::process::ExitCode;

fn main() -> ExitCode {
    pytorch_baseline::run()
}
