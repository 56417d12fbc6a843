//! Finding worker binaries, and building a missing one on demand with cargo.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::catalog::EngineEntry;

/// Where worker binaries are looked for, in order.
#[derive(Debug, Clone)]
pub struct Locator {
    dirs: Vec<PathBuf>,
    workspace: Option<PathBuf>,
}

/// Why a worker binary is not available.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error(
        "worker {worker} is not part of this workspace yet (engine {engine} is listed but has no worker)"
    )]
    NoPackage { engine: String, worker: String },
    #[error(
        "worker {worker} not found in {searched} and no cargo workspace to build it from; build it with `cargo build --release -p {worker}` or set BENCH_WORKER_DIR"
    )]
    NotFound { worker: String, searched: String },
    #[error(
        "building {worker} failed ({status}); run `cargo build --release -p {worker}` to see why"
    )]
    BuildFailed { worker: String, status: String },
    #[error("cannot run cargo to build {worker}: {source}")]
    Cargo {
        worker: String,
        source: std::io::Error,
    },
}

impl Locator {
    /// The default search path: `$BENCH_WORKER_DIR`, the runner's own directory, then the
    /// workspace's `target/release` and `target/debug`.
    pub fn from_env() -> Locator {
        let mut dirs = Vec::new();
        if let Some(d) = std::env::var_os("BENCH_WORKER_DIR") {
            dirs.extend(std::env::split_paths(&d));
        }
        if let Some(d) = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            dirs.push(d);
        }
        let workspace = workspace_root();
        if let Some(ws) = &workspace {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| ws.join("target"), PathBuf::from);
            dirs.push(target.join("release"));
            dirs.push(target.join("debug"));
        }
        dirs.dedup();
        Locator { dirs, workspace }
    }

    /// The first existing binary for `entry`.
    pub fn find(&self, entry: &EngineEntry) -> Option<PathBuf> {
        self.dirs
            .iter()
            .map(|d| d.join(exe_name(entry.worker)))
            .find(|p| p.is_file())
    }

    /// The binary for `entry`, building it (release) when missing. Says so on stderr.
    pub fn ensure(&self, entry: &EngineEntry, features: &[&str]) -> Result<PathBuf, LocateError> {
        let Some(package) = entry.package else {
            return Err(LocateError::NoPackage {
                engine: entry.id.to_string(),
                worker: entry.worker.to_owned(),
            });
        };
        if let Some(p) = self.find(entry) {
            return Ok(p);
        }
        let Some(ws) = &self.workspace else {
            return Err(LocateError::NotFound {
                worker: entry.worker.to_owned(),
                searched: self.searched(),
            });
        };
        eprintln!(
            "worker {} is not built: building it now (cargo build --release -p {}); the first build of an engine can take minutes",
            entry.worker, package
        );
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(ws)
            .args(["build", "--release", "-p", package, "--bin", entry.worker]);
        if !features.is_empty() {
            cmd.arg("--features").arg(features.join(","));
        }
        // Cargo's progress goes to our stderr; stdout stays clean.
        cmd.stdout(std::process::Stdio::null());
        let status = cmd.status().map_err(|source| LocateError::Cargo {
            worker: entry.worker.to_owned(),
            source,
        })?;
        if !status.success() {
            return Err(LocateError::BuildFailed {
                worker: entry.worker.to_owned(),
                status: status.to_string(),
            });
        }
        self.find(entry).ok_or_else(|| LocateError::NotFound {
            worker: entry.worker.to_owned(),
            searched: self.searched(),
        })
    }

    fn searched(&self) -> String {
        self.dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The workspace root the runner builds workers in, when there is one.
    pub fn workspace(&self) -> Option<&Path> {
        self.workspace.as_deref()
    }
}

fn exe_name(worker: &str) -> String {
    format!("{worker}{}", std::env::consts::EXE_SUFFIX)
}

/// The source workspace: the one this runner was built from if it still exists, else the first
/// ancestor of the current directory with a `[workspace]` Cargo.toml.
pub fn workspace_root() -> Option<PathBuf> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = std::iter::once(built_from).chain(
        std::env::current_dir()
            .ok()
            .into_iter()
            .flat_map(|d| d.ancestors().map(Path::to_path_buf).collect::<Vec<_>>()),
    );
    for dir in candidates {
        let manifest = dir.join("Cargo.toml");
        if std::fs::read_to_string(&manifest).is_ok_and(|t| t.contains("[workspace]"))
            && dir.join("crates/benchmark-runner").is_dir()
        {
            return dir.canonicalize().ok().or(Some(dir));
        }
    }
    None
}
