//! The RAPL, amdgpu and procfs collectors against fixture trees, and host facts from one.

mod common;

use common::{fixture, scratch_copy};
use telemetry::collectors::procfs::ProcessRss;
use telemetry::{Collector, Domain, Roots, TelemetryKind, detect, host_info};

fn names(collectors: &[Box<dyn Collector>]) -> Vec<&str> {
    collectors.iter().map(|c| c.name()).collect()
}

#[test]
fn rapl_reads_packages_and_dram_and_unwraps_the_counter() {
    let root = scratch_copy("rapl");
    let mut found = detect(TelemetryKind::Rapl, &Roots::under(root.path())).expect("rapl");
    // core (intel-rapl:0:0) is part of package-0 and is not read.
    assert_eq!(
        names(&found.collectors),
        vec!["rapl:package-0", "rapl:dram-0", "rapl:package-1"]
    );
    let domains: Vec<Domain> = found.collectors.iter().map(|c| c.domain()).collect();
    assert_eq!(
        domains,
        vec![Domain::CpuPackage, Domain::Dram, Domain::CpuPackage]
    );

    let package = &mut found.collectors[0];
    assert_eq!(package.read().energy_j, Some(0.0));
    // The package counter is 328850 uJ short of its range: advance 20 J across the wrap.
    let zone = root
        .path()
        .join("sys/class/powercap/intel-rapl:0/energy_uj");
    std::fs::write(&zone, "19671150\n").expect("write counter");
    let e = package.read().energy_j.expect("energy");
    assert!((e - 20.0).abs() < 1e-9, "{e}");
    std::fs::write(&zone, "29671150\n").expect("write counter");
    let e = package.read().energy_j.expect("energy");
    assert!((e - 30.0).abs() < 1e-9, "{e}");
}

#[test]
fn rapl_without_max_range_treats_a_decrease_as_a_reset() {
    let root = scratch_copy("rapl");
    let mut found = detect(TelemetryKind::Rapl, &Roots::under(root.path())).expect("rapl");
    let package1 = &mut found.collectors[2];
    assert!(
        package1
            .static_info()
            .notes
            .iter()
            .any(|n| n.contains("max_energy_range_uj unreadable"))
    );
    package1.read();
    let zone = root
        .path()
        .join("sys/class/powercap/intel-rapl:1/energy_uj");
    std::fs::write(&zone, "1000000\n").expect("write counter");
    assert_eq!(package1.read().energy_j, Some(1.0));
}

#[test]
fn rapl_reading_that_starts_failing_reports_the_file() {
    let root = scratch_copy("rapl");
    let mut found = detect(TelemetryKind::Rapl, &Roots::under(root.path())).expect("rapl");
    std::fs::remove_file(
        root.path()
            .join("sys/class/powercap/intel-rapl:0/energy_uj"),
    )
    .expect("remove");
    let reading = found.collectors[0].read();
    assert_eq!(reading.energy_j, None);
    let error = reading.error.expect("error");
    assert!(
        error.ends_with("intel-rapl:0/energy_uj: not found"),
        "{error}"
    );
}

#[test]
fn unreadable_rapl_counter_is_a_reason_not_a_crash() {
    let roots = Roots::under(&fixture("rapl-unreadable"));
    let Err(err) = detect(TelemetryKind::Rapl, &roots) else {
        panic!("an unreadable counter was accepted");
    };
    let text = err.to_string();
    assert!(text.contains("no readable RAPL powercap ("), "{text}");
    assert!(text.contains("intel-rapl:0/energy_uj: "), "{text}");

    let auto = detect(TelemetryKind::Auto, &roots).expect("auto never fails");
    assert!(
        auto.reason()
            .is_none_or(|r| r.contains("intel-rapl:0/energy_uj"))
    );
}

