use std::path::Path;

use proptest::prelude::*;
use shared_protocol::{FailureKind, Reasoning, Sample};

use super::reader::compact_run;
use super::*;
use crate::store::SampleRow;

fn fixture_lines() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
    ["samples.jsonl", "warmup.jsonl"]
        .iter()
        .flat_map(|name| {
            let text = std::fs::read_to_string(dir.join(name)).expect("fixture");
            text.lines().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect()
}

/// A line read: the row and its arrays.
type Read<'a> = (Row<'a>, Vec<u64>, Vec<u32>);

/// What the reader made for the rows reads, and what `serde_json` reads, for one line.
fn both(line: &[u8]) -> (Option<Read<'_>>, serde_json::Result<Read<'_>>) {
    let mut arrays = Arrays::default();
    let fast = Reader::new(line)
        .row(&mut arrays)
        .map(|row| (row, arrays.itl.clone(), arrays.ids.clone()));
    let mut arrays = Arrays::default();
    let serde = read_with_serde(line, &mut arrays).map(|row| (row, arrays.itl, arrays.ids));
    (fast, serde)
}

/// The reader either gives up on `line` or reads what `serde_json` reads.
fn assert_agrees(line: &[u8]) {
    let (fast, serde) = both(line);
    if let Some(fast) = fast {
        match serde {
            Ok(serde) => assert_eq!(fast, serde, "{}", String::from_utf8_lossy(line)),
            Err(e) => panic!(
                "read a line serde_json refuses ({e}): {}",
                String::from_utf8_lossy(line)
            ),
        }
    }
}

