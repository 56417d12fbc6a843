//! A run's sample rows as the summary, the figures and `diff` read them: one compact record per
//! request ([`Request`]: the scalars of its sample, its label as an index) and the per-token
//! arrays kept only in the form they are used.
//!
//! - Inter-token gaps are pooled per label at reading, over successful measured requests, as
//!   whole nanoseconds in 32 bits while every gap fits (widened to 64 otherwise): the values of
//!   the `itl_ms` metric, handed over once in milliseconds by [`Columns::take_itl_ms`] (at a
//!   million requests they are most of a run's numbers, 126 MB per 31.5 million gaps).
//! - Generated ids sit in one arena ([`Columns::output_ids`]), for the agreement check, which
//!   reads them before the metrics are made; [`Columns::drop_output_ids`] then frees them.
//! - Device-clock gaps are folded into the two figures the device metrics read (the first gap,
//!   and the sum and count of the rest).
//! - Text, chunk sizes and engine-reported figures are not read (the summary does not use them).
//!
//! `samples.jsonl` is parsed once per line, straight into these types, in batches on all cores
//! ([`crate::store`] streams the lines).

use std::path::Path;

use serde::Deserialize;
use shared_protocol::{
    DeviceClockKind, EngineId, FinishReason, Outcome, Phase, TokenCounts, TokenSource,
};

use crate::metrics::{DecodeDevice, LabelIx, MetricSamples, Request, RequestReasoning};
use crate::store::{self, SampleRow};

/// A run's requests (measured and warm-up), with the arrays the summary reads.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Each label with its engine, in order of first appearance.
    labels: Vec<(String, EngineId)>,
    pub requests: Vec<Request>,
    /// Generated ids of every request that has them, back to back.
    ids: Vec<u32>,
    /// Per label: the inter-token gaps of its successful measured requests.
    itl: Vec<GapPool>,
    /// Torn last lines set aside while reading (a writer killed mid-line), by file name.
    pub torn_lines: Vec<String>,
}

/// Gaps in nanoseconds, in 32 bits until one needs more.
#[derive(Debug, Clone)]
enum GapPool {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Default for GapPool {
    fn default() -> Self {
        GapPool::Narrow(Vec::new())
    }
}

impl GapPool {
    fn extend(&mut self, gaps: &[u64]) {
        if let GapPool::Narrow(narrow) = self {
            let start = narrow.len();
            narrow.extend(gaps.iter().map_while(|&g| u32::try_from(g).ok()));
            if narrow.len() - start == gaps.len() {
                return;
            }
            narrow.truncate(start);
            *self = GapPool::Wide(narrow.iter().map(|&g| u64::from(g)).collect());
        }
        if let GapPool::Wide(wide) = self {
            wide.extend_from_slice(gaps);
        }
    }

    /// The gaps in milliseconds, as the `itl_ms` metric defines them; the pool is left empty.
    fn take_ms(&mut self) -> Vec<f64> {
        let ms = match self {
            GapPool::Narrow(v) => crate::metrics::itl_ms(v.iter().map(|&g| u64::from(g))).collect(),
            GapPool::Wide(v) => crate::metrics::itl_ms(v.iter().copied()).collect(),
        };
        *self = GapPool::default();
        ms
    }
}

/// One line of `samples.jsonl` as [`Columns`] keeps it: [`SampleRow`]'s fields, the ones the
/// summary does not read skipped unparsed (serde's rules otherwise: the same fields are required).
#[derive(Deserialize)]
struct WireRow<'a> {
    engine: EngineId,
    #[serde(borrow)]
    label: std::borrow::Cow<'a, str>,
    repetition: u32,
    request_id: u64,
    phase: Phase,
    outcome: Outcome,
    start_mono_ns: u64,
    #[serde(default)]
    scheduled_mono_ns: Option<u64>,
    prefill_ns: Option<u64>,
    ttft_ns: Option<u64>,
    e2e_ns: u64,
    itl_ns: Vec<u64>,
    prompt_tokens: Option<u32>,
    prompt_tokens_source: Option<TokenSource>,
    completion_tokens: u32,
    completion_tokens_source: TokenSource,
    #[serde(default)]
    token_counts: TokenCounts,
    device_clock: Option<DeviceClockKind>,
    prefill_device_ns: Option<u64>,
    decode_device_ns: Option<Vec<u64>>,
    finish_reason: Option<FinishReason>,
    #[serde(default)]
    output_token_ids: Option<Vec<u32>>,
    #[serde(default)]
    reasoning: Option<RequestReasoning>,
    #[serde(default)]
    retry: u32,
}

