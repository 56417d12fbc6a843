//! Generate from token ids and report speed, outside the worker protocol:
//!
//! ```text
//! cargo run --release -p lm-rs-bench --example generate -- MODEL.gguf \
//!     [--threads N] [--tokens N] [--runs N] [--prompt 1,4093,198,...]
//! ```
//!
//! Prints the generated text (for gpt2 vocabularies) and one line per run with the prefill time
//! and the decode rate (tokens after the first over the time since the first), taken from the
//! same timestamps the worker loop records.

use std::path::PathBuf;

use anyhow::{Context, bail};
use bench_worker::TokenSink;
use lm_rs_bench::LmRs;
use shared_protocol::{Outcome, Phase, Request, Sampling};

#[path = "support/detok.rs"]
mod detok;

struct Args {
    model: PathBuf,
    threads: Option<usize>,
    tokens: u32,
    runs: usize,
    prompt: Vec<u32>,
}

fn parse() -> anyhow::Result<Args> {
    let mut it = std::env::args().skip(1);
    let mut args = Args {
        model: it
            .next()
            .context("usage: generate MODEL.gguf [options]")?
            .into(),
        threads: None,
        tokens: 64,
        runs: 3,
        // "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
        prompt: vec![
            1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47, 2, 198, 1, 520, 9531, 198,
        ],
    };
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--threads" => args.threads = Some(value.parse()?),
            "--tokens" => args.tokens = value.parse()?,
            "--runs" => args.runs = value.parse()?,
            "--prompt" => {
                args.prompt = value
                    .split(',')
                    .map(|s| s.trim().parse())
                    .collect::<Result<_, _>>()?;
            }
            other => bail!("unknown option {other}"),
        }
    }
    Ok(args)
}

fn main() -> anyhow::Result<()> {
    let args = parse()?;
    let mut engine = LmRs::open(&args.model, args.threads)?;
    let detok = detok::Detok::from_metadata(engine.model().file.metadata());
    eprintln!("{:?}", engine.details());
    let request = Request {
        id: 0,
        text: String::new(),
        prompt_token_ids: Some(args.prompt.clone()),
        chat: true,
        max_tokens: args.tokens,
        ignore_eos: true,
        sampling: Sampling::default(),
    };
    for run in 0..args.runs {
        let mut sink = TokenSink::new(None);
        sink.prepare(args.tokens)?;
        sink.start();
        engine.run(&args.prompt, &request, &mut sink)?;
        let end = bench_worker::mono_ns();
        let (sample, _) = sink.finish(&request, Phase::Measure, end, Outcome::Ok);
        let ids = sample.output_token_ids.unwrap_or_default();
        if run == 0 {
            if let Some(d) = &detok {
                println!("{:?}", d.decode(&ids));
            }
            println!("{ids:?}");
        }
        let decode_ns: u64 = sample.itl_ns.iter().sum();
        let prefill_ms = sample.prefill_ns.unwrap_or(0) as f64 / 1e6;
        let tok_s = sample.itl_ns.len() as f64 / (decode_ns as f64 / 1e9);
        println!(
            "run {run}: prompt {} tokens, prefill {prefill_ms:.1} ms ({:.1} tok/s), decode {} tokens at {tok_s:.1} tok/s",
            args.prompt.len(),
            args.prompt.len() as f64 / (prefill_ms / 1e3),
            ids.len()
        );
    }
    Ok(())
}
