//! The GGUF-built tokenizer of the default model against llama.cpp's own ids
//! (`fixtures/tokenizer-smollm2.json`, made by `fixtures/make-tokenizer-fixture.py`).

use std::path::{Path, PathBuf};

use bench_inputs::Tokenizer;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokenizer-smollm2.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture json")
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .expect("ids array")
        .iter()
        .map(|i| u32::try_from(i.as_u64().expect("id")).expect("u32 id"))
        .collect()
}

/// The default model's tokenizer, or `None` (with the reason printed) when it is not fetched.
fn tokenizer() -> Option<Tokenizer> {
    let model = root().join("models/smollm2-135m-instruct-q4_1.gguf");
    if !model.is_file() {
        eprintln!(
            "skipping: {} is absent (fetch it with `benchmark-runner models fetch smollm2-135m-instruct-q4_1`)",
            model.display()
        );
        return None;
    }
    Some(Tokenizer::from_gguf(&model).expect("tokenizer builds from GGUF metadata"))
}

#[test]
fn raw_ids_equal_llama_cpp_on_every_fixture_string() {
    let Some(tok) = tokenizer() else { return };
    let f = fixture();
    let cases = f["cases"].as_array().expect("cases");
    assert!(cases.len() >= 200, "fixture has {} cases", cases.len());
    let mut mismatches = Vec::new();
    for case in cases {
        let text = case["text"].as_str().expect("text");
        let want = ids(&case["ids"]);
        let got = tok.encode(text).expect("encodes");
        if got != want {
            mismatches.push(format!(
                "{text:?}\n  llama.cpp {want:?}\n  ours      {got:?}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} strings differ:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

#[test]
fn chat_prompts_equal_llama_cpp() {
    let Some(tok) = tokenizer() else { return };
    let f = fixture();
    for case in f["chat_cases"].as_array().expect("chat cases") {
        let text = case["text"].as_str().expect("text");
        assert_eq!(
            tok.apply_chat_template(text).expect("renders"),
            case["prompt"].as_str().expect("prompt"),
            "template of {text:?}"
        );
        assert_eq!(
            tok.encode_prompt(text, true).expect("encodes"),
            ids(&case["ids"]),
            "ids of {text:?}"
        );
    }
}

#[test]
fn specials_and_round_trip() {
    let Some(tok) = tokenizer() else { return };
    assert_eq!(tok.vocab_size(), 49_152);
    assert_eq!(tok.eos_id(), Some(2));
    assert_eq!(tok.bos_id(), Some(1));
    let text = "Hello, world! 日本語 🦀 x² 12345";
    assert_eq!(
        tok.decode(&tok.encode(text).expect("encodes"))
            .expect("decodes"),
        text
    );
    assert_eq!(
        tok.count(text).expect("counts"),
        tok.encode(text).expect("encodes").len()
    );
}
