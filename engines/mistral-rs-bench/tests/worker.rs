//! The real worker binary on the default model, through protocol lines on stdin (skipped with a
//! printed reason when the model is not fetched): one request at a time, and whole workloads
//! under mistral.rs's own scheduler.

use serde_json::{Value, json};
use worker_testkit::lines::{generate_sampled, load};
use worker_testkit::prompts::{EOS, FRANCE, FRANCE_LLAMA_CPP, SKY};
use worker_testkit::{ids, loaded, samples};

fn run(lines: &[Value]) -> Vec<Value> {
    worker_testkit::run_worker(env!("CARGO_BIN_EXE_mistral-rs-bench"), lines, &[])
}

fn generate(id: u64, prompt: &[u32], max_tokens: u32, ignore_eos: bool, temperature: f32) -> Value {
    generate_sampled(id, Some(prompt), max_tokens, ignore_eos, temperature, 42)
}

/// Chunk sizes agree with the ids and the gaps between chunks.
fn check_chunks(s: &Value) {
    let n = ids(s).len();
    let sizes: Vec<u32> =
        serde_json::from_value(s["tokens_per_chunk"].clone()).expect("tokens_per_chunk");
    assert_eq!(sizes.iter().sum::<u32>() as usize, n, "{s}");
    assert_eq!(
        s["itl_ns"].as_array().expect("itl").len(),
        sizes.len() - 1,
        "{s}"
    );
    assert_eq!(s["completion_tokens"], n);
    assert!(
        s["engine_metrics"]["recorder_ns"]
            .as_u64()
            .expect("recorder_ns")
            > 0
    );
}

#[test]
fn greedy_matches_llama_cpp_stops_at_eos_masks_it_on_request_and_samples_by_seed() {
    let Some(path) = worker_testkit::default_model() else {
        return;
    };
    let messages = run(&[
        load(&path, &json!({"threads": 2})),
        generate(0, &SKY, 64, true, 0.0),
        generate(1, &FRANCE, 32, false, 0.0),
        generate(2, &SKY, 64, false, 0.0),
        generate(3, &SKY, 64, true, 0.0),
        generate(4, &FRANCE, 24, false, 0.8),
        generate(5, &FRANCE, 24, false, 0.8),
    ]);
    assert_eq!(messages[0]["type"], "hello");
    assert_eq!(messages[0]["engine"], "mistral-rs");
    assert_eq!(messages[0]["capabilities"]["workload"], true);
    let loaded = loaded(&messages);
    assert_eq!(loaded["details"]["quantization"], "q4_1", "{loaded}");
    assert_eq!(loaded["details"]["threads"], 2);
    assert_eq!(loaded["details"]["prefix_cache"], 0);
    let s = samples(&messages);
    assert_eq!(s.len(), 6);
    assert!(s.iter().all(|x| x["outcome"]["status"] == "ok"), "{s:?}");
    for x in &s {
        check_chunks(x);
    }

    // mistral.rs keeps activations and its KV cache in bf16 on the CPU: it follows llama.cpp
    // until a near tie at the 16th token (the parity test holds it to the shared rules).
    assert_eq!(
        ids(s[1])[..15],
        FRANCE_LLAMA_CPP[..15],
        "greedy output differs from llama.cpp"
    );
    assert_eq!(s[1]["prompt_tokens"], 37);

    let full = ids(s[0]);
    assert_eq!(full.len(), 64, "ignore_eos runs to max_tokens");
    assert_eq!(s[0]["finish_reason"], "length");
    assert!(
        !full.contains(&EOS),
        "ignore_eos masks end-of-sequence: {full:?}"
    );
    assert_eq!(
        ids(s[3]),
        full,
        "the same request again gives the same tokens"
    );

    let stopped = ids(s[2]);
    assert_eq!(s[2]["finish_reason"], "eos");
    assert!(stopped.len() < 64, "{stopped:?}");
    assert_eq!(
        stopped,
        full[..stopped.len()],
        "EOS cuts the same sequence short"
    );

    assert_eq!(ids(s[4]), ids(s[5]), "one seed, one sample");
    assert_ne!(
        ids(s[4]),
        FRANCE_LLAMA_CPP[..ids(s[4]).len()],
        "temperature 0.8 is not greedy"
    );
}

