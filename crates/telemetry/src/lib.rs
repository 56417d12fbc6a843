//! Power, energy, memory and clock telemetry for benchmark runs.
//!
//! A run detects its collectors ([`detect()`]), measures an idle baseline
//! ([`idle::measure_idle`]), starts the sampler thread ([`sampler::start`]) around the measured
//! work and stops it to get a [`Series`]. Energy per window, per request and per run
//! ([`energy`]), validity flags ([`flags`]) and peaks are pure functions over that series.
//! Timestamps are host `CLOCK_MONOTONIC` nanoseconds, the clock the engine workers use.
//!
//! Sources: NVIDIA GPUs through NVML, AMD GPUs through amdgpu hwmon, CPU packages and DRAM
//! through RAPL powercap, process memory and the host's CPU time through procfs, Apple Silicon through `powermetrics`,
//! and remote hosts through the `energy-monitor` binary ([`remote`]). The NVML path is tested on
//! the CPU through nvml-wrapper against a stand-in driver library (`tests/support/fake_nvml.c`),
//! not yet on an NVIDIA GPU; the sysfs and procfs collectors are tested against fixture trees.
//!
//! Layout:
//! - [`collector`], [`reading`]: the `Collector` trait and what it returns.
//! - [`collectors`]: one module per source; [`detect()`] picks them for a [`TelemetryKind`].
//! - [`sampler`]: the polling thread; [`series`]: its output and `telemetry.jsonl` lines.
//! - [`energy`]: counter interpolation, power integration, request attribution, run figures.
//! - [`idle`]: idle baseline after a cooldown; [`flags`]: run validity; [`quiet`]: whether the
//!   host was quiet; [`host`]: host facts.
//! - [`remote`]: the HTTP stream behind `energy-monitor` and its client collector.

pub mod clock;
pub mod collector;
pub mod collectors;
pub mod counter;
pub mod detect;
pub mod energy;
pub mod flags;
pub mod host;
pub mod idle;
pub mod kind;
pub mod quiet;
pub mod reading;
pub mod remote;
pub mod sampler;
pub mod series;
pub mod sysfs;
pub mod throttle;

pub use clock::mono_ns;
pub use collector::Collector;
pub use detect::{DetectError, Detected, Roots, detect};
pub use flags::{Finding, FlagKind, FlagRules, Flags};
pub use host::{DeviceInfo, HostInfo, host_info};
pub use idle::{IdleBaseline, IdleConfig, measure_idle};
pub use kind::TelemetryKind;
pub use quiet::HostRules;
pub use reading::{CpuTicks, Domain, ProcessUse, Reading, StaticInfo};
pub use sampler::{Finished, SamplerConfig, SamplerHandle};
pub use series::{Channel, Point, Series};
