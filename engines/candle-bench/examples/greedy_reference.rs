//! Write candle's greedy tokens, with the top log-probabilities of every step, for prompts given
//! as token ids: the reference lm-rs-bench's parity test compares against.
//!
//! ```text
//! cargo run --release -p candle-bench --example greedy_reference -- \
//!     models/smollm2-135m-instruct-q4_1.gguf \
//!     engines/lm-rs-bench/tests/fixtures/llamacpp-greedy.json \
//!     engines/lm-rs-bench/tests/fixtures/candle-greedy.json
//! ```
//!
//! The prompts file is any JSON document with `cases[].prompt_ids` and `cases[].dataset_row`
//! (the llama.cpp fixture, so both references see the same ids). Each case runs prefill, then
//! greedy decoding for `N_PREDICT` tokens or until end-of-sequence (the end-of-sequence token is
//! listed, as llama.cpp lists it), on the CPU with candle's default thread count.

#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use anyhow::{Context, bail};
use candle_bench::load::{LoadedModel, load_gguf};
use candle_core::{D, DType, Device, Tensor};
use serde_json::{Value, json};

const N_PREDICT: usize = 16;
const N_PROBS: usize = 5;

/// Top `k` (id, log-probability) of a `[1, vocab]` or `[vocab]` logits tensor.
fn top_logprobs(logits: &Tensor, k: usize) -> anyhow::Result<Vec<(u32, f32)>> {
    let logits = logits.flatten_all()?.to_dtype(DType::F32)?;
    let logp = candle_nn::ops::log_softmax(&logits, D::Minus1)?.to_vec1::<f32>()?;
    let mut ids: Vec<usize> = (0..logp.len()).collect();
    // Highest first; ties by the lower id, as an argmax over the vector would pick.
    ids.sort_by(|&a, &b| logp[b].total_cmp(&logp[a]).then(a.cmp(&b)));
    Ok(ids[..k].iter().map(|&i| (i as u32, logp[i])).collect())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [model_path, prompts_path, out_path] = args.as_slice() else {
        bail!("usage: greedy_reference MODEL.gguf PROMPTS.json OUT.json");
    };
    let prompts: Value = serde_json::from_str(
        &std::fs::read_to_string(prompts_path)
            .with_context(|| format!("cannot read {}", prompts_path.display()))?,
    )?;
    let cases = prompts["cases"]
        .as_array()
        .context("the prompts file has no cases array")?;
    let device = Device::Cpu;
    let LoadedModel {
        mut model, eos_ids, ..
    } = load_gguf(model_path, &device)?;
    let mut out = Vec::new();
    for case in cases {
        let row = case["dataset_row"].as_u64().context("dataset_row")?;
        let prompt: Vec<u32> = serde_json::from_value(case["prompt_ids"].clone())?;
        let mut steps = Vec::new();
        let mut logits = model.prefill(&prompt, &device)?;
        for pos in prompt.len()..prompt.len() + N_PREDICT {
            let top = top_logprobs(&logits, N_PROBS)?;
            let next = top[0].0;
            steps.push(top);
            if eos_ids.contains(&next) {
                break;
            }
            logits = model.step(next, pos, &device)?;
        }
        println!("row {row}: {} tokens", steps.len());
        out.push(json!({
            "dataset_row": row,
            "prompt_ids": prompt,
            "tokens": steps.iter().map(|s| s[0].0).collect::<Vec<_>>(),
            "top_logprobs": steps,
        }));
    }
    let model_name = model_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let doc = json!({
        "note": format!(
            "made by engines/candle-bench/examples/greedy_reference.rs: candle {} on the CPU, \
             greedy tokens (fewer than {N_PREDICT} where it stopped at end-of-sequence) for the \
             prompt ids of {}",
            candle_bench::CANDLE_VERSION,
            prompts_path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
        ),
        "model": model_name,
        "cases": out,
    });
    std::fs::write(out_path, serde_json::to_string_pretty(&doc)? + "\n")?;
    println!("wrote {}", out_path.display());
    Ok(())
}
