//! Cost and carbon per million tokens through `compare --engines sim`: the summary's figures
//! worked again from its own throughput and energy, the inputs recorded in the manifest so that
//! `report` recomputes them, and bad prices refused.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{runner, stderr, summary};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A RAPL package counter under `root` that a thread advances at 40 W until `stop` is set.
fn rapl_ticker(root: &Path, stop: &Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let dir = root.join("sys/class/powercap/intel-rapl:0");
    std::fs::create_dir_all(&dir).expect("zone dir");
    std::fs::write(dir.join("name"), "package-0").expect("name");
    std::fs::write(dir.join("max_energy_range_uj"), "1000000000000").expect("range");
    std::fs::write(dir.join("energy_uj"), "0").expect("energy");
    let (stop, file) = (Arc::clone(stop), dir.join("energy_uj"));
    std::thread::spawn(move || {
        let t0 = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let uj = (t0.elapsed().as_secs_f64() * 40.0 * 1e6) as u64;
            let tmp = file.with_extension("tmp");
            std::fs::write(&tmp, uj.to_string()).expect("write counter");
            std::fs::rename(&tmp, &file).expect("replace counter");
            std::thread::sleep(Duration::from_millis(5));
        }
    })
}

/// The cost of a device hour at `usd_per_hour` over `tok_s`, per million tokens.
fn per_million(usd_per_hour: f64, tok_s: f64) -> f64 {
    usd_per_hour / 3600.0 / tok_s * 1e6
}

#[test]
fn cost_per_million_tokens_is_the_price_over_the_summarys_own_throughput() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = rapl_ticker(&root, &stop);
    let out = tmp.path().join("run");
    // Prompt token counts (for the input figures) need the default model's tokenizer.
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/smollm2-135m-instruct-q4_1.gguf");
    let model_arg = format!("--model={}", model.display());
    let mut args = vec![
        "compare",
        "--engines",
        "sim,sim@b",
        "--requests",
        "20",
        "--max-tokens",
        "8",
        "--repetitions",
        "2",
        "--price-per-hour",
        "sim=2.5",
        "--price-per-hour=none=1.2",
        "--energy-price",
        "0.2",
        "--carbon-intensity",
        "400",
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
        "sim.ttft_ms=const:10",
        "-o",
        "sim.tpot_ms=const:2",
        "-o",
        "sim@b.ttft_ms=const:10",
        "-o",
        "sim@b.tpot_ms=const:4",
    ];
    if model.is_file() {
        args.push(&model_arg);
    } else {
        eprintln!(
            "{} is missing (benchmark-runner models fetch): checking that no input figure is made without prompt counts",
            model.display()
        );
    }
    let res = runner(&args);
    stop.store(true, Ordering::Relaxed);
    ticker.join().expect("ticker");
    assert!(res.status.success(), "{}", stderr(&res));

    let s = summary(&out);
    for (label, usd_per_hour, set_for) in
        [("sim", 2.5, "engine sim"), ("sim@b", 1.2, "device none")]
    {
        check_engine(
            &s["engines"][label],
            label,
            usd_per_hour,
            set_for,
            model.is_file(),
        );
    }

    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest parses");
    let inputs = &manifest["plan"]["cost"];
    assert_eq!(inputs["price_per_hour"]["sim"]["usd_per_hour"], 2.5);
    assert_eq!(inputs["energy_usd_per_kwh"], 0.2);
    assert_eq!(inputs["carbon_g_co2e_per_kwh"], 400.0);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(
        md.contains("## Cost") && md.contains("sim $2.5000 per device hour (engine sim)"),
        "{md}"
    );
    assert!(md.contains("electricity $0.2000/kWh") && md.contains("400.0 g CO2e/kWh"));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(
        html.contains("Cost of device time per million tokens")
            && html.contains("per telemetry channel"),
        "both cost tables in the HTML report"
    );

    // `report` recomputes the same figures from the stored run.
    let before = s["engines"]["sim"]["cost"].clone();
    let res = runner(&["report", out.to_str().expect("utf-8")]);
    assert!(res.status.success(), "{}", stderr(&res));
    assert_eq!(summary(&out)["engines"]["sim"]["cost"], before);
}

