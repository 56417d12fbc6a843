use clap::{Args, Parser};

use super::*;

#[derive(Debug, Parser)]
struct Flags {
    #[command(flatten)]
    settings: Settings,
}

fn flags(args: &[&str]) -> Settings {
    Flags::try_parse_from(std::iter::once("compare").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{e}"))
        .settings
}

/// Every setting once, as a config says it.
const FULL_CONFIG: &str = r#"
name = "full"
engines = ["sim", "vllm@a"]
requests = 7
max_tokens = 9
warmup = 2
repetitions = 3
ignore_eos = true
model = "smollm2-135m-instruct-q4_1"
dataset = "synthetic:input=16,output=8"
min_prompt_tokens = 4
max_prompt_tokens = 400
raw_prompts = true
warmup_cv = 0.05
target_ci = 0.02
seed = 11
retries = 3
out = "results/full"
device = "cuda:1"
concurrency = [1, 4]
max_concurrency = 8
ramp_up_s = 2.5
request_timeout_s = 30.0
load_timeout_s = 60.0
telemetry = "none"
telemetry_root = "/tmp"
telemetry_url = "http://127.0.0.1:9100"
telemetry_token_file = "/tmp/monitor-token"
telemetry_ca = "/tmp/monitor-ca.pem"
ca_cert = "/etc/ssl/private-ca.pem"
telemetry_interval_ms = 20
idle = false
idle_cooldown_s = 10.0
idle_measure_s = 2.0
energy_price = 0.2
carbon_intensity = 400.0
shard = "1/4"
start_at = "2026-05-01T12:00:00Z"

[engine_options.sim]
ttft_ms = "normal:5:1"

[url]
"vllm@a" = "http://127.0.0.1:8000"

[slo]
ttft_ms = 200.0

[price_per_hour]
"cuda:1" = 3
sim = 2.5
"#;

/// The same settings as command-line flags (`rate` and `arrival` aside: they exclude
/// `concurrency` on the command line and are checked below).
const FULL_FLAGS: &[&str] = &[
    "--name=full",
    "--engines=sim,vllm@a",
    "--requests=7",
    "--max-tokens=9",
    "--warmup=2",
    "--repetitions=3",
    "--ignore-eos",
    "--model=smollm2-135m-instruct-q4_1",
    "--dataset=synthetic:input=16,output=8",
    "--min-prompt-tokens=4",
    "--max-prompt-tokens=400",
    "--raw-prompts",
    "--warmup-cv=0.05",
    "--target-ci=0.02",
    "--seed=11",
    "--retries=3",
    "--out=results/full",
    "--device=cuda:1",
    "--concurrency=1,4",
    "--max-concurrency=8",
    "--ramp-up=2.5",
    "--request-timeout=30",
    "--load-timeout=60",
    "--telemetry=none",
    "--telemetry-root=/tmp",
    "--telemetry-url=http://127.0.0.1:9100",
    "--telemetry-token-file=/tmp/monitor-token",
    "--telemetry-ca=/tmp/monitor-ca.pem",
    "--ca-cert=/etc/ssl/private-ca.pem",
    "--telemetry-interval-ms=20",
    "--no-idle",
    "--idle-cooldown=10",
    "--idle-measure=2",
    "-o",
    "sim.ttft_ms=normal:5:1",
    "--url=vllm@a=http://127.0.0.1:8000",
    "--slo=ttft_ms=200",
    "--energy-price=0.2",
    "--carbon-intensity=400",
    "--shard=1/4",
    "--start-at=2026-05-01T12:00:00Z",
    "--price-per-hour=cuda:1=3,sim=2.5",
];

#[test]
fn a_config_and_the_command_line_say_the_same_things() {
    let config = Settings::parse_toml(FULL_CONFIG).expect("valid config");
    assert_eq!(config, flags(FULL_FLAGS));
    let open = Settings::parse_toml("rate = [2.0, 4.0]\narrival = \"gamma:0.5\"").expect("valid");
    assert_eq!(open, flags(&["--rate=2,4", "--arrival=gamma:0.5"]));
}

#[test]
fn every_flag_has_a_config_key() {
    let command = Settings::augment_args(clap::Command::new("compare"));
    let keys: Vec<String> = FULL_CONFIG
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
        .chain(
            [
                "engine_options",
                "url",
                "slo",
                "price_per_hour",
                "rate",
                "arrival",
            ]
            .map(str::to_owned),
        )
        .collect();
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        assert!(
            keys.iter().any(|k| k == id),
            "flag {id} has no config key in the test config"
        );
        let toml = match id {
            "engine_options" | "url" | "slo" | "price_per_hour" => continue,
            _ => FULL_CONFIG
                .lines()
                .chain(["rate = [1.0]", "arrival = \"poisson\""])
                .find(|l| l.split_once(" = ").is_some_and(|(k, _)| k.trim() == id))
                .expect("listed above")
                .to_owned(),
        };
        Settings::parse_toml(&toml).unwrap_or_else(|e| panic!("config key {id}: {e}"));
    }
}

