//! Tokenizer building, chat templates, synthetic workloads and selection on a tiny GGUF
//! vocabulary written with the project's `gguf` writer (always runs; no model needed).

use std::path::Path;

use bench_inputs::dataset::{DatasetSpec, Selection, select};
use bench_inputs::{Dataset, Prompt, Tokenizer};
use gguf::{GgufWriter, Value};

const TEMPLATE: &str = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/// Specials, byte-level letters, digits, `12`, `Ġa`..`Ġj` and the 100 words `Ġaa`..`Ġjj`.
fn vocab() -> (Vec<String>, Vec<String>, Vec<i32>) {
    let mut tokens: Vec<String> = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        .map(String::from)
        .to_vec();
    let mut types = vec![3, 3, 3];
    let mut merges = Vec::new();
    tokens.extend(('a'..='z').map(String::from));
    tokens.extend(['Ġ', 'Ċ'].map(String::from));
    tokens.extend(('0'..='9').map(String::from));
    tokens.push("12".into());
    merges.push("1 2".to_owned());
    for x in 'a'..='j' {
        tokens.push(format!("Ġ{x}"));
        merges.push(format!("Ġ {x}"));
    }
    for x in 'a'..='j' {
        for y in 'a'..='j' {
            tokens.push(format!("Ġ{x}{y}"));
            merges.push(format!("Ġ{x} {y}"));
        }
    }
    types.resize(tokens.len(), 1);
    (tokens, merges, types)
}

fn write_gguf(dir: &Path, pre: &str) -> std::path::PathBuf {
    let (tokens, merges, types) = vocab();
    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", "llama")
        .add_metadata("tokenizer.ggml.model", "gpt2")
        .add_metadata("tokenizer.ggml.pre", pre)
        .add_metadata(
            "tokenizer.ggml.tokens",
            Value::Array(tokens.into_iter().map(Value::String).collect()),
        )
        .add_metadata(
            "tokenizer.ggml.merges",
            Value::Array(merges.into_iter().map(Value::String).collect()),
        )
        .add_metadata(
            "tokenizer.ggml.token_type",
            Value::Array(types.into_iter().map(Value::I32).collect()),
        )
        .add_metadata("tokenizer.ggml.bos_token_id", 1u32)
        .add_metadata("tokenizer.ggml.eos_token_id", 2u32)
        .add_metadata("tokenizer.chat_template", TEMPLATE);
    let path = dir.join(format!("tiny-{pre}.gguf"));
    w.write_file(&path).expect("write gguf");
    path
}

fn tokenizer(pre: &str) -> (tempfile::TempDir, Tokenizer) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_gguf(dir.path(), pre);
    let tok = Tokenizer::from_gguf(&path).expect("builds");
    (dir, tok)
}

fn id(tok: &Tokenizer, s: &str) -> u32 {
    tok.encode(s).expect("encodes")[0]
}

#[test]
fn specials_words_and_the_pre_tokenizer_type_shape_the_ids() {
    let (_d, tok) = tokenizer("smollm");
    assert_eq!(tok.vocab_size(), vocab().0.len());
    assert_eq!((tok.bos_id(), tok.eos_id()), (Some(1), Some(2)));
    let ids = tok.encode("<|im_start|>ab cd<|im_end|>").expect("encodes");
    let letters: Vec<u32> = ["a", "b"].iter().map(|s| id(&tok, s)).collect();
    assert_eq!(ids[0], 1);
    assert_eq!(&ids[1..3], letters.as_slice());
    assert_eq!(ids[3..], [tok.encode(" cd").expect("encodes")[0], 2]);
    assert_eq!(tok.encode(" cd").expect("encodes").len(), 1);
    // smollm splits every digit before BPE; gpt-2 lets "1 2" merge.
    assert_eq!(tok.encode("12").expect("encodes").len(), 2);
    let (_d2, gpt2) = tokenizer("gpt-2");
    assert_eq!(gpt2.encode("12").expect("encodes").len(), 1);
    assert_eq!(
        tok.decode(&tok.encode(" ab cd").expect("encodes"))
            .expect("decodes"),
        " ab cd"
    );
}

#[test]
fn an_unknown_pre_tokenizer_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Tokenizer::from_gguf(&write_gguf(dir.path(), "klingon")).expect_err("unknown pre");
    assert!(err.to_string().contains("klingon"), "{err}");
}

