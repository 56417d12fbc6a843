//! The results directory: `manifest.json`, then `samples.jsonl` (measured requests),
//! `warmup.jsonl` (warm-up requests) and `runs.jsonl` appended as results arrive (a crash late in a run loses nothing measured before it), and the rendered outputs.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use shared_protocol::{Done, EngineId, Hello, Loaded, Phase, Sample};

use crate::manifest::Manifest;

/// One row of `samples.jsonl`: a sample with the engine and repetition it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    pub engine: EngineId,
    /// The engine's label in this run (its id, or `ID@VARIANT`).
    pub label: String,
    pub repetition: u32,
    #[serde(flatten)]
    pub sample: Sample,
}

impl SampleRow {
    /// Parses one line of `samples.jsonl`: the same as serde's reading, without the buffering
    /// `flatten` costs (every value of the row copied into an intermediate tree first, most of
    /// the time of reading a large run). The sample is read directly, ignoring the three row
    /// fields, and the row fields read skipping the rest.
    pub fn from_json(line: &str) -> serde_json::Result<SampleRow> {
        #[derive(Deserialize)]
        struct RowFields {
            engine: EngineId,
            label: String,
            repetition: u32,
        }
        let fields: RowFields = serde_json::from_str(line)?;
        Ok(SampleRow {
            engine: fields.engine,
            label: fields.label,
            repetition: fields.repetition,
            sample: serde_json::from_str(line)?,
        })
    }
}

/// One row of `runs.jsonl`: what happened to one engine in one repetition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineRun {
    pub engine: EngineId,
    pub label: String,
    pub repetition: u32,
    pub worker: String,
    /// The worker's process id, to tell its use of a GPU from other processes'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_pid: Option<u32>,
    /// The device the engine was asked to run on (`cpu`, `cuda:0`, `remote`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub status: RunStatus,
    pub hello: Option<Hello>,
    pub loaded: Option<Loaded>,
    pub done: Option<Done>,
    /// Samples received (warm-up included).
    pub samples: u64,
    /// Host monotonic time at the first and last measured request.
    pub measure_start_mono_ns: Option<u64>,
    pub measure_end_mono_ns: Option<u64>,
    /// Served engines scraped with the `metrics` option: the change of the server's own
    /// metrics over the measured workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_metrics: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Whether an engine run finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    Ok,
    Failed { reason: String, message: String },
}

/// An open results directory.
pub struct RunDir {
    dir: PathBuf,
    samples: File,
    warmup: File,
    runs: File,
}

impl RunDir {
    /// Create `dir` and write its manifest.
    pub fn create(dir: &Path, manifest: &Manifest) -> anyhow::Result<RunDir> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create results directory {}", dir.display()))?;
        write_json(&dir.join("manifest.json"), manifest)?;
        let open = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
                .with_context(|| format!("cannot open {}", dir.join(name).display()))
        };
        Ok(RunDir {
            dir: dir.to_path_buf(),
            samples: open("samples.jsonl")?,
            warmup: open("warmup.jsonl")?,
            runs: open("runs.jsonl")?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Append one sample row (measured rows to `samples.jsonl`, warm-up rows to
    /// `warmup.jsonl`); written through to the file before returning.
    pub fn append_sample(&mut self, row: &SampleRow) -> anyhow::Result<()> {
        match row.sample.phase {
            Phase::Measure => {
                append_line(&mut self.samples, row).context("cannot append to samples.jsonl")
            }
            Phase::Warmup => {
                append_line(&mut self.warmup, row).context("cannot append to warmup.jsonl")
            }
        }
    }

    /// Append one engine-run record.
    pub fn append_run(&mut self, run: &EngineRun) -> anyhow::Result<()> {
        append_line(&mut self.runs, run).context("cannot append to runs.jsonl")
    }
}

fn append_line<T: Serialize>(file: &mut File, value: &T) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    // One write per row: a reader never sees half a row unless the process dies mid-write.
    file.write_all(&line)?;
    file.flush()
}

/// Write JSON through a temporary file and a rename, so a reader never sees half a file.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_text(path, &text)
}

/// Write text atomically (temporary file, then rename).
pub fn write_text(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Read a JSON Lines file written by this module. A last line that does not parse (a run cut
/// off mid-write) is skipped with a message; a bad line elsewhere is an error naming it.
///
/// The file is streamed in batches of about [`READ_BATCH_BYTES`], each batch parsed on all cores
/// and appended in file order, so memory holds the rows and one batch of text, never the whole
/// file's.
pub fn read_jsonl<T: for<'de> Deserialize<'de> + Send>(path: &Path) -> anyhow::Result<Vec<T>> {
    read_jsonl_with(path, READ_BATCH_BYTES, |line| serde_json::from_str(line))
}

/// [`read_jsonl`] of `samples.jsonl` or `warmup.jsonl`, each line read by
/// [`SampleRow::from_json`].
pub fn read_sample_rows(path: &Path) -> anyhow::Result<Vec<SampleRow>> {
    read_jsonl_with(path, READ_BATCH_BYTES, SampleRow::from_json)
}

/// [`read_jsonl`] with each line parsed by `parse`, in batches of about `batch_bytes`.
fn read_jsonl_with<T: Send>(
    path: &Path,
    batch_bytes: usize,
    parse: impl Fn(&str) -> serde_json::Result<T> + Sync,
) -> anyhow::Result<Vec<T>> {
    use rayon::prelude::*;
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut rows = Vec::new();
    let mut batch: Vec<(usize, String)> = Vec::new();
    let mut line_no = 0;
    loop {
        let mut read_bytes = 0;
        batch.clear();
        let mut at_end = false;
        while read_bytes < batch_bytes {
            let mut line = String::new();
            let read = reader
                .read_line(&mut line)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if read == 0 {
                at_end = true;
                break;
            }
            line_no += 1;
            read_bytes += read;
            if !line.trim().is_empty() {
                batch.push((line_no, line));
            }
        }
        if !at_end {
            // A full batch: peek for the end, so the file's last line is known as last.
            at_end = reader
                .fill_buf()
                .with_context(|| format!("cannot read {}", path.display()))?
                .is_empty();
        }
        let parsed: Vec<Result<T, serde_json::Error>> =
            batch.par_iter().map(|(_, line)| parse(line)).collect();
        let last = batch.len().saturating_sub(1);
        for (i, row) in parsed.into_iter().enumerate() {
            match row {
                Ok(row) => rows.push(row),
                Err(e) if at_end && i == last && batch[i].0 == line_no => {
                    eprintln!("{}: skipping a torn last line ({e})", path.display());
                }
                Err(e) => {
                    return Err(anyhow::anyhow!("{}:{}: {e}", path.display(), batch[i].0));
                }
            }
        }
        if at_end {
            return Ok(rows);
        }
    }
}

/// Text parsed per batch by [`read_jsonl`].
pub const READ_BATCH_BYTES: usize = 16 << 20;

/// Read a JSON file.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
}

#[cfg(test)]
mod tests {
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
            let rows =
                read_jsonl_with(&path, batch, SampleRow::from_json).expect("whole rows read");
            assert_eq!(rows.len(), 1, "the torn row is not data");
        }

        let mut f = File::create(&path).expect("create");
        writeln!(f, "{}", &whole[..whole.len() / 2]).expect("write");
        writeln!(f, "{whole}").expect("write");
        drop(f);
        for batch in [1, READ_BATCH_BYTES] {
            let e = read_jsonl_with(&path, batch, SampleRow::from_json)
                .expect_err("corruption mid-file");
            assert!(e.to_string().contains("samples.jsonl:1"), "{e}");
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
}
