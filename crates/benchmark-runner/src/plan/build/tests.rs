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
        other @ LoadPattern::Closed { .. } => panic!("expected an open loop, got {other:?}"),
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
