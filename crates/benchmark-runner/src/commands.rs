//! The commands: each validates its input into a plan, then runs it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use comfy_table::{Table, presets};
use shared_protocol::{EngineId, LoadPattern};

use crate::catalog::{self, EngineKind};
use crate::cli::{CommandResult, CompareArgs, ListEnginesArgs, ReportArgs};
use crate::error::{Failure, usage};
use crate::execute::{self, RunContext};
use crate::locate::Locator;
use crate::manifest::{self, Manifest};
use crate::plan::{self, Plan};
use crate::progress::Bars;
use crate::store::{self, EngineRun, RunDir, SampleRow};
use crate::summary::{self, RunSummary};
use crate::{inputs, report, workload};

/// `list-engines`.
pub fn list_engines(args: &ListEnginesArgs) -> CommandResult {
    let locator = Locator::from_env();
    let rows: Vec<serde_json::Value> = EngineId::ALL
        .iter()
        .map(|&id| {
            let entry = catalog::entry(id);
            let path = locator.find(&entry);
            serde_json::json!({
                "engine": id,
                "worker": entry.worker,
                "built": path.is_some(),
                "path": path.map(|p| p.display().to_string()),
                "in_workspace": catalog::has_package(id),
                "devices": entry.devices,
            })
        })
        .collect();
    if args.json {
        let text = serde_json::to_string_pretty(&rows).context("serialize")?;
        write_stdout(&text);
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_header(["engine", "worker", "built", "devices"]);
    for (row, &id) in rows.iter().zip(EngineId::ALL.iter()) {
        let built = if !catalog::has_package(id) {
            "not in this workspace".to_owned()
        } else if row["built"] == true {
            "yes".to_owned()
        } else {
            "no (built on first use)".to_owned()
        };
        let devices: Vec<&str> = catalog::entry(id).devices.iter().map(|d| d.as_str()).collect();
        table.add_row([
            id.to_string(),
            catalog::entry(id).worker.to_owned(),
            built,
            devices.join(", "),
        ]);
    }
    write_stdout(&table.to_string());
    Ok(ExitCode::SUCCESS)
}

fn write_stdout(text: &str) {
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

/// `compare`.
pub fn compare(args: &CompareArgs) -> CommandResult {
    let now = jiff::Timestamp::now();
    let plan = plan::compare_plan(args, &now)?;
    runtime()?.block_on(run_compare(&plan, &now))
}

async fn run_compare(plan: &Plan, now: &jiff::Timestamp) -> CommandResult {
    let locator = Locator::from_env();
    let needs_model = plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).kind == EngineKind::InProcess);
    let inputs = inputs::prepare(plan, needs_model)?;
    let prepared = execute::preflight(plan, inputs.model.as_ref(), &locator).await?;

    // Everything is validated: from here on, results are written.
    let hellos: BTreeMap<String, _> = prepared
        .iter()
        .map(|p| (p.plan.label.clone(), p.hello.clone()))
        .collect();
    let plan_json = serde_json::to_value(plan).context("serialize plan")?;
    let manifest = manifest::new_manifest(&plan.name, now, hellos, plan_json, crate::host::info());
    let mut dir = RunDir::create(&plan.out_dir, &manifest)?;
    eprintln!("results: {}", dir.path().display());

    let requests = workload::build(&plan.workload, &inputs.prompts, inputs.chat, plan.seed);
    let labels: Vec<String> = plan.engines.iter().map(|e| e.label.clone()).collect();
    let per_engine =
        u64::from(plan.workload.requests + plan.workload.warmup) * u64::from(plan.repetitions);
    let bars = Bars::new(&labels, per_engine);
    let load = LoadPattern::Closed { concurrency: 1 };
    let ctx = RunContext {
        plan,
        model: inputs.model.as_ref(),
        requests: &requests,
        load: &load,
        bars: &bars,
    };
    let runs = execute::execute(&ctx, &prepared, &mut dir).await?;
    drop(bars);

    let summary = render(dir.path(), &manifest, u64::from(plan.workload.requests), &runs)?;
    write_stdout(&report::terminal_table(&summary));
    Ok(exit_for(&summary))
}

/// Compute the summary from the stored rows and write `summary.json`, `summary.csv` and
/// `report.md`.
fn render(
    dir: &Path,
    manifest: &Manifest,
    planned_per_rep: u64,
    runs: &[EngineRun],
) -> anyhow::Result<RunSummary> {
    let mut rows: Vec<SampleRow> = store::read_jsonl(&dir.join("samples.jsonl"))?;
    if dir.join("warmup.jsonl").is_file() {
        rows.extend(store::read_jsonl::<SampleRow>(&dir.join("warmup.jsonl"))?);
    }
    let summary = summary::summarize_run(manifest, planned_per_rep, &rows, runs);
    store::write_json(&dir.join("summary.json"), &summary)?;
    store::write_text(&dir.join("summary.csv"), &report::summary_csv(&summary))?;
    store::write_text(&dir.join("report.md"), &report::report_md(&summary, manifest))?;
    Ok(summary)
}

fn exit_for(summary: &RunSummary) -> ExitCode {
    if summary.engines.values().all(|e| e.status == "ok") {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `report DIR`.
pub fn report(args: &ReportArgs) -> CommandResult {
    let dir = &args.dir;
    if !dir.join("manifest.json").is_file() {
        return Err(usage(format!(
            "{} is not a run directory (no manifest.json)",
            dir.display()
        )));
    }
    let manifest: Manifest = store::read_json(&dir.join("manifest.json"))?;
    let runs: Vec<EngineRun> = if dir.join("runs.jsonl").is_file() {
        store::read_jsonl(&dir.join("runs.jsonl"))?
    } else {
        Vec::new()
    };
    let planned = manifest
        .plan
        .pointer("/workload/requests")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    let summary = render(dir, &manifest, planned, &runs)?;
    write_stdout(&report::terminal_table(&summary));
    Ok(exit_for(&summary))
}

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
pub fn diff(args: &crate::cli::DiffArgs) -> CommandResult {
    use crate::cli::DiffFormat;
    use crate::diff::{DIFF_HEADERS, DiffOptions, diff_markdown, diff_rows};
    let mut options = DiffOptions::default();
    if let Some(names) = &args.metrics {
        options.metrics = names
            .iter()
            .map(|n| n.parse().map_err(usage))
            .collect::<Result<_, _>>()?;
    }
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(usage(format!("--alpha must be within (0, 1), got {}", args.alpha)));
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
    let base: Vec<SampleRow> = store::read_jsonl(&base_dir.join("samples.jsonl"))?;
    let cand: Vec<SampleRow> = store::read_jsonl(&cand_dir.join("samples.jsonl"))?;
    let report = crate::diff::diff(
        &base_dir.display().to_string(),
        &base,
        &cand_dir.display().to_string(),
        &cand,
        &options,
    );
    let markdown = diff_markdown(&report);
    if let Some(path) = &args.markdown {
        std::fs::write(path, &markdown)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    match args.format {
        DiffFormat::Markdown => write_stdout(&markdown),
        DiffFormat::Json => write_stdout(&serde_json::to_string_pretty(&report).context("serialize")?),
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
        return Err(usage("nothing to compare: the runs share no engine with successful requests"));
    }
    Ok(if report.regressed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