#[test]
fn bad_prices_are_usage_errors_naming_the_flag() {
    for (args, why) in [
        (
            &["--price-per-hour", "vllm=2"][..],
            "--price-per-hour given for engine vllm, which is not in --engines",
        ),
        (&["--price-per-hour", "sim=-1"][..], "non-negative"),
        (
            &["--price-per-hour", "sim"][..],
            "must look like ENGINE=USD",
        ),
        (
            &["--price-per-hour", "candel=1"][..],
            "unknown engine 'candel'",
        ),
        (
            &["--energy-price=-0.5"][..],
            "--energy-price must be a non-negative number",
        ),
        (&["--carbon-intensity", "x"][..], "--carbon-intensity"),
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("run");
        let mut all = vec![
            "compare",
            "--engines",
            "sim",
            "--out",
            out.to_str().expect("utf-8"),
        ];
        all.extend(args);
        let res = runner(&all);
        let err = stderr(&res);
        assert_eq!(res.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?}: nothing written");
    }
}

/// One engine's cost figures against the summary's own throughput, prompt counts and energy,
/// at `usd_per_hour` set for `set_for`; `with_prompts`: the prompts were tokenized.
fn check_engine(e: &Value, label: &str, usd_per_hour: f64, set_for: &str, with_prompts: bool) {
    let cost = &e["cost"];
    assert_eq!(
        cost["price_per_hour"]["usd_per_hour"], usd_per_hour,
        "{label}"
    );
    assert_eq!(cost["price_per_hour"]["set_for"], set_for, "{label}");
    // The summary's throughput: completion tokens over the measured wall time.
    let tok_s = f(&e["throughput"]["output_tok_s"]);
    let out_cost = &cost["usd_per_1m_output_tokens"];
    assert!(
        close(f(&out_cost["usd"]), per_million(usd_per_hour, tok_s), 1e-9),
        "{label}: {cost}"
    );
    let t = &cost["throughput"];
    assert_eq!(t["method"], "repetitions", "two repetitions: {t}");
    assert_eq!(t["n"], 2);
    assert!(close(f(&t["output"]["tok_s"]), tok_s, 1e-9));
    let ci = t["output"]["ci95"].as_array().expect("an interval");
    let (low, high) = (f(&ci[0]), f(&ci[1]));
    assert!(low <= tok_s && tok_s <= high, "{t}");
    // The fast end of the throughput is the cheap end of the cost.
    assert!(close(
        f(&out_cost["ci95_lower"]),
        per_million(usd_per_hour, high),
        1e-9
    ));
    if low > 0.0 {
        assert!(close(
            f(&out_cost["ci95_upper"]),
            per_million(usd_per_hour, low),
            1e-9
        ));
    } else {
        assert!(out_cost["ci95_upper"].is_null(), "unbounded: {out_cost}");
    }
    // Input: prompt tokens of the same requests over the same wall time.
    let prompts = &e["prompt_tokens"];
    if with_prompts {
        let input_tok_s = f(&prompts["mean"]) * f(&prompts["n"]) / f(&e["throughput"]["wall_s"]);
        assert!(
            close(
                f(&cost["usd_per_1m_input_tokens"]["usd"]),
                per_million(usd_per_hour, input_tok_s),
                1e-6
            ),
            "{label}: {cost}"
        );
    } else {
        assert!(
            prompts.is_null(),
            "no tokenizer, no prompt counts: {prompts}"
        );
        assert!(cost["usd_per_1m_input_tokens"].is_null(), "{cost}");
    }
    // Energy: the RAPL package's gross J per output token (no idle baseline), as kWh per
    // million tokens, priced at $0.20/kWh and at 400 g CO2e/kWh.
    let channel = e["energy"]["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["channel"] == "rapl:package-0")
        .unwrap_or_else(|| panic!("no rapl channel: {}", e["energy"]));
    let kwh = f(&channel["j_per_token"]) * 1e6 / 3.6e6;
    let priced = cost["energy"]
        .as_array()
        .expect("energy costs")
        .iter()
        .find(|c| c["channel"] == "rapl:package-0")
        .unwrap_or_else(|| panic!("no priced channel: {cost}"));
    assert_eq!(priced["basis"], "gross");
    assert!(close(f(&priced["kwh_per_1m_output_tokens"]), kwh, 1e-9));
    assert!(close(
        f(&priced["usd_per_1m_output_tokens"]),
        kwh * 0.2,
        1e-9
    ));
    assert!(close(
        f(&priced["g_co2e_per_1m_output_tokens"]),
        kwh * 400.0,
        1e-9
    ));
}