/// Lines read one after another through the same buffers, as a file is: each line's enum
/// fields are its own, whether they repeat the line before's or not, and a field naming no
/// variant still sends the line to `serde_json`.
#[test]
fn enum_fields_read_through_kept_buffers_are_each_lines_own() {
    let lines = fixture_lines();
    let edits: [(&str, &str); 4] = [
        (r#""phase":"measure""#, r#""phase":"warmup""#),
        (r#""finish_reason":"length""#, r#""finish_reason":"eos""#),
        (r#""finish_reason":"length""#, r#""finish_reason":null"#),
        (
            r#""completion_tokens_source":"engine""#,
            r#""completion_tokens_source":"tokenizer""#,
        ),
    ];
    let mut arrays = Arrays::default();
    let mut edited = 0;
    for (i, line) in lines.iter().enumerate() {
        let (from, to) = edits[i % edits.len()];
        for text in [line.clone(), line.replace(from, to), line.clone()] {
            edited += usize::from(text != *line);
            let kept = Reader::new(text.as_bytes())
                .row(&mut arrays)
                .expect("a row");
            let fresh = Reader::new(text.as_bytes())
                .row(&mut Arrays::default())
                .expect("a row");
            assert_eq!(kept, fresh, "{text}");
            assert_eq!(
                kept,
                read_with_serde(text.as_bytes(), &mut Arrays::default()).expect("a good row")
            );
        }
    }
    assert!(
        edited * 2 >= lines.len(),
        "the edits applied to {edited} lines"
    );
    let line = lines[0].replace(r#""phase":"measure""#, r#""phase":"measured""#);
    assert_ne!(line, lines[0]);
    assert!(Reader::new(line.as_bytes()).row(&mut arrays).is_none());
    assert!(read(line.as_bytes(), &mut arrays).is_err());
}

#[test]
fn the_runners_rows_are_read_without_serde_and_alike() {
    let lines = fixture_lines();
    assert!(lines.len() > 10);
    for line in &lines {
        let (fast, serde) = both(line.as_bytes());
        let fast = fast.unwrap_or_else(|| panic!("gave up on a row the runner wrote: {line}"));
        assert_eq!(fast, serde.expect("a good row"));
        assert!(!fast.1.is_empty(), "the gaps were read");
    }
}

#[test]
fn whitespace_between_tokens_reads_the_same() {
    let line = &fixture_lines()[0];
    let value: serde_json::Value = serde_json::from_str(line).expect("json");
    let spaced = serde_json::to_string_pretty(&value)
        .expect("json")
        .replace('\n', " \t\r ");
    let (fast, serde) = both(spaced.as_bytes());
    assert_eq!(fast.expect("read"), serde.expect("good"));
}

#[test]
fn bad_lines_get_serde_jsons_error() {
    let line = &fixture_lines()[0];
    for (bad, what) in [
        (
            line.replace(r#""e2e_ns":"#, r#""e2e_nz":"#),
            "missing field `e2e_ns`",
        ),
        (
            line.replace(r#""repetition":0"#, r#""repetition":0,"repetition":1"#),
            "duplicate field",
        ),
        (
            line.replace(r#""request_id":0"#, r#""request_id":-1"#),
            "invalid value",
        ),
        (
            line.replace(r#""request_id":0"#, r#""request_id":1.5"#),
            "invalid type",
        ),
        (
            line.replace(r#""phase":"measure""#, r#""phase":"measured""#),
            "unknown variant",
        ),
        (format!("{line}x"), "trailing characters"),
    ] {
        assert_ne!(&bad, line, "{what}: the edit applies");
        let mut arrays = Arrays::default();
        let e = read(bad.as_bytes(), &mut arrays).expect_err(what);
        assert!(e.to_string().contains(what), "{what}: {e}");
        assert!(
            Reader::new(bad.as_bytes()).row(&mut arrays).is_none(),
            "{what}"
        );
    }
}

fn token_source() -> impl Strategy<Value = TokenSource> {
    prop_oneof![
        Just(TokenSource::Engine),
        Just(TokenSource::Tokenizer),
        Just(TokenSource::ServerUsage),
        Just(TokenSource::ChunkCount),
    ]
}

fn big() -> impl Strategy<Value = u64> {
    prop_oneof![0..2_000_000_u64, any::<u64>(), Just(u64::MAX), Just(0)]
}

/// A gap: summed over a request, so never near the end of the 64-bit range.
fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![0..2_000_000_u64, 0..1_u64 << 50, Just(0)]
}

prop_compose! {
    /// A sample's outcome and timings.
    fn timed()(
        request_id in big(),
        warm in any::<bool>(),
        failed in proptest::option::of(("[a-z \"\\\\]{0,12}", proptest::option::of(400..600_u16))),
        start in big(),
        scheduled in proptest::option::of(big()),
        prefill in proptest::option::of(big()),
        ttft in proptest::option::of(big()),
        e2e in big(),
        itl in proptest::collection::vec(gap(), 0..6),
    ) -> Sample {
        let outcome = failed.map_or(Outcome::Ok, |(message, http_status)| Outcome::Failed {
            kind: FailureKind::Timeout,
            message,
            http_status,
        });
        let phase = if warm { Phase::Warmup } else { Phase::Measure };
        let mut sample = Sample::new(request_id, phase, outcome, start, e2e);
        sample.scheduled_mono_ns = scheduled;
        sample.prefill_ns = prefill;
        sample.ttft_ns = ttft;
        sample.itl_ns = itl;
        sample
    }
}

prop_compose! {
    /// A timed sample with its token counts.
    fn counted()(
        mut sample in timed(),
        chunks in proptest::option::of(proptest::collection::vec(0..4_u32, 0..3)),
        prompt in proptest::option::of(any::<u32>()),
        prompt_source in proptest::option::of(token_source()),
        completion in any::<u32>(),
        completion_source in token_source(),
        counts in proptest::option::of(any::<u32>()),
    ) -> Sample {
        sample.tokens_per_chunk = chunks;
        sample.prompt_tokens = prompt;
        sample.prompt_tokens_source = prompt_source;
        sample.completion_tokens = completion;
        sample.completion_tokens_source = completion_source;
        sample.token_counts.server_completion = counts;
        sample
    }
}

prop_compose! {
    /// A counted sample with device figures, ids, text and reasoning.
    fn sample()(
        mut sample in counted(),
        device in proptest::option::of(proptest::collection::vec(gap(), 0..4)),
        prefill_device in proptest::option::of(big()),
        finish in proptest::option::of(prop_oneof![Just(FinishReason::Length), Just(FinishReason::Stop)]),
        ids in proptest::option::of(proptest::collection::vec(any::<u32>(), 0..6)),
        text in proptest::option::of("[a-z \"\\\\\n]{0,12}"),
        reasoning in proptest::option::of((proptest::option::of(big()), proptest::option::of(any::<u32>()))),
        retry in 0..3_u32,
    ) -> Sample {
        sample.device_clock = device.as_ref().map(|_| DeviceClockKind::CudaEvent);
        sample.decode_device_ns = device;
        sample.prefill_device_ns = prefill_device;
        sample.finish_reason = finish;
        sample.output_token_ids = ids;
        sample.output_text = text.clone();
        if text.is_some() {
            sample.engine_metrics.insert("queue".into(), serde_json::json!({"ms": [1.5, null]}));
        }
        sample.reasoning = reasoning.map(|(first_answer_ns, tokens)| Reasoning {
            first_answer_ns,
            tokens,
            tokens_source: tokens.map(|_| TokenSource::Tokenizer),
            text,
            ..Reasoning::default()
        });
        sample.retry = retry;
        sample
    }
}

prop_compose! {
    fn sample_row()(
        engine in prop_oneof![Just(EngineId::Sim), Just(EngineId::LmRs), Just(EngineId::Vllm)],
        label in prop_oneof![
            Just("sim".to_owned()),
            "[a-z@é\"\\\\\u{1}]{0,8}",
        ],
        repetition in 0..3_u32,
        resume in 0..2_u32,
        shard in proptest::option::of(0..4_u32),
        sample in sample(),
    ) -> SampleRow {
        SampleRow { engine, label, repetition, resume, shard, sample }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any row the runner can write reads the same by the reader as by `serde_json`, and the
    /// reader reads it itself unless its label has an escape.
    #[test]
    fn any_row_reads_as_serde_reads_it(row in sample_row()) {
        let line = serde_json::to_string(&row).expect("json");
        let (fast, serde) = both(line.as_bytes());
        let serde = serde.expect("a row the runner wrote");
        let plain_label = !row.label.contains(['"', '\\', '\u{1}']);
        match fast {
            Some(fast) => prop_assert_eq!(fast, serde),
            None => prop_assert!(!plain_label, "gave up on {}", line),
        }
    }

    /// Whatever an edit makes of a good line, the reader gives up on it or reads what
    /// `serde_json` reads: it never accepts what `serde_json` refuses.
    #[test]
    fn edited_lines_read_as_serde_reads_them_or_not_at_all(
        pick in 0..1000_usize,
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), 0..3_u8, prop::sample::select(b"0123456789-+.eE,:[]{}\" nul\\\xc3".to_vec())),
            1..4,
        ),
    ) {
        let lines = fixture_lines();
        let mut line = lines[pick % lines.len()].as_bytes().to_vec();
        for (at, op, byte) in edits {
            let i = at.index(line.len());
            match op {
                0 => { line.remove(i); }
                1 => line.insert(i, byte),
                _ => line[i] = byte,
            }
        }
        assert_agrees(&line);
    }
}

#[test]
fn eight_digits_reads_the_leading_digits_of_any_eight_bytes() {
    let mut state = 3;
    let mut below = |n: usize| (shared_protocol::seed::splitmix64(&mut state) % n as u64) as usize;
    let others = b",]}:. e\"\0\x7f\xff\xc3/-+";
    for _ in 0..200_000 {
        let digits = below(9);
        let mut bytes = [0_u8; 8];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = if i < digits {
                b'0' + below(10) as u8
            } else {
                others[below(others.len())]
            };
        }
        let text = std::str::from_utf8(&bytes[..digits]).expect("digits");
        let expected = if digits == 0 {
            0
        } else {
            text.parse().expect("a number")
        };
        assert_eq!(eight_digits(bytes), (digits, expected), "{bytes:?}");
    }
}

#[test]
fn array_elements_of_every_length_read_as_serde_reads_them() {
    // Elements of 1 to 21 digits (the word-at-a-time path takes up to 15; past 20 a number no
    // longer fits in 64 bits), with and without a leading zero, before `,`, `]`, a space, a
    // fraction or an exponent, first, inside and last in the array: the reader reads each as
    // serde_json does, or gives up.
    let line = &fixture_lines()[0];
    let start = line.find(r#""itl_ns":["#).expect("gaps") + r#""itl_ns":["#.len();
    let end = start + line[start..].find(']').expect("the gaps end");
    let mut state = 11;
    let mut read = 0;
    for digits in 1..=21 {
        for lead in ["", "0"] {
            for after in ["", " ", ".5", "e3", "E0"] {
                for at in 0..3 {
                    let number: String = std::iter::once(lead.to_owned())
                        .chain((0..digits).map(|i| {
                            let d = shared_protocol::seed::splitmix64(&mut state) % 10;
                            // No leading zero but the one asked for.
                            (if i == 0 { d.max(1) } else { d }).to_string()
                        }))
                        .collect::<String>()
                        + after;
                    let gaps = match at {
                        0 => format!("{number},7,8"),
                        1 => format!("7,{number},8"),
                        _ => format!("7,8,{number}"),
                    };
                    let edited = format!("{}{gaps}{}", &line[..start], &line[end..]);
                    let (fast, serde) = both(edited.as_bytes());
                    if let Some(fast) = fast {
                        read += 1;
                        assert_eq!(fast, serde.expect("accepted by serde"), "{gaps}");
                    }
                }
            }
        }
    }
    // Every plain number that fits in 64 bits, followed by nothing or a space: 19 lengths.
    assert!(
        read >= 19 * 2 * 3,
        "the reader read only {read} of the good arrays"
    );
}

#[test]
fn array_elements_the_runner_writes_are_read_in_one_step() {
    // 1 to 15 digits before `,` or `]`; anything else is left to the general number reader.
    let mut digits = String::new();
    for len in 1..=16 {
        digits.push(char::from(b'0' + (len % 9 + 1) as u8));
        for after in [",", "]"] {
            // A run stops at the zeros after a `,`: a leading zero is not how JSON writes one.
            let text = format!("{digits}{after}0000000000000000");
            let mut out: Vec<u64> = Vec::new();
            let run = compact_run(text.as_bytes(), 0, &mut out);
            if len <= 15 {
                assert_eq!(run, (len + 1, after == "]"), "{text}");
                assert_eq!(out, [digits.parse::<u64>().expect("digits")], "{text}");
            } else {
                assert_eq!((run, out.len()), ((0, false), 0), "{text}");
            }
        }
    }
    for text in ["012,", "0,", "7 ,", "7.5,", "7e2,", "-7,", ",", "]", "7"] {
        let padded = format!("{text}                ");
        let mut out: Vec<u64> = Vec::new();
        let run = compact_run(padded.as_bytes(), 0, &mut out);
        let expected = if text == "0," {
            (2, vec![0])
        } else {
            (0, vec![])
        };
        assert_eq!((run.0, out), expected, "{text}");
        assert!(!run.1, "{text}");
    }
}

#[test]
fn a_run_of_elements_stops_at_the_first_it_does_not_take() {
    let text = b"5,60,700,4294967296,8,9]                ";
    // In 64 bits every element is taken and the `]` ends the array.
    let mut wide: Vec<u64> = vec![1];
    assert_eq!(compact_run(text, 0, &mut wide), (text.len() - 16, true));
    assert_eq!(wide, [1, 5, 60, 700, 4_294_967_296, 8, 9]);
    // In 32 bits the run stops before the element past `u32::MAX`, the cursor on it.
    let mut narrow: Vec<u32> = Vec::new();
    assert_eq!(compact_run(text, 0, &mut narrow), (9, false));
    assert_eq!(narrow, [5, 60, 700]);
    // A run from a later element, and one that meets the end of the text before a `]`.
    let mut rest: Vec<u32> = Vec::new();
    assert_eq!(compact_run(text, 20, &mut rest), (text.len() - 16, true));
    assert_eq!(rest, [8, 9]);
    let mut cut: Vec<u64> = Vec::new();
    assert_eq!(compact_run(b"5,60,7", 0, &mut cut), (0, false));
    assert!(cut.is_empty());
}
