//! Records the candle version this worker links (from the workspace's Cargo.lock) as
//! `CANDLE_VERSION`, so the handshake names the framework version, not this crate's.

use std::path::Path;

fn main() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let version = std::fs::read_to_string(&lock)
        .ok()
        .and_then(|text| candle_version(&text))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CANDLE_VERSION={version}");
}

fn candle_version(lock: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"candle-core\"" {
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
