//! Finding worker binaries, and building a missing one on demand with cargo.
//!
//! A native build (this host's instruction set) lives in a target directory of its own,
//! `<target>/native`, so `cargo build --release -p <worker>` by a user never overwrites it nor
//! is overwritten by it; the runner refreshes it with cargo before each run, so it is always
//! built from the sources at hand. Every binary comes back with what built it
//! ([`WorkerBinary`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::catalog::EngineEntry;
use crate::worker_build::{self, BuildFlags, Flavour, NATIVE_RUSTFLAGS, WorkerBinary};

/// Where worker binaries are looked for, in order.
#[derive(Debug, Clone)]
pub struct Locator {
    /// `$BENCH_WORKER_DIR`: binaries chosen by the user (the gpu kit's), used as they are.
    chosen: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    workspace: Option<PathBuf>,
    target: Option<PathBuf>,
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
        let chosen: Vec<PathBuf> = std::env::var_os("BENCH_WORKER_DIR")
            .map(|d| std::env::split_paths(&d).collect())
            .unwrap_or_default();
        let mut dirs = chosen.clone();
        if let Some(d) = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            dirs.push(d);
        }
        let workspace = workspace_root();
        // Absolute, so cargo (run in the workspace) builds where the runner looks.
        let target = workspace.as_ref().map(|ws| {
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(
                || ws.join("target"),
                |t| std::path::absolute(&t).unwrap_or_else(|_| PathBuf::from(t)),
            )
        });
        if let Some(target) = &target {
            dirs.push(target.join("release"));
            dirs.push(target.join("debug"));
        }
        dirs.dedup();
        Locator {
            chosen,
            dirs,
            workspace,
            target,
        }
    }

    /// The first existing binary for `entry` on the search path.
    pub fn find(&self, entry: &EngineEntry) -> Option<PathBuf> {
        first_in(&self.dirs, entry.worker)
    }

    /// The target directory of native builds, when there is a workspace to build in.
    fn native_target(&self) -> Option<PathBuf> {
        self.workspace.as_ref()?;
        self.target.as_ref().map(|t| t.join("native"))
    }

    /// The binary an engine run of `flavour` uses, without building anything: a binary in
    /// `$BENCH_WORKER_DIR` first (the user's choice), then a native build where one is wanted
    /// and a workspace can make it, then the search path.
    pub fn resolve(&self, entry: &EngineEntry, flavour: Flavour) -> Option<WorkerBinary> {
        let path = first_in(&self.chosen, entry.worker).or_else(|| match flavour {
            Flavour::Native if self.native_target().is_some() => self
                .native_target()
                .map(|t| t.join("release").join(exe_name(entry.worker)))
                .filter(|p| p.is_file()),
            Flavour::Native | Flavour::Generic => self.find(entry),
        })?;
        Some(worker_build::describe(&path))
    }

    /// The binary for `entry` in `flavour`, building it (release) when missing; a native build
    /// is also brought up to date with the sources. Says so on stderr.
    pub fn ensure(
        &self,
        entry: &EngineEntry,
        features: &[&str],
        flavour: Flavour,
    ) -> Result<WorkerBinary, LocateError> {
        let Some(package) = entry.package else {
            return Err(LocateError::NoPackage {
                engine: entry.id.to_string(),
                worker: entry.worker.to_owned(),
            });
        };
        let found = self.resolve(entry, flavour);
        let chosen = found
            .as_ref()
            .is_some_and(|b| self.chosen.iter().any(|d| b.path.starts_with(d)));
        let native = match (flavour, self.native_target()) {
            (Flavour::Native, Some(t)) if !chosen => Some(t),
            _ => None,
        };
        if native.is_none()
            && let Some(found) = found
        {
            return Ok(found);
        }
        let Some(ws) = &self.workspace else {
            return Err(LocateError::NotFound {
                worker: entry.worker.to_owned(),
                searched: self.searched(),
            });
        };
        let generic_target = self.target.clone().unwrap_or_else(|| ws.join("target"));
        let build = Build {
            package,
            worker: entry.worker,
            features,
            native: native.as_deref(),
            generic_target: &generic_target,
            // A native build that exists is only refreshed: quiet unless cargo has work to do.
            quiet: found.is_some(),
        };
        let path = build.run(ws)?;
        Ok(worker_build::describe(&path))
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

/// One cargo build of a worker, generic or native.
struct Build<'a> {
    package: &'a str,
    worker: &'a str,
    features: &'a [&'a str],
    /// The target directory of a native build.
    native: Option<&'a Path>,
    /// The target directory of a generic build.
    generic_target: &'a Path,
    quiet: bool,
}

