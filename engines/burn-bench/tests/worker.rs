//! The real worker binary on the default model, through protocol lines on stdin (skipped with a
//! printed reason when the model is not fetched): greedy tokens equal transformers' in f32,
//! end-of-sequence, no state carried between requests, seeded sampling, and clear errors.

use serde_json::{Value, json};
use worker_testkit::lines::{generate, generate_sampled, load, load_on};
use worker_testkit::prompts::{EOS, FRANCE, FRANCE_F32, SKY};
use worker_testkit::{default_model, ids, loaded, run_worker, samples};

fn run(lines: &[Value]) -> Vec<Value> {
    run_worker(env!("CARGO_BIN_EXE_burn-bench"), lines, &[])
}

#[test]
fn greedy_matches_transformers_stops_at_eos_and_never_reuses_a_cache() {
    let Some(path) = default_model() else { return };
    let messages = run(&[
        load(&path, &json!({"threads": 2})),
        generate(0, Some(&SKY), 24, true),
        generate(1, Some(&FRANCE), 12, false),
        generate(2, Some(&SKY), 24, true),
        generate(3, Some(&SKY), 24, false),
        generate_sampled(4, Some(&FRANCE), 12, false, 0.8, 42),
        generate_sampled(5, Some(&FRANCE), 12, false, 0.8, 42),
    ]);
    assert_eq!(messages[0]["type"], "hello");
    assert_eq!(messages[0]["engine"], "burn");
    assert_eq!(messages[0]["capabilities"]["device_clock"], false);
    let details = &loaded(&messages)["details"];
    assert_eq!(details["quantization"], "q4_1", "{details}");
    assert_eq!(details["backend"], "flex", "{details}");
    assert_eq!(details["threads"], 2, "{details}");
    assert_eq!(details["tied_embeddings"], true, "{details}");
    let s = samples(&messages);
    assert_eq!(s.len(), 6);
    assert!(s.iter().all(|x| x["outcome"]["status"] == "ok"), "{s:?}");

    assert_eq!(
        ids(s[1]),
        FRANCE_F32,
        "greedy output differs from transformers in f32"
    );
    assert_eq!(s[1]["finish_reason"], "eos");
    assert_eq!(s[1]["prompt_tokens"], 37);
    assert!(
        s[1]["prefill_ns"].as_u64().expect("prefill") <= s[1]["ttft_ns"].as_u64().expect("ttft")
    );

    assert_eq!(ids(s[0]).len(), 24, "ignore_eos runs to max_tokens");
    assert_eq!(s[0]["finish_reason"], "length");
    assert_eq!(
        ids(s[0]),
        ids(s[2]),
        "the same request after another gives the same tokens"
    );
    let stopped = ids(s[3]);
    assert_eq!(s[3]["finish_reason"], "eos");
    assert!(stopped.len() < 24 && !stopped.contains(&EOS), "{stopped:?}");
    assert_eq!(stopped, ids(s[0])[..stopped.len()]);
    assert_eq!(ids(s[0])[stopped.len()], EOS, "the ignored token was EOS");

    assert_eq!(ids(s[4]), ids(s[5]), "one seed, one sample");
    assert_ne!(ids(s[4]), ids(s[1]), "temperature 0.8 is not greedy");
}

#[test]
fn bad_requests_fail_with_messages_that_name_the_fix() {
    let Some(path) = default_model() else { return };
    let messages = run(&[load(&path, &json!({})), generate(0, None, 8, false)]);
    let s = samples(&messages);
    assert_eq!(s.len(), 1);
    let failure = s[0]["outcome"].to_string();
    assert!(failure.contains("prompt_token_ids"), "{failure}");

    for (options, device, expected) in [
        (json!({"thread": 2}), "cpu", "thread"),
        (json!({"max_seq_len": 0}), "cpu", "max_seq_len"),
        (json!({}), "metal", "not supported by burn-bench"),
    ] {
        let messages = run(&[load_on(&path, device, &options)]);
        let error = messages
            .iter()
            .find(|m| m["type"] == "error")
            .unwrap_or_else(|| panic!("no error for {options} on {device}: {messages:?}"));
        let text = error["message"].as_str().expect("message");
        assert!(text.contains(expected), "{text}");
    }

    // A request longer than the positions held is refused before any work.
    let messages = run(&[
        load(&path, &json!({"max_seq_len": 40})),
        generate(0, Some(&FRANCE), 8, false),
    ]);
    let failure = samples(&messages)[0]["outcome"].to_string();
    assert!(failure.contains("max_seq_len"), "{failure}");
}