#[test]
fn workloads_run_concurrently_under_mistral_rs_scheduler() {
    let Some(path) = worker_testkit::default_model() else {
        return;
    };
    let request = |id: u64, prompt: &[u32]| {
        json!({"id": id, "text": "", "prompt_token_ids": prompt, "chat": true,
               "max_tokens": 16, "ignore_eos": true,
               "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": 0}})
    };
    let requests: Vec<Value> = (0..8)
        .map(|i| request(i, if i % 2 == 0 { &FRANCE } else { &SKY }))
        .collect();
    let closed = json!({"type": "workload", "phase": "measure", "request_timeout_ms": 120_000,
        "load": {"kind": "closed", "concurrency": 4}, "requests": requests});
    let open = json!({"type": "workload", "phase": "measure", "request_timeout_ms": 120_000,
        "load": {"kind": "open", "rate_rps": 50.0, "arrival": {"kind": "poisson"},
                 "max_concurrency": 4, "seed": 3, "ramp_up_s": 0.0},
        "requests": requests});
    let messages = run(&[
        load(&path, &json!({"threads": 2})),
        generate(100, &FRANCE, 16, true, 0.0),
        closed,
        open,
    ]);
    let s = samples(&messages);
    assert_eq!(s.len(), 17, "{messages:?}");
    assert!(s.iter().all(|x| x["outcome"]["status"] == "ok"), "{s:?}");
    let alone = ids(s[0]);
    let (closed, open) = s[1..].split_at(8);
    for x in closed.iter().chain(open) {
        check_chunks(x);
        assert_eq!(ids(x).len(), 16, "{x}");
    }
    // Requests overlapped: mistral.rs ran several at once.
    let spans: Vec<(u64, u64)> = closed
        .iter()
        .map(|x| {
            let start = x["start_mono_ns"].as_u64().expect("start");
            (start, start + x["e2e_ns"].as_u64().expect("e2e"))
        })
        .collect();
    let overlapping = spans
        .iter()
        .filter(|a| spans.iter().filter(|b| b.0 < a.1 && a.0 < b.1).count() > 1)
        .count();
    assert!(
        overlapping >= 4,
        "closed loop of 4 never overlapped: {spans:?}"
    );
    assert!(closed.iter().all(|x| x["scheduled_mono_ns"].is_null()));
    assert!(
        open.iter()
            .all(|x| x["scheduled_mono_ns"].as_u64().is_some())
    );
    // Batched or alone, the first request's greedy tokens begin the same way.
    let batched = closed
        .iter()
        .find(|x| x["request_id"] == 0)
        .map(|x| ids(x))
        .expect("request 0");
    assert_eq!(
        batched[..4],
        alone[..4],
        "batched {batched:?} alone {alone:?}"
    );
}

#[test]
fn bad_requests_and_options_fail_with_messages_that_name_the_fix() {
    let Some(path) = worker_testkit::default_model() else {
        return;
    };
    let messages = run(&[
        load(&path, &json!({})),
        generate_sampled(0, None, 8, false, 0.0, 0),
        generate(1, &SKY, 100_000, false, 0.0),
    ]);
    let s = samples(&messages);
    assert_eq!(s.len(), 2, "{messages:?}");
    assert!(
        s[0]["outcome"].to_string().contains("prompt_token_ids"),
        "{}",
        s[0]
    );
    assert!(
        s[1]["outcome"].to_string().contains("positions"),
        "{}",
        s[1]
    );

    for (options, word) in [
        (json!({"thread": 2}), "thread"),
        (json!({"paged_attention": true}), "CUDA"),
        (json!({"max_num_seqs": 0}), "max_num_seqs"),
    ] {
        let messages = run(&[load(&path, &options)]);
        let error = messages
            .iter()
            .find(|m| m["type"] == "error")
            .unwrap_or_else(|| panic!("no error for {options}: {messages:?}"));
        assert!(
            error["message"].as_str().expect("message").contains(word),
            "{error}"
        );
    }
}
