//! JSON Lines files read in batches of whole lines, each batch a window of the file mapped into
//! memory (the text is never copied) and split into pieces parsed on all cores, the next window
//! mapped while this one is parsed.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    /// Torn last lines met (0 or 1); atomic, as a batch may be read beside other work on other
    /// threads.
    torn: AtomicUsize,
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
        // Eight pieces a core: every core waits for the batch's last piece, and the smaller the
        // pieces, the shorter that wait (with four a core, the cores sat idle about a tenth of
        // the reading time at a million rows).
        let pieces = rayon::current_num_threads() * 8;
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
            self.torn.fetch_add(1, Ordering::Relaxed);
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

/// A stretch of a file's text: mapped into memory (no copy made), or a slice of the whole file
/// read where it cannot be mapped.
enum Window<'a> {
    Mapped(memmap2::Mmap),
    Read(&'a [u8]),
}

impl std::ops::Deref for Window<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Window::Mapped(map) => map,
            Window::Read(text) => text,
        }
    }
}

/// A file's text, mapped a window at a time.
enum Source {
    Mapped(File),
    /// A file that cannot be mapped (a pipe, a file system without memory mapping), read whole.
    Read(Vec<u8>),
}

impl Source {
    /// The `len` bytes from `start`, with their pages mapped ahead of use.
    fn window(&self, start: u64, len: usize) -> std::io::Result<Window<'_>> {
        match self {
            // SAFETY: the map is read only, and no other process changes the bytes of a run's
            // file while it is read: rows are only appended, after the window's end. The one
            // writer that shortens a file, `--resume` setting a torn last line aside, does so
            // before it appends; reading a directory while it is being resumed is not
            // supported, and a file cut shorter under the map (or a disk error on its pages)
            // stops the process with SIGBUS rather than reading wrong text.
            Source::Mapped(file) => unsafe {
                memmap2::MmapOptions::new()
                    .offset(start)
                    .len(len)
                    .populate()
                    .map(file)
            }
            .map(Window::Mapped),
            Source::Read(text) => {
                let start = usize::try_from(start).unwrap_or(usize::MAX);
                Ok(Window::Read(&text[start..start + len]))
            }
        }
    }
}

/// Whether `file` can be mapped into memory (a regular file on a file system that maps).
fn can_map(file: &File) -> bool {
    // SAFETY: the one-byte map is dropped unread.
    unsafe { memmap2::MmapOptions::new().len(1).map(file) }.is_ok()
}

/// The window of whole lines that starts at `start` of a file of `len` bytes: about
/// `batch_bytes`, ending at its last line end, or at the end of the file; a line longer than
/// `batch_bytes` widens it until the line ends. Returns the window and its length.
fn batch_at(
    source: &Source,
    start: u64,
    len: u64,
    batch_bytes: usize,
) -> std::io::Result<(Window<'_>, usize)> {
    let mut want = batch_bytes.max(1);
    loop {
        let rest = len - start;
        let take = usize::try_from(rest).map_or(want, |rest| want.min(rest));
        let window = source.window(start, take)?;
        if take as u64 == rest {
            return Ok((window, take));
        }
        if let Some(i) = memchr::memrchr(b'\n', &window) {
            return Ok((window, i + 1));
        }
        want = want.saturating_mul(2);
    }
}

/// Streams a JSON Lines file in batches of whole lines of about `batch_bytes`, in file order:
/// each batch is a window of the file mapped into memory, and while `each` has it the next
/// window is mapped and the one before unmapped, so memory holds at most three batches of the
/// file, never the whole file. `each` returns the batch's line count ([`LineBatch::fold`] gives
/// it). Returns how many torn last lines were set aside (0 or 1).
///
/// Lines appended after the file is opened are not read. A file that cannot be mapped is read
/// whole, then handed over in the same batches.
pub(crate) fn for_each_line_batch(
    path: &Path,
    batch_bytes: usize,
    mut each: impl FnMut(&LineBatch<'_>) -> anyhow::Result<usize>,
) -> anyhow::Result<usize> {
    let cannot_read = || format!("cannot read {}", path.display());
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let meta = file.metadata().with_context(cannot_read)?;
    let mut len = meta.len();
    let source = if meta.is_file() && len > 0 && can_map(&file) {
        Source::Mapped(file)
    } else {
        let mut text = Vec::new();
        file.read_to_end(&mut text).with_context(cannot_read)?;
        len = text.len() as u64;
        Source::Read(text)
    };
    if len == 0 {
        return Ok(0);
    }
    let mut start = 0;
    let mut first_line = 1;
    let mut current = batch_at(&source, start, len, batch_bytes).with_context(cannot_read)?;
    // The window before this one: unmapped by the thread that maps the next, beside this
    // batch's reading (unmapping 16 MB on the thread that hands out the batches kept every
    // core waiting, about a tenth of a second at a million rows).
    let mut done: Option<Window<'_>> = None;
    loop {
        let (window, taken) = &current;
        let end = start + *taken as u64;
        let at_end = end == len;
        let batch = LineBatch {
            path,
            text: &window[..*taken],
            first_line,
            at_end,
            torn: AtomicUsize::new(0),
        };
        let (lines, next) = std::thread::scope(|s| {
            let before = done.take();
            let source = &source;
            let next = s.spawn(move || {
                drop(before);
                (!at_end).then(|| batch_at(source, end, len, batch_bytes))
            });
            let lines = each(&batch);
            let next = next.join().expect("the mapping thread panicked");
            (lines, next)
        });
        let lines = lines?;
        let Some(next) = next else {
            return Ok(batch.torn.load(Ordering::Relaxed));
        };
        let (before, _) = std::mem::replace(&mut current, next.with_context(cannot_read)?);
        done = Some(before);
        first_line += lines;
        start = end;
    }
}
