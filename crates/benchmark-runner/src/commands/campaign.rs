//! `campaign run FILE` / `campaign run --resume DIR` / `campaign report DIR`: every
//! experiment validated first, then the runs in the campaign's order through the same
//! [`run_plan`] `compare` uses, with cool-downs between them, `campaign.json` rewritten after
//! each change of state, and the campaign report at the end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::compare::{Signals, continue_run};
use super::{all_ok, run_plan, runtime, write_stdout};
use crate::campaign::cooldown::{self, Thermometer};
use crate::campaign::grid::{self, Experiment};
use crate::campaign::record::{self, CampaignInterruption, CampaignManifest, Status};
use crate::campaign::{Campaign, Cooldown, order, report, resume};
use crate::cli::{CampaignCommand, CampaignRunArgs, CommandResult};
use crate::error::{Failure, usage};
use crate::settings::ShardSpec;
use crate::store;
use crate::summary::RunSummary;

/// `campaign ...`.
pub fn run(command: &CampaignCommand) -> CommandResult {
    match command {
        CampaignCommand::Run(args) => run_campaign(args),
        CampaignCommand::Report { dir } => {
            let m = record::read(dir).map_err(|e| usage(format!("{e:#}")))?;
            let s = report::write(dir, &m)?;
            write_stdout(&format!(
                "{} rows: {}",
                s.rows.len(),
                dir.join("campaign-report.md").display()
            ));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Everything a campaign's runs need, validated.
struct Prepared {
    campaign: Campaign,
    experiments: Vec<Experiment>,
    dir: PathBuf,
    manifest: CampaignManifest,
    verbose: bool,
}

fn run_campaign(args: &CampaignRunArgs) -> CommandResult {
    let now = jiff::Timestamp::now();
    let prepared = match &args.resume {
        Some(dir) => prepare_resume(args, dir, &now)?,
        None => prepare_new(args, &now)?,
    };
    let rt = runtime()?;
    rt.block_on(drive(prepared))
}

/// A new campaign: the file read, the grid validated, the directory created.
fn prepare_new(args: &CampaignRunArgs, now: &jiff::Timestamp) -> Result<Prepared, Failure> {
    let Some(file) = &args.file else {
        return Err(usage(
            "campaign run needs a campaign FILE (or --resume DIR)",
        ));
    };
    let mut campaign = Campaign::read(file)?;
    campaign.file.base.shard = args.shard.or(campaign.file.base.shard);
    let experiments = grid::expand(&campaign, now, args.verbose)?;
    let runnable = experiments.iter().filter(|e| e.plan.is_some()).count();
    if runnable == 0 {
        return Err(usage(format!(
            "campaign {}: no experiment can run: {}",
            campaign.name(),
            experiments
                .first()
                .and_then(Experiment::skip_reason)
                .unwrap_or_default()
        )));
    }
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("results").join(format!(
            "{}-{}",
            now.strftime("%Y%m%dT%H%M%SZ"),
            campaign.name()
        ))
    });
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(usage(format!(
            "campaign directory {} is not empty; choose another --out (or --resume it)",
            dir.display()
        )));
    }
    let f = &campaign.file;
    let turns = order::schedule(f.order, runnable, f.cycles, f.seed);
    let mut manifest = record::new_manifest(&campaign, &experiments, &turns, now);
    manifest.shard = campaign.file.base.shard.as_ref().map(ToString::to_string);
    std::fs::create_dir_all(dir.join("runs"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    store::write_text(&dir.join("campaign.toml"), &campaign.text)?;
    manifest.write(&dir)?;
    Ok(Prepared {
        campaign,
        experiments,
        dir,
        manifest,
        verbose: args.verbose,
    })
}

/// `--resume DIR`: the recorded campaign (or FILE, which must be the same), its manifest.
fn prepare_resume(
    args: &CampaignRunArgs,
    dir: &Path,
    now: &jiff::Timestamp,
) -> Result<Prepared, Failure> {
    let refuse = |e: String| usage(format!("--resume {}: {e}", dir.display()));
    let mut manifest = record::read(dir).map_err(|e| refuse(format!("{e:#}")))?;
    let shard: Option<ShardSpec> = manifest
        .shard
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| refuse(format!("its recorded shard {e}")))?;
    let mut recorded = Campaign::parse(&manifest.campaign_text).map_err(&refuse)?;
    recorded.file.base.shard = shard.or(recorded.file.base.shard);
    let recorded_experiments = grid::expand(&recorded, now, args.verbose)?;
    let (campaign, experiments) = match &args.file {
        Some(file) => {
            let mut campaign = Campaign::read(file)?;
            campaign.file.base.shard = shard.or(campaign.file.base.shard);
            let experiments = grid::expand(&campaign, now, args.verbose)?;
            if let Some(d) =
                resume::difference(&manifest, &recorded_experiments, &campaign, &experiments)
            {
                return Err(refuse(d));
            }
            (campaign, experiments)
        }
        None => (recorded, recorded_experiments),
    };
    manifest.interrupted = None;
    manifest.resumed_utc.push(now.to_string());
    manifest.write(dir)?;
    Ok(Prepared {
        campaign,
        experiments,
        dir: dir.to_path_buf(),
        manifest,
        verbose: args.verbose,
    })
}

/// How one run ended.
enum Ran {
    Finished(Box<RunSummary>),
    Failed(String),
}

/// The runs still to do, in order, each after its cool-down; the report at the end.
#[allow(
    clippy::too_many_lines,
    reason = "one run's life read top to bottom: signal check, cool-down, start, run, record"
)]
async fn drive(p: Prepared) -> CommandResult {
    let Prepared {
        campaign,
        experiments,
        dir,
        mut manifest,
        verbose,
    } = p;
    let name = campaign.name().to_owned();
    let mut signals = Signals::new()?;
    let mut thermometer = thermometer(&campaign, &experiments, &mut manifest);
    manifest.write(&dir)?;
    let total = manifest
        .runs
        .iter()
        .filter(|r| r.status != Status::Skipped)
        .count();
    let mut ran_before = false;
    for i in 0..manifest.runs.len() {
        let entry = manifest.runs[i].clone();
        if !matches!(
            entry.status,
            Status::Pending | Status::Running | Status::Interrupted
        ) {
            continue;
        }
        let Some(experiment) = experiments.iter().find(|e| e.id == entry.experiment) else {
            return Err(usage(format!(
                "campaign {name}: experiment {} of campaign.json is not in the campaign file",
                entry.experiment
            )));
        };
        let Some(plan) = &experiment.plan else {
            continue;
        };
        // A signal that came while nothing was running.
        let pending = tokio::select! {
            biased;
            s = signals.next() => Some(s),
            () = std::future::ready(()) => None,
        };
        if let Some(signal) = pending {
            return stop(&dir, &mut manifest, signal, None);
        }
        if ran_before {
            let gap = campaign.cooldown != (Cooldown::Fixed { seconds: 0.0 });
            if gap {
                eprintln!(
                    "campaign {name}: cooling down ({})",
                    describe(campaign.cooldown)
                );
            }
            let taken = tokio::select! {
                biased;
                s = signals.next() => return stop(&dir, &mut manifest, s, None),
                taken = cooldown::wait(campaign.cooldown, &mut thermometer) => taken,
            };
            if gap {
                eprintln!("campaign {name}: cooled down for {:.1} s", taken.seconds);
            }
            manifest.runs[i].cooldown = Some(taken);
        }
        ran_before = true;
        let rel = record::run_dir(&entry.experiment, entry.cycle);
        let run_path = dir.join(&rel);
        {
            let r = &mut manifest.runs[i];
            r.status = Status::Running;
            r.result = Some(rel.clone());
            r.start_utc = Some(jiff::Timestamp::now().to_string());
            r.end_utc = None;
            r.reason = None;
        }
        manifest.write(&dir)?;
        let position = 1 + manifest.runs[..i]
            .iter()
            .filter(|r| r.status != Status::Skipped)
            .count();
        eprintln!(
            "campaign {name}: run {position}/{total} ({}, cycle {})",
            experiment.describe(),
            entry.cycle
        );
        // Each run's manifest dates it by its own start.
        let started = jiff::Timestamp::now();
        let ran = if run_path.join("manifest.json").is_file() {
            Box::pin(continue_run(&run_path, &started, verbose)).await
        } else {
            set_aside(&run_path)?;
            let mut plan = plan.clone();
            plan.out_dir.clone_from(&run_path);
            plan.verbose = verbose;
            run_plan(&plan, &started).await
        };
        let ran = match ran {
            Ok((summary, _)) => Ran::Finished(Box::new(summary)),
            Err(e) => Ran::Failed(e.message()),
        };
        manifest.runs[i].end_utc = Some(jiff::Timestamp::now().to_string());
        match ran {
            Ran::Finished(summary) => {
                if let Some(i_) = summary
                    .continuity
                    .as_ref()
                    .and_then(|c| c.interrupted.as_ref())
                {
                    let signal = (signal_name(&i_.signal), i_.exit_code);
                    let during = format!("{}-c{}", entry.experiment, entry.cycle);
                    manifest.runs[i].status = Status::Interrupted;
                    manifest.runs[i].reason = Some(format!("stopped by {}", i_.signal));
                    return stop(&dir, &mut manifest, signal, Some(during));
                }
                write_stdout(&crate::report::terminal_table(&summary));
                if all_ok(&summary) {
                    manifest.runs[i].status = Status::Done;
                } else {
                    manifest.runs[i].status = Status::Failed;
                    manifest.runs[i].reason = Some(failures(&summary));
                }
            }
            Ran::Failed(message) => {
                eprintln!("campaign {name}: run {position}/{total} failed: {message}");
                manifest.runs[i].status = Status::Failed;
                manifest.runs[i].reason = Some(message);
            }
        }
        manifest.write(&dir)?;
    }
    report::write(&dir, &manifest)?;
    eprintln!(
        "campaign {name}: report {}",
        dir.join("campaign-report.md").display()
    );
    let failed = manifest.runs.iter().any(|r| r.status == Status::Failed);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The thermometer a temperature cool-down reads, its idle baseline read now on a first start
/// (and recorded) or taken from the manifest on a resume.
fn thermometer(
    campaign: &Campaign,
    experiments: &[Experiment],
    manifest: &mut CampaignManifest,
) -> Thermometer {
    if !matches!(campaign.cooldown, Cooldown::IdleTemperature { .. }) {
        return Thermometer::none();
    }
    let Some(plan) = experiments.iter().find_map(|e| e.plan.as_ref()) else {
        return Thermometer::none();
    };
    let sources = crate::energy::detect(&plan.telemetry).ok();
    if manifest.idle_temperature_c.is_empty() {
        let t = tokio::task::block_in_place(|| Thermometer::idle(sources));
        manifest.idle_temperature_c = t.baseline_c().clone();
        if manifest.idle_temperature_c.is_empty() {
            eprintln!(
                "campaign {}: no telemetry temperature: each cool-down waits its max_seconds",
                campaign.name()
            );
        }
        t
    } else {
        Thermometer::with_baseline(sources, manifest.idle_temperature_c.clone())
    }
}

/// A signal stopped the campaign: the manifest says so (and which run it stopped), the report
/// covers what finished, and the exit status is the signal's.
fn stop(
    dir: &Path,
    manifest: &mut CampaignManifest,
    (signal, exit_code): (&'static str, u8),
    during: Option<String>,
) -> CommandResult {
    eprintln!(
        "campaign {}: {signal}: stopped; continue with campaign run --resume {}",
        manifest.name,
        dir.display()
    );
    manifest.interrupted = Some(CampaignInterruption {
        signal: signal.to_owned(),
        exit_code,
        at_utc: jiff::Timestamp::now().to_string(),
        during,
    });
    manifest.write(dir)?;
    report::write(dir, manifest)?;
    Ok(ExitCode::from(exit_code))
}

/// A run directory left without a manifest (stopped before it measured anything) moved aside,
/// so the run starts in a fresh one.
fn set_aside(run_path: &Path) -> anyhow::Result<()> {
    if std::fs::read_dir(run_path).is_ok_and(|mut d| d.next().is_some()) {
        // Appended, not an extension: an experiment id may hold a dot (`r0.5`).
        let mut aside = run_path.as_os_str().to_owned();
        aside.push(format!(
            ".incomplete-{}",
            jiff::Timestamp::now().as_second()
        ));
        std::fs::rename(run_path, &aside)
            .with_context(|| format!("cannot move {} aside", run_path.display()))?;
    }
    Ok(())
}

/// The recorded signal name as the one [`Signals`] gives.
fn signal_name(name: &str) -> &'static str {
    if name == "SIGTERM" {
        "SIGTERM"
    } else {
        "SIGINT"
    }
}

/// Each failed engine's first failure, for the run's reason.
fn failures(summary: &RunSummary) -> String {
    summary
        .engines
        .values()
        .filter_map(|e| {
            let f = e.failures.first()?;
            Some(format!("{} failed: {}", e.label, f.message))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The cool-down rule in words.
fn describe(rule: Cooldown) -> String {
    match rule {
        Cooldown::Fixed { seconds } => format!("{seconds} s"),
        Cooldown::IdleTemperature {
            max_seconds,
            tolerance_c,
        } => format!(
            "until temperatures are within {tolerance_c} °C of idle, at most {max_seconds} s"
        ),
    }
}
