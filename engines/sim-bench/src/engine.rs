//! The synthetic engine behind [`bench_worker::Engine`].

use anyhow::Context;
use bench_worker::shared_protocol::{Capabilities, DeviceKind, EngineId, LoadRequest, Request};
use bench_worker::{Description, Engine, Flow, Loaded, TokenSink, mono_ns, parse_options, stdio};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::options::SimOptions;

/// The synthetic engine.
pub struct Sim {
    options: SimOptions,
    served: u64,
}

fn options(request: &LoadRequest) -> anyhow::Result<SimOptions> {
    let options: SimOptions = parse_options(&request.options)?;
    options.validate()?;
    Ok(options)
}

/// Mix seeds so every request has its own reproducible stream, independent of run order.
fn request_rng(seed: u64, request: &Request) -> StdRng {
    let mut x = seed ^ request.sampling.seed.rotate_left(17) ^ request.id.rotate_left(41);
    StdRng::seed_from_u64(bench_worker::shared_protocol::seed::splitmix64(&mut x))
}

fn ms_to_ns(ms: f64) -> u64 {
    (ms * 1e6).round() as u64
}

impl Sim {
    fn misbehave(&self, request: &Request) {
        let n = self.served;
        if self.options.crash_after.is_some_and(|k| n >= k) {
            eprintln!("sim: simulated crash at request {}", request.id);
            std::process::exit(101);
        }
        if self.options.hang_after.is_some_and(|k| n >= k) {
            eprintln!("sim: simulated hang at request {}", request.id);
            loop {
                std::thread::park();
            }
        }
        if self.options.garbage_after.is_some_and(|k| n >= k) {
            eprintln!("sim: writing garbage at request {}", request.id);
            for i in 0..100_000u32 {
                if stdio::write_raw_line(&format!("garbage line {i} \u{1}\u{7f}{{not json"))
                    .is_err()
                {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            loop {
                std::thread::park();
            }
        }
        assert!(
            self.options.panic_on_request != Some(request.id),
            "simulated panic at request {}",
            request.id
        );
    }
}

impl Engine for Sim {
    fn describe() -> Description {
        Description {
            engine: EngineId::Sim,
            engine_version: env!("CARGO_PKG_VERSION").to_owned(),
            default_device: "none".to_owned(),
            capabilities: Capabilities {
                devices: vec![DeviceKind::None],
                token_ids_input: true,
                device_clock: false,
                workload: false,
                ignore_eos: true,
            },
        }
    }

    fn check(request: &LoadRequest) -> anyhow::Result<()> {
        options(request).map(|_| ())
    }

    fn load(request: &LoadRequest) -> anyhow::Result<Loaded<Self>> {
        let options = options(request)?;
        let mut rng = StdRng::seed_from_u64(options.seed);
        let load_ns = ms_to_ns(options.load_ms.sample(&mut rng));
        bench_worker::sleep_until(mono_ns() + load_ns, options.spin);
        let mut loaded = Loaded::new(Sim { options, served: 0 });
        let details = serde_json::to_value(&loaded.engine.options).context("options serialize")?;
        if let serde_json::Value::Object(map) = details {
            loaded.details = map;
        }
        Ok(loaded)
    }

    fn generate(&mut self, request: &Request, sink: &mut TokenSink) -> anyhow::Result<()> {
        self.misbehave(request);
        self.served += 1;
        let o = &self.options;
        let mut rng = request_rng(o.seed, request);
        let prompt_tokens = request
            .prompt_token_ids
            .as_ref()
            .map_or_else(|| request.text.len().div_ceil(4), Vec::len);
        let ttft_ms =
            o.ttft_ms.sample(&mut rng) + o.ttft_ms_per_prompt_token * prompt_tokens as f64;
        let eos_after = o
            .output_tokens
            .map(|d| (d.sample(&mut rng).round() as u32).max(1))
            .filter(|_| !request.ignore_eos);
        let fail = rng.random::<f64>() < o.fail_rate;

        let mut deadline = mono_ns() + ms_to_ns(ttft_ms);
        bench_worker::sleep_until(deadline, o.spin);
        sink.prefill_done();
        let mut produced = 0u32;
        loop {
            let id = rng.random_range(0..o.vocab_size);
            produced += 1;
            if sink.token(id) == Flow::Stop {
                return Ok(());
            }
            if fail {
                anyhow::bail!("simulated failure after {produced} token(s)");
            }
            if eos_after.is_some_and(|n| produced >= n) {
                sink.end_of_sequence();
                return Ok(());
            }
            deadline += ms_to_ns(o.tpot_ms.sample(&mut rng));
            bench_worker::sleep_until(deadline, o.spin);
        }
    }
}
