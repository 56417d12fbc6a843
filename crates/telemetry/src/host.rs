//! Facts about the host for the run manifest: CPU, memory, OS, kernel, and each device's static
//! information from the collectors.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::collector::Collector;
use crate::detect::Roots;
use crate::reading::{Domain, StaticInfo};
use crate::sysfs;

/// The host a run measured on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    /// Host name.
    pub hostname: Option<String>,
    /// `PRETTY_NAME` from `os-release`.
    pub os: Option<String>,
    /// Kernel name and release (`Linux 6.8.0-45-generic`).
    pub kernel: Option<String>,
    /// CPU architecture this binary was built for.
    pub arch: String,
    /// CPU model name.
    pub cpu_model: Option<String>,
    /// Logical CPUs (hardware threads).
    pub cpu_logical_cores: Option<usize>,
    /// Physical cores.
    pub cpu_physical_cores: Option<usize>,
    /// Installed memory.
    pub memory_total_bytes: Option<u64>,
    /// Each collector's device.
    pub devices: Vec<DeviceInfo>,
}

/// One collector's device in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Collector name.
    pub collector: String,
    /// What it measures.
    pub domain: Domain,
    /// What it said about its device.
    #[serde(flatten)]
    pub info: StaticInfo,
}

/// Host facts read under `roots`, with the static information of `collectors`' devices.
pub fn host_info(roots: &Roots, collectors: &mut [Box<dyn Collector>]) -> HostInfo {
    let cpuinfo = sysfs::read_trimmed(&roots.proc.join("cpuinfo")).unwrap_or_default();
    let kernel_file = |name: &str| sysfs::read_trimmed(&roots.proc.join("sys/kernel").join(name));
    let kernel = match (kernel_file("ostype"), kernel_file("osrelease")) {
        (Ok(name), Ok(release)) => Some(format!("{name} {release}")),
        (Err(_), Ok(release)) => Some(release),
        _ => None,
    };
    let logical = cpuinfo
        .lines()
        .filter(|l| key_of(l) == Some("processor"))
        .count();
    HostInfo {
        hostname: kernel_file("hostname").ok(),
        os: sysfs::read_trimmed(&roots.etc.join("os-release"))
            .ok()
            .and_then(|text| os_release_pretty_name(&text)),
        kernel,
        arch: std::env::consts::ARCH.to_owned(),
        cpu_model: cpuinfo
            .lines()
            .find(|l| key_of(l) == Some("model name"))
            .and_then(value_of),
        cpu_logical_cores: if logical > 0 {
            Some(logical)
        } else {
            std::thread::available_parallelism().ok().map(usize::from)
        },
        cpu_physical_cores: physical_cores(&cpuinfo),
        memory_total_bytes: sysfs::read_trimmed(&roots.proc.join("meminfo"))
            .ok()
            .and_then(|m| {
                let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(kib * 1024)
            }),
        devices: collectors
            .iter_mut()
            .map(|c| DeviceInfo {
                collector: c.name().to_owned(),
                domain: c.domain(),
                info: c.static_info(),
            })
            .collect(),
    }
}

fn key_of(line: &str) -> Option<&str> {
    line.split_once(':').map(|(k, _)| k.trim())
}

fn value_of(line: &str) -> Option<String> {
    line.split_once(':').map(|(_, v)| v.trim().to_owned())
}

/// Distinct (physical id, core id) pairs; `None` when cpuinfo lacks core ids (most ARM kernels).
fn physical_cores(cpuinfo: &str) -> Option<usize> {
    let mut cores = BTreeSet::new();
    for block in cpuinfo.split("\n\n") {
        let field = |name: &str| {
            block
                .lines()
                .find(|l| key_of(l) == Some(name))
                .and_then(value_of)
        };
        if let Some(core) = field("core id") {
            cores.insert((field("physical id").unwrap_or_default(), core));
        }
    }
    (!cores.is_empty()).then_some(cores.len())
}

fn os_release_pretty_name(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hyperthreads_once_per_core() {
        let cpuinfo = "processor\t: 0\nphysical id\t: 0\ncore id\t: 0\n\n\
                       processor\t: 1\nphysical id\t: 0\ncore id\t: 0\n\n\
                       processor\t: 2\nphysical id\t: 0\ncore id\t: 1\n";
        assert_eq!(physical_cores(cpuinfo), Some(2));
        assert_eq!(physical_cores("processor : 0\n"), None);
    }

    #[test]
    fn pretty_name_loses_its_quotes() {
        let text = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            os_release_pretty_name(text).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }
}
