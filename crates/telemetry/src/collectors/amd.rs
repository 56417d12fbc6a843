//! AMD GPUs through the amdgpu hwmon interface in sysfs.
//!
//! Per card, `/sys/class/drm/cardN/device/hwmon/hwmonM/` offers `power1_average` or
//! `power1_input` (microwatts), `energy1_input` (microjoules, newer kernels and boards only),
//! `temp1_input` (millidegrees), `freq1_input`/`freq2_input` (SCLK/MCLK in hertz) and
//! `power1_cap` (microwatts); the card's `device/` directory offers `mem_info_vram_used`,
//! `mem_info_vram_total` and `gpu_busy_percent`.

use std::path::{Path, PathBuf};

use crate::collector::Collector;
use crate::collectors::Found;
use crate::counter::CounterUnwrap;
use crate::reading::{Domain, Reading, StaticInfo};
use crate::sysfs::{self, read_u64_opt};

/// One amdgpu card.
pub struct AmdCollector {
    name: String,
    card: String,
    device: PathBuf,
    hwmon: PathBuf,
    driver_version: Option<String>,
    energy: CounterUnwrap,
}

/// Every card under `<sys>/class/drm` whose hwmon is named `amdgpu`.
pub fn discover(sys_root: &Path) -> Found {
    let drm = sys_root.join("class/drm");
    let mut found = Found::default();
    let driver_version = sysfs::read_trimmed(&sys_root.join("module/amdgpu/version")).ok();
    let cards: Vec<PathBuf> = sysfs::entries_with_prefix(&drm, "card")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("card"))
                .is_some_and(|idx| !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    for card in cards {
        let device = card.join("device");
        for hwmon in sysfs::entries_with_prefix(&device.join("hwmon"), "hwmon") {
            if sysfs::read_trimmed(&hwmon.join("name")).is_ok_and(|n| n == "amdgpu") {
                let card_name = card
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                found.collectors.push(Box::new(AmdCollector {
                    name: format!("amd:{card_name}"),
                    card: card_name,
                    device: device.clone(),
                    hwmon,
                    driver_version: driver_version.clone(),
                    energy: CounterUnwrap::new(None),
                }));
            }
        }
    }
    if found.collectors.is_empty() {
        found
            .problems
            .push(format!("no amdgpu hwmon under {}", drm.display()));
    }
    found
}

impl AmdCollector {
    fn hw(&self, file: &str) -> Option<u64> {
        read_u64_opt(&self.hwmon.join(file))
    }

    fn dev(&self, file: &str) -> Option<u64> {
        read_u64_opt(&self.device.join(file))
    }
}

fn micro(v: u64) -> f64 {
    v as f64 / 1e6
}

fn hz_to_mhz(v: u64) -> u32 {
    (v / 1_000_000) as u32
}

impl Collector for AmdCollector {
    fn name(&self) -> &str {
        &self.name
    }

    fn domain(&self) -> Domain {
        Domain::Gpu
    }

    fn static_info(&mut self) -> StaticInfo {
        let has_energy = self.hw("energy1_input").is_some();
        let device_name = sysfs::read_trimmed(&self.device.join("product_name"))
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("amdgpu {}", self.card));
        let device_id = sysfs::read_trimmed(&self.device.join("uevent"))
            .ok()
            .and_then(|u| {
                u.lines()
                    .find_map(|l| l.strip_prefix("PCI_SLOT_NAME=").map(str::to_owned))
            });
        let mut notes = Vec::new();
        if !has_energy {
            notes.push("no energy1_input: energy is integrated from power1_average".to_owned());
        }
        StaticInfo {
            device_name: Some(device_name),
            device_id,
            driver_version: self.driver_version.clone(),
            power_limit_w: self.hw("power1_cap").map(micro),
            default_power_limit_w: self.hw("power1_cap_default").map(micro),
            mem_total_bytes: self.dev("mem_info_vram_total"),
            energy_counter: has_energy,
            notes,
            ..StaticInfo::default()
        }
    }

    fn read(&mut self) -> Reading {
        let power = self
            .hw("power1_average")
            .or_else(|| self.hw("power1_input"));
        let energy = self.hw("energy1_input");
        let mut reading = Reading {
            energy_j: energy.map(|uj| micro(self.energy.update(uj))),
            power_w: power.map(micro),
            temperature_c: self.hw("temp1_input").map(|m| m as f64 / 1e3),
            sm_clock_mhz: self.hw("freq1_input").map(hz_to_mhz),
            mem_clock_mhz: self.hw("freq2_input").map(hz_to_mhz),
            power_limit_w: self.hw("power1_cap").map(micro),
            gpu_util_pct: self.dev("gpu_busy_percent").map(|p| p as f64),
            mem_util_pct: self.dev("mem_busy_percent").map(|p| p as f64),
            mem_used_bytes: self.dev("mem_info_vram_used"),
            mem_total_bytes: self.dev("mem_info_vram_total"),
            ..Reading::default()
        };
        if power.is_none() && energy.is_none() {
            reading.error = Some(format!(
                "{}: neither power1_average, power1_input nor energy1_input readable",
                self.hwmon.display()
            ));
        }
        reading
    }
}
