//! CPU package and DRAM energy from Intel/AMD RAPL through `/sys/class/powercap/intel-rapl:*`.
//!
//! Each zone has a cumulative `energy_uj` counter that wraps at `max_energy_range_uj`; the
//! collector unwraps it. Only `package-N` and `dram` zones are read: `core` and `uncore` are
//! parts of the package and would count twice. Since Linux 5.10 `energy_uj` is readable by root
//! only (CVE-2020-8694); run as root or relax the file mode to use this collector.

use std::path::{Path, PathBuf};

use crate::collector::Collector;
use crate::collectors::Found;
use crate::counter::CounterUnwrap;
use crate::reading::{Domain, Reading, StaticInfo};
use crate::sysfs;

/// One RAPL zone.
pub struct RaplCollector {
    name: String,
    zone_name: String,
    domain: Domain,
    energy_path: PathBuf,
    range_uj: Option<u64>,
    unwrap: CounterUnwrap,
}

impl RaplCollector {
    /// The collector for the zone directory `zone` (`.../intel-rapl:0`), after checking that
    /// its counter can be read; `Ok(None)` for zones that are not read (core, uncore).
    pub fn open(zone: &Path) -> Result<Option<Self>, sysfs::SysfsError> {
        let zone_name = sysfs::read_trimmed(&zone.join("name"))?;
        let package = package_index(zone);
        let (domain, name) = if zone_name.starts_with("package") {
            (Domain::CpuPackage, format!("rapl:{zone_name}"))
        } else if zone_name == "dram" {
            (Domain::Dram, format!("rapl:dram-{package}"))
        } else {
            return Ok(None);
        };
        let energy_path = zone.join("energy_uj");
        sysfs::read_u64(&energy_path)?;
        let range_uj = sysfs::read_u64_opt(&zone.join("max_energy_range_uj"));
        Ok(Some(Self {
            name,
            zone_name,
            domain,
            energy_path,
            range_uj,
            unwrap: CounterUnwrap::new(range_uj),
        }))
    }
}

/// Package number of a zone directory name (`intel-rapl:1:0` -> `1`).
fn package_index(zone: &Path) -> String {
    zone.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .and_then(|n| n.split(':').nth(1).map(str::to_owned))
        .unwrap_or_else(|| "0".to_owned())
}

/// Every readable package and DRAM zone under `<sys>/class/powercap`.
pub fn discover(sys_root: &Path) -> Found {
    let dir = sys_root.join("class/powercap");
    let zones = sysfs::entries_with_prefix(&dir, "intel-rapl:");
    let mut found = Found::default();
    if zones.is_empty() {
        found
            .problems
            .push(format!("no RAPL powercap zones in {}", dir.display()));
        return found;
    }
    for zone in zones {
        match RaplCollector::open(&zone) {
            Ok(Some(c)) => found.collectors.push(Box::new(c)),
            Ok(None) => {}
            Err(e) => found
                .problems
                .push(format!("no readable RAPL powercap ({e})")),
        }
    }
    found
}

impl Collector for RaplCollector {
    fn name(&self) -> &str {
        &self.name
    }

    fn domain(&self) -> Domain {
        self.domain
    }

    fn static_info(&mut self) -> StaticInfo {
        let mut notes = vec!["energy from the RAPL energy_uj counter".to_owned()];
        if self.range_uj.is_none() {
            notes.push("max_energy_range_uj unreadable: a decrease counts as a reset".to_owned());
        }
        StaticInfo {
            device_name: Some(self.zone_name.clone()),
            energy_counter: true,
            notes,
            ..StaticInfo::default()
        }
    }

    fn read(&mut self) -> Reading {
        match sysfs::read_u64(&self.energy_path) {
            Ok(raw) => Reading {
                energy_j: Some(self.unwrap.update(raw) as f64 / 1e6),
                ..Reading::default()
            },
            Err(e) => Reading::failed(e.to_string()),
        }
    }
}