impl Build<'_> {
    /// Run cargo in `ws`; the built binary, stamped with the flags used.
    fn run(&self, ws: &Path) -> Result<PathBuf, LocateError> {
        let worker = self.worker.to_owned();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(ws).args([
            "build",
            "--release",
            "-p",
            self.package,
            "--bin",
            self.worker,
        ]);
        if !self.features.is_empty() {
            cmd.arg("--features").arg(self.features.join(","));
        }
        let inherited = worker_build::inherited_rustflags();
        let target = self.native.unwrap_or(self.generic_target);
        cmd.arg("--target-dir").arg(target);
        let out = target.join("release");
        let (rustflags, target_cpu) = if self.native.is_some() {
            if let Some(user) = &inherited {
                // Cargo takes RUSTFLAGS over any config: add to the user's flags, keeping them.
                cmd.env_remove("CARGO_ENCODED_RUSTFLAGS").env(
                    "RUSTFLAGS",
                    format!("{user} {}", NATIVE_RUSTFLAGS.join(" ")),
                );
            } else {
                let list = NATIVE_RUSTFLAGS.map(|f| format!("\"{f}\"")).join(", ");
                cmd.arg("--config")
                    .arg(format!("build.rustflags = [{list}]"));
            }
            (
                NATIVE_RUSTFLAGS.map(str::to_owned).to_vec(),
                worker_build::native_cpu_name(),
            )
        } else {
            (Vec::new(), None)
        };
        if self.quiet {
            cmd.arg("--quiet");
        } else {
            eprintln!(
                "worker {} is not built{}: building it now ({}); the first build of an engine can take minutes",
                self.worker,
                if self.native.is_some() {
                    " for this host's CPU"
                } else {
                    ""
                },
                describe_command(self, &out)
            );
        }
        // Cargo's progress goes to our stderr; stdout stays clean.
        cmd.stdout(std::process::Stdio::null());
        let status = cmd.status().map_err(|source| LocateError::Cargo {
            worker: worker.clone(),
            source,
        })?;
        if !status.success() {
            return Err(LocateError::BuildFailed {
                worker,
                status: status.to_string(),
            });
        }
        let path = out.join(exe_name(self.worker));
        if !path.is_file() {
            return Err(LocateError::NotFound {
                worker,
                searched: out.display().to_string(),
            });
        }
        let flags = BuildFlags {
            profile: "release".to_owned(),
            features: self.features.iter().map(|f| (*f).to_owned()).collect(),
            rustflags,
            inherited_rustflags: inherited,
            target_cpu,
        };
        if let Err(e) = worker_build::write_stamp(&path, &flags) {
            eprintln!(
                "warning: cannot record the build flags of {}: {e}",
                path.display()
            );
        }
        Ok(path)
    }
}

/// The cargo command of a build, as a user would type it.
fn describe_command(build: &Build<'_>, out: &Path) -> String {
    let features = if build.features.is_empty() {
        String::new()
    } else {
        format!(" --features {}", build.features.join(","))
    };
    let native = if build.native.is_some() {
        format!(
            " with {} into {}",
            NATIVE_RUSTFLAGS.join(" "),
            out.display()
        )
    } else {
        String::new()
    };
    format!(
        "cargo build --release -p {}{features}{native}",
        build.package
    )
}

fn first_in(dirs: &[PathBuf], worker: &str) -> Option<PathBuf> {
    dirs.iter()
        .map(|d| d.join(exe_name(worker)))
        .find(|p| p.is_file())
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

#[cfg(test)]
mod tests {
    use shared_protocol::EngineId;

    use super::*;
    use crate::catalog::entry;

    fn put(path: &Path) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, b"binary").expect("write");
    }

    fn locator(root: &Path, chosen: Vec<PathBuf>) -> Locator {
        let target = root.join("target");
        let mut dirs = chosen.clone();
        dirs.extend([target.join("release"), target.join("debug")]);
        Locator {
            chosen,
            dirs,
            workspace: Some(root.to_owned()),
            target: Some(target),
        }
    }

    #[test]
    fn a_native_run_uses_the_native_build_and_a_generic_one_the_user_s() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        let candle = entry(EngineId::Candle);
        let l = locator(root, Vec::new());
        let user = root.join("target/release/candle-bench");
        put(&user);
        assert_eq!(
            l.resolve(&candle, Flavour::Native),
            None,
            "a user's generic build is not the native one: the runner builds that"
        );
        let native = root.join("target/native/release/candle-bench");
        put(&native);
        let flags = BuildFlags {
            profile: "release".into(),
            features: Vec::new(),
            rustflags: NATIVE_RUSTFLAGS.map(str::to_owned).to_vec(),
            inherited_rustflags: None,
            target_cpu: None,
        };
        worker_build::write_stamp(&native, &flags).expect("stamp");
        let n = l.resolve(&candle, Flavour::Native).expect("native");
        assert_eq!((n.path, n.build), (native, Some(flags)));
        let g = l.resolve(&candle, Flavour::Generic).expect("generic");
        assert_eq!((g.path, g.build), (user, None));
    }

    #[test]
    fn binaries_the_user_chose_are_used_as_they_are() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let kit = tmp.path().join("kit");
        put(&kit.join("candle-bench"));
        put(&tmp.path().join("target/native/release/candle-bench"));
        let l = locator(tmp.path(), vec![kit.clone()]);
        for flavour in [Flavour::Native, Flavour::Generic] {
            let b = l.resolve(&entry(EngineId::Candle), flavour).expect("found");
            assert_eq!((b.path, b.build), (kit.join("candle-bench"), None));
        }
        // Found, so nothing is built.
        let b = l
            .ensure(&entry(EngineId::Candle), &[], Flavour::Native)
            .expect("the kit's binary");
        assert!(b.path.starts_with(&kit));
    }
}
