//! Tests of [`super::Columns`]: reading files and rows into columns, in any batch size.

use shared_protocol::{Phase, TokenSource};

use super::*;
use crate::metrics::{DecodeDevice, RequestReasoning};

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run")
}

#[test]
fn reading_a_file_gives_what_the_rows_give() {
    for name in ["samples.jsonl", "warmup.jsonl"] {
        let path = fixture().join(name);
        let rows = store::read_sample_rows(&path).expect("rows");
        assert!(rows.len() > 5);
        let mut read = Columns::read(&path).expect("columns");
        let mut built = Columns::from_rows(&rows);
        assert_eq!(read.requests, built.requests, "{name}");
        assert_eq!(read.labels, built.labels);
        assert_eq!(read.requests().count(), rows.len());
        for (label, _) in &read.labels {
            let of_label = rows.iter().filter(|row| &row.label == label);
            for (r, row) in read.of_label(label).zip(of_label) {
                assert_eq!(read.label(r.label), row.label);
                assert_eq!(r.request_id, row.sample.request_id);
                assert_eq!(
                    read.output_ids(r).map(Ids::to_vec),
                    row.sample.output_token_ids,
                    "{name}: request {}",
                    row.sample.request_id
                );
            }
        }
        for (label, _) in built.labels.clone() {
            let expected: Vec<f64> = rows
                .iter()
                .filter(|r| {
                    r.label == label && r.sample.phase == Phase::Measure && r.sample.outcome.is_ok()
                })
                .flat_map(|r| r.sample.itl_ns.iter().map(|&t| t as f64 / 1e6))
                .collect();
            let mut expected = expected;
            expected.sort_by(f64::total_cmp);
            assert_eq!(read.take_itl_ms(&label), expected);
            assert_eq!(built.take_itl_ms(&label), expected);
            assert!(read.take_itl_ms(&label).is_empty(), "taken once");
        }
    }
}

#[test]
fn reading_in_any_batch_size_gives_what_the_rows_give() {
    // Small batches: many batches of a few pieces each, every piece's columns kept and
    // emptied from batch to batch, the labels met in a different order in each piece.
    let path = fixture().join("samples.jsonl");
    let rows = store::read_sample_rows(&path).expect("rows");
    let mut built = Columns::from_rows(&rows);
    assert!(built.labels.len() > 1);
    for batch in [1, 700, 5000, store::READ_BATCH_BYTES] {
        let mut read = Columns::default();
        read.read_more_in(&path, batch).expect("columns");
        assert_eq!(read.labels, built.labels, "batches of {batch} bytes");
        assert_eq!(read.requests, built.requests, "batches of {batch} bytes");
        assert_eq!(read.requests().count(), rows.len());
        for (label, _) in &read.labels {
            let of_label = rows.iter().filter(|row| &row.label == label);
            for (r, row) in read.of_label(label).zip(of_label) {
                assert_eq!(r.request_id, row.sample.request_id);
                assert_eq!(
                    read.output_ids(r).map(Ids::to_vec),
                    row.sample.output_token_ids
                );
            }
        }
        for (label, _) in built.labels.clone() {
            assert_eq!(read.take_itl_ms(&label), built.clone().take_itl_ms(&label));
        }
    }
    let first = built.labels[0].0.clone();
    assert!(!built.take_itl_ms(&first).is_empty());
}

