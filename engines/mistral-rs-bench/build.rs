//! Records the mistral.rs version this worker links (from the workspace's Cargo.lock) as
//! `MISTRALRS_VERSION`, so the handshake names the engine's version, not this crate's.

#[path = "../build_support/locked_version.rs"]
mod locked_version;

fn main() {
    locked_version::export("mistralrs", "MISTRALRS_VERSION");
}