#[test]
fn amd_reads_hwmon_and_vram_and_skips_other_drivers_and_connectors() {
    let root = scratch_copy("amd");
    let mut found = detect(TelemetryKind::Amd, &Roots::under(root.path())).expect("amd");
    assert_eq!(names(&found.collectors), vec!["amd:card0", "amd:card2"]);

    let card0 = &mut found.collectors[0];
    let info = card0.static_info();
    assert_eq!(info.device_name.as_deref(), Some("AMD Instinct MI210"));
    assert_eq!(info.device_id.as_deref(), Some("0000:03:00.0"));
    assert_eq!(info.driver_version.as_deref(), Some("6.8.5"));
    assert_eq!(info.power_limit_w, Some(300.0));
    assert!(info.energy_counter);

    let r = card0.read();
    assert_eq!(r.power_w, Some(250.0));
    assert_eq!(r.energy_j, Some(0.0));
    assert_eq!(r.temperature_c, Some(61.0));
    assert_eq!(r.sm_clock_mhz, Some(2100));
    assert_eq!(r.mem_clock_mhz, Some(1200));
    assert_eq!(r.gpu_util_pct, Some(87.0));
    assert_eq!(r.mem_used_bytes, Some(12_884_901_888));
    assert!(r.error.is_none());
    let hwmon = root.path().join("sys/class/drm/card0/device/hwmon/hwmon3");
    std::fs::write(hwmon.join("energy1_input"), "1502500000\n").expect("write");
    assert_eq!(card0.read().energy_j, Some(2.5));

    // An older board: power1_input only, no energy counter, no VRAM files.
    let card2 = &mut found.collectors[1];
    assert!(!card2.static_info().energy_counter);
    let r = card2.read();
    assert_eq!(
        (r.power_w, r.energy_j, r.mem_used_bytes),
        (Some(15.0), None, None)
    );

    // Once every power source disappears, the reading says so.
    for f in ["power1_average", "energy1_input"] {
        std::fs::remove_file(hwmon.join(f)).expect("remove");
    }
    let error = found.collectors[0].read().error.expect("error");
    assert!(error.contains("neither power1_average"), "{error}");
}

#[test]
fn process_rss_of_this_process_and_of_a_fixture() {
    let mut own = ProcessRss::new(std::process::id(), std::path::Path::new("/proc"));
    let rss = own.read().rss_bytes.expect("own RSS");
    assert!(rss > 1 << 20, "a test binary holds more than 1 MiB: {rss}");

    let mut fixed = ProcessRss::new(4242, &fixture("procfs").join("proc"));
    assert_eq!(fixed.name(), "rss:4242");
    assert_eq!(fixed.read().rss_bytes, Some(1 << 30));

    let mut gone = ProcessRss::new(1, &fixture("procfs").join("proc"));
    assert!(
        gone.read()
            .error
            .expect("error")
            .ends_with("1/status: not found")
    );
}

#[test]
fn host_facts_from_a_fixture_tree() {
    let root = scratch_copy("amd");
    let mut found = detect(TelemetryKind::Amd, &Roots::under(root.path())).expect("amd");
    let host_root = fixture("host");
    let roots = Roots::under(&host_root);
    let host = host_info(&roots, &mut found.collectors);
    assert_eq!(host.hostname.as_deref(), Some("bench-host"));
    assert_eq!(host.os.as_deref(), Some("Ubuntu 24.04.1 LTS"));
    assert_eq!(host.kernel.as_deref(), Some("Linux 6.8.0-45-generic"));
    assert_eq!(
        host.cpu_model.as_deref(),
        Some("AMD EPYC 9654 96-Core Processor")
    );
    assert_eq!(host.cpu_logical_cores, Some(4));
    assert_eq!(host.cpu_physical_cores, Some(2));
    assert_eq!(host.memory_total_bytes, Some(16_384_000 * 1024));
    assert_eq!(host.devices.len(), 2);
    assert_eq!(host.devices[0].collector, "amd:card0");
    let json = serde_json::to_value(&host).expect("serialize");
    assert_eq!(json["devices"][0]["device_name"], "AMD Instinct MI210");
}

#[test]
fn auto_on_this_host_never_fails() {
    let detected = detect(TelemetryKind::Auto, &Roots::default()).expect("auto never fails");
    if detected.collectors.is_empty() {
        let reason = detected.reason().expect("a reason");
        assert!(reason.contains("no amdgpu hwmon"), "{reason}");
    }
}