#[test]
fn chat_prompts_use_the_gguf_template() {
    let (_d, tok) = tokenizer("smollm");
    assert_eq!(
        tok.apply_chat_template("ab").expect("renders"),
        "<|im_start|>user\nab<|im_end|>\n<|im_start|>assistant\n"
    );
    let ids = tok.encode_prompt("ab", true).expect("encodes");
    assert_eq!(ids.iter().filter(|i| **i == 1).count(), 2, "{ids:?}");
    assert_eq!(tok.encode_prompt("ab", false).expect("encodes").len(), 2);
}

#[test]
fn synthetic_prompts_have_exact_lengths_and_repeat_with_their_seed() {
    let (_d, tok) = tokenizer("smollm");
    let spec: DatasetSpec = "synthetic:input=5..40,output=3~1,requests=30,seed=9"
        .parse()
        .expect("spec");
    let a = Dataset::load(&spec, Path::new("."), Some(&tok)).expect("generates");
    assert_eq!(a.prompts.len(), 30);
    assert!(a.sha256.is_none());
    let lengths: Vec<usize> = a
        .prompts
        .iter()
        .map(|p| tok.count(&p.text).expect("counts"))
        .collect();
    assert!(lengths.iter().all(|n| (5..=40).contains(n)), "{lengths:?}");
    assert!(
        lengths.iter().any(|n| *n != lengths[0]),
        "uniform lengths vary"
    );
    assert!(
        a.prompts
            .iter()
            .all(|p| p.expected_output_tokens.is_some_and(|n| n >= 1))
    );
    let b = Dataset::load(&spec, Path::new("."), Some(&tok)).expect("generates");
    assert_eq!(a, b);
    let fixed: DatasetSpec = "synthetic:input=17,output=4,requests=5"
        .parse()
        .expect("spec");
    for p in Dataset::load(&fixed, Path::new("."), Some(&tok))
        .expect("generates")
        .prompts
    {
        assert_eq!(tok.count(&p.text).expect("counts"), 17);
        assert_eq!(p.expected_output_tokens, Some(4));
    }
    assert!(
        Dataset::load(&fixed, Path::new("."), None).is_err(),
        "synthetic needs a tokenizer"
    );
}

fn prompt(index: usize, text: &str) -> Prompt {
    Prompt {
        index,
        text: text.to_owned(),
        reference: None,
        expected_output_tokens: None,
        group: None,
        conversation: None,
        turn: None,
    }
}

