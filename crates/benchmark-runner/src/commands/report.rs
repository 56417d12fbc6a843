//! `report DIR`: re-render a run directory's summary, reports and plots from its samples.

use super::{exit_for, write_stdout};
use crate::cli::{CommandResult, ReportArgs};
use crate::error::usage;
use crate::{render, report};

/// `report DIR`.
pub fn run(args: &ReportArgs) -> CommandResult {
    let dir = &args.dir;
    if !dir.join("manifest.json").is_file() {
        return Err(usage(format!(
            "{} is not a run directory (no manifest.json)",
            dir.display()
        )));
    }
    if crate::manifest::read(dir).is_ok_and(|m| m.kind == crate::manifest::RunKind::Race) {
        return Err(usage(format!(
            "{} holds a race (a demonstration, not a measurement); report summarises runs of compare and nightly",
            dir.display()
        )));
    }
    let summary = render::render_dir(dir)?;
    write_stdout(&report::terminal_table(&summary));
    Ok(exit_for(&summary))
}
