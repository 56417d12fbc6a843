//! Telemetry through `compare`: a RAPL powercap tree whose package counter a thread advances at
//! a known power (and wraps), and `--telemetry auto` on a host with no source.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::{jsonl, runner, stderr, summary};

const WATTS: f64 = 40.0;
const RANGE_UJ: u64 = 1_000_000_000;

fn write_zone(root: &Path, zone: &str, name: &str, energy_uj: u64) {
    let dir = root.join("sys/class/powercap").join(zone);
    std::fs::create_dir_all(&dir).expect("zone dir");
    std::fs::write(dir.join("name"), name).expect("name");
    std::fs::write(dir.join("max_energy_range_uj"), RANGE_UJ.to_string()).expect("range");
    std::fs::write(dir.join("energy_uj"), energy_uj.to_string()).expect("energy");
}

#[test]
fn rapl_energy_is_attributed_at_the_known_power() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    // Start near the top of the range so the counter wraps during the run.
    let start_uj = RANGE_UJ - 20_000_000;
    write_zone(&root, "intel-rapl:0", "package-0", start_uj);
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (stop, root) = (Arc::clone(&stop), root.clone());
        std::thread::spawn(move || {
            let t0 = Instant::now();
            let file = root.join("sys/class/powercap/intel-rapl:0/energy_uj");
            while !stop.load(Ordering::Relaxed) {
                let uj = start_uj + (t0.elapsed().as_secs_f64() * WATTS * 1e6) as u64;
                let tmp = file.with_extension("tmp");
                std::fs::write(&tmp, (uj % RANGE_UJ).to_string()).expect("write counter");
                std::fs::rename(&tmp, &file).expect("replace counter");
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let out = tmp.path().join("run");
    let res = runner(&[
        "compare",
        "--engines",
        "sim",
        "--requests",
        "30",
        "--max-tokens",
        "8",
        "--telemetry",
        "rapl",
        "--telemetry-root",
        root.to_str().expect("utf-8"),
        "--telemetry-interval-ms",
        "20",
        "--no-idle",
        "--out",
        out.to_str().expect("utf-8"),
        "-o",
        "sim.ttft_ms=const:20",
        "-o",
        "sim.tpot_ms=const:5",
    ]);
    stop.store(true, Ordering::Relaxed);
    ticker.join().expect("ticker");
    assert!(res.status.success(), "{}", stderr(&res));

    let s = summary(&out);
    let energy = &s["engines"]["sim"]["energy"];
    let channel = energy["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["channel"] == "rapl:package-0")
        .unwrap_or_else(|| panic!("no rapl channel: {energy}"));
    let avg = channel["avg_power_w"].as_f64().expect("avg power");
    assert!(
        (avg - WATTS).abs() / WATTS < 0.15,
        "average power {avg} W vs {WATTS} W"
    );
    let j_per_token = channel["j_per_token"].as_f64().expect("J/token");
    let tokens = 30.0 * 8.0;
    let gross = channel["gross_j"].as_f64().expect("gross");
    assert!((j_per_token * tokens - gross).abs() < 1e-6 * gross.max(1.0));
    let per_request = &channel["request_j"];
    assert_eq!(per_request["n"], 30);
    assert!(out.join("telemetry.jsonl").is_file());
    // Requests are sequential: their energies add up to about the run's.
    let sum = per_request["mean"].as_f64().expect("mean") * 30.0;
    assert!(sum <= gross * 1.01, "requests {sum} J within run {gross} J");

    check_phases(&out, &channel["phases"], sum);
}

/// Energy by phase of the run in `out`: 20 ms of prefill and 7 tokens at 5 ms of decode per
/// request, at 40 W, adding up to the requests' `sum`.
fn check_phases(out: &Path, phases: &serde_json::Value, sum: f64) {
    assert_eq!(phases["requests"], 30, "{phases}");
    let prefill = phases["prefill_j"].as_f64().expect("prefill J");
    let decode = phases["decode_j"].as_f64().expect("decode J");
    assert!(
        (prefill + decode - sum).abs() < 1e-6 * sum,
        "phases {prefill} + {decode} J vs requests {sum} J"
    );
    let per_decode_token = phases["j_per_decode_token"]
        .as_f64()
        .expect("J/decode token");
    let expected = WATTS * 0.005;
    assert!(
        (per_decode_token - expected).abs() / expected < 0.15,
        "{per_decode_token} J per decode token vs {expected}"
    );
    // The prefills as they ran (a loaded machine may oversleep a 20 ms one): their energy at
    // 40 W, and those shorter than what the counter resolves.
    let ttfts: Vec<u64> = jsonl(&out.join("samples.jsonl"))
        .iter()
        .map(|r| r["ttft_ns"].as_u64().expect("ttft"))
        .collect();
    assert_eq!(ttfts.len(), 30);
    let prefill_per_request = prefill / 30.0;
    let expected = WATTS * ttfts.iter().sum::<u64>() as f64 / 1e9 / 30.0;
    assert!(
        (prefill_per_request - expected).abs() / expected < 0.15,
        "{prefill_per_request} J per prefill vs {expected}"
    );
    assert_eq!(phases["decode_tokens"], 30 * 7);
    // Sampled every 20 ms, the counter resolves about 60 ms: the 20 ms prefills are not
    // resolved, and the summary says so.
    let note = phases["note"].as_str().expect("a note on short phases");
    let resolution_ms: f64 = note
        .split_once("shorter than ")
        .and_then(|(_, rest)| rest.split_once(" ms"))
        .and_then(|(ms, _)| ms.parse().ok())
        .unwrap_or_else(|| panic!("no resolution in {note}"));
    assert!((55.0..=65.0).contains(&resolution_ms), "{note}");
    let short = ttfts
        .iter()
        .filter(|&&t| (t as f64) < resolution_ms * 1e6)
        .count();
    assert!(short >= 25, "{ttfts:?}");
    assert_eq!(phases["unresolved_prefill"], short, "{phases}");
    assert!(
        note.contains(&format!("{short} of 30 prefill phases")),
        "{note}"
    );
}

#[test]
fn auto_on_a_host_without_sources_says_why() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("empty-root");
    std::fs::create_dir_all(root.join("sys/class")).expect("root");
    let out = tmp.path().join("run");
    let res = runner(&[
        "compare",
        "--engines",
        "sim",
        "--requests",
        "5",
        "--max-tokens",
        "4",
        "--telemetry",
        "auto",
        "--telemetry-root",
        root.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "-o",
        "sim.ttft_ms=const:1",
        "-o",
        "sim.tpot_ms=const:0.1",
    ]);
    assert!(res.status.success(), "{}", stderr(&res));
    let energy = &summary(&out)["engines"]["sim"]["energy"];
    assert_eq!(energy["channels"].as_array().map(Vec::len), Some(0));
    let reason = energy["unavailable"].as_str().expect("a reason");
    assert!(reason.contains("RAPL"), "{reason}");
}

#[test]
fn an_unavailable_explicit_source_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("empty-root");
    std::fs::create_dir_all(&root).expect("root");
    let res = runner(&[
        "compare",
        "--engines",
        "sim",
        "--telemetry",
        "rapl",
        "--telemetry-root",
        root.to_str().expect("utf-8"),
        "--out",
        tmp.path().join("run").to_str().expect("utf-8"),
    ]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(stderr(&res).contains("rapl"), "{}", stderr(&res));
    assert!(!tmp.path().join("run").exists());
}

/// Builds the fake driver library (`tests/support/fake_nvml.c`) as `libnvidia-ml.so.1` in `dir`.
fn build_fake_nvml(dir: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake_nvml.c");
    let status = std::process::Command::new("cc")
        .args([
            "-shared",
            "-fPIC",
            "-O1",
            "-Wall",
            "-Werror",
            "-Wl,-soname,libnvidia-ml.so.1",
            "-o",
        ])
        .arg(dir.join("libnvidia-ml.so.1"))
        .arg(&source)
        .status()
        .expect("run cc");
    assert!(status.success(), "building the fake NVML library failed");
}

/// `compare --telemetry nvml` with `env` set, against the fake driver; returns the run directory.
fn nvml_run(tmp: &Path, name: &str, env: &[(&str, &str)]) -> std::path::PathBuf {
    let lib = tmp.join("lib");
    if !lib.join("libnvidia-ml.so.1").is_file() {
        std::fs::create_dir_all(&lib).expect("lib dir");
        build_fake_nvml(&lib);
    }
    let out = tmp.join(name);
    let mut cmd = support::runner_command(&[
        "compare",
        "--engines",
        "sim",
        "--requests",
        "60",
        "--max-tokens",
        "8",
        "--telemetry",
        "nvml",
        "--telemetry-interval-ms",
        "20",
        "--no-idle",
        "--out",
        out.to_str().expect("utf-8"),
        "-o",
        "sim.ttft_ms=const:20",
        "-o",
        "sim.tpot_ms=const:5",
    ]);
    cmd.env("LD_LIBRARY_PATH", &lib);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let res = cmd.output().expect("run benchmark-runner");
    assert!(res.status.success(), "{}", stderr(&res));
    out
}

/// The NVML collector through nvml-wrapper and the driver's C interface, against a fake driver
/// library with one GPU drawing a known power: the GPU is recorded in the manifest, its energy
/// counter (millijoules, 100 ms updates) gives the known power and its resolution, and nothing
/// else is flagged.
#[test]
fn nvml_energy_and_device_facts_come_through_the_driver_interface() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = nvml_run(tmp.path(), "clean", &[("FAKE_NVML_WATTS", "250")]);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest parses");
    let host = manifest["host"].to_string();
    for fact in [
        "Fake NVIDIA H100 80GB HBM3",
        "580.0-fake",
        "13.0",
        "GPU-00000000-fake",
    ] {
        assert!(
            host.contains(fact),
            "{fact} missing from the host record: {host}"
        );
    }
    let s = summary(&out);
    let sim = &s["engines"]["sim"];
    let channel = sim["energy"]["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["channel"] == "nvml:0")
        .unwrap_or_else(|| panic!("no nvml channel: {}", sim["energy"]));
    let avg = channel["avg_power_w"].as_f64().expect("avg power");
    assert!(
        (avg - 250.0).abs() / 250.0 < 0.15,
        "average power {avg} W vs 250 W"
    );
    // Requests of 55 ms against a counter that moves every 100 ms (three updates: about 300 ms,
    // as the sampler saw them): that, and nothing else.
    let validity = sim["validity"].as_array().expect("validity");
    assert_eq!(validity.len(), 1, "{}", sim["validity"]);
    assert!(
        validity[0]
            .as_str()
            .is_some_and(|r| r.contains("nvml:0: 60 of 60 energy windows shorter than")),
        "{}",
        sim["validity"]
    );
}

/// The same fake GPU throttling, with its SM clock moving and another process on it: each is a
/// reason in the run's validity.
#[test]
fn nvml_throttling_moving_clocks_and_other_processes_are_flagged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = nvml_run(
        tmp.path(),
        "flagged",
        &[
            // nvmlClocksThrottleReasonSwThermalSlowdown
            ("FAKE_NVML_THROTTLE", "32"),
            ("FAKE_NVML_WOBBLE", "1"),
            ("FAKE_NVML_FOREIGN_PID", "1"),
        ],
    );
    let validity = summary(&out)["engines"]["sim"]["validity"].to_string();
    for reason in [
        "sw_thermal_slowdown throttling active",
        "SM clock ranged 1500-1980 MHz",
        "other processes used the GPU: pid 1 (1.0 GiB)",
    ] {
        assert!(validity.contains(reason), "{reason} missing: {validity}");
    }
}
