//! Between the telemetry types and the `.proto` messages. Every field crosses over; a reading's
//! `observed_ns` does not (the client stamps it from the sample's time).

use crate::host::{DeviceInfo, HostInfo};
use crate::reading::{CpuTicks, Domain, ProcessUse, Reading, StaticInfo};
use crate::remote::proto;
use crate::series::SampleLine;

impl From<Domain> for proto::Domain {
    fn from(domain: Domain) -> Self {
        match domain {
            Domain::Gpu => proto::Domain::Gpu,
            Domain::CpuPackage => proto::Domain::CpuPackage,
            Domain::Dram => proto::Domain::Dram,
            Domain::Soc => proto::Domain::Soc,
            Domain::Process => proto::Domain::Process,
            Domain::Host => proto::Domain::Host,
        }
    }
}

/// The domain of a wire value; `None` for unspecified or unknown values.
pub fn domain(value: i32) -> Option<Domain> {
    Some(match proto::Domain::try_from(value).ok()? {
        proto::Domain::Unspecified => return None,
        proto::Domain::Gpu => Domain::Gpu,
        proto::Domain::CpuPackage => Domain::CpuPackage,
        proto::Domain::Dram => Domain::Dram,
        proto::Domain::Soc => Domain::Soc,
        proto::Domain::Process => Domain::Process,
        proto::Domain::Host => Domain::Host,
    })
}

impl From<&HostInfo> for proto::HostInfo {
    fn from(h: &HostInfo) -> Self {
        Self {
            hostname: h.hostname.clone(),
            os: h.os.clone(),
            kernel: h.kernel.clone(),
            arch: h.arch.clone(),
            cpu_model: h.cpu_model.clone(),
            cpu_logical_cores: h.cpu_logical_cores.map(|n| n as u64),
            cpu_physical_cores: h.cpu_physical_cores.map(|n| n as u64),
            memory_total_bytes: h.memory_total_bytes,
            devices: h
                .devices
                .iter()
                .map(|d| proto::DeviceInfo {
                    collector: d.collector.clone(),
                    domain: proto::Domain::from(d.domain).into(),
                    info: Some(static_info_to_wire(&d.info)),
                })
                .collect(),
        }
    }
}

/// The host facts of a wire message; devices of an unknown domain are dropped.
pub fn host_info(h: proto::HostInfo) -> HostInfo {
    let count = |n: Option<u64>| n.and_then(|n| usize::try_from(n).ok());
    HostInfo {
        hostname: h.hostname,
        os: h.os,
        kernel: h.kernel,
        arch: h.arch,
        cpu_model: h.cpu_model,
        cpu_logical_cores: count(h.cpu_logical_cores),
        cpu_physical_cores: count(h.cpu_physical_cores),
        memory_total_bytes: h.memory_total_bytes,
        devices: h
            .devices
            .into_iter()
            .filter_map(|d| {
                Some(DeviceInfo {
                    domain: domain(d.domain)?,
                    collector: d.collector,
                    info: d.info.map(static_info).unwrap_or_default(),
                })
            })
            .collect(),
    }
}

fn static_info_to_wire(s: &StaticInfo) -> proto::StaticInfo {
    proto::StaticInfo {
        device_name: s.device_name.clone(),
        device_id: s.device_id.clone(),
        driver_version: s.driver_version.clone(),
        cuda_version: s.cuda_version.clone(),
        power_limit_w: s.power_limit_w,
        default_power_limit_w: s.default_power_limit_w,
        max_sm_clock_mhz: s.max_sm_clock_mhz,
        max_mem_clock_mhz: s.max_mem_clock_mhz,
        mem_total_bytes: s.mem_total_bytes,
        mig_enabled: s.mig_enabled,
        energy_counter: s.energy_counter,
        notes: s.notes.clone(),
    }
}

fn static_info(s: proto::StaticInfo) -> StaticInfo {
    StaticInfo {
        device_name: s.device_name,
        device_id: s.device_id,
        driver_version: s.driver_version,
        cuda_version: s.cuda_version,
        power_limit_w: s.power_limit_w,
        default_power_limit_w: s.default_power_limit_w,
        max_sm_clock_mhz: s.max_sm_clock_mhz,
        max_mem_clock_mhz: s.max_mem_clock_mhz,
        mem_total_bytes: s.mem_total_bytes,
        mig_enabled: s.mig_enabled,
        energy_counter: s.energy_counter,
        notes: s.notes,
    }
}

