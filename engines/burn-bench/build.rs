//! Records the burn version this worker links (from the workspace's Cargo.lock) as
//! `BURN_VERSION`, so the handshake names the framework version, not this crate's.

#[path = "../build_support/locked_version.rs"]
mod locked_version;

fn main() {
    locked_version::export("burn", "BURN_VERSION");
}
