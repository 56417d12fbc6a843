//! The commands, one module each: each validates its input, then runs.

mod calibrate;
mod campaign;
mod compare;
mod diff;
mod list_engines;
mod merge;
mod models;
mod nightly;
mod race;
mod report;
mod shards;

use std::process::ExitCode;

pub use compare::run_plan;

use crate::cli::{self, Command, CommandResult};
use crate::error::{Failure, exit_code};
use crate::summary::{EngineStatus, RunSummary};

/// Parse the command line, run the command, map the outcome to an exit status: 0 success, 1
/// something measured failed (results are still written), 2 bad input, 130/143 a `compare` or
/// `campaign run` stopped by `SIGINT`/`SIGTERM` (what was measured is written and summarised).
pub fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", failure.message());
            exit_code(&failure)
        }
    }
}

/// Run one parsed command.
pub fn run(command: Command) -> CommandResult {
    match command {
        Command::ListEngines(args) => list_engines::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Nightly(args) => nightly::run(&args),
        Command::Models(command) => models::run(&command),
        Command::Calibrate(args) => calibrate::run(&args),
        Command::Race(args) => race::run(&args),
        Command::Campaign(command) => campaign::run(&command),
        Command::Shards(command) => shards::run(&command),
    }
}

/// Print a line on stdout (the command's answer; progress and logs go to stderr).
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Run(anyhow::anyhow!("cannot start the async runtime: {e}")))
}

/// Whether every engine of a run finished.
pub fn all_ok(summary: &RunSummary) -> bool {
    summary
        .engines
        .values()
        .all(|e| e.status == EngineStatus::Ok)
}

/// Exit status of a run: 128 + the signal's number when a signal stopped it (130 `SIGINT`, 143
/// `SIGTERM`), else 1 when an engine failed.
fn exit_for(summary: &RunSummary) -> ExitCode {
    if let Some(i) = summary
        .continuity
        .as_ref()
        .and_then(|c| c.interrupted.as_ref())
    {
        ExitCode::from(i.exit_code)
    } else if all_ok(summary) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
