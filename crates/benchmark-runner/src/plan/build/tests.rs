use super::*;
use crate::settings::layer;

fn settings(engines: &str) -> Settings {
    Settings {
        engines: Some(
            engines
                .split(',')
                .map(|e| e.parse().expect("label"))
                .collect(),
        ),
        ..Settings::default()
    }
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_700_000_000).expect("valid")
}

fn plan(s: &Settings) -> Result<Plan, Failure> {
    build(s, &now(), false)
}

#[test]
fn defaults_fill_what_is_unset() {
    let p = plan(&settings("sim")).expect("valid");
    assert_eq!(p.workload.requests, defaults::REQUESTS);
    assert_eq!(p.workload.stop, StopRule::Count);
    let defaulted = plan(&Settings::default()).expect("valid");
    let ids: Vec<_> = defaulted.engines.iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        vec![
            shared_protocol::EngineId::LmRs,
            shared_protocol::EngineId::Candle
        ]
    );
    assert_eq!(p.engines[0].worker, "sim-bench");
    assert_eq!(p.engines[0].device, Device::None);
    assert_eq!(p.out_dir, PathBuf::from("results/20231114T221320Z-sim"));
}

#[test]
fn bad_inputs_are_usage_errors_naming_the_problem() {
    let with = |f: fn(&mut Settings)| {
        let mut s = settings("sim");
        f(&mut s);
        s
    };
    for (s, why) in [
        (settings("sim,sim"), "listed twice"),
        (
            with(|s| s.requests = Some(0)),
            "--requests must be at least 1",
        ),
        (
            with(|s| s.engine_options = vec!["candle.threads=2".parse().expect("opt")]),
            "not in --engines",
        ),
        (with(|s| s.name = Some("a b".into())), "run name"),
        (
            with(|s| s.url = vec!["vllm=http://h:1".parse().expect("url")]),
            "--url given for vllm",
        ),
        (settings("lm-rs"), ""),
        (
            {
                let mut s = settings("lm-rs");
                s.device = Some(Device::Cuda(0));
                s
            },
            "engine lm-rs does not run on cuda:0",
        ),
        (
            with(|s| s.arrival = Some("poisson".parse().expect("arrival"))),
            "need --rate",
        ),
        (
            with(|s| {
                s.rate = Some(vec![1.0]);
                s.concurrency = Some(vec![2]);
            }),
            "exclude each other",
        ),
        (
            with(|s| s.price_per_hour = vec!["vllm=2".parse().expect("price")]),
            "--price-per-hour given for engine vllm, which is not in --engines",
        ),
        (
            with(|s| s.energy_price = Some(-0.1)),
            "--energy-price must be a non-negative number, got -0.1",
        ),
        (
            with(|s| s.carbon_intensity = Some(f64::NAN)),
            "--carbon-intensity must be a non-negative number, got NaN",
        ),
    ] {
        match plan(&s) {
            Err(Failure::Usage(m)) => assert!(!why.is_empty() && m.contains(why), "{m}"),
            Ok(_) if why.is_empty() => {}
            other => panic!("expected a usage error for {why}, got {other:?}"),
        }
    }
}

#[test]
fn engine_options_parse_json_or_string_and_flags_win_over_config() {
    let config = Settings::parse_toml(
        r#"
        engines = ["sim"]
        [engine_options.sim]
        fail_rate = 0.1
        ttft_ms = "normal:9:1"
        "#,
    )
    .expect("config");
    let flags = Settings {
        engine_options: vec!["sim.fail_rate=0.5".parse().expect("opt")],
        ..Settings::default()
    };
    let p = plan(&layer(config, flags)).expect("valid");
    assert_eq!(p.engines[0].options["fail_rate"], 0.5);
    assert_eq!(p.engines[0].options["ttft_ms"], "normal:9:1");
}

