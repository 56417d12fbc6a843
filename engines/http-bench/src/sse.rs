//! Incremental server-sent-events parser over byte chunks.
//!
//! Lines end in `\n`, `\r\n` or `\r`; `data:` lines are collected (one optional space after the
//! colon is dropped) and an event is dispatched at the blank line that ends it. Comments (`:`)
//! and the `event`, `id` and `retry` fields are skipped. An event whose data lies inside one
//! chunk is handed out as a slice of that chunk; only a partial line at the end of a chunk, and
//! the data of multi-line events, are copied.
//!
//! Each event carries the arrival time of the chunk that completed its first `data:` line, so a
//! blank line that arrives in a later chunk does not move its timestamp.

/// One dispatched event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event's data, lines joined with `\n`.
    pub data: &'a [u8],
    /// Arrival time of the chunk that completed the event's first data line.
    pub stamp_ns: u64,
}

/// Parser state carried between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of a line not yet terminated.
    partial: Vec<u8>,
    /// The previous chunk ended in `\r`: a `\n` starting the next one belongs to it.
    skip_lf: bool,
    /// Data of the event being assembled, when it spans lines or chunks.
    data: Vec<u8>,
    /// The event being assembled has at least one data line.
    has_data: bool,
    stamp_ns: u64,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held back waiting for the rest of a line or event.
    pub fn pending(&self) -> usize {
        self.partial.len() + self.data.len()
    }

    /// Feed one chunk that arrived at `stamp_ns`, calling `on_event` for each completed event.
    /// Stops early when `on_event` returns `false`; the rest of the chunk is then discarded.
    pub fn feed<E>(
        &mut self,
        chunk: &[u8],
        stamp_ns: u64,
        mut on_event: impl FnMut(Event<'_>) -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        if self.skip_lf {
            self.skip_lf = false;
            if let Some(r) = rest.strip_prefix(b"\n") {
                rest = r;
            }
        }
        // A line begun in an earlier chunk: complete it from this one.
        if !self.partial.is_empty() {
            let Some((end, next)) = line_end(rest) else {
                self.partial.extend_from_slice(rest);
                return Ok(());
            };
            self.partial.extend_from_slice(&rest[..end]);
            self.skip_lf = next == rest.len() && rest[end] == b'\r';
            rest = &rest[next..];
            let line = std::mem::take(&mut self.partial);
            let keep_going = self.line(&line, stamp_ns, &mut on_event)?;
            self.partial = line;
            self.partial.clear();
            if !keep_going {
                return Ok(());
            }
        }
        while let Some((end, next)) = line_end(rest) {
            let line = &rest[..end];
            self.skip_lf = next == rest.len() && rest[end] == b'\r';
            rest = &rest[next..];
            if !self.line(line, stamp_ns, &mut on_event)? {
                return Ok(());
            }
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    /// Handle one complete line; returns whether to keep going.
    fn line<E>(
        &mut self,
        line: &[u8],
        stamp_ns: u64,
        on_event: &mut impl FnMut(Event<'_>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        if line.is_empty() {
            if !self.has_data {
                return Ok(true);
            }
            self.has_data = false;
            let keep_going = on_event(Event {
                data: &self.data,
                stamp_ns: self.stamp_ns,
            })?;
            self.data.clear();
            return Ok(keep_going);
        }
        let Some(value) = line.strip_prefix(b"data") else {
            return Ok(true); // comment, `event:`, `id:`, `retry:` or an unknown field
        };
        let value = match value {
            [] => value,
            [b':', b' ', v @ ..] | [b':', v @ ..] => v,
            _ => return Ok(true), // a field named like `datax`
        };
        if self.has_data {
            self.data.push(b'\n');
        } else {
            self.has_data = true;
            self.stamp_ns = stamp_ns;
        }
        self.data.extend_from_slice(value);
        Ok(true)
    }
}

/// The end of the first line in `bytes`: (index of the terminator, index after it).
#[inline]
fn line_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let i = memchr::memchr2(b'\n', b'\r', bytes)?;
    if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
        Some((i, i + 2))
    } else {
        Some((i, i + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    fn collect(chunks: &[&[u8]]) -> Vec<(String, u64)> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            p.feed::<Infallible>(c, i as u64, |e| {
                out.push((
                    String::from_utf8(e.data.to_vec()).expect("utf8"),
                    e.stamp_ns,
                ));
                Ok(true)
            })
            .expect("infallible");
        }
        out
    }

    #[test]
    fn one_chunk_many_events() {
        let got = collect(&[b"data: a\n\ndata: b\n\ndata: [DONE]\n\n"]);
        let data: Vec<_> = got.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(data, ["a", "b", "[DONE]"]);
    }

    #[test]
    fn events_split_at_every_byte_boundary() {
        let stream = b"data: {\"x\":1}\r\n\r\n: keep-alive\n\ndata:two\ndata: lines\n\nevent: e\nid: 3\ndata: [DONE]\n\n";
        let whole = collect(&[stream]);
        for cut in 1..stream.len() {
            let parts = collect(&[&stream[..cut], &stream[cut..]]);
            let a: Vec<_> = whole.iter().map(|(d, _)| d.clone()).collect();
            let b: Vec<_> = parts.iter().map(|(d, _)| d.clone()).collect();
            assert_eq!(a, b, "split at {cut}");
        }
        let data: Vec<_> = whole.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(data, ["{\"x\":1}", "two\nlines", "[DONE]"]);
    }

    #[test]
    fn byte_by_byte_with_cr_only_line_ends() {
        let stream = b"data: a\r\rdata: b\r\r";
        let chunks: Vec<&[u8]> = stream.chunks(1).collect();
        let got = collect(&chunks);
        let data: Vec<_> = got.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(data, ["a", "b"]);
    }

    #[test]
    fn crlf_split_between_chunks_is_one_line_end() {
        // `\r` ends one chunk and `\n` starts the next: one line end, not a blank line.
        let got = collect(&[b"data: a\r", b"\ndata: b\r\n\r\n"]);
        let data: Vec<_> = got.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(data, ["a\nb"]);
    }

    #[test]
    fn stamp_is_when_the_data_line_arrived() {
        let got = collect(&[b"data: a\n", b"\n"]);
        assert_eq!(got, vec![("a".to_owned(), 0)]);
    }

    #[test]
    fn comments_and_empty_events_are_skipped() {
        let got = collect(&[b": ping\n\n\n\nevent: x\n\ndata\n\n"]);
        assert_eq!(got, vec![(String::new(), 0)]);
    }

    #[test]
    fn stops_when_asked() {
        let mut p = SseParser::new();
        let mut n = 0;
        p.feed::<Infallible>(b"data: a\n\ndata: b\n\n", 0, |_| {
            n += 1;
            Ok(false)
        })
        .expect("infallible");
        assert_eq!(n, 1);
    }

    #[test]
    fn unterminated_tail_is_held() {
        let mut p = SseParser::new();
        p.feed::<Infallible>(b"data: {\"a\"", 0, |_| panic!("no event yet"))
            .expect("infallible");
        assert_eq!(p.pending(), 10);
    }
}
