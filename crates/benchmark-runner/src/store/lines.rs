//! JSON Lines files read in batches of whole lines, each batch split into pieces parsed on all
//! cores, the next batch read from the file while this one is parsed.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::Context;

/// Text parsed per batch by [`super::read_jsonl`].
pub const READ_BATCH_BYTES: usize = 16 << 20;

/// Whole lines of a JSON Lines file, read as one block of text.
pub(crate) struct LineBatch<'a> {
    path: &'a Path,
    /// Whole lines: it ends at a line end, or at the end of the file.
    text: &'a [u8],
    /// The number of its first line in the file (from 1).
    first_line: usize,
    /// Whether it holds the file's last line.
    at_end: bool,
    /// Torn last lines met (0 or 1).
    torn: std::cell::Cell<usize>,
}

/// A piece's line that did not parse: where it starts in the batch's text, and why.
type Failure = (usize, serde_json::Error);

impl<'a> LineBatch<'a> {
    /// Every non-empty line handed to `line` with the accumulator of its piece: the text is
    /// split into a few pieces at line ends and each piece folded on its own core into its
    /// accumulator in `accs`, which are kept from batch to batch (as many as there are pieces
    /// are made by `init`). Returns how many pieces there were, their accumulators first in
    /// `accs` in file order, and the number of lines the batch holds (blank ones too).
    ///
    /// A line that does not parse ends its piece. It is an error naming the line, unless it is
    /// the file's last line: a run cut off mid-write, skipped with a message (the pieces
    /// returned then hold every line before it).
    pub(crate) fn fold<A: Send>(
        &self,
        accs: &mut Vec<A>,
        init: impl Fn() -> A,
        line: &(impl Fn(&mut A, &'a [u8]) -> serde_json::Result<()> + Sync),
    ) -> anyhow::Result<(usize, usize)> {
        use rayon::prelude::*;
        let text = self.text;
        let pieces = rayon::current_num_threads() * 4;
        let mut bounds = vec![0];
        for k in 1..pieces {
            let at = (text.len() * k / pieces).max(*bounds.last().unwrap_or(&0));
            // A piece ends just after a line end.
            let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
            bounds.push(end);
        }
        bounds.push(text.len());
        bounds.dedup();
        let pieces = bounds.len() - 1;
        if accs.len() < pieces {
            accs.resize_with(pieces, init);
        }
        let folded: Vec<(usize, Option<Failure>)> = bounds
            .par_windows(2)
            .zip(accs.par_iter_mut())
            .map(|(w, acc)| {
                let mut lines = 0;
                let mut start = w[0];
                while start < w[1] {
                    let end = memchr::memchr(b'\n', &text[start..w[1]]).map_or(w[1], |i| start + i);
                    let text_line = &text[start..end];
                    if !text_line.iter().all(u8::is_ascii_whitespace)
                        && let Err(e) = line(acc, text_line)
                    {
                        return (lines, Some((start, e)));
                    }
                    lines += 1;
                    start = end + 1;
                }
                (lines, None)
            })
            .collect();
        let mut lines = 0;
        for (piece, (n, failure)) in folded.into_iter().enumerate() {
            lines += n;
            if let Some((start, e)) = failure {
                self.fail(start, &e)?;
                // The file's last line, torn: nothing follows it.
                return Ok((piece + 1, lines));
            }
        }
        Ok((pieces, lines))
    }

    /// The line at `start` did not parse: an error naming it, or, for the file's last line, a
    /// message and a torn line counted.
    fn fail(&self, start: usize, e: &serde_json::Error) -> anyhow::Result<()> {
        let last = self.at_end
            && memchr::memchr(b'\n', &self.text[start..])
                .is_none_or(|i| start + i + 1 == self.text.len());
        if last {
            eprintln!("{}: skipping a torn last line ({e})", self.path.display());
            self.torn.set(self.torn.get() + 1);
            Ok(())
        } else {
            let line_no = self.first_line + memchr::memchr_iter(b'\n', &self.text[..start]).count();
            Err(anyhow::anyhow!("{}:{line_no}: {e}", self.path.display()))
        }
    }

    /// Every non-empty line parsed by `parse`, in order, handed to `keep`; returns how many
    /// lines the batch holds. Lines that do not parse are treated as [`LineBatch::fold`] treats
    /// them.
    pub(crate) fn keep<T: Send>(
        &self,
        parse: &(impl Fn(&'a [u8]) -> serde_json::Result<T> + Sync),
        mut keep: impl FnMut(T),
    ) -> anyhow::Result<usize> {
        let mut accs = Vec::new();
        let (pieces, lines) = self.fold(&mut accs, Vec::new, &|rows: &mut Vec<T>, line| {
            rows.push(parse(line)?);
            Ok(())
        })?;
        accs.into_iter().take(pieces).flatten().for_each(&mut keep);
        Ok(lines)
    }
}

/// Reads from `reader` onto the end of `text` until it holds at least `batch_bytes` or the file
/// ends; returns whether it ended.
fn fill(
    reader: &mut impl BufRead,
    text: &mut Vec<u8>,
    batch_bytes: usize,
) -> std::io::Result<bool> {
    while text.len() < batch_bytes {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(true);
        }
        let n = chunk.len();
        text.extend_from_slice(chunk);
        reader.consume(n);
    }
    Ok(reader.fill_buf()?.is_empty())
}

/// Streams a JSON Lines file in batches of whole lines of about `batch_bytes`, in file order, so
/// memory holds two batches of text, never the whole file's: the next batch is read while `each`
/// has this one. `each` returns the batch's line count ([`LineBatch::fold`] gives it). Returns
/// how many torn last lines were set aside (0 or 1).
pub(crate) fn for_each_line_batch(
    path: &Path,
    batch_bytes: usize,
    mut each: impl FnMut(&LineBatch<'_>) -> anyhow::Result<usize>,
) -> anyhow::Result<usize> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let cannot_read = || format!("cannot read {}", path.display());
    let mut text: Vec<u8> = Vec::with_capacity(batch_bytes + (1 << 20));
    let mut next: Vec<u8> = Vec::with_capacity(batch_bytes + (1 << 20));
    let mut at_end = fill(&mut reader, &mut text, batch_bytes).with_context(cannot_read)?;
    let mut first_line = 1;
    loop {
        next.clear();
        if !at_end {
            // The batch ends at its last line end; the rest starts the next one. A line longer
            // than a batch is read on until it ends.
            let Some(i) = memchr::memrchr(b'\n', &text) else {
                let longer = text.len() + batch_bytes;
                at_end = fill(&mut reader, &mut text, longer).with_context(cannot_read)?;
                continue;
            };
            next.extend_from_slice(&text[i + 1..]);
            text.truncate(i + 1);
        }
        let batch = LineBatch {
            path,
            text: &text,
            first_line,
            at_end,
            torn: std::cell::Cell::new(0),
        };
        let (lines, next_at_end) = std::thread::scope(|s| {
            let reading = (!at_end).then(|| s.spawn(|| fill(&mut reader, &mut next, batch_bytes)));
            let lines = each(&batch);
            let next_at_end = reading.map(|r| r.join().expect("the reading thread panicked"));
            (lines, next_at_end)
        });
        let lines = lines?;
        let Some(next_at_end) = next_at_end else {
            return Ok(batch.torn.get());
        };
        at_end = next_at_end.with_context(cannot_read)?;
        first_line += lines;
        std::mem::swap(&mut text, &mut next);
    }
}