/// A torn last line read in batches of any size: every whole line before it is appended (the
/// last batch's pieces too, after the reading ends), the torn one is set aside; a bad line
/// before the last is an error naming it.
#[test]
fn a_torn_last_line_in_any_batch_leaves_every_line_before_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("samples.jsonl");
    let text = std::fs::read_to_string(fixture().join("samples.jsonl")).expect("fixture");
    let rows = store::read_sample_rows(&fixture().join("samples.jsonl")).expect("rows");
    let built = Columns::from_rows(&rows);
    let last = text.lines().last().expect("a line");
    std::fs::write(&path, format!("{text}{}", &last[..last.len() / 2])).expect("write");
    for batch in [1, 700, 5000, store::READ_BATCH_BYTES] {
        let mut read = Columns::default();
        read.read_more_in(&path, batch).expect("columns");
        assert_eq!(read.requests, built.requests, "batches of {batch} bytes");
        assert_eq!(
            read.torn_lines,
            ["samples.jsonl"],
            "batches of {batch} bytes"
        );
    }
    let lines: Vec<&str> = text.lines().collect();
    let bad = lines.len() - 3;
    let mut edited = String::new();
    for (k, line) in lines.iter().enumerate() {
        edited += if k == bad { &line[..10] } else { line };
        edited.push('\n');
    }
    std::fs::write(&path, edited).expect("write");
    for batch in [1, 700, 5000, store::READ_BATCH_BYTES] {
        let error = Columns::default()
            .read_more_in(&path, batch)
            .expect_err("a bad line before the last");
        assert!(
            error
                .to_string()
                .contains(&format!("samples.jsonl:{}:", bad + 1)),
            "batches of {batch} bytes: {error}"
        );
    }
}

#[test]
fn device_gaps_fold_into_first_and_rest() {
    let d = DecodeDevice::of(&[9, 2, 3, 4]);
    assert_eq!(
        d,
        DecodeDevice {
            first_ns: Some(9),
            rest_ns: 9,
            rest_len: 3
        }
    );
    assert_eq!(DecodeDevice::of(&[]).first_ns, None);
    assert_eq!(DecodeDevice::of(&[5]).rest_len, 0);
}

/// Ids past 16 bits from the middle of a file on: batches and pieces of either width are
/// joined in order, whatever the batch size.
#[test]
fn ids_past_16_bits_widen_the_arena_mid_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("samples.jsonl");
    let mut rows = store::read_sample_rows(&fixture().join("samples.jsonl")).expect("rows");
    let middle = rows.len() / 2;
    for (k, row) in rows.iter_mut().enumerate().skip(middle) {
        if let Some(ids) = &mut row.sample.output_token_ids {
            ids[0] = 65_536 + k as u32;
        }
    }
    let text: String = rows
        .iter()
        .map(|r| serde_json::to_string(r).expect("json") + "\n")
        .collect();
    std::fs::write(&path, text).expect("write");
    for batch in [1, 700, 5000, store::READ_BATCH_BYTES] {
        let mut read = Columns::default();
        read.read_more_in(&path, batch).expect("columns");
        assert!(matches!(read.ids, IdArena::Wide(_)));
        for (label, _) in &read.labels {
            let of_label = rows.iter().filter(|row| &row.label == label);
            for (r, row) in read.of_label(label).zip(of_label) {
                assert_eq!(
                    read.output_ids(r).map(Ids::to_vec),
                    row.sample.output_token_ids,
                    "batches of {batch} bytes"
                );
            }
        }
    }
}

#[test]
fn a_bad_line_names_its_file_and_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("samples.jsonl");
    let good = std::fs::read_to_string(fixture().join("samples.jsonl")).expect("fixture");
    let first = good.lines().next().expect("a row");
    std::fs::write(&path, format!("{first}\n{{\"engine\":\"sim\"}}\n{first}\n")).expect("write");
    let e = Columns::read(&path).expect_err("a row without its fields");
    assert!(e.to_string().contains("samples.jsonl:2"), "{e}");
}

