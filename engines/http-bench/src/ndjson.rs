//! Incremental newline-delimited JSON splitter over byte chunks (Ollama's stream format).
//!
//! Lines end in `\n` (a `\r` before it is dropped); blank lines are skipped. A line inside one
//! chunk is handed out as a slice of it; only a line split across chunks is copied. Each line
//! carries the arrival time of the chunk that completed it.

/// Splitter state carried between chunks.
#[derive(Debug, Default)]
pub struct NdjsonParser {
    partial: Vec<u8>,
}

impl NdjsonParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes of an unterminated line held back.
    pub fn pending(&self) -> usize {
        self.partial.len()
    }

    /// Feed one chunk that arrived at `stamp_ns`, calling `on_line(line, stamp_ns)` per complete
    /// line. Stops early when `on_line` returns `false`.
    pub fn feed<E>(
        &mut self,
        chunk: &[u8],
        stamp_ns: u64,
        mut on_line: impl FnMut(&[u8], u64) -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        if !self.partial.is_empty() {
            let Some(i) = memchr::memchr(b'\n', rest) else {
                self.partial.extend_from_slice(rest);
                return Ok(());
            };
            self.partial.extend_from_slice(&rest[..i]);
            rest = &rest[i + 1..];
            let line = std::mem::take(&mut self.partial);
            let keep_going = emit(&line, stamp_ns, &mut on_line)?;
            self.partial = line;
            self.partial.clear();
            if !keep_going {
                return Ok(());
            }
        }
        while let Some(i) = memchr::memchr(b'\n', rest) {
            if !emit(&rest[..i], stamp_ns, &mut on_line)? {
                return Ok(());
            }
            rest = &rest[i + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }
}

fn emit<E>(
    line: &[u8],
    stamp_ns: u64,
    on_line: &mut impl FnMut(&[u8], u64) -> Result<bool, E>,
) -> Result<bool, E> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(true);
    }
    on_line(line, stamp_ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    fn collect(chunks: &[&[u8]]) -> Vec<String> {
        let mut p = NdjsonParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed::<Infallible>(c, 0, |l, _| {
                out.push(String::from_utf8(l.to_vec()).expect("utf8"));
                Ok(true)
            })
            .expect("infallible");
        }
        out
    }

    #[test]
    fn splits_lines_across_every_boundary() {
        let stream = b"{\"a\":1}\n\r\n{\"b\":2}\r\n{\"done\":true}\n";
        let whole = collect(&[stream]);
        assert_eq!(whole, ["{\"a\":1}", "{\"b\":2}", "{\"done\":true}"]);
        for cut in 1..stream.len() {
            assert_eq!(
                collect(&[&stream[..cut], &stream[cut..]]),
                whole,
                "split at {cut}"
            );
        }
    }

    #[test]
    fn unterminated_line_is_held() {
        let mut p = NdjsonParser::new();
        p.feed::<Infallible>(b"{\"a\":", 0, |_, _| panic!("no line yet"))
            .expect("infallible");
        assert_eq!(p.pending(), 5);
    }
}
