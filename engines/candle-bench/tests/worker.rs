//! The real worker binary on the default model, through protocol lines on stdin (skipped with a
//! printed reason when the model is not fetched).

use serde_json::{Value, json};
use worker_testkit::lines::{generate_sampled, load};
use worker_testkit::prompts::{FRANCE, FRANCE_LLAMA_CPP, SKY};
use worker_testkit::{ids, samples};

fn model() -> Option<std::path::PathBuf> {
    worker_testkit::default_model()
}

fn generate(
    id: u64,
    prompt: Option<&[u32]>,
    max_tokens: u32,
    ignore_eos: bool,
    temperature: f32,
    seed: u64,
) -> Value {
    generate_sampled(id, prompt, max_tokens, ignore_eos, temperature, seed)
}

/// Run the worker on `lines` (a shutdown is appended) and return every message it wrote.
fn run(lines: &[Value]) -> Vec<Value> {
    worker_testkit::run_worker(env!("CARGO_BIN_EXE_candle-bench"), lines, &[])
}

#[test]
fn greedy_matches_llama_cpp_stops_at_eos_and_never_reuses_a_cache() {
    let Some(path) = model() else { return };
    let messages = run(&[
        load(&path, &json!({"threads": 2})),
        generate(0, Some(&SKY), 64, true, 0.0, 0),
        generate(1, Some(&FRANCE), 32, false, 0.0, 0),
        generate(2, Some(&SKY), 64, true, 0.0, 0),
        generate(3, Some(&SKY), 64, false, 0.0, 0),
        generate(4, Some(&FRANCE), 24, false, 0.8, 42),
        generate(5, Some(&FRANCE), 24, false, 0.8, 42),
    ]);
    assert_eq!(messages[0]["type"], "hello");
    assert_eq!(messages[0]["engine"], "candle");
    let loaded = &messages[1];
    assert_eq!(loaded["type"], "loaded", "{loaded}");
    assert_eq!(loaded["details"]["quantization"], "Q4_1");
    assert_eq!(loaded["details"]["threads"], 2);
    // The SIMD extensions the worker states are those it was compiled for (this test binary is
    // compiled with the same flags).
    let features = loaded["details"]["cpu_features"]
        .as_array()
        .expect("cpu_features");
    assert_eq!(
        features.contains(&json!("avx2")),
        cfg!(target_feature = "avx2"),
        "{features:?}"
    );
    let s = samples(&messages);
    assert_eq!(s.len(), 6);
    assert!(s.iter().all(|x| x["outcome"]["status"] == "ok"), "{s:?}");

    assert_eq!(
        ids(s[1]),
        FRANCE_LLAMA_CPP,
        "greedy output differs from llama.cpp"
    );
    assert_eq!(s[1]["prompt_tokens"], 37);
    assert!(
        s[1]["prefill_ns"].as_u64().expect("prefill") <= s[1]["ttft_ns"].as_u64().expect("ttft")
    );

    assert_eq!(ids(s[0]).len(), 64, "ignore_eos runs to max_tokens");
    assert_eq!(s[0]["finish_reason"], "length");
    assert_eq!(
        ids(s[0]),
        ids(s[2]),
        "the same request after another gives the same tokens"
    );

    let stopped = ids(s[3]);
    assert_eq!(s[3]["finish_reason"], "eos");
    assert!(stopped.len() < 64 && !stopped.contains(&2), "{stopped:?}");
    assert_eq!(
        stopped,
        ids(s[0])[..stopped.len()],
        "EOS cuts the same sequence short"
    );
    assert_eq!(ids(s[0])[stopped.len()], 2, "the ignored token was EOS");

    assert_eq!(ids(s[4]), ids(s[5]), "one seed, one sample");
    assert_ne!(
        ids(s[4]),
        FRANCE_LLAMA_CPP[..ids(s[4]).len()],
        "temperature 0.8 is not greedy"
    );
}

#[test]
fn requests_without_ids_and_unknown_options_fail_with_messages() {
    let Some(path) = model() else { return };
    let messages = run(&[load(&path, &json!({})), generate(0, None, 8, false, 0.0, 0)]);
    let s = samples(&messages);
    assert_eq!(s.len(), 1);
    let failure = s[0]["outcome"].to_string();
    assert!(failure.contains("prompt_token_ids"), "{failure}");

    let messages = run(&[load(&path, &json!({"thread": 2}))]);
    let error = messages
        .iter()
        .find(|m| m["type"] == "error")
        .expect("load error");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("thread"),
        "{error}"
    );
}

/// A synthetic llama-3.2-1b (`models synth`'s writer, `Q4_0`) loads and generates on the CPU,
/// and the worker states the KV cache size of that shape (16 layers, 8 KV heads of 64, f32).
#[test]
fn synthetic_llama_3_2_1b_loads_and_generates() {
    use bench_inputs::synth::{self, SynthSpec, WeightType};

    let Some(source) = model() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("synthetic-1b.gguf");
    let tokenizer = synth::read_metadata(&source).expect("tokenizer of the default model");
    let spec = SynthSpec {
        arch: synth::architecture("llama-3.2-1b").expect("known architecture"),
        weights: WeightType::Q4_0,
        seed: 0,
        source: "candle-bench test",
    };
    synth::write_synthetic(&spec, &tokenizer, &path, &mut |_, _| {}).expect("synthetic model");

    let messages = run(&[
        load(&path, &json!({})),
        generate(1, Some(&SKY), 4, true, 0.0, 0),
    ]);
    let loaded = messages
        .iter()
        .find(|m| m["type"] == "loaded")
        .unwrap_or_else(|| panic!("no loaded message: {messages:?}"));
    assert_eq!(
        loaded["details"]["kv_bytes_per_position"],
        2 * 16 * 8 * 64 * 4,
        "{loaded}"
    );
    let s = samples(&messages);
    assert_eq!(s.len(), 1, "{messages:?}");
    assert_eq!(s[0]["outcome"]["status"], "ok", "{}", s[0]);
    assert_eq!(ids(s[0]).len(), 4, "{}", s[0]);
}