#[test]
fn ca_cert_reaches_every_served_engine_as_an_absolute_path() {
    let dir = std::env::temp_dir().join(format!("runner-ca-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("ca.pem");
    std::fs::write(&file, "-----BEGIN CERTIFICATE-----\n").expect("write");
    let mut s = settings("sim,vllm,openai");
    s.ca_cert = Some(file.clone());
    s.engine_options = vec!["openai.ca_cert=/other/ca.pem".parse().expect("opt")];
    let p = plan(&s).expect("valid");
    let option = |label: &str| {
        p.engines
            .iter()
            .find(|e| e.label == label)
            .expect("planned")
            .options
            .get("ca_cert")
            .cloned()
    };
    assert_eq!(
        option("vllm"),
        Some(Value::from(file.display().to_string()))
    );
    // An engine's own option wins; in-process engines get none.
    assert_eq!(option("openai"), Some(Value::from("/other/ca.pem")));
    assert_eq!(option("sim"), None);
    s.ca_cert = Some(dir.join("missing.pem"));
    let e = plan(&s).expect_err("missing file");
    assert!(format!("{e}").contains("--ca-cert"), "{e}");
    assert!(format!("{e}").contains("missing.pem"), "{e}");
    std::fs::remove_dir_all(&dir).expect("clean");
}

#[test]
fn a_configs_seed_drives_open_loop_arrivals() {
    // A config that sets the seed and an open-loop rate: the arrival times must use that seed
    // (they once took the command line's seed alone and fell back to 0).
    let config = Settings::parse_toml(
        r#"
        engines = ["vllm"]
        seed = 42
        rate = [4.0]
        arrival = "gamma:0.5"
        "#,
    )
    .expect("config");
    let p = plan(&layer(config, Settings::default())).expect("valid");
    match &p.engines[0].load {
        LoadPattern::Open { seed, arrival, .. } => {
            assert_eq!(*seed, 42);
            assert_eq!(*arrival, shared_protocol::Arrival::Gamma { shape: 0.5 });
        }
        other => panic!("expected an open loop, got {other:?}"),
    }
    assert_eq!(p.seed, 42);
}

#[test]
fn served_load_sweeps_label_each_point() {
    let mut s = settings("llamacpp");
    s.concurrency = Some(vec![1, 4]);
    let p = plan(&s).expect("valid");
    let labels: Vec<_> = p.engines.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["llamacpp@c1", "llamacpp@c4"]);
    assert_eq!(p.engines[0].options["engine"], "llamacpp");
    assert_eq!(p.engines[0].device, Device::Remote);
}

#[test]
fn the_plan_reads_back_as_itself() {
    let mut s = settings("sim,vllm");
    s.slo = vec!["ttft_ms=200".parse().expect("slo")];
    s.target_ci = Some(0.05);
    s.rate = Some(vec![2.0]);
    let p = plan(&s).expect("valid");
    let json = serde_json::to_value(&p).expect("serialize");
    assert_eq!(json["slo"]["ttft_ms"], 200.0);
    let back: Plan = serde_json::from_value(json.clone()).expect("deserialize");
    assert_eq!(serde_json::to_value(&back).expect("serialize"), json);
    assert_eq!(back.workload.target_ci(), Some(0.05));
}

#[test]
fn hourly_prices_go_to_each_planned_engine_the_engines_own_first() {
    let mut s = settings("sim,sim@b,llamacpp");
    s.concurrency = Some(vec![1, 4]);
    s.price_per_hour = ["none=1", "sim@b=2.5", "remote=3", "sim@b=4"]
        .iter()
        .map(|p| p.parse().expect("price"))
        .collect();
    s.energy_price = Some(0.2);
    let p = plan(&s).expect("valid");
    let prices: Vec<(&str, f64, &str)> = p
        .cost
        .price_per_hour
        .iter()
        .map(|(l, h)| (l.as_str(), h.usd_per_hour, h.set_for.as_str()))
        .collect();
    assert_eq!(
        prices,
        [
            ("llamacpp@c1", 3.0, "device remote"),
            ("llamacpp@c4", 3.0, "device remote"),
            ("sim", 1.0, "device none"),
            ("sim@b", 4.0, "engine sim@b"),
        ]
    );
    assert_eq!(p.cost.energy_usd_per_kwh, Some(0.2));
    assert_eq!(p.cost.carbon_g_co2e_per_kwh, None);
    // Recorded with the plan, and a plan without them (an older manifest) reads as none.
    let json = serde_json::to_value(&p).expect("serialize");
    assert_eq!(json["cost"]["price_per_hour"]["sim@b"]["usd_per_hour"], 4.0);
    let back: Plan = serde_json::from_value(json).expect("deserialize");
    assert_eq!(back.cost, p.cost);
    let mut old = serde_json::to_value(plan(&settings("sim")).expect("valid")).expect("json");
    assert!(old.get("cost").is_none(), "no inputs, nothing written");
    old.as_object_mut().expect("object").remove("cost");
    let back: Plan = serde_json::from_value(old).expect("an older plan reads");
    assert!(back.cost.is_empty());
}

#[test]
fn retries_become_each_served_engines_option_unless_it_sets_its_own() {
    let mut s = settings("sim,vllm,llamacpp");
    s.retries = Some(3);
    s.engine_options = vec!["llamacpp.retries=1".parse().expect("option")];
    let p = plan(&s).expect("valid");
    let retries = |label: &str| {
        p.engine(label)
            .expect("engine")
            .options
            .get("retries")
            .cloned()
    };
    assert_eq!(retries("sim"), None, "in-process engines take no retries");
    assert_eq!(retries("vllm"), Some(Value::from(3)));
    assert_eq!(retries("llamacpp"), Some(Value::from(1)));
}

#[test]
fn trace_and_multiturn_datasets_set_their_own_load() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-inputs/tests/fixtures");
    let mut s = settings("vllm");
    s.dataset = Some(format!(
        "trace:{},time-scale=0.5",
        fixtures.join("trace-mooncake.jsonl").display()
    ));
    s.requests = Some(3);
    s.warmup = Some(1);
    let p = plan(&s).expect("valid");
    // Mooncake 0, 0, 3000, 3500 ms at half scale: the 3 measured rows and 1 warm-up row.
    assert_eq!(
        p.engines[0].load,
        LoadPattern::Trace {
            offsets_ns: vec![0, 0, 1_500_000_000, 1_750_000_000],
            time_scale: 0.5,
            max_concurrency: None,
        }
    );
    s.requests = Some(4);
    let err = plan(&s).expect_err("4 + 1 rows needed").to_string();
    assert!(err.contains("4 rows"), "{err}");
    s.requests = Some(2);
    s.rate = Some(vec![1.0]);
    assert!(plan(&s).expect_err("rate").to_string().contains("--rate"));

    let mut m = settings("vllm");
    m.dataset = Some(format!(
        "multiturn:{},think-ms=20",
        fixtures.join("multiturn-sharegpt.json").display()
    ));
    // 5 requests cover conversations of 3 and 1 turns and the first turn of the third.
    m.requests = Some(5);
    m.concurrency = Some(vec![2]);
    let p = plan(&m).expect("valid");
    assert_eq!(p.workload.warmup, 0);
    assert_eq!(
        p.engines[0].load,
        LoadPattern::MultiTurn {
            concurrency: 2,
            think_time_ms: 20,
            turns: vec![3, 1, 1],
        }
    );
    m.warmup = Some(2);
    assert!(
        plan(&m)
            .expect_err("warm-up")
            .to_string()
            .contains("--warmup 0")
    );
}
