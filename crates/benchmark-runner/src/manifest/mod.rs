//! `manifest.json`: the plan, the engines as they announced themselves, the host, the source
//! revision and build profile: everything needed to know what a run measured.

use std::collections::BTreeMap;
use std::process::Command;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared_protocol::Hello;

use crate::metrics::METRICS_VERSION;

/// Version of the results layout (manifest, samples, runs, summary).
pub const SCHEMA_VERSION: u32 = 1;

/// The manifest of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub metrics_version: u32,
    pub protocol_version: u32,
    pub name: String,
    pub created_utc: String,
    pub runner_version: String,
    pub build_profile: String,
    pub git: Option<GitInfo>,
    pub host: Value,
    /// Each engine's handshake, by engine id.
    pub engines: BTreeMap<String, Hello>,
    /// The validated plan as run.
    pub plan: Value,
}

/// Source revision of the workspace the runner was run from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GitInfo {
    pub revision: String,
    pub dirty: bool,
}

/// `release` or `debug`, for the runner itself.
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// The git revision of `dir`, when it is a git checkout and git is installed.
pub fn git_info(dir: &std::path::Path) -> Option<GitInfo> {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let revision = run(&["rev-parse", "HEAD"])?;
    let dirty =
        run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(GitInfo { revision, dirty })
}

/// Build a manifest.
pub fn new_manifest(
    name: &str,
    created_utc: &jiff::Timestamp,
    engines: BTreeMap<String, Hello>,
    plan: Value,
    host: Value,
) -> Manifest {
    let git = crate::locate::workspace_root().and_then(|ws| git_info(&ws));
    Manifest {
        schema_version: SCHEMA_VERSION,
        metrics_version: METRICS_VERSION,
        protocol_version: shared_protocol::PROTOCOL_VERSION,
        name: name.to_owned(),
        created_utc: created_utc.to_string(),
        runner_version: env!("CARGO_PKG_VERSION").to_owned(),
        build_profile: build_profile().to_owned(),
        git,
        host,
        engines,
        plan,
    }
}
