//! `shards render`: a campaign's shards as Slurm or Kubernetes files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{CommandResult, Scheduler, ShardsCommand, ShardsRenderArgs};
use crate::commands::write_stdout;
use crate::error::{Failure, usage};
use crate::shards::kubernetes::{self, KubernetesOptions};
use crate::shards::slurm::{self, SlurmOptions};
use crate::shards::{self as sh, Campaign, Layout, Rendered};

pub fn run(command: &ShardsCommand) -> CommandResult {
    match command {
        ShardsCommand::Render(args) => render(args),
    }
}

fn absolute(path: &Path) -> Result<PathBuf, Failure> {
    std::path::absolute(path).map_err(|e| usage(format!("cannot resolve {}: {e}", path.display())))
}

/// Refuse options of the other scheduler, naming the first one given.
fn refuse_foreign(scheduler: &str, given: &[(&str, bool)]) -> Result<(), Failure> {
    match given.iter().find(|(_, set)| *set) {
        Some((name, _)) => Err(usage(format!("{name} does not apply to {scheduler}"))),
        None => Ok(()),
    }
}

fn render(args: &ShardsRenderArgs) -> CommandResult {
    if !args.campaign.is_file() {
        return Err(usage(format!(
            "campaign {} not found",
            args.campaign.display()
        )));
    }
    let campaign = sh::read_campaign(&args.campaign)?;
    let name = match &args.name {
        Some(n) => {
            let name = sh::job_name(n);
            if name != *n {
                return Err(usage(format!(
                    "--name {n:?}: use lowercase letters, digits and '-' (e.g. {name})"
                )));
            }
            name
        }
        None => sh::job_name(
            args.campaign
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default(),
        ),
    };
    let gpus = args.gpus_per_shard.unwrap_or(u32::from(campaign.wants_gpu));
    let files = match args.scheduler {
        Scheduler::Slurm => render_slurm(args, &campaign, name, gpus)?,
        Scheduler::Kubernetes => render_kubernetes(args, &campaign, name, gpus)?,
    };
    sh::write_all(&args.out, &files)?;
    for file in &files {
        write_stdout(&args.out.join(file.name).display().to_string());
    }
    Ok(ExitCode::SUCCESS)
}

fn render_slurm(
    args: &ShardsRenderArgs,
    campaign: &Campaign,
    name: String,
    gpus: u32,
) -> Result<Vec<Rendered>, Failure> {
    refuse_foreign(
        "slurm",
        &[
            ("--image", args.image.is_some()),
            ("--namespace", args.namespace.is_some()),
            ("--results-claim", args.results_claim.is_some()),
        ],
    )?;
    let cwd = std::env::current_dir()
        .map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
    let results = match &args.results {
        Some(r) => absolute(r)?,
        None => cwd.join("results").join("shards").join(&name),
    };
    let runner = match &args.runner {
        Some(r) => absolute(r)?,
        None => std::env::current_exe()
            .map_err(|e| anyhow::anyhow!("cannot find this binary's path: {e}"))?,
    };
    let out = absolute(&args.out)?;
    let layout = Layout {
        name,
        shards: args.shards,
        campaign: campaign.path.clone(),
        results,
        runner,
        gpus,
    };
    let options = SlurmOptions {
        partition: args.partition.clone(),
        time: args.time.clone(),
        cpus: args.cpus_per_shard,
        chdir: cwd,
        logs: out.join("logs"),
    };
    let files = slurm::render(&layout, &options)?;
    // Slurm opens the output files before a task starts, in a directory that must exist.
    std::fs::create_dir_all(&options.logs)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", options.logs.display()))?;
    Ok(files)
}

fn render_kubernetes(
    args: &ShardsRenderArgs,
    campaign: &Campaign,
    name: String,
    gpus: u32,
) -> Result<Vec<Rendered>, Failure> {
    refuse_foreign(
        "kubernetes",
        &[
            ("--partition", args.partition.is_some()),
            ("--time", args.time.is_some()),
        ],
    )?;
    let Some(image) = args.image.clone() else {
        return Err(usage("a kubernetes render needs --image"));
    };
    let Some(results_claim) = args.results_claim.clone() else {
        return Err(usage(
            "a kubernetes render needs --results-claim (a PersistentVolumeClaim for the results)",
        ));
    };
    let layout = Layout {
        name,
        shards: args.shards,
        campaign: PathBuf::from(kubernetes::campaign_path(campaign)),
        results: args
            .results
            .clone()
            .unwrap_or_else(|| PathBuf::from(kubernetes::DEFAULT_RESULTS)),
        runner: args
            .runner
            .clone()
            .unwrap_or_else(|| PathBuf::from(kubernetes::DEFAULT_RUNNER)),
        gpus,
    };
    let options = KubernetesOptions {
        image,
        namespace: args.namespace.clone(),
        results_claim,
        cpus: args.cpus_per_shard,
    };
    kubernetes::render(&layout, campaign, &options)
}
