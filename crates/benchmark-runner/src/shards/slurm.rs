//! Slurm: the shards as one array job (`array.sbatch`, task `i` is shard `i`), the merge as a
//! job that waits for every task to succeed (`merge.sbatch`), and `submit.sh`, which submits
//! both.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Failure, usage};
use crate::shards::command::{self, Word};
use crate::shards::{Layout, Rendered};

/// The shell variable holding the task's shard index in `array.sbatch`.
const INDEX_VAR: &str = "shard";

/// Slurm settings beside the layout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlurmOptions {
    /// `--partition`; the cluster's default partition when `None`.
    pub partition: Option<String>,
    /// `--time` (Slurm's time format, e.g. `2:00:00`); the partition's default when `None`.
    pub time: Option<String>,
    /// `--cpus-per-task`; Slurm's default (1) when `None`.
    pub cpus: Option<u32>,
    /// The directory the jobs start in (`--chdir`), absolute.
    pub chdir: PathBuf,
    /// The directory of the jobs' output files (`--output`), absolute.
    pub logs: PathBuf,
}

/// An sbatch script: `#SBATCH` options, then the shell lines that run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbatch {
    /// Option name (without `--`) and value, one `#SBATCH` line each.
    pub options: Vec<(&'static str, String)>,
    /// Shell lines after `set -euo pipefail`.
    pub body: Vec<String>,
}

impl Sbatch {
    /// The script's text.
    pub fn render(&self) -> String {
        let mut out = String::from("#!/bin/bash\n");
        for (name, value) in &self.options {
            let _ = writeln!(out, "#SBATCH --{name}={}", directive_value(value));
        }
        out.push_str("set -euo pipefail\n");
        for line in &self.body {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// A value as sbatch reads it from an `#SBATCH` line: sbatch's own rules, not a shell's (it
/// splits at spaces outside double quotes, takes `\` as an escape and `#` as a comment), so
/// anything beyond plain characters goes in double quotes with `"` and `\` escaped.
pub fn directive_value(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.,:/=+@%".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_owned();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A path in an `--output` pattern: `%` doubled, so Slurm takes it literally.
fn output_pattern(dir: &Path, file: &str) -> Result<String, Failure> {
    let dir = dir
        .to_str()
        .ok_or_else(|| usage(format!("path {} is not UTF-8", dir.display())))?;
    Ok(format!("{}/{file}", dir.replace('%', "%%")))
}

fn utf8(path: &Path) -> Result<String, Failure> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| usage(format!("path {} is not UTF-8", path.display())))
}

/// The options both jobs share: name, directory, resources other than GPUs.
fn common_options(
    name: String,
    options: &SlurmOptions,
) -> Result<Vec<(&'static str, String)>, Failure> {
    let mut out = vec![("job-name", name), ("ntasks", "1".to_owned())];
    if let Some(cpus) = options.cpus {
        out.push(("cpus-per-task", cpus.to_string()));
    }
    if let Some(time) = &options.time {
        out.push(("time", time.clone()));
    }
    if let Some(partition) = &options.partition {
        out.push(("partition", partition.clone()));
    }
    out.push(("chdir", utf8(&options.chdir)?));
    Ok(out)
}

/// `array.sbatch`: one array task per shard, each running `shard` (words that may use the
/// shard's index).
pub fn array_script(
    layout: &Layout,
    options: &SlurmOptions,
    shard: &[Word],
) -> Result<Sbatch, Failure> {
    let mut opts = common_options(layout.name.clone(), options)?;
    opts.insert(
        1,
        ("array", format!("0-{}", layout.shards.saturating_sub(1))),
    );
    if layout.gpus > 0 {
        opts.push(("gres", format!("gpu:{}", layout.gpus)));
    }
    opts.push(("output", output_pattern(&options.logs, "shard-%A_%a.out")?));
    Ok(Sbatch {
        options: opts,
        body: vec![
            format!("{INDEX_VAR}=${{SLURM_ARRAY_TASK_ID:?not run as a Slurm array task}}"),
            format!(
                "echo \"shard ${{{INDEX_VAR}}} of {} on $(hostname)\"",
                layout.shards
            ),
            format!("exec {}", command::to_shell(shard, INDEX_VAR)?),
        ],
    })
}

/// `merge.sbatch`: one task running `merge`.
pub fn merge_script(
    layout: &Layout,
    options: &SlurmOptions,
    merge: &[Word],
) -> Result<Sbatch, Failure> {
    if merge.iter().any(Word::has_index) {
        return Err(usage("the merge command cannot use a shard index"));
    }
    let mut opts = common_options(format!("{}-merge", layout.name), options)?;
    opts.push(("output", output_pattern(&options.logs, "merge-%j.out")?));
    Ok(Sbatch {
        options: opts,
        body: vec![format!("exec {}", command::to_shell(merge, INDEX_VAR)?)],
    })
}

/// `submit.sh`: submits the array, then the merge to start once every task succeeded, and
/// prints both job ids.
pub fn submit_script() -> String {
    [
        "#!/bin/bash",
        "# Submits the shards as one array job, then the merge, which starts once every shard",
        "# succeeded (afterok on the array job waits for all its tasks).",
        "set -euo pipefail",
        "cd \"$(dirname \"$0\")\"",
        "jid=$(sbatch --parsable array.sbatch)",
        "jid=${jid%%;*}",
        "echo \"shards: job $jid\"",
        "mid=$(sbatch --parsable --dependency=afterok:\"$jid\" merge.sbatch)",
        "echo \"merge: job ${mid%%;*}\"",
        "",
    ]
    .join("\n")
}

/// The three files, from the contract's commands.
pub fn render(layout: &Layout, options: &SlurmOptions) -> Result<Vec<Rendered>, Failure> {
    render_with(
        layout,
        options,
        &command::shard_command(layout),
        &command::merge_command(layout),
    )
}

/// The three files with the given shard and merge commands.
pub fn render_with(
    layout: &Layout,
    options: &SlurmOptions,
    shard: &[Word],
    merge: &[Word],
) -> Result<Vec<Rendered>, Failure> {
    layout.validate()?;
    Ok(vec![
        Rendered {
            name: "array.sbatch",
            text: array_script(layout, options, shard)?.render(),
            executable: false,
        },
        Rendered {
            name: "merge.sbatch",
            text: merge_script(layout, options, merge)?.render(),
            executable: false,
        },
        Rendered {
            name: "submit.sh",
            text: submit_script(),
            executable: true,
        },
    ])
}
