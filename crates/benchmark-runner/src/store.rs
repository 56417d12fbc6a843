//! The results directory: `manifest.json`, then `samples.jsonl` (measured requests),
//! `warmup.jsonl` (warm-up requests) and `runs.jsonl` appended as results arrive (a crash late in a run loses nothing measured before it), and the rendered outputs.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use shared_protocol::{Done, EngineId, Hello, Loaded, Phase, Sample};

use crate::manifest::Manifest;

mod lines;
pub use lines::READ_BATCH_BYTES;
pub(crate) use lines::for_each_line_batch;

/// One row of `samples.jsonl`: a sample with the engine and repetition it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    pub engine: EngineId,
    /// The engine's label in this run (its id, or `ID@VARIANT`).
    pub label: String,
    pub repetition: u32,
    /// Which run of the directory wrote the row: 0 the first, `n` the `n`th `compare --resume`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resume: u32,
    /// In a merged run (`benchmark-runner merge`): the shard that measured the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<u32>,
    #[serde(flatten)]
    pub sample: Sample,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl SampleRow {
    /// Parses one line of `samples.jsonl`: the same as serde's reading, without the buffering
    /// `flatten` costs (every value of the row copied into an intermediate tree first, most of
    /// the time of reading a large run). The sample is read directly, ignoring the three row
    /// fields, and the row fields read skipping the rest.
    pub fn from_json(line: &[u8]) -> serde_json::Result<SampleRow> {
        #[derive(Deserialize)]
        struct RowFields {
            engine: EngineId,
            label: String,
            repetition: u32,
            #[serde(default)]
            resume: u32,
            #[serde(default)]
            shard: Option<u32>,
        }
        let fields: RowFields = serde_json::from_slice(line)?;
        Ok(SampleRow {
            engine: fields.engine,
            label: fields.label,
            repetition: fields.repetition,
            resume: fields.resume,
            shard: fields.shard,
            sample: serde_json::from_slice(line)?,
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
    /// A slot continued by `compare --resume`: the measured wall time of its rows written
    /// before (per earlier run of the directory, first submission to last completion, summed),
    /// so the time the runner was down is not counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_measure_ns: Option<u64>,
    /// A shard given `--start-at`: when its measuring started against that instant (recorded
    /// on the first slot it ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<crate::plan::shard::StartRecord>,
}

impl EngineRun {
    /// Measured wall time: this record's window plus [`EngineRun::earlier_measure_ns`].
    pub fn measured_ns(&self) -> Option<u64> {
        let window = self
            .measure_end_mono_ns
            .zip(self.measure_start_mono_ns)
            .map(|(end, start)| end.saturating_sub(start));
        match (window, self.earlier_measure_ns) {
            (None, None) => None,
            (w, e) => Some(w.unwrap_or(0) + e.unwrap_or(0)),
        }
    }
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

    /// Open the existing run directory `dir` to append to it (`compare --resume`): a torn last
    /// line of each results file is first set aside ([`set_aside_torn_tail`]). Returns the
    /// directory and how many torn lines were set aside.
    pub fn reopen(dir: &Path) -> anyhow::Result<(RunDir, usize)> {
        let mut torn = 0;
        for name in ["samples.jsonl", "warmup.jsonl", "runs.jsonl"] {
            let path = dir.join(name);
            if path.is_file() && set_aside_torn_tail(&path)? {
                torn += 1;
            }
        }
        let open = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
                .with_context(|| format!("cannot open {}", dir.join(name).display()))
        };
        let run_dir = RunDir {
            dir: dir.to_path_buf(),
            samples: open("samples.jsonl")?,
            warmup: open("warmup.jsonl")?,
            runs: open("runs.jsonl")?,
        };
        Ok((run_dir, torn))
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

/// When `path` does not end with a line end (the writer was killed mid-line), move the bytes
/// after its last line end to `PATH.torn` (appended, so nothing written is ever lost) and cut
/// the file there, so rows appended next start on a line of their own. Returns whether a torn
/// tail was set aside.
pub fn set_aside_torn_tail(path: &Path) -> anyhow::Result<bool> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if text.is_empty() || text.ends_with(b"\n") {
        return Ok(false);
    }
    let keep = memchr::memrchr(b'\n', &text).map_or(0, |i| i + 1);
    if serde_json::from_slice::<serde_json::Value>(&text[keep..]).is_ok() {
        // Whole but for its line end: a row, completed.
        OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(b"\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(false);
    }
    let mut aside_name = path.as_os_str().to_owned();
    aside_name.push(".torn");
    let aside = PathBuf::from(aside_name);
    let mut tail = text[keep..].to_vec();
    tail.push(b'\n');
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&aside)
        .and_then(|mut f| f.write_all(&tail).and_then(|()| f.sync_all()))
        .with_context(|| format!("cannot write {}", aside.display()))?;
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(keep as u64).and_then(|()| f.sync_all()))
        .with_context(|| format!("cannot cut the torn last line of {}", path.display()))?;
    Ok(true)
}

/// Write JSON through a temporary file and a rename, so a reader never sees half a file.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_text(path, &text)
}

/// Write text atomically (temporary file, then rename).
///
/// The temporary file is named after the whole file name (`summary.json.tmp`), so two files of
/// one stem (`summary.json`, `summary.csv`) can be written at once.
pub fn write_text(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = temporary(path);
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Where [`write_text`] writes `path` before renaming it: `NAME.tmp` beside it.
fn temporary(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Read a JSON Lines file written by this module. A last line that does not parse (a run cut
/// off mid-write) is skipped with a message; a bad line elsewhere is an error naming it.
///
/// The file is streamed in batches of about [`READ_BATCH_BYTES`], each a window of the file
/// mapped into memory and parsed on all cores, its rows appended in file order, so memory holds
/// the rows and two batches of the file, never the whole file (a file that cannot be mapped, a
/// pipe, is read whole first).
pub fn read_jsonl<T: for<'de> Deserialize<'de> + Send>(path: &Path) -> anyhow::Result<Vec<T>> {
    read_jsonl_with(path, READ_BATCH_BYTES, |line| serde_json::from_slice(line))
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
    parse: impl Fn(&[u8]) -> serde_json::Result<T> + Sync,
) -> anyhow::Result<Vec<T>> {
    let mut rows = Vec::new();
    for_each_line_batch(path, batch_bytes, |batch| {
        batch.keep(&parse, |row| rows.push(row))
    })?;
    Ok(rows)
}

/// Read a JSON file.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
