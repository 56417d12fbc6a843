//! NVIDIA GPUs through NVML (`nvml-wrapper`, which loads `libnvidia-ml.so.1` at run time, so
//! building and running without a GPU or driver works: initialisation failing means "not
//! available").
//!
//! How NVML measures, as observed on an H100:
//! - `nvmlDeviceGetTotalEnergyConsumption` (millijoules since the driver loaded, Volta and newer)
//!   updates about every 100 ms; energy windows shorter than a few updates cannot be resolved.
//! - One read costs about 3 ms (up to 100 ms under load), which is why reads happen only on the
//!   sampler thread.
//! - `nvmlDeviceGetPowerUsage` is a one-second average on Hopper and under-counts bursty energy by
//!   about 14%: it is recorded, but never integrated for energy while the counter exists.
//!
//! Not yet run on an NVIDIA GPU. On the CPU it runs through nvml-wrapper and the driver's C
//! interface against a stand-in `libnvidia-ml.so.1` (`tests/support/fake_nvml.c`, driven by
//! `tests/telemetry.rs`): device facts, the energy counter's units and updates, throttle
//! reasons, clocks and processes.

use std::sync::OnceLock;

use nvml_wrapper::bitmasks::device::ThrottleReasons;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::{Device, Nvml};

use crate::collector::Collector;
use crate::collectors::Found;
use crate::counter::CounterUnwrap;
use crate::reading::{Domain, ProcessUse, Reading, StaticInfo};
use crate::throttle;

/// NVML, initialised once per process and kept for its lifetime: devices borrow it, and
/// initialising it again for every collector would cost a driver round trip each time.
static NVML: OnceLock<Result<Nvml, String>> = OnceLock::new();