impl Columns {
    /// The rows of `samples.jsonl` and, where it exists, `warmup.jsonl` in `dir`.
    pub fn read_dir(dir: &Path) -> anyhow::Result<Columns> {
        let mut columns = Columns::read(&dir.join("samples.jsonl"))?;
        let warmup = dir.join("warmup.jsonl");
        if warmup.is_file() {
            columns.read_more(&warmup)?;
        }
        Ok(columns)
    }

    /// The rows of one JSON Lines file of sample rows (a torn last line set aside, as
    /// [`store::read_jsonl`] does).
    pub fn read(path: &Path) -> anyhow::Result<Columns> {
        let mut columns = Columns::default();
        columns.read_more(path)?;
        Ok(columns)
    }

    fn read_more(&mut self, path: &Path) -> anyhow::Result<()> {
        let torn = store::for_each_line_batch(path, store::READ_BATCH_BYTES, |batch| {
            let parsed = batch.parse(&|line| serde_json::from_slice::<WireRow<'_>>(line));
            batch.keep(parsed, |row| self.push_wire(row))
        })?;
        if torn > 0 {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            self.torn_lines.push(name);
        }
        Ok(())
    }

    /// In-memory rows, as reading them from a file would give.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a SampleRow>) -> Columns {
        let mut columns = Columns::default();
        for row in rows {
            let label = columns.label_ix(&row.label, row.engine);
            let mut request = Request::of(label, row.engine, row.repetition, &row.sample);
            request.ids = row
                .sample
                .output_token_ids
                .as_deref()
                .map(|ids| columns.push_ids(ids));
            columns.push_request(request, &row.sample.itl_ns);
        }
        columns
    }

    fn push_wire(&mut self, row: WireRow<'_>) {
        let label = self.label_ix(&row.label, row.engine);
        let ids = row
            .output_token_ids
            .as_deref()
            .map(|ids| self.push_ids(ids));
        let request = Request {
            label,
            engine: row.engine,
            repetition: row.repetition,
            request_id: row.request_id,
            phase: row.phase,
            outcome: row.outcome,
            start_mono_ns: row.start_mono_ns,
            scheduled_mono_ns: row.scheduled_mono_ns,
            prefill_ns: row.prefill_ns,
            ttft_ns: row.ttft_ns,
            e2e_ns: row.e2e_ns,
            itl_sum_ns: row.itl_ns.iter().sum(),
            prompt_tokens: row.prompt_tokens,
            prompt_tokens_source: row.prompt_tokens_source,
            completion_tokens: row.completion_tokens,
            completion_tokens_source: row.completion_tokens_source,
            token_counts: row.token_counts,
            device_clock: row.device_clock,
            prefill_device_ns: row.prefill_device_ns,
            decode_device: row.decode_device_ns.as_deref().map(DecodeDevice::of),
            finish_reason: row.finish_reason,
            reasoning: row.reasoning,
            retry: row.retry,
            ids,
        };
        self.push_request(request, &row.itl_ns);
    }

    fn push_request(&mut self, request: Request, itl_ns: &[u64]) {
        if request.is_ok_measured() {
            self.itl[request.label as usize].extend(itl_ns);
        }
        self.requests.push(request);
    }

    fn push_ids(&mut self, ids: &[u32]) -> (usize, u32) {
        let start = self.ids.len();
        self.ids.extend_from_slice(ids);
        (start, u32::try_from(ids.len()).unwrap_or(u32::MAX))
    }

    fn label_ix(&mut self, label: &str, engine: EngineId) -> LabelIx {
        if let Some(i) = self.labels.iter().position(|(l, _)| l == label) {
            return i as LabelIx;
        }
        self.labels.push((label.to_owned(), engine));
        self.itl.push(GapPool::default());
        (self.labels.len() - 1) as LabelIx
    }

    /// Every label with its engine, in order of first appearance.
    pub fn labels(&self) -> impl Iterator<Item = (&str, EngineId)> {
        self.labels.iter().map(|(l, e)| (l.as_str(), *e))
    }

