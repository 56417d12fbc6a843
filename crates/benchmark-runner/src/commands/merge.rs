//! `merge DIR... --out DIR`: shards of one run joined into one run directory.

use super::{exit_for, write_stdout};
use crate::cli::{CommandResult, MergeArgs};
use crate::{merge, report};

/// `merge`.
pub fn run(args: &MergeArgs) -> CommandResult {
    let summary = merge::merge_runs(&args.dirs, &args.out)?;
    eprintln!(
        "merged {} shards into {}",
        args.dirs.len(),
        args.out.display()
    );
    write_stdout(&report::terminal_table(&summary));
    Ok(exit_for(&summary))
}
