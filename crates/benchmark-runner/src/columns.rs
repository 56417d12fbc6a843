//! A run's sample rows as the summary, the figures and `diff` read them: one compact record per
//! request ([`Request`]: the scalars of its sample, its label as an index), each label's apart
//! and in file order, and the per-token arrays kept only in the form they are used.
//!
//! - Inter-token gaps are pooled per label at reading, over successful measured requests, as
//!   whole nanoseconds: the values of the `itl_ms` metric, handed over once in milliseconds,
//!   sorted, by [`Columns::take_itl_ms`]. At a million requests they are most of a run's
//!   numbers (63 million gaps), so once a label's pool is long its gaps are counted in a window
//!   of nanoseconds as they are read rather than kept, and only those outside it are kept, in
//!   32 bits while every one fits ([`GapPool`]).
//! - Generated ids sit in one arena ([`Columns::output_ids`]), in 16 bits while every id fits,
//!   for the agreement check, which reads them before the metrics are made;
//!   [`Columns::drop_output_ids`] then frees them.
//! - Device-clock gaps are folded into the two figures the device metrics read (the first gap,
//!   and the sum and count of the rest).
//! - Text, chunk sizes and engine-reported figures are not read (the summary does not use them).
//!
//! `samples.jsonl` is read once per line, straight into these types (`columns/wire.rs` reads a
//! line), in batches whose pieces are read into columns of their own on all cores, then appended
//! in file order while the next batch is read ([`crate::store`] streams the lines).

use std::path::Path;
use std::sync::OnceLock;

use shared_protocol::EngineId;

use crate::metrics::{LabelIx, MetricSamples, Request};
use crate::store::{self, SampleRow};

mod gaps;
mod ids;
mod widening;
mod wire;

pub use gaps::GapPool;
use ids::IdArena;
pub(crate) use ids::IdSpan;
pub use ids::Ids;