    /// A label's index, when any row has it.
    pub fn find_label(&self, label: &str) -> Option<LabelIx> {
        self.labels
            .iter()
            .position(|(l, _)| l == label)
            .map(|i| i as LabelIx)
    }

    /// The label at `ix`.
    pub fn label(&self, ix: LabelIx) -> &str {
        &self.labels[ix as usize].0
    }

    /// The requests of `label` (none for a label no row has).
    pub fn of_label<'a>(&'a self, label: &str) -> impl Iterator<Item = &'a Request> + 'a {
        let ix = self.find_label(label);
        self.requests.iter().filter(move |r| Some(r.label) == ix)
    }

    /// The successful measured requests of `label`.
    pub fn ok_measured<'a>(&'a self, label: &str) -> Vec<&'a Request> {
        self.of_label(label)
            .filter(|r| r.is_ok_measured())
            .collect()
    }

    /// A request's generated ids, when its sample had them.
    pub fn output_ids(&self, request: &Request) -> Option<&[u32]> {
        let (start, len) = request.ids?;
        Some(&self.ids[start..start + len as usize])
    }

    /// Takes `label`'s pooled inter-token gaps (milliseconds, successful measured requests);
    /// empty for an unknown label and after the first call.
    pub fn take_itl_ms(&mut self, label: &str) -> Vec<f64> {
        self.find_label(label)
            .map(|i| self.itl[i as usize].take_ms())
            .unwrap_or_default()
    }

    /// `label`'s metric samples (successful measured requests), made from its pooled gaps,
    /// which are taken.
    pub fn take_metric_samples(&mut self, label: &str) -> MetricSamples {
        let itl = self.take_itl_ms(label);
        MetricSamples::of(&self.ok_measured(label), itl)
    }

    /// Frees the generated ids once the agreement check has read them; [`Columns::output_ids`]
    /// then answers `None`.
    pub fn drop_output_ids(&mut self) {
        self.ids = Vec::new();
        for r in &mut self.requests {
            r.ids = None;
        }
    }
}

impl<'a> FromIterator<&'a SampleRow> for Columns {
    fn from_iter<I: IntoIterator<Item = &'a SampleRow>>(rows: I) -> Columns {
        Columns::from_rows(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            for (r, row) in read.requests.iter().zip(&rows) {
                assert_eq!(read.label(r.label), row.label);
                assert_eq!(
                    read.output_ids(r),
                    row.sample.output_token_ids.as_deref(),
                    "{name}: request {}",
                    row.sample.request_id
                );
            }
            for (label, _) in built.labels.clone() {
                let expected: Vec<f64> = rows
                    .iter()
                    .filter(|r| {
                        r.label == label
                            && r.sample.phase == Phase::Measure
                            && r.sample.outcome.is_ok()
                    })
                    .flat_map(|r| r.sample.itl_ns.iter().map(|&t| t as f64 / 1e6))
                    .collect();
                assert_eq!(read.take_itl_ms(&label), expected);
                assert_eq!(built.take_itl_ms(&label), expected);
                assert!(read.take_itl_ms(&label).is_empty(), "taken once");
            }
        }
    }

    #[test]
    fn gaps_widen_when_one_needs_more_than_32_bits() {
        let mut pool = GapPool::default();
        pool.extend(&[1, 2_000_000]);
        assert!(matches!(pool, GapPool::Narrow(_)));
        let long = u64::from(u32::MAX) + 7;
        pool.extend(&[3, long, 4]);
        assert!(matches!(pool, GapPool::Wide(_)));
        pool.extend(&[5]);
        let expected: Vec<f64> = [1, 2_000_000, 3, long, 4, 5]
            .iter()
            .map(|&g| g as f64 / 1e6)
            .collect();
        assert_eq!(pool.take_ms(), expected);
        assert!(pool.take_ms().is_empty());
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

    #[test]
    fn a_bad_line_names_its_file_and_line() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("samples.jsonl");
        let good = std::fs::read_to_string(fixture().join("samples.jsonl")).expect("fixture");
        let first = good.lines().next().expect("a row");
        std::fs::write(&path, format!("{first}\n{{\"engine\":\"sim\"}}\n{first}\n"))
            .expect("write");
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
            read.requests[0].reasoning,
            Some(RequestReasoning {
                first_answer_ns: Some(45_000_000),
                tokens: Some(7),
                tokens_source: Some(TokenSource::Tokenizer),
            })
        );
    }
}
