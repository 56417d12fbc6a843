//! Greedy parity of burn's forward pass on the default model with the recorded llama.cpp and
//! candle references, under the rules every engine's parity test shares
//! (`worker_testkit::parity`). burn runs the GGUF weights dequantised to f32 with f32
//! activations and KV cache: it rounds nothing the references do not, so it must sit closer
//! to candle (f32 KV cache) than to llama.cpp (f16 KV cache).
//!
//! On the CPU backend always; with `--features wgpu`, the wgpu backend is checked against the
//! CPU backend (on a machine without a GPU, Vulkan's software driver lavapipe runs the same
//! cubecl kernels). Skipped, with a message, when the model file is absent.

use burn_bench::load::read_gguf;
use burn_bench::model::Llama;
use burn_bench::options::DeviceSpec;
use worker_testkit::parity;

mod support;

/// The model on `device` and its end-of-sequence ids, or `None` when the model is absent.
fn open(device: &str, max_seq_len: usize) -> Option<(Llama, Vec<u32>)> {
    let path = worker_testkit::default_model()?;
    let dev = DeviceSpec::parse(device)
        .expect("device")
        .open()
        .expect("device opens");
    if let Some(adapter) = burn_bench::options::adapter_name(&dev) {
        eprintln!("{device}: adapter {adapter}");
    }
    let read = read_gguf(&path, Some(max_seq_len)).expect("model reads");
    let eos = read.eos_ids.clone();
    Some((Llama::new(read.config, read.weights, &dev), eos))
}

#[test]
fn greedy_tokens_match_the_references_on_the_cpu() {
    let Some((mut model, eos)) = open("cpu", 512) else {
        return;
    };
    let cases = parity::llama_cpp().cases;
    let prompts: Vec<&[u32]> = cases.iter().map(|c| c.prompt_ids.as_slice()).collect();
    let max_tokens: Vec<u32> = cases.iter().map(|c| c.tokens.len() as u32).collect();
    let outputs = support::run(&mut model, &eos, &prompts, &max_tokens, false);
    parity::assert_f32_engine("burn (cpu)", &outputs);
}

/// The wgpu backend runs the same forward pass through cubecl's kernels (on lavapipe, Vulkan's
/// software driver, where there is no GPU): on the first prompts of the references, its
/// first-step log-probabilities must agree with the CPU backend's within `WGPU_TOL` nats and
/// its greedy tokens must be the same. A few prompts only: on lavapipe every kernel runs on the
/// CPU, slowly, and cubecl tunes its kernels for each new shape.
#[cfg(feature = "wgpu")]
#[test]
fn wgpu_computes_what_the_cpu_backend_computes() {
    /// Both backends compute in f32; only the order of their sums differs.
    const WGPU_TOL: f32 = 0.01;
    const PROMPTS: usize = 3;
    let cases = parity::llama_cpp().cases;
    let prompts: Vec<&[u32]> = cases[..PROMPTS]
        .iter()
        .map(|c| c.prompt_ids.as_slice())
        .collect();
    let max_tokens = [8; PROMPTS];
    let run = |device| {
        let (mut model, eos) = open(device, 256)?;
        Some(support::run(&mut model, &eos, &prompts, &max_tokens, true))
    };
    let (Some(cpu), Some(wgpu)) = (run("cpu"), run("wgpu")) else {
        return;
    };
    for (i, (c, w)) in cpu.iter().zip(&wgpu).enumerate() {
        let worst = support::worst_difference(c, w);
        eprintln!("prompt {i}: worst first-step log-prob difference, wgpu vs cpu: {worst:.2e}");
        assert!(worst < WGPU_TOL, "prompt {i}: {worst} nats apart");
        assert_eq!(c.tokens, w.tokens, "prompt {i}: greedy tokens differ");
    }
}
