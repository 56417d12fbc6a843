//! `merge DIR... --out DIR`: shards of one run joined into one run directory, or shards of a
//! campaign joined run by run into one campaign directory.

use std::process::ExitCode;

use super::{exit_for, write_stdout};
use crate::campaign::record::Status;
use crate::cli::{CommandResult, MergeArgs};
use crate::{merge, report};

/// `merge`.
pub fn run(args: &MergeArgs) -> CommandResult {
    if args.dirs.iter().any(|d| merge::campaign::is_campaign(d)) {
        let m = merge::campaign::merge_campaigns(&args.dirs, &args.out)?;
        let runs = m.runs.iter().filter(|r| r.status != Status::Skipped);
        let (done, other): (Vec<_>, Vec<_>) = runs.partition(|r| r.status == Status::Done);
        eprintln!(
            "merged {} campaign shards into {}: {} runs merged, {} not measured in every shard",
            args.dirs.len(),
            args.out.display(),
            done.len(),
            other.len()
        );
        for r in &other {
            eprintln!(
                "  {}-c{}: {}",
                r.experiment,
                r.cycle,
                r.reason.as_deref().unwrap_or("unfinished")
            );
        }
        write_stdout(&format!(
            "campaign report: {}",
            args.out.join("campaign-report.md").display()
        ));
        return Ok(if other.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let summary = merge::merge_runs(&args.dirs, &args.out)?;
    eprintln!(
        "merged {} shards into {}",
        args.dirs.len(),
        args.out.display()
    );
    write_stdout(&report::terminal_table(&summary));
    Ok(exit_for(&summary))
}
