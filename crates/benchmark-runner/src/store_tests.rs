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
    assert!(!temporary(&path).exists(), "no temporary file left");
}

#[test]
fn files_of_one_stem_are_written_at_once_each_whole() {
    // summary.json and summary.csv, report.md and report.html are written on different threads.
    let dir = tempfile::tempdir().expect("temporary directory");
    let json = dir.path().join("summary.json");
    let csv = dir.path().join("summary.csv");
    let (a, b) = ("{\"a\": 1}\n".repeat(200_000), "a,b\n1,2\n".repeat(200_000));
    for _ in 0..20 {
        let start = std::sync::Barrier::new(2);
        let (x, y) = std::thread::scope(|s| {
            let x = s.spawn(|| {
                start.wait();
                write_text(&json, &a)
            });
            start.wait();
            let y = write_text(&csv, &b);
            (x.join().expect("the writing thread"), y)
        });
        x.expect("json written");
        y.expect("csv written");
        assert_eq!(std::fs::read_to_string(&json).expect("json"), a);
        assert_eq!(std::fs::read_to_string(&csv).expect("csv"), b);
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 2);
}

#[test]
fn a_torn_tail_is_moved_aside_and_a_whole_row_missing_its_line_end_is_completed() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("samples.jsonl");
    let whole = serde_json::to_string(&row(0, "measure")).expect("serialize");
    std::fs::write(&path, format!("{whole}\n{}", &whole[..7])).expect("write");
    assert!(set_aside_torn_tail(&path).expect("set aside"));
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        format!("{whole}\n")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("samples.jsonl.torn")).expect("torn file"),
        format!("{}\n", &whole[..7])
    );
    // Nothing to do the second time; a row cut just before its line end is whole data.
    assert!(!set_aside_torn_tail(&path).expect("again"));
    std::fs::write(&path, format!("{whole}\n{whole}")).expect("write");
    assert!(!set_aside_torn_tail(&path).expect("complete"));
    let rows = read_sample_rows(&path).expect("read");
    assert_eq!(rows.len(), 2);
}

#[test]
fn torn_last_lines_are_counted_per_file_when_read_into_columns() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let whole = serde_json::to_string(&row(0, "measure")).expect("serialize");
    let warm = serde_json::to_string(&row(1, "warmup")).expect("serialize");
    std::fs::write(
        dir.path().join("samples.jsonl"),
        format!("{whole}\n{}", &whole[..20]),
    )
    .expect("write");
    std::fs::write(dir.path().join("warmup.jsonl"), format!("{warm}\n")).expect("write");
    let columns = crate::columns::Columns::read_dir(dir.path()).expect("read");
    assert_eq!(
        columns.requests().count(),
        2,
        "one measured and one warm-up row"
    );
    assert_eq!(columns.torn_lines, ["samples.jsonl"]);
}

#[test]
fn reopening_a_run_directory_appends_after_its_whole_lines() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let whole = serde_json::to_string(&row(0, "measure")).expect("serialize");
    std::fs::write(
        dir.path().join("samples.jsonl"),
        format!("{whole}\n{}", &whole[..9]),
    )
    .expect("write");
    let (mut files, torn) = RunDir::reopen(dir.path()).expect("reopen");
    assert_eq!(torn, 1);
    let mut next = row(1, "measure");
    next.resume = 1;
    files.append_sample(&next).expect("append");
    let rows = read_sample_rows(&dir.path().join("samples.jsonl")).expect("read");
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].resume, rows[1].resume), (0, 1));
}

#[test]
fn a_pipe_is_read_whole_and_an_empty_file_gives_no_rows() {
    // A pipe cannot be mapped into memory: its text is read, then handed over in the same
    // batches, a bad line still named by its number.
    let dir = tempfile::tempdir().expect("temporary directory");
    let rows: Vec<SampleRow> = (0..50).map(|i| row(i, "measure")).collect();
    let mut text = String::new();
    for r in &rows {
        text += &serde_json::to_string(r).expect("serialize");
        text.push('\n');
    }
    let pipe = dir.path().join("samples.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    for (text, batch) in [
        (text.clone(), 300),
        (format!("{text}{{}}\n{text}"), 1 << 20),
    ] {
        let writer = {
            let pipe = pipe.clone();
            std::thread::spawn(move || std::fs::write(pipe, text).expect("write the pipe"))
        };
        let read = read_jsonl_with(&pipe, batch, SampleRow::from_json);
        writer.join().expect("the writer");
        if batch == 300 {
            assert_eq!(read.expect("rows"), rows);
        } else {
            let e = read.expect_err("a row without its fields");
            assert!(e.to_string().contains("samples.jsonl:51"), "{e}");
        }
    }
    let empty = dir.path().join("warmup.jsonl");
    std::fs::write(&empty, "").expect("write");
    assert!(read_sample_rows(&empty).expect("no rows").is_empty());
}
