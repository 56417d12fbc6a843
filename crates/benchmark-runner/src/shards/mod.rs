//! A campaign split into shards on a cluster scheduler: the files that submit it to Slurm (an
//! array job, then a merge job) or Kubernetes (an Indexed Job, then a merge Job).
//!
//! Every scheduler runs the same commands ([`command::shard_command`] and
//! [`command::merge_command`]); a scheduler module only says how its tasks get their index and
//! resources. Nothing here submits anything.

pub mod command;
pub mod kubernetes;
pub mod slurm;

use std::path::{Path, PathBuf};

use crate::error::{Failure, usage};

/// Where a sharded campaign's pieces are, as the nodes see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Job name: lowercase letters, digits and `-` (a Kubernetes name and a Slurm job name).
    pub name: String,
    /// Number of shards, at least 1.
    pub shards: u32,
    /// The campaign file.
    pub campaign: PathBuf,
    /// The directory holding `shard-<i>` and `merged`.
    pub results: PathBuf,
    /// The `benchmark-runner` binary.
    pub runner: PathBuf,
    /// GPUs each shard asks for.
    pub gpus: u32,
}

impl Layout {
    /// Check what every scheduler needs: at least one shard, paths a command line can hold.
    pub fn validate(&self) -> Result<(), Failure> {
        if self.shards < 1 {
            return Err(usage("--shards must be at least 1"));
        }
        for (what, path) in [
            ("campaign", &self.campaign),
            ("--results", &self.results),
            ("--runner", &self.runner),
        ] {
            let text = path
                .to_str()
                .ok_or_else(|| usage(format!("{what} path {} is not UTF-8", path.display())))?;
            if text.contains(['\n', '\r', '\0']) {
                return Err(usage(format!(
                    "{what} path {text:?} holds a line break or NUL"
                )));
            }
        }
        Ok(())
    }
}

/// A campaign file as read on this machine.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// Its path, absolute.
    pub path: PathBuf,
    /// Its file name.
    pub file_name: String,
    /// Its text.
    pub text: String,
    /// Whether it runs on a CUDA device: `device` in `[base]`, or in `[vary].device`.
    pub wants_gpu: bool,
}

/// Read a campaign file: it must exist and be TOML; only `device` is looked at here.
pub fn read_campaign(path: &Path) -> Result<Campaign, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read campaign {}: {e}", path.display())))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        usage(format!(
            "campaign {} is not valid TOML: {}",
            path.display(),
            // toml's message can span lines ("invalid table header\nexpected ..."): one line.
            e.message().lines().collect::<Vec<_>>().join("; ")
        ))
    })?;
    let path = std::path::absolute(path)
        .map_err(|e| usage(format!("cannot resolve {}: {e}", path.display())))?;
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            usage(format!(
                "campaign path {} has no UTF-8 file name",
                path.display()
            ))
        })?
        .to_owned();
    Ok(Campaign {
        wants_gpu: wants_gpu(&table),
        path,
        file_name,
        text,
    })
}

/// Whether a campaign names a CUDA device in `[base].device` or `[vary].device` (a string or
/// a list of them).
pub fn wants_gpu(campaign: &toml::Table) -> bool {
    let is_cuda = |v: &toml::Value| v.as_str().is_some_and(|s| s.starts_with("cuda"));
    let device = |section: &str| campaign.get(section).and_then(|s| s.get("device"));
    [device("base"), device("vary")]
        .into_iter()
        .flatten()
        .any(|v| match v {
            toml::Value::Array(items) => items.iter().any(is_cuda),
            other => is_cuda(other),
        })
}

/// A job name from free text: lowercase ASCII letters and digits, runs of anything else as one
/// `-`, at most 40 characters (room for Kubernetes' suffixes within 63); `campaign` when nothing
/// is left.
pub fn job_name(text: &str) -> String {
    let mut name = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    name.truncate(40);
    let name = name.trim_matches('-');
    if name.is_empty() {
        "campaign".to_owned()
    } else {
        name.to_owned()
    }
}

/// A rendered file: its name in the output directory, its text, whether it is executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// File name.
    pub name: &'static str,
    /// Contents.
    pub text: String,
    /// Written with mode 0755 instead of 0644.
    pub executable: bool,
}

/// Write rendered files into `dir` (created when missing), replacing files of the same name.
pub fn write_all(dir: &Path, files: &[Rendered]) -> Result<(), Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!("--out {} is not a directory", dir.display())));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    for file in files {
        let path = dir.join(file.name);
        std::fs::write(&path, &file.text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if file.executable { 0o755 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .map_err(|e| anyhow::anyhow!("cannot set the mode of {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