impl From<SampleLine> for proto::Sample {
    fn from(line: SampleLine) -> Self {
        let r = line.reading;
        Self {
            t_ns: line.t_ns,
            collector: line.collector,
            domain: proto::Domain::from(line.domain).into(),
            reading: Some(proto::Reading {
                energy_j: r.energy_j,
                power_w: r.power_w,
                gpu_util_pct: r.gpu_util_pct,
                mem_util_pct: r.mem_util_pct,
                mem_used_bytes: r.mem_used_bytes,
                mem_total_bytes: r.mem_total_bytes,
                rss_bytes: r.rss_bytes,
                sm_clock_mhz: r.sm_clock_mhz,
                mem_clock_mhz: r.mem_clock_mhz,
                temperature_c: r.temperature_c,
                power_limit_w: r.power_limit_w,
                throttle_reasons: r.throttle_reasons,
                processes: r
                    .processes
                    .into_iter()
                    .map(|p| proto::ProcessUse {
                        pid: p.pid,
                        used_bytes: p.used_bytes,
                    })
                    .collect(),
                cpu_ticks: r.cpu_ticks.map(|c| proto::CpuTicks {
                    total: c.total,
                    busy: c.busy,
                    steal: c.steal,
                    own: c.own,
                    cpus: c.cpus,
                }),
                cpu_governors: r.cpu_governors,
                error: r.error,
            }),
        }
    }
}

/// The reading of a wire message (`observed_ns` left for the caller to stamp).
pub fn reading(r: proto::Reading) -> Reading {
    Reading {
        energy_j: r.energy_j,
        power_w: r.power_w,
        gpu_util_pct: r.gpu_util_pct,
        mem_util_pct: r.mem_util_pct,
        mem_used_bytes: r.mem_used_bytes,
        mem_total_bytes: r.mem_total_bytes,
        rss_bytes: r.rss_bytes,
        sm_clock_mhz: r.sm_clock_mhz,
        mem_clock_mhz: r.mem_clock_mhz,
        temperature_c: r.temperature_c,
        power_limit_w: r.power_limit_w,
        throttle_reasons: r.throttle_reasons,
        processes: r
            .processes
            .into_iter()
            .map(|p| ProcessUse {
                pid: p.pid,
                used_bytes: p.used_bytes,
            })
            .collect(),
        cpu_ticks: r.cpu_ticks.map(|c| CpuTicks {
            total: c.total,
            busy: c.busy,
            steal: c.steal,
            own: c.own,
            cpus: c.cpus,
        }),
        cpu_governors: r.cpu_governors,
        observed_ns: None,
        error: r.error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_reading_and_host_cross_the_wire_unchanged() {
        let original = Reading {
            energy_j: Some(12.5),
            power_w: Some(250.0),
            gpu_util_pct: Some(97.0),
            mem_util_pct: Some(40.0),
            mem_used_bytes: Some(1 << 30),
            mem_total_bytes: Some(80 << 30),
            rss_bytes: Some(4096),
            sm_clock_mhz: Some(1980),
            mem_clock_mhz: Some(2619),
            temperature_c: Some(61.0),
            power_limit_w: Some(700.0),
            throttle_reasons: vec!["sw-power-cap".to_owned()],
            processes: vec![ProcessUse {
                pid: 42,
                used_bytes: None,
            }],
            cpu_ticks: Some(CpuTicks {
                total: 1000,
                busy: 300,
                steal: 2,
                own: Some(120),
                cpus: 16,
            }),
            cpu_governors: vec!["performance".to_owned()],
            observed_ns: None,
            error: Some("partial".to_owned()),
        };
        let sample = proto::Sample::from(SampleLine {
            t_ns: 7,
            collector: "nvml:0".to_owned(),
            domain: Domain::Gpu,
            reading: original.clone(),
        });
        assert_eq!(sample.t_ns, 7);
        assert_eq!(domain(sample.domain), Some(Domain::Gpu));
        assert_eq!(reading(sample.reading.expect("reading")), original);

        let host = HostInfo {
            hostname: Some("gpu-host".to_owned()),
            arch: "x86_64".to_owned(),
            cpu_logical_cores: Some(32),
            devices: vec![DeviceInfo {
                collector: "rapl:package-0".to_owned(),
                domain: Domain::CpuPackage,
                info: StaticInfo {
                    device_name: Some("package-0".to_owned()),
                    energy_counter: true,
                    notes: vec!["powercap".to_owned()],
                    ..StaticInfo::default()
                },
            }],
            ..HostInfo::default()
        };
        assert_eq!(host_info(proto::HostInfo::from(&host)), host);
        assert_eq!(domain(0), None);
        assert_eq!(domain(99), None);
    }
}