#[test]
fn layer_lets_the_later_source_win() {
    let base =
        Settings::parse_toml("requests = 5\nseed = 3\n[slo]\nttft_ms = 100.0").expect("valid");
    let over = flags(&["--requests=9", "--slo=ttft_ms=50,e2e_ms=900"]);
    let merged = layer(base, over);
    assert_eq!(merged.requests, Some(9));
    assert_eq!(merged.seed, Some(3), "kept from the config");
    let slo: std::collections::BTreeMap<_, _> =
        merged.slo.iter().map(|t| (t.metric, t.limit)).collect();
    assert!(
        (slo[&SloMetric::TtftMs] - 50.0).abs() < 1e-12,
        "the command line's limit wins"
    );
    assert!((slo[&SloMetric::E2eMs] - 900.0).abs() < 1e-12);
}

#[test]
fn bad_values_name_the_key_once() {
    for (text, why) in [
        ("reqests = 5", "reqests"),
        ("requests = \"many\"", "invalid type"),
        (
            "[url]\nvllm = \"ftp://x\"",
            "vllm: 'ftp://x' is not an http(s) URL",
        ),
        ("[slo]\nlatency = 5.0", "unknown objective 'latency'"),
        ("device = \"tpu\"", "unknown device 'tpu'"),
        ("engines = [\"candel\"]", "candel"),
        ("arrival = \"bursty\"", "gamma:SHAPE"),
        (
            "[price_per_hour]\nsim = -1.0",
            "price-per-hour of engine sim: the price must be a non-negative number of US dollars, got -1",
        ),
        ("[price_per_hour]\nsimm = 2.0", "price-per-hour 'simm'"),
        ("energy_price = \"cheap\"", "invalid type"),
        ("shard = \"2/2\"", "I/N with 0 <= I < N"),
        ("shard = \"0/0\"", "I/N with 0 <= I < N"),
        ("shard = \"3\"", "I/N with 0 <= I < N"),
        ("shard = \"a/b\"", "I/N with 0 <= I < N"),
        ("start_at = \"noon\"", "RFC 3339"),
    ] {
        let e = Settings::parse_toml(text).expect_err(text);
        assert!(e.contains(why), "{text}: {e}");
        assert!(!e.contains('\n'));
    }
    let e = Flags::try_parse_from(["compare", "--url", "vllm=ftp://x"]).expect_err("bad url");
    let first = e.render().to_string();
    let first = first.lines().next().unwrap_or_default();
    assert_eq!(first.matches("ftp://x").count(), 1, "{first}");
}

#[test]
fn a_shard_is_an_index_below_its_count() {
    let one = flags(&["--shard", "0/1"]).shard.expect("0/1 is a shard");
    assert_eq!((one.index, one.count), (0, 1));
    let last = flags(&["--shard", " 3/4"]).shard.expect("3/4 is a shard");
    assert_eq!(
        (last.index, last.count, last.to_string()),
        (3, 4, "3/4".to_owned())
    );
    for bad in ["4/4", "1/0", "-1/2", "1/2/3"] {
        assert!(
            Flags::try_parse_from(["compare", "--shard", bad]).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn hourly_prices_name_an_engine_or_a_device() {
    let s = flags(&[
        "--price-per-hour",
        "vllm@a=2.5",
        "--price-per-hour=cuda=1,cpu=0.25",
    ]);
    let prices: Vec<(String, f64)> = s
        .price_per_hour
        .iter()
        .map(|p| (p.target.to_string(), p.usd_per_hour))
        .collect();
    assert_eq!(
        prices,
        vec![
            ("engine vllm@a".to_owned(), 2.5),
            ("device cuda:0".to_owned(), 1.0),
            ("device cpu".to_owned(), 0.25),
        ]
    );
    let merged = layer(
        Settings::parse_toml("energy_price = 0.1\n[price_per_hour]\nsim = 1.0").expect("valid"),
        flags(&["--price-per-hour=sim=4", "--carbon-intensity=300"]),
    );
    let last = merged.price_per_hour.last().expect("two prices");
    assert!(
        (last.usd_per_hour - 4.0).abs() < 1e-12,
        "the command line's price comes last"
    );
    assert_eq!(merged.energy_price, Some(0.1));
    assert_eq!(merged.carbon_intensity, Some(300.0));
}

#[test]
fn bad_hourly_prices_say_what_is_wrong() {
    for (arg, why) in [
        ("sim", "'sim' must look like ENGINE=USD or DEVICE=USD"),
        ("sim=two", "'sim=two' must look like ENGINE=USD"),
        ("=2", "'=2' must look like ENGINE=USD"),
        (
            "sim=-2.5",
            "the price must be a non-negative number of US dollars, got -2.5",
        ),
        ("sim=inf", "the price must be a non-negative number"),
        ("candel=2", "price-per-hour 'candel'"),
    ] {
        let e = Flags::try_parse_from(["compare", "--price-per-hour", arg]).expect_err(arg);
        let text = e.render().to_string();
        assert!(text.contains(why), "{arg}: {text}");
        assert!(
            text.contains("--price-per-hour"),
            "{arg}: the flag is named: {text}"
        );
    }
}
