//! `diff BASELINE CANDIDATE`: a candidate run held against a baseline, with an exit status a CI
//! job can act on.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use comfy_table::{Table, presets};

use super::write_stdout;
use crate::cli::{CommandResult, DiffArgs, DiffFormat};
use crate::columns::Columns;
use crate::diff::{DIFF_HEADERS, DiffOptions, diff_markdown, diff_rows};
use crate::error::{Failure, usage};

/// A run directory given as itself or as its `summary.json`.
fn run_dir(path: &Path) -> Result<std::path::PathBuf, Failure> {
    let dir = if path.is_file() {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        path.to_path_buf()
    };
    if !dir.join("samples.jsonl").is_file() {
        return Err(usage(format!(
            "{} is not a run directory (no samples.jsonl beside it)",
            path.display()
        )));
    }
    Ok(dir)
}

/// `diff BASELINE CANDIDATE`.
pub fn run(args: &DiffArgs) -> CommandResult {
    let mut options = DiffOptions::default();
    if let Some(names) = &args.metrics {
        options.metrics = names
            .iter()
            .map(|n| n.parse().map_err(usage))
            .collect::<Result<_, _>>()?;
    }
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(usage(format!(
            "--alpha must be within (0, 1), got {}",
            args.alpha
        )));
    }
    if !(0.0..1.0).contains(&args.noise_threshold) {
        return Err(usage(format!(
            "--noise-threshold must be within [0, 1), got {}",
            args.noise_threshold
        )));
    }
    if args.resamples < 100 {
        return Err(usage("--resamples must be at least 100"));
    }
    options.alpha = args.alpha;
    options.noise_threshold = args.noise_threshold;
    options.resamples = args.resamples;
    let (base_dir, cand_dir) = (run_dir(&args.baseline)?, run_dir(&args.candidate)?);
    let base = Columns::read(&base_dir.join("samples.jsonl"))?;
    let cand = Columns::read(&cand_dir.join("samples.jsonl"))?;
    let report = crate::diff::diff(
        &base_dir.display().to_string(),
        base,
        &cand_dir.display().to_string(),
        cand,
        &options,
    );
    let markdown = diff_markdown(&report);
    if let Some(path) = &args.markdown {
        std::fs::write(path, &markdown)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    match args.format {
        DiffFormat::Markdown => write_stdout(&markdown),
        DiffFormat::Json => {
            write_stdout(&serde_json::to_string_pretty(&report).context("serialize")?);
        }
        DiffFormat::Table => {
            let mut table = Table::new();
            table
                .load_preset(presets::UTF8_FULL_CONDENSED)
                .set_header(DIFF_HEADERS);
            for row in diff_rows(&report) {
                table.add_row(row);
            }
            write_stdout(&table.to_string());
            for s in &report.skipped {
                eprintln!("not compared: {s}");
            }
        }
    }
    if report.rows.is_empty() {
        return Err(usage(
            "nothing to compare: the runs share no engine with successful requests",
        ));
    }
    Ok(if report.regressed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
