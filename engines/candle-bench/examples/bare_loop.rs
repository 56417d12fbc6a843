//! The bare candle loop: the same model calls as the worker (prefill, sample, one forward per
//! token) with no sink, no protocol and no worker loop, timed with `Instant` around each token.
//! `scripts/bench-candle-overhead.sh` compares its decode rate with the worker's.
//!
//! ```text
//! bare_loop MODEL.gguf --prompt-ids 1,2,3 [--tokens 128] [--requests 3] [--warmup-tokens 8] [--threads N]
//! ```
//! Runs one warm-up request of `--warmup-tokens`, then prints one JSON line per measured
//! request: `{"decode_tok_s": ..., "tokens": ...}`.

use std::time::Instant;

use anyhow::{Context, bail};
use candle_bench::Model;
use candle_bench::load::load_gguf;
use candle_bench::sampler::Sampler;
use candle_core::Device;
use shared_protocol::Sampling;

struct Args {
    model: String,
    prompt: Vec<u32>,
    tokens: usize,
    requests: usize,
    warmup_tokens: usize,
    threads: Option<usize>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        model: args.next().context("usage: bare_loop MODEL.gguf --prompt-ids 1,2,3 [--tokens N] [--requests N] [--threads N]")?,
        prompt: Vec::new(),
        tokens: 128,
        requests: 3,
        warmup_tokens: 8,
        threads: None,
    };
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--prompt-ids" => {
                parsed.prompt = value
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .context("--prompt-ids")?;
            }
            "--tokens" => parsed.tokens = value.parse().context("--tokens")?,
            "--requests" => parsed.requests = value.parse().context("--requests")?,
            "--warmup-tokens" => parsed.warmup_tokens = value.parse().context("--warmup-tokens")?,
            "--threads" => parsed.threads = Some(value.parse().context("--threads")?),
            _ => bail!("unknown flag {flag}"),
        }
    }
    if parsed.prompt.is_empty() || parsed.tokens < 2 || parsed.warmup_tokens < 2 {
        bail!("need --prompt-ids, and --tokens and --warmup-tokens of at least 2");
    }
    Ok(parsed)
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    bench_worker::cpu::set_rayon_threads(args.threads)?;
    let device = Device::Cpu;
    let mut loaded = load_gguf(std::path::Path::new(&args.model), &device)?;
    let warmup = decode(&mut loaded.model, &device, &args.prompt, args.warmup_tokens)?;
    eprintln!("warm-up: {warmup:.3} tok/s");
    for _ in 0..args.requests {
        let rate = decode(&mut loaded.model, &device, &args.prompt, args.tokens)?;
        println!(
            "{{\"decode_tok_s\": {rate:.3}, \"tokens\": {}}}",
            args.tokens
        );
    }
    Ok(())
}

/// One greedy request of `tokens` output tokens; returns its decode rate, the first token
/// excluded (as the worker's inter-token gaps exclude it).
fn decode(
    model: &mut Model,
    device: &Device,
    prompt: &[u32],
    tokens: usize,
) -> anyhow::Result<f64> {
    let greedy = Sampling {
        temperature: 0.0,
        top_p: 1.0,
        seed: 0,
    };
    let mut stamps = Vec::with_capacity(tokens);
    let mut sampler = Sampler::new(&greedy);
    let logits = model.prefill(prompt, device)?;
    let mut next = sampler.sample(&logits)?;
    stamps.push(Instant::now());
    let mut pos = prompt.len();
    while stamps.len() < tokens {
        let logits = model.step(next, pos, device)?;
        pos += 1;
        next = sampler.sample(&logits)?;
        stamps.push(Instant::now());
    }
    let elapsed = stamps[stamps.len() - 1] - stamps[0];
    Ok((stamps.len() - 1) as f64 / elapsed.as_secs_f64())
}