/// A run's requests (measured and warm-up), with the arrays the summary reads.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Each label with its engine, in order of first appearance.
    labels: Vec<(String, EngineId)>,
    /// Per label: its requests, in file order (each label's apart, so that finding them does
    /// not read every other label's).
    requests: Vec<Vec<Request>>,
    /// Per label: where its successful measured requests are among its requests, found on
    /// first asking (the summary, the figures and the agreement check each ask for them, and
    /// finding them reads every request of the label); emptied when requests are added.
    ok_measured: Vec<OnceLock<Vec<u32>>>,
    /// Generated ids of every request that has them, back to back.
    ids: IdArena,
    /// Whether the ids were freed ([`Columns::drop_output_ids`]).
    ids_dropped: bool,
    /// Per label: the inter-token gaps of its successful measured requests.
    itl: Vec<GapPool>,
    /// Torn last lines set aside while reading (a writer killed mid-line), by file name.
    pub torn_lines: Vec<String>,
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
        self.read_more_in(path, store::READ_BATCH_BYTES)
    }

    /// [`Columns::read_more`] in batches of about `batch_bytes`.
    fn read_more_in(&mut self, path: &Path, batch_bytes: usize) -> anyhow::Result<()> {
        // Each piece of a batch is read into columns of its own on its own core; the pieces'
        // columns are then appended in file order, while the next batch is read (on the cores
        // that reading leaves idle: counting a long pool's gaps is one core's work).
        // Two sets of pieces take turns, one filled while the other is appended. Their columns
        // and buffers are kept from batch to batch, emptied, so that their memory is not given
        // back and asked for again each time.
        let mut parts: [Vec<(Columns, wire::Arrays)>; 2] = Default::default();
        // The set read last, and how many of its pieces wait to be appended.
        let (mut last, mut waiting) = (0, 0);
        let torn = store::for_each_line_batch(path, batch_bytes, |batch| {
            let [a, b] = &mut parts;
            let (appended, filling) = if last == 0 { (a, b) } else { (b, a) };
            let appended = &mut appended[..waiting];
            let ((), folded) = rayon::join(
                || self.take_from(appended),
                || {
                    batch.fold(filling, Default::default, &|(part, arrays), line| {
                        let row = wire::read(line, arrays)?;
                        part.push_row(row, arrays);
                        Ok(())
                    })
                },
            );
            let (pieces, lines) = folded?;
            (last, waiting) = (1 - last, pieces);
            Ok(lines)
        })?;
        self.take_from(&mut parts[last][..waiting]);
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

    fn push_row(&mut self, row: wire::Row<'_>, arrays: &wire::Arrays) {
        let mut request = row.request;
        request.label = self.label_ix(&row.label, request.engine);
        request.ids = row.has_ids.then(|| self.push_ids(&arrays.ids));
        request.itl_sum_ns = arrays.itl.iter().sum();
        self.push_request(request, &arrays.itl);
    }

    /// Moves the requests of `parts`, read in this order from the lines after this one's, to
    /// the end of this one's, leaving each part with its labels and no request.
    ///
    /// The requests and the ids are moved, and the gaps counted or moved label by label, on
    /// all cores: at a million requests that is most of a gigabyte to copy.
    fn take_from(&mut self, parts: &mut [(Columns, wire::Arrays)]) {
        if parts.is_empty() {
            return;
        }
        let mut parts: Vec<&mut Columns> = parts.iter_mut().map(|(part, _)| part).collect();
        let labels: Vec<Vec<LabelIx>> = parts
            .iter()
            .map(|part| {
                part.labels
                    .iter()
                    .map(|(label, engine)| self.label_ix(label, *engine))
                    .collect()
            })
            .collect();
        for found in &mut self.ok_measured {
            found.take();
        }
        let Columns {
            requests,
            ids,
            itl,
            torn_lines,
            ..
        } = self;
        let mut ids_offsets = Vec::with_capacity(parts.len());
        let mut offset = ids.len();
        for part in &parts {
            ids_offsets.push(offset);
            offset += part.ids.len();
        }
        let mut part_requests: Vec<Vec<Vec<Request>>> = Vec::with_capacity(parts.len());
        let mut part_ids: Vec<IdArena> = Vec::with_capacity(parts.len());
        let mut part_itl: Vec<Vec<GapPool>> = Vec::with_capacity(parts.len());
        for part in &mut parts {
            part_requests.push(std::mem::take(&mut part.requests));
            part_ids.push(std::mem::take(&mut part.ids));
            part_itl.push(std::mem::take(&mut part.itl));
            torn_lines.append(&mut part.torn_lines);
        }
        rayon::join(
            || {
                for ((rows, map), ids_offset) in
                    part_requests.iter_mut().zip(&labels).zip(&ids_offsets)
                {
                    for (rows, &ix) in rows.iter_mut().zip(map) {
                        requests[ix as usize].extend(rows.drain(..).map(|mut r| {
                            r.label = ix;
                            r.ids = r.ids.map(|span| span.shifted(*ids_offset));
                            r
                        }));
                    }
                }
            },
            || {
                rayon::join(
                    || {
                        ids.reserve(part_ids.iter().map(IdArena::len).sum());
                        for more in &mut part_ids {
                            ids.take_from(more);
                        }
                    },
                    || {
                        // Label by label on all cores: a long pool counts its gaps here.
                        use rayon::prelude::*;
                        let mut by_label: Vec<Vec<&mut GapPool>> =
                            itl.iter().map(|_| Vec::new()).collect();
                        for (pools, map) in part_itl.iter_mut().zip(&labels) {
                            for (pool, &ix) in pools.iter_mut().zip(map) {
                                by_label[ix as usize].push(pool);
                            }
                        }
                        itl.par_iter_mut().zip(by_label).for_each(|(pool, more)| {
                            for more in more {
                                pool.take_from(more);
                            }
                        });
                    },
                );
            },
        );
        // The emptied buffers go back to the parts, to be filled again.
        for (((part, rows), more), pools) in parts
            .iter_mut()
            .zip(part_requests)
            .zip(part_ids)
            .zip(part_itl)
        {
            part.requests = rows;
            part.ids = more;
            part.itl = pools;
        }
    }

    fn push_request(&mut self, request: Request, itl_ns: &[u64]) {
        self.ok_measured[request.label as usize].take();
        if request.is_ok_measured() {
            self.itl[request.label as usize].extend(itl_ns);
        }
        self.requests[request.label as usize].push(request);
    }

    fn push_ids(&mut self, ids: &[u32]) -> IdSpan {
        let start = self.ids.len();
        self.ids.extend(ids);
        IdSpan::new(start, u32::try_from(ids.len()).unwrap_or(u32::MAX))
    }

    fn label_ix(&mut self, label: &str, engine: EngineId) -> LabelIx {
        if let Some(i) = self.labels.iter().position(|(l, _)| l == label) {
            return i as LabelIx;
        }
        self.labels.push((label.to_owned(), engine));
        self.requests.push(Vec::new());
        self.ok_measured.push(OnceLock::new());
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

    /// Every request, label by label (each label's in file order).
    pub fn requests(&self) -> impl Iterator<Item = &Request> {
        self.requests.iter().flatten()
    }

    /// The requests of `label` (none for a label no row has).
    pub fn of_label<'a>(&'a self, label: &str) -> impl Iterator<Item = &'a Request> + 'a {
        self.find_label(label)
            .map_or(&[][..], |ix| &self.requests[ix as usize])
            .iter()
    }

    /// The successful measured requests of `label`, in file order.
    pub fn ok_measured<'a>(&'a self, label: &str) -> Vec<&'a Request> {
        let Some(ix) = self.find_label(label) else {
            return Vec::new();
        };
        let requests = &self.requests[ix as usize];
        let found = self.ok_measured[ix as usize].get_or_init(|| {
            (0u32..)
                .zip(requests)
                .filter(|(_, r)| r.is_ok_measured())
                .map(|(i, _)| i)
                .collect()
        });
        found.iter().map(|&i| &requests[i as usize]).collect()
    }

    /// A request's generated ids, when its sample had them (none once they are freed).
    pub fn output_ids(&self, request: &Request) -> Option<Ids<'_>> {
        if self.ids_dropped {
            return None;
        }
        let span = request.ids?;
        Some(self.ids.get(span.start(), span.len() as usize))
    }

    /// Takes `label`'s pooled inter-token gaps (milliseconds, successful measured requests),
    /// sorted ascending; empty for an unknown label and after the first call.
    pub fn take_itl_ms(&mut self, label: &str) -> Vec<f64> {
        self.take_itl(label).take_sorted_ms()
    }

    /// Takes `label`'s pooled inter-token gaps as read (`GapPool::take_sorted_ms` makes
    /// them the `itl_ms` values); empty for an unknown label and after the first call.
    pub fn take_itl(&mut self, label: &str) -> GapPool {
        self.find_label(label)
            .map(|i| std::mem::take(&mut self.itl[i as usize]))
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
        self.ids = IdArena::default();
        self.ids_dropped = true;
    }
}

impl<'a> FromIterator<&'a SampleRow> for Columns {
    fn from_iter<I: IntoIterator<Item = &'a SampleRow>>(rows: I) -> Columns {
        Columns::from_rows(rows)
    }
}

#[cfg(test)]
#[path = "columns_tests.rs"]
mod tests;
