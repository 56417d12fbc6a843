//! Shared by the engines' build scripts (included with `#[path]`): the version of a package as
//! the workspace's `Cargo.lock` pins it, so a worker's handshake names the framework version it
//! links, not its own crate's.

use std::path::Path;

/// Emit `cargo:rustc-env={var}={version}` for `package` from `../../Cargo.lock` relative to the
/// crate being built ("unknown" when the lock file has no such package).
pub fn export(package: &str, var: &str) {
    let lock = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let version = std::fs::read_to_string(&lock)
        .ok()
        .and_then(|text| locked_version(&text, package))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env={var}={version}");
}

/// The first `version` given for `package` in a `Cargo.lock`'s text.
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let name = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name {
            let v = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(v.to_owned());
        }
    }
    None
}
