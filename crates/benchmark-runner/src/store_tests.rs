use std::io::Write as _;

use super::*;

fn row(id: u64, phase: &str) -> SampleRow {
    serde_json::from_value(serde_json::json!({
        "engine": "sim",
        "label": "sim",
        "repetition": 0,
        "request_id": id,
        "phase": phase,
        "outcome": { "status": "ok" },
        "start_mono_ns": 0,
        "ttft_ns": 1,
        "e2e_ns": 2,
        "itl_ns": [],
        "completion_tokens": 1,
        "completion_tokens_source": "engine",
    }))
    .expect("a valid row")
}

#[test]
fn rows_go_to_their_phases_file_and_read_back_as_written() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("run");
    std::fs::create_dir(&path).expect("run directory");
    let mut files = RunDir {
        dir: path.clone(),
        samples: File::create(path.join("samples.jsonl")).expect("samples"),
        warmup: File::create(path.join("warmup.jsonl")).expect("warmup"),
        runs: File::create(path.join("runs.jsonl")).expect("runs"),
    };
    let (measured, warm) = (row(0, "measure"), row(1, "warmup"));
    files.append_sample(&measured).expect("append");
    files.append_sample(&warm).expect("append");
    let back = read_sample_rows(&path.join("samples.jsonl")).expect("read");
    assert_eq!(back, [measured]);
    let back = read_sample_rows(&path.join("warmup.jsonl")).expect("read");
    assert_eq!(back, [warm]);
}

#[test]
fn sample_rows_read_as_serde_reads_them_in_any_batch_size() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
    for name in ["samples.jsonl", "warmup.jsonl"] {
        let path = fixture.join(name);
        let text = std::fs::read_to_string(&path).expect("fixture");
        let by_serde: Vec<SampleRow> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("serde reads the fixture"))
            .collect();
        assert!(by_serde.len() > 5);
        for batch in [1, 700, 5000, READ_BATCH_BYTES] {
            let rows = read_jsonl_with(&path, batch, SampleRow::from_json).expect("read");
            assert_eq!(rows, by_serde, "{name} in batches of {batch} bytes");
        }
    }
}

#[test]
fn a_torn_last_line_is_set_aside_and_a_torn_middle_line_is_an_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("samples.jsonl");
    let whole = serde_json::to_string(&row(0, "measure")).expect("serialize");
    let mut f = File::create(&path).expect("create");
    writeln!(f, "{whole}").expect("write");
    write!(f, "{}", &whole[..whole.len() / 2]).expect("write");
    drop(f);
    for batch in [1, READ_BATCH_BYTES] {
        let rows = read_jsonl_with(&path, batch, SampleRow::from_json).expect("whole rows read");
        assert_eq!(rows.len(), 1, "the torn row is not data");
    }

    let mut f = File::create(&path).expect("create");
    writeln!(f, "{}", &whole[..whole.len() / 2]).expect("write");
    writeln!(f, "{whole}").expect("write");
    drop(f);
    for batch in [1, READ_BATCH_BYTES] {
        let e =
            read_jsonl_with(&path, batch, SampleRow::from_json).expect_err("corruption mid-file");
        assert!(e.to_string().contains("samples.jsonl:1"), "{e}");
    }
}

#[test]
fn a_bad_line_is_named_by_its_number_in_any_batch_size() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("samples.jsonl");
    let whole = serde_json::to_string(&row(0, "measure")).expect("serialize");
    // Line 2 is blank (counted, not parsed); line 4 is cut short.
    let text = format!("{whole}\n\n{whole}\n{}\n{whole}\n", &whole[..10]);
    std::fs::write(&path, text).expect("write");
    for batch in [1, 700, 5000, READ_BATCH_BYTES] {
        let e = read_jsonl_with(&path, batch, SampleRow::from_json).expect_err("line 4");
        assert!(
            e.to_string().contains("samples.jsonl:4:"),
            "batch {batch}: {e}"
        );
    }
}

#[test]
fn json_is_replaced_whole() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("summary.json");
    write_json(&path, &serde_json::json!({ "a": 1 })).expect("write");
    write_json(&path, &serde_json::json!({ "a": 2 })).expect("rewrite");
    let v: serde_json::Value = read_json(&path).expect("read");
    assert_eq!(v["a"], 2);
    assert!(
        !path.with_extension("tmp").exists(),
        "no temporary file left"
    );
}
