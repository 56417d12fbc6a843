//! Telemetry through `compare`: a RAPL powercap tree whose package counter a thread advances at
//! a known power (and wraps), and `--telemetry auto` on a host with no source.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::{runner, stderr, summary};

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
