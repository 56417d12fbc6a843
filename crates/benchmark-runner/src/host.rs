//! The host description recorded in the manifest.

/// What the manifest says about this machine.
pub fn info() -> serde_json::Value {
    serde_json::json!({
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "logical_cpus": std::thread::available_parallelism().map(std::num::NonZero::get).ok(),
    })
}
