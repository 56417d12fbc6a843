//! The one trait every telemetry source implements.

use crate::reading::{Domain, Reading, StaticInfo};

/// A telemetry source for one device (a GPU, a CPU package, a process).
///
/// Reads may be slow (an NVML read costs milliseconds), so they run only on the sampler thread,
/// never inside a timed region.
pub trait Collector: Send {
    /// Unique name within a run, `source:device` (`nvml:0`, `rapl:package-0`, `rss:4242`).
    fn name(&self) -> &str;

    /// What this collector measures.
    fn domain(&self) -> Domain;

    /// Facts about the device for the manifest; called once, before sampling starts.
    fn static_info(&mut self) -> StaticInfo;

    /// Read the current values. A failure is a reading with [`Reading::error`] set, never a panic.
    fn read(&mut self) -> Reading;

    /// Every reading available since the last call; the sampler calls this. Sources that
    /// buffer (a remote stream) return all they received, each with [`Reading::observed_ns`].
    fn read_batch(&mut self) -> Vec<Reading> {
        vec![self.read()]
    }
}
