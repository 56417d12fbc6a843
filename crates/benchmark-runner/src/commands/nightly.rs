//! `nightly --suite FILE`: run a suite, compare each run with its last good one, append the
//! history and rewrite the report with trend figures.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::{all_ok, run_plan, runtime, write_stdout};
use crate::cli::{CommandResult, NightlyArgs};
use crate::nightly::{self, HistoryEntry, Suite};
use crate::settings::{Settings, layer};
use crate::summary::EngineStatus;
use crate::{plan, report, store};

pub fn run(args: &NightlyArgs) -> CommandResult {
    let suite = Suite::read(&args.suite)?;
    let diff_options = suite.diff_options()?;
    let history_dir = args
        .history
        .clone()
        .or_else(|| suite.history.clone())
        .unwrap_or_else(|| Path::new("results/nightly").join(&suite.name));
    let now = jiff::Timestamp::now();
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    // Validate every run before running any.
    let mut plans = Vec::new();
    for run in &suite.run {
        let name = run.name.clone().unwrap_or_default();
        let here = Settings {
            out: Some(history_dir.join(format!("{stamp}-{name}"))),
            ..Settings::default()
        };
        plans.push((
            name,
            plan::build(&layer(run.clone(), here), &now, args.verbose)?,
        ));
    }
    std::fs::create_dir_all(&history_dir)
        .with_context(|| format!("cannot create {}", history_dir.display()))?;
    let rt = runtime()?;
    let mut worst = ExitCode::SUCCESS;
    for (name, plan) in &plans {
        eprintln!("nightly {}: {name}", suite.name);
        let history = nightly::read_history(&history_dir)?;
        let baseline = nightly::last_good(&history, &history_dir, name).cloned();
        let (summary, dir) = rt.block_on(run_plan(plan, &now))?;
        write_stdout(&report::terminal_table(&summary));
        let ok = all_ok(&summary);
        let regressed = match &baseline {
            Some(b) if ok => Some(nightly::compare_with_baseline(
                &dir,
                &history_dir.join(&b.dir),
                &diff_options,
            )?),
            _ => None,
        };
        if let (Some(r), Some(b)) = (regressed, &baseline) {
            eprintln!(
                "{name}: compared with {}: {}",
                b.dir,
                if r { "REGRESSION" } else { "no regression" }
            );
        }
        let rel = dir
            .strip_prefix(&history_dir)
            .map_or_else(|_| dir.display().to_string(), |p| p.display().to_string());
        nightly::append_history(
            &history_dir,
            &HistoryEntry {
                suite: suite.name.clone(),
                run: name.clone(),
                created_utc: summary.created_utc.clone(),
                dir: rel,
                status: if ok {
                    EngineStatus::Ok
                } else {
                    EngineStatus::Failed
                },
                baseline: baseline.map(|b| b.dir),
                regressed,
                medians: nightly::medians(&summary),
            },
        )?;
        if !ok || regressed == Some(true) {
            worst = ExitCode::from(1);
        }
    }
    let history = nightly::read_history(&history_dir)?;
    let report_path = history_dir.join("nightly-report.md");
    let mut markdown = nightly::history_markdown(&suite.name, &history);
    for (name, chart) in nightly::trend_figures(&suite.name, &history) {
        crate::report::export::write_chart(&chart, &history_dir, &name)?;
        let _ = write!(markdown, "![{name}]({name}.png)\n\n");
    }
    store::write_text(&report_path, &markdown)?;
    eprintln!("nightly report: {}", report_path.display());
    Ok(worst)
}
