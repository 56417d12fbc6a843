//! `benchmark-runner`: runs the command line and maps the outcome to an exit status.

use std::process::ExitCode;

fn main() -> ExitCode {
    benchmark_runner::commands::main()
}
