//! `calibrate`: the HTTP client's own overhead against a zero-delay mock, stored for the runs
//! that follow.

use std::process::ExitCode;

use anyhow::Context;

use super::write_stdout;
use crate::cli::{CalibrateArgs, CommandResult};
use crate::error::usage;
use crate::locate::Locator;
use crate::store;

/// `calibrate`.
pub fn run(args: &CalibrateArgs) -> CommandResult {
    if args.concurrency == 0 || args.chunks == 0 || args.requests == Some(0) {
        return Err(usage(
            "--concurrency, --chunks and --requests must be at least 1",
        ));
    }
    let mut pass = vec![
        "--concurrency".to_owned(),
        args.concurrency.to_string(),
        "--chunks".to_owned(),
        args.chunks.to_string(),
    ];
    if let Some(r) = args.requests {
        pass.extend(["--requests".to_owned(), r.to_string()]);
    }
    eprintln!(
        "calibrating the HTTP client: {} streams x {} chunks against a zero-delay mock",
        args.concurrency, args.chunks
    );
    let report = crate::calibration::run(&Locator::from_env(), &pass)?;
    let path = args
        .out
        .clone()
        .unwrap_or_else(crate::calibration::cache_path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    store::write_json(&path, &report)?;
    write_stdout(&serde_json::to_string_pretty(&report).context("serialize")?);
    eprintln!("calibration: {}", path.display());
    Ok(ExitCode::SUCCESS)
}
