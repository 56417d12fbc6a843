//! What built a worker binary: the flags the runner passed to cargo when it built one, kept in a
//! small file beside the binary and believed only while the binary is unchanged. A binary the
//! runner did not build has unknown flags.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

/// Which build of a worker an engine run wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// The generic target (what `cargo build --release -p <worker>` gives).
    Generic,
    /// This host's instruction set (`-C target-cpu=native`), in a target directory of its own.
    Native,
}

/// The rustc flag a native build adds.
pub const NATIVE_RUSTFLAGS: [&str; 2] = ["-C", "target-cpu=native"];

/// The build of a worker binary, as far as the runner knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerBinary {
    pub path: PathBuf,
    /// `None`: not built by the runner (found on the search path), so its flags are unknown.
    pub build: Option<BuildFlags>,
}

/// What the runner passed to cargo when it built a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildFlags {
    pub profile: String,
    pub features: Vec<String>,
    /// Flags the runner added (`-C target-cpu=native`), empty for a generic build.
    pub rustflags: Vec<String>,
    /// The user's `RUSTFLAGS` in force at the build, kept beside the runner's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherited_rustflags: Option<String>,
    /// The CPU `target-cpu=native` resolved to, as rustc names it (`znver4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_cpu: Option<String>,
}

impl BuildFlags {
    /// One line for reports: `-C target-cpu=native (znver4), features cuda`.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if self.rustflags.is_empty() {
            parts.push("generic target".to_owned());
        } else {
            let cpu = self
                .target_cpu
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            parts.push(format!("{}{cpu}", self.rustflags.join(" ")));
        }
        if let Some(user) = &self.inherited_rustflags {
            parts.push(format!("RUSTFLAGS {user}"));
        }
        if !self.features.is_empty() {
            parts.push(format!("features {}", self.features.join(",")));
        }
        format!("{} build, {}", self.profile, parts.join(", "))
    }
}

impl WorkerBinary {
    /// One line for reports.
    pub fn flags_line(&self) -> String {
        self.build.as_ref().map_or_else(
            || "unknown flags (not built by the runner)".to_owned(),
            |b| format!("built by the runner: {}", b.line()),
        )
    }
}

/// The file beside a binary that records how the runner built it.
#[derive(Debug, Serialize, Deserialize)]
struct Stamp {
    flags: BuildFlags,
    binary_bytes: u64,
    binary_modified_ns: u128,
}

fn stamp_path(binary: &Path) -> PathBuf {
    let mut name = binary.file_name().unwrap_or_default().to_owned();
    name.push(".build.json");
    binary.with_file_name(name)
}

fn identity(binary: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(binary).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), modified.as_nanos()))
}

/// Record that the runner built `binary` with `flags`.
pub fn write_stamp(binary: &Path, flags: &BuildFlags) -> std::io::Result<()> {
    let (binary_bytes, binary_modified_ns) =
        identity(binary).ok_or_else(|| std::io::Error::other("binary has no metadata"))?;
    let stamp = Stamp {
        flags: flags.clone(),
        binary_bytes,
        binary_modified_ns,
    };
    let text = serde_json::to_string_pretty(&stamp).map_err(std::io::Error::other)?;
    std::fs::write(stamp_path(binary), text)
}

/// `binary` and what built it: the runner's record when one exists and the binary has not
/// changed since (another `cargo build` rewrites it), else unknown flags.
pub fn describe(binary: &Path) -> WorkerBinary {
    let build = std::fs::read_to_string(stamp_path(binary))
        .ok()
        .and_then(|t| serde_json::from_str::<Stamp>(&t).ok())
        .filter(|s| identity(binary) == Some((s.binary_bytes, s.binary_modified_ns)))
        .map(|s| s.flags);
    WorkerBinary {
        path: binary.to_owned(),
        build,
    }
}

/// The user's rustflags from the environment, as cargo would read them (`CARGO_ENCODED_RUSTFLAGS`
/// first, separated by 0x1f, then `RUSTFLAGS`), joined by spaces.
pub fn inherited_rustflags() -> Option<String> {
    if let Some(encoded) = std::env::var_os("CARGO_ENCODED_RUSTFLAGS") {
        let s = encoded.to_string_lossy().replace('\u{1f}', " ");
        return (!s.trim().is_empty()).then_some(s);
    }
    std::env::var("RUSTFLAGS")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The CPU `target-cpu=native` means on this host, from `rustc --print target-cpus`.
pub fn native_cpu_name() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = std::process::Command::new(rustc)
        .args(["--print", "target-cpus"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("native"))?;
    let (_, rest) = line.split_once("currently ")?;
    Some(rest.trim_end_matches(['.', ')', ' ']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> BuildFlags {
        BuildFlags {
            profile: "release".into(),
            features: vec![],
            rustflags: NATIVE_RUSTFLAGS.map(str::to_owned).to_vec(),
            inherited_rustflags: None,
            target_cpu: Some("znver4".into()),
        }
    }

    #[test]
    fn a_stamp_holds_while_the_binary_is_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("w");
        std::fs::write(&bin, b"one").expect("write");
        assert_eq!(describe(&bin).build, None, "no stamp: unknown flags");
        write_stamp(&bin, &flags()).expect("stamp");
        assert_eq!(describe(&bin).build, Some(flags()));
        // Another build rewrites the binary: the record no longer describes it.
        std::fs::write(&bin, b"another build").expect("rewrite");
        assert_eq!(describe(&bin).build, None);
    }

    #[test]
    fn lines_name_the_flags_or_say_they_are_unknown() {
        let b = WorkerBinary {
            path: "x".into(),
            build: Some(flags()),
        };
        assert_eq!(
            b.flags_line(),
            "built by the runner: release build, -C target-cpu=native (znver4)"
        );
        let unknown = WorkerBinary {
            path: "x".into(),
            build: None,
        };
        assert!(unknown.flags_line().starts_with("unknown flags"));
    }
}
