//! A Hugging Face directory runs the same model as the GGUF file it was made from.
//!
//! transformers reads the default model's GGUF file (dequantising it to f32 and undoing
//! llama.cpp's rotary permutation of the query and key rows) and its weights and config are
//! saved as a Hugging Face llama directory; burn-bench then loads both. Their
//! first-step log-probabilities must agree within `TOL` nats and their greedy tokens must be the
//! same: the directory's reader (safetensors, the rotary permutation back to GGUF's pairs, tied
//! embeddings) adds nothing of its own. Skipped, with a message, when the model or an
//! interpreter with torch is absent.

use std::process::Command;

use burn::tensor::Device;
use burn_bench::load::{ReadModel, read_gguf};
use burn_bench::model::Llama;
use worker_testkit::prompts::{FRANCE, SKY};

mod support;

/// Both sources hold the same f32 values; only the order of some sums may differ.
const TOL: f32 = 1e-3;

fn run(read: ReadModel, prompts: &[&[u32]]) -> Vec<worker_testkit::parity::Output> {
    let eos = read.eos_ids.clone();
    let mut model = Llama::new(read.config, read.weights, &Device::flex());
    support::run(&mut model, &eos, prompts, &vec![12; prompts.len()], true)
}

#[test]
fn a_hugging_face_directory_runs_the_same_model_as_its_gguf() {
    let Some(gguf) = worker_testkit::default_model() else {
        return;
    };
    let Some(python) = worker_testkit::torch_python() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("hf");
    // transformers will not `save_pretrained` a model it read from GGUF, so the state dict and
    // the config are written as `save_pretrained` would (a tied output head left out).
    let script = "import os, sys, torch\n\
from safetensors.torch import save_file\n\
from transformers import AutoModelForCausalLM\n\
m = AutoModelForCausalLM.from_pretrained(sys.argv[1], gguf_file=sys.argv[2], dtype=torch.float32)\n\
sd = {k: v.contiguous() for k, v in m.state_dict().items()}\n\
sd.pop('lm_head.weight', None) if m.config.tie_word_embeddings else None\n\
os.makedirs(sys.argv[3], exist_ok=True)\n\
save_file(sd, os.path.join(sys.argv[3], 'model.safetensors'), metadata={'format': 'pt'})\n\
m.config.save_pretrained(sys.argv[3])\n";
    let status = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(gguf.parent().expect("models directory"))
        .arg(gguf.file_name().expect("file name"))
        .arg(&dir)
        .env("HF_HUB_OFFLINE", "1")
        .status()
        .expect("python runs");
    assert!(
        status.success(),
        "transformers could not write {}",
        dir.display()
    );

    let from_dir = burn_bench::hf::read_dir(&dir, Some(128)).expect("directory reads");
    assert_eq!(from_dir.details["format"], "safetensors");
    assert_eq!(from_dir.details["tied_embeddings"], true);
    let from_gguf = read_gguf(&gguf, Some(128)).expect("GGUF reads");
    // GGUF stores the norm's epsilon as f32, config.json as a decimal: equal up to f32 rounding.
    let (eps_dir, eps_gguf) = (from_dir.config.rms_eps, from_gguf.config.rms_eps);
    assert!(
        (eps_dir - eps_gguf).abs() < 1e-6 * eps_dir,
        "{eps_dir} vs {eps_gguf}"
    );
    let mut config = from_dir.config.clone();
    config.rms_eps = eps_gguf;
    assert_eq!(config, from_gguf.config);
    assert_eq!(from_dir.eos_ids, from_gguf.eos_ids);

    let prompts: [&[u32]; 2] = [&FRANCE, &SKY];
    let a = run(from_gguf, &prompts);
    let b = run(from_dir, &prompts);
    for (i, (oa, ob)) in a.iter().zip(&b).enumerate() {
        let worst = support::worst_difference(oa, ob);
        eprintln!("prompt {i}: worst log-prob difference, directory vs GGUF: {worst:.2e}");
        assert!(worst < TOL, "prompt {i}: {worst} nats apart");
        assert_eq!(oa.tokens, ob.tokens, "prompt {i}: greedy tokens differ");
    }
}
