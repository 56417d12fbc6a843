//! The `http-bench` binary: a protocol worker when run without arguments, else the `mock` and
//! `calibrate` subcommands.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().len() <= 1 {
        return bench_worker::run::<http_bench::HttpBench>();
    }
    match cli::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http-bench: {e:#}");
            ExitCode::from(1)
        }
    }
}