fn nvml() -> Result<&'static Nvml, String> {
    NVML.get_or_init(|| {
        Nvml::init().map_err(|e| match e {
            nvml_wrapper::error::NvmlError::LibloadingError(_) => {
                "no NVIDIA driver (libnvidia-ml.so.1 not found)".to_owned()
            }
            nvml_wrapper::error::NvmlError::DriverNotLoaded => {
                "NVIDIA driver not loaded (NVML init failed)".to_owned()
            }
            other => format!("NVML init failed: {other}"),
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// One NVIDIA GPU.
pub struct NvmlCollector {
    name: String,
    device: Device<'static>,
    energy: CounterUnwrap,
}

/// A collector for every GPU NVML lists.
pub fn discover() -> Found {
    let mut found = Found::default();
    let nvml = match nvml() {
        Ok(n) => n,
        Err(reason) => {
            found.problems.push(reason);
            return found;
        }
    };
    let count = match nvml.device_count() {
        Ok(c) => c,
        Err(e) => {
            found
                .problems
                .push(format!("NVML device count failed: {e}"));
            return found;
        }
    };
    for index in 0..count {
        match nvml.device_by_index(index) {
            Ok(device) => found.collectors.push(Box::new(NvmlCollector {
                name: format!("nvml:{index}"),
                device,
                energy: CounterUnwrap::new(None),
            })),
            Err(e) => found.problems.push(format!("NVML device {index}: {e}")),
        }
    }
    if count == 0 {
        found.problems.push("NVML lists no GPU".to_owned());
    }
    found
}

/// Throttle reason bits and their spellings.
const THROTTLE_NAMES: [(ThrottleReasons, &str); 9] = [
    (ThrottleReasons::GPU_IDLE, throttle::GPU_IDLE),
    (
        ThrottleReasons::APPLICATIONS_CLOCKS_SETTING,
        throttle::APPLICATIONS_CLOCKS,
    ),
    (ThrottleReasons::SW_POWER_CAP, throttle::SW_POWER_CAP),
    (ThrottleReasons::HW_SLOWDOWN, throttle::HW_SLOWDOWN),
    (ThrottleReasons::SYNC_BOOST, throttle::SYNC_BOOST),
    (
        ThrottleReasons::SW_THERMAL_SLOWDOWN,
        throttle::SW_THERMAL_SLOWDOWN,
    ),
    (
        ThrottleReasons::HW_THERMAL_SLOWDOWN,
        throttle::HW_THERMAL_SLOWDOWN,
    ),
    (
        ThrottleReasons::HW_POWER_BRAKE_SLOWDOWN,
        throttle::HW_POWER_BRAKE_SLOWDOWN,
    ),
    (
        ThrottleReasons::DISPLAY_CLOCK_SETTING,
        throttle::DISPLAY_CLOCK_SETTING,
    ),
];

fn throttle_names(reasons: ThrottleReasons) -> Vec<String> {
    THROTTLE_NAMES
        .iter()
        .filter(|(bit, _)| reasons.contains(*bit))
        .map(|(_, name)| (*name).to_owned())
        .collect()
}

fn milli(v: u32) -> f64 {
    f64::from(v) / 1e3
}

impl Collector for NvmlCollector {
    fn name(&self) -> &str {
        &self.name
    }

    fn domain(&self) -> Domain {
        Domain::Gpu
    }

    fn static_info(&mut self) -> StaticInfo {
        let d = &self.device;
        let nvml = nvml().ok();
        let cuda_version = nvml
            .and_then(|n| n.sys_cuda_driver_version().ok())
            .map(|v| {
                format!(
                    "{}.{}",
                    nvml_wrapper::cuda_driver_version_major(v),
                    nvml_wrapper::cuda_driver_version_minor(v)
                )
            });
        let energy_counter = d.total_energy_consumption().is_ok();
        let mut notes = vec![
            "power_w is NVML's power average (one second on Hopper); energy comes from the \
             total energy counter (updates about every 100 ms)"
                .to_owned(),
        ];
        if !energy_counter {
            notes.push("no energy counter (pre-Volta?): energy is integrated power".to_owned());
        }
        StaticInfo {
            device_name: d.name().ok(),
            device_id: d.uuid().ok(),
            driver_version: nvml.and_then(|n| n.sys_driver_version().ok()),
            cuda_version,
            power_limit_w: d.enforced_power_limit().ok().map(milli),
            default_power_limit_w: d.power_management_limit_default().ok().map(milli),
            max_sm_clock_mhz: d.max_clock_info(Clock::SM).ok(),
            max_mem_clock_mhz: d.max_clock_info(Clock::Memory).ok(),
            mem_total_bytes: d.memory_info().ok().map(|m| m.total),
            mig_enabled: d.mig_mode().ok().map(|m| m.current != 0),
            energy_counter,
            notes,
        }
    }

    fn read(&mut self) -> Reading {
        let d = &self.device;
        let energy = d.total_energy_consumption();
        let utilization = d.utilization_rates().ok();
        let memory = d.memory_info().ok();
        let processes = d
            .running_compute_processes()
            .map(|ps| {
                ps.into_iter()
                    .map(|p| ProcessUse {
                        pid: p.pid,
                        used_bytes: match p.used_gpu_memory {
                            UsedGpuMemory::Used(b) => Some(b),
                            UsedGpuMemory::Unavailable => None,
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        Reading {
            energy_j: energy
                .as_ref()
                .ok()
                .map(|&mj| self.energy.update(mj) as f64 / 1e3),
            power_w: d.power_usage().ok().map(milli),
            gpu_util_pct: utilization.as_ref().map(|u| f64::from(u.gpu)),
            mem_util_pct: utilization.as_ref().map(|u| f64::from(u.memory)),
            mem_used_bytes: memory.as_ref().map(|m| m.used),
            mem_total_bytes: memory.as_ref().map(|m| m.total),
            sm_clock_mhz: d.clock_info(Clock::SM).ok(),
            mem_clock_mhz: d.clock_info(Clock::Memory).ok(),
            temperature_c: d.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
            power_limit_w: d.enforced_power_limit().ok().map(milli),
            throttle_reasons: d
                .current_throttle_reasons()
                .map(throttle_names)
                .unwrap_or_default(),
            processes,
            observed_ns: None,
            rss_bytes: None,
            error: energy.err().map(|e| format!("energy counter: {e}")),
            ..Reading::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_bits_map_to_names() {
        let names = throttle_names(ThrottleReasons::SW_POWER_CAP | ThrottleReasons::GPU_IDLE);
        assert_eq!(names, vec![throttle::GPU_IDLE, throttle::SW_POWER_CAP]);
    }

    #[test]
    fn discovery_without_a_driver_reports_a_reason() {
        let found = discover();
        if found.collectors.is_empty() {
            assert!(!found.problems.is_empty(), "no GPU and no reason");
        }
    }
}
