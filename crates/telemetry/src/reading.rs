//! What one read of one collector returns, and what a collector says about its device once.
//!
//! Every field is optional: a collector fills what its source offers and leaves the rest `None`.

use serde::{Deserialize, Serialize};

/// What a collector measures, so callers can pick the GPU, the CPU package or a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    /// A whole GPU (NVML device, amdgpu card).
    Gpu,
    /// A CPU package (RAPL `package-N`).
    CpuPackage,
    /// DRAM attached to a CPU package (RAPL `dram`).
    Dram,
    /// A whole system on a chip (Apple Silicon: CPU + GPU + ANE).
    Soc,
    /// One process (resident memory from procfs).
    Process,
    /// The host's CPUs as a whole: time spent by everything on them, and by the benchmark's own
    /// processes (procfs).
    Host,
}

/// Cumulative CPU time of the host, in clock ticks summed over every CPU (`/proc/stat`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuTicks {
    /// Every state except guest time (already counted as user time).
    pub total: u64,
    /// Working: user, nice, system, irq and softirq.
    pub busy: u64,
    /// Stolen by the hypervisor for other guests.
    pub steal: u64,
    /// Taken by the benchmark's own process tree (the runner and its workers, reaped children
    /// included); `None` when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own: Option<u64>,
    /// Logical CPUs counted.
    pub cpus: u32,
}

/// A process seen on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessUse {
    /// Process id as the driver reports it (host pid namespace).
    pub pid: u32,
    /// Device memory the process holds, where the driver says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_bytes: Option<u64>,
}

/// One read of one collector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reading {
    /// Cumulative energy since the collector started, counter wrap-around already unwrapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_j: Option<f64>,
    /// Power as the source reports it (often an average over the source's own window).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_w: Option<f64>,
    /// Busy percentage of the compute engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu_util_pct: Option<f64>,
    /// Busy percentage of the memory interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_util_pct: Option<f64>,
    /// Device memory in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_used_bytes: Option<u64>,
    /// Device memory in total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_total_bytes: Option<u64>,
    /// Resident set size of a process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_bytes: Option<u64>,
    /// Graphics / SM clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sm_clock_mhz: Option<u32>,
    /// Memory clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_clock_mhz: Option<u32>,
    /// Device temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<f64>,
    /// Power limit in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_limit_w: Option<f64>,
    /// Active clock throttle reasons, in the spelling of [`crate::throttle`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub throttle_reasons: Vec<String>,
    /// Processes using the device.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<ProcessUse>,
    /// Host CPU time so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_ticks: Option<CpuTicks>,
    /// CPU frequency governors in force, each named once (`performance`, `powersave`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cpu_governors: Vec<String>,
    /// When the values were observed, where the collector knows better than the moment it was
    /// read (a remote stream); the sampler stamps the sample with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_ns: Option<u64>,
    /// Why some or all fields are missing from this read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Reading {
    /// A reading that carries only a failure.
    pub fn failed(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::default()
        }
    }
}

/// What a collector knows about its device once, for the run manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StaticInfo {
    /// Device name ("NVIDIA H100 80GB HBM3", "package-0").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// Stable device id where there is one (GPU UUID, PCI address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Kernel driver version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_version: Option<String>,
    /// Highest CUDA version the driver supports ("12.4").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cuda_version: Option<String>,
    /// Power limit in force when the collector started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_limit_w: Option<f64>,
    /// Default power limit of the board.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_power_limit_w: Option<f64>,
    /// Highest SM clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sm_clock_mhz: Option<u32>,
    /// Highest memory clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_mem_clock_mhz: Option<u32>,
    /// Device memory in total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_total_bytes: Option<u64>,
    /// Whether MIG mode is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mig_enabled: Option<bool>,
    /// Whether the source has a cumulative energy counter (otherwise energy is integrated power).
    pub energy_counter: bool,
    /// Anything else worth knowing about how this source measures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
