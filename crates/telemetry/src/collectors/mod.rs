//! The telemetry sources: one module per kind of hardware interface.

pub mod amd;
pub mod apple;
pub mod host_cpu;
pub mod nvml;
pub mod powermetrics;
pub mod procfs;
pub mod rapl;

use crate::collector::Collector;

/// What probing one kind of source found: the collectors that work, and why others do not.
#[derive(Default)]
pub struct Found {
    /// Working collectors.
    pub collectors: Vec<Box<dyn Collector>>,
    /// One line per source that is missing or unreadable.
    pub problems: Vec<String>,
}