#[test]
fn reasoning_reads_from_the_file_without_its_text() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("samples.jsonl");
    let good = std::fs::read_to_string(fixture().join("samples.jsonl")).expect("fixture");
    let mut row: serde_json::Value =
        serde_json::from_str(good.lines().next().expect("a row")).expect("json");
    row["reasoning"] = serde_json::json!({
        "first_answer_ns": 45_000_000u64, "chunks": 3, "tokens": 7,
        "tokens_source": "tokenizer", "tokenizer_tokens": 7, "text": "a b c",
    });
    std::fs::write(&path, format!("{row}\n")).expect("write");
    let read = Columns::read(&path).expect("columns");
    let rows = store::read_sample_rows(&path).expect("rows");
    assert_eq!(read.requests, Columns::from_rows(&rows).requests);
    assert_eq!(
        read.requests().next().and_then(|r| r.reasoning.as_deref()),
        Some(&RequestReasoning {
            first_answer_ns: Some(45_000_000),
            tokens: Some(7),
            tokens_source: Some(TokenSource::Tokenizer),
        })
    );
}

/// The successful measured requests of each label, found once and kept: the same as filtering
/// the label's requests, warm-up rows left out, and found again once more requests are added
/// (a second file read, or rows pushed one by one).
#[test]
fn ok_measured_requests_are_found_again_when_requests_are_added() {
    let ids = |requests: Vec<&Request>| -> Vec<(u32, u64)> {
        requests
            .iter()
            .map(|r| (r.repetition, r.request_id))
            .collect()
    };
    let filtered = |columns: &Columns, label: &str| -> Vec<(u32, u64)> {
        ids(columns
            .of_label(label)
            .filter(|r| r.is_ok_measured())
            .collect())
    };
    let mut columns = Columns::read_dir(&fixture()).expect("columns");
    let labels: Vec<String> = columns.labels().map(|(l, _)| l.to_owned()).collect();
    let mut first = Vec::new();
    for label in &labels {
        let found = ids(columns.ok_measured(label));
        assert!(!found.is_empty());
        assert!(
            found.len() < columns.of_label(label).count(),
            "warm-up rows"
        );
        assert_eq!(found, filtered(&columns, label));
        assert_eq!(ids(columns.ok_measured(label)), found, "asked again");
        first.push(found);
    }
    assert!(columns.ok_measured("no such label").is_empty());
    // The same rows read again: each label's successful requests twice over.
    columns
        .read_more(&fixture().join("samples.jsonl"))
        .expect("read again");
    for (label, first) in labels.iter().zip(&first) {
        let found = ids(columns.ok_measured(label));
        assert_eq!(found, [first.clone(), first.clone()].concat());
        assert_eq!(found, filtered(&columns, label));
    }
    // Rows pushed one at a time after asking.
    let rows = store::read_sample_rows(&fixture().join("samples.jsonl")).expect("rows");
    let mut built = Columns::from_rows(&rows[..rows.len() / 2]);
    let before: Vec<usize> = labels.iter().map(|l| built.ok_measured(l).len()).collect();
    for row in &rows[rows.len() / 2..] {
        let label = built.label_ix(&row.label, row.engine);
        let request = Request::of(label, row.engine, row.repetition, &row.sample);
        built.push_request(request, &row.sample.itl_ns);
    }
    for ((label, before), first) in labels.iter().zip(before).zip(&first) {
        let found = ids(built.ok_measured(label));
        assert!(found.len() > before);
        assert_eq!(found, filtered(&built, label));
        assert_eq!(&found, first);
    }
}

#[test]
fn ids_dropped_are_no_longer_given() {
    let mut columns = Columns::read(&fixture().join("samples.jsonl")).expect("columns");
    let with_ids = columns
        .requests()
        .filter(|r| columns.output_ids(r).is_some())
        .count();
    assert!(with_ids > 0);
    let ok_before: Vec<usize> = columns
        .labels()
        .map(|(l, _)| columns.ok_measured(l).len())
        .collect();
    columns.drop_output_ids();
    assert!(columns.requests().all(|r| columns.output_ids(r).is_none()));
    let ok_after: Vec<usize> = columns
        .labels()
        .map(|(l, _)| columns.ok_measured(l).len())
        .collect();
    assert_eq!(ok_before, ok_after);
}