#[test]
fn selection_filters_by_length_samples_with_a_seed_and_cycles() {
    let (_d, tok) = tokenizer("smollm");
    let prompts: Vec<Prompt> = (0..10).map(|n| prompt(n, &" ab".repeat(n + 1))).collect();
    let all = select(&prompts, &tok, &Selection::default()).expect("all");
    assert_eq!(
        all.iter().map(|p| p.prompt.index).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    assert!(all.iter().all(|p| p.token_ids.len() == p.prompt.index + 1));

    let bounded = Selection {
        min_prompt_tokens: Some(3),
        max_prompt_tokens: Some(5),
        ..Selection::default()
    };
    let kept: Vec<usize> = select(&prompts, &tok, &bounded)
        .expect("bounded")
        .iter()
        .map(|p| p.token_ids.len())
        .collect();
    assert_eq!(kept, [3, 4, 5]);

    let sampled = Selection {
        count: Some(7),
        seed: 4,
        ..bounded.clone()
    };
    let a = select(&prompts, &tok, &sampled).expect("sampled");
    assert_eq!(a.len(), 7, "three prompts cycle to seven");
    assert!(a.iter().all(|p| (3..=5).contains(&p.token_ids.len())));
    assert_eq!(a, select(&prompts, &tok, &sampled).expect("again"));
    let other_seed: Vec<usize> = select(
        &prompts,
        &tok,
        &Selection {
            count: Some(10),
            seed: 5,
            ..Selection::default()
        },
    )
    .expect("shuffled")
    .iter()
    .map(|p| p.prompt.index)
    .collect();
    assert_ne!(other_seed, (0..10).collect::<Vec<_>>(), "a count shuffles");

    let none = Selection {
        min_prompt_tokens: Some(50),
        ..Selection::default()
    };
    let err = select(&prompts, &tok, &none).expect_err("nothing passes");
    assert!(err.to_string().contains("longest 10"), "{err}");

    let zero = Selection {
        count: Some(0),
        ..Selection::default()
    };
    assert!(select(&prompts, &tok, &zero).expect("zero").is_empty());

    let chat = Selection {
        chat: true,
        count: Some(1),
        ..Selection::default()
    };
    let c = select(&prompts[..1], &tok, &chat).expect("chat");
    assert_eq!(
        c[0].token_ids,
        tok.encode_prompt(" ab", true).expect("encodes")
    );
}

#[test]
fn shared_prefix_prompts_share_exactly_l_tokens_within_a_group() {
    let (_d, tok) = tokenizer("smollm");
    let spec: DatasetSpec =
        "shared-prefix:groups=3,prefix=20,suffix=4..9,output=5,requests=9,seed=4"
            .parse()
            .expect("spec");
    let a = Dataset::load(&spec, Path::new("."), Some(&tok)).expect("generates");
    assert_eq!(
        a,
        Dataset::load(&spec, Path::new("."), Some(&tok)).expect("again")
    );
    let groups: Vec<u32> = a.prompts.iter().map(|p| p.group.expect("group")).collect();
    assert_eq!(groups, [0, 1, 2, 0, 1, 2, 0, 1, 2]);
    let ids: Vec<Vec<u32>> = a
        .prompts
        .iter()
        .map(|p| tok.encode(&p.text).expect("encodes"))
        .collect();
    for (i, p) in a.prompts.iter().enumerate() {
        // 20 shared tokens and a suffix of 4 to 9, counted by the tokenizer.
        assert!((24..=29).contains(&ids[i].len()), "{}", ids[i].len());
        assert_eq!(p.expected_output_tokens, Some(5));
        let first = groups
            .iter()
            .position(|g| Some(*g) == p.group)
            .expect("group seen");
        assert_eq!(ids[i][..20], ids[first][..20], "prompt {i}");
    }
    // Different groups open differently, and suffixes differ within a group.
    assert_ne!(ids[0][..20], ids[1][..20]);
    assert_ne!(ids[0][20..], ids[3][20..]);
    // A group's prefix does not depend on how many requests there are.
    let more: DatasetSpec =
        "shared-prefix:groups=3,prefix=20,suffix=4..9,output=5,requests=30,seed=4"
            .parse()
            .expect("spec");
    let b = Dataset::load(&more, Path::new("."), Some(&tok)).expect("generates");
    assert_eq!(
        tok.encode(&b.prompts[2].text).expect("encodes")[..20],
        ids[2][..20]
    );
    assert!(Dataset::load(&spec, Path::new("."), None).is_err());
}

#[test]
fn multiturn_prompts_carry_the_recorded_history() {
    let (_d, tok) = tokenizer("smollm");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/multiturn-sharegpt.json");
    let spec: DatasetSpec = format!("multiturn:{}", path.display())
        .parse()
        .expect("spec");
    let ds = Dataset::load(&spec, Path::new("."), Some(&tok)).expect("loads");
    let shape: Vec<(Option<u32>, Option<u32>)> = ds
        .prompts
        .iter()
        .map(|p| (p.conversation, p.turn))
        .collect();
    // c0 has 3 user turns, c1 one (its opening answer dropped), c2 two, c3 none (skipped).
    assert_eq!(
        shape,
        [
            (Some(0), Some(0)),
            (Some(0), Some(1)),
            (Some(0), Some(2)),
            (Some(1), Some(0)),
            (Some(2), Some(0)),
            (Some(2), Some(1)),
        ]
    );
    let turn = |m: &str, role: &str| format!("<|im_start|>{role}\n{m}<|im_end|>\n");
    let gen_prompt = "<|im_start|>assistant\n";
    assert_eq!(
        ds.prompts[1].text,
        format!(
            "{}{}{}{gen_prompt}",
            turn("hello there", "user"),
            turn("hi how can i help", "assistant"),
            turn("tell me a joke", "user")
        )
    );
    // Each turn's prompt opens with the previous one's history (less its generation prompt).
    for k in [1, 2] {
        let before = ds.prompts[k - 1].text.trim_end_matches(gen_prompt);
        assert!(ds.prompts[k].text.starts_with(before), "turn {k}");
    }
    assert_eq!(
        ds.prompts[4].text,
        format!(
            "{}{}{gen_prompt}",
            turn("be brief", "system"),
            turn("name a colour", "user")
        )
    );
    // The recorded answer's length in tokens is the expected output; its text the reference.
    assert_eq!(
        ds.prompts[1].expected_output_tokens,
        Some(tok.count("a cat walked into a bar").expect("counts") as u32)
    );
    assert_eq!(
        ds.prompts[1].reference.as_deref(),
        Some("a cat walked into a bar")
    );
    let capped: DatasetSpec = format!("multiturn:{},turns=1", path.display())
        .parse()
        .expect("spec");
    assert_eq!(
        Dataset::load(&capped, Path::new("."), Some(&tok))
            .expect("loads")
            .prompts
            .len(),
        3
    );
}
