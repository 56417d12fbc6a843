//! Lazy field lookup in one JSON object, without parsing it.
//!
//! Stream events are small JSON objects of which the measuring loop needs one or two fields.
//! A key is found by searching for its quoted name followed by a colon; inside a JSON string a
//! quote is always escaped, so the quoted name cannot match string content. String values are
//! returned still escaped (unescaping happens once, after the stream ended).

use memchr::memmem::Finder;

/// A value that is not what the field must hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {key} does not hold {expected}")]
pub struct ScanError {
    pub key: &'static str,
    pub expected: &'static str,
}

/// A key to look up, with its searcher built once.
#[derive(Debug)]
pub struct Key {
    name: &'static str,
    finder: Finder<'static>,
}

impl Key {
    /// `quoted` is the key with its quotes, e.g. `"\"content\""`.
    pub fn new(quoted: &'static str) -> Self {
        Key {
            name: quoted,
            finder: Finder::new(quoted.as_bytes()),
        }
    }

    /// Offset of the first byte of this key's value in `hay`, if the key is present.
    pub fn value_at(&self, hay: &[u8]) -> Option<usize> {
        let mut from = 0;
        while let Some(i) = self.finder.find(&hay[from..]) {
            let mut at = skip_ws(hay, from + i + self.finder.needle().len());
            if hay.get(at) == Some(&b':') {
                at = skip_ws(hay, at + 1);
                return Some(at);
            }
            from += i + 1;
        }
        None
    }

    /// The raw (still escaped) string value: `Ok(None)` when the key is absent or `null`.
    pub fn str_in<'a>(&self, hay: &'a [u8]) -> Result<Option<&'a [u8]>, ScanError> {
        let Some(at) = self.value_at(hay) else {
            return Ok(None);
        };
        match hay.get(at) {
            Some(b'"') => string_body(&hay[at + 1..]).map(Some).ok_or(ScanError {
                key: self.name,
                expected: "a terminated string",
            }),
            Some(b'n') if hay[at..].starts_with(b"null") => Ok(None),
            _ => Err(ScanError {
                key: self.name,
                expected: "a string or null",
            }),
        }
    }

    /// An unsigned integer value, `None` when absent, `null` or not an integer.
    pub fn uint_in(&self, hay: &[u8]) -> Option<u64> {
        let at = self.value_at(hay)?;
        let digits = hay[at..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 19 {
            return None;
        }
        hay[at..at + digits].iter().try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    }

    /// Whether the value is the literal `true`.
    pub fn is_true_in(&self, hay: &[u8]) -> bool {
        self.value_at(hay)
            .is_some_and(|at| hay[at..].starts_with(b"true"))
    }

    /// Whether the key is present with a value other than `null`.
    pub fn non_null_in(&self, hay: &[u8]) -> bool {
        self.value_at(hay)
            .is_some_and(|at| !hay[at..].starts_with(b"null"))
    }
}

/// The bytes of a JSON string up to its closing quote; `s` starts after the opening quote.
fn string_body(s: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    loop {
        i += memchr::memchr2(b'"', b'\\', &s[i..])?;
        if s[i] == b'"' {
            return Some(&s[..i]);
        }
        i += 2; // an escape: skip the backslash and the escaped byte
        if i > s.len() {
            return None;
        }
    }
}

fn skip_ws(hay: &[u8], mut at: usize) -> usize {
    while hay.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// Whether `data` looks like one complete JSON object: `{` ... `}` after trimming.
pub fn is_object(data: &[u8]) -> bool {
    let t = data.trim_ascii();
    t.first() == Some(&b'{') && t.last() == Some(&b'}')
}

/// Unescape concatenated raw string fragments into text. Fragments of valid JSON strings
/// concatenate into a valid JSON string body (a surrogate pair split across two fragments
/// becomes whole again).
pub fn unescape(raw: &[u8]) -> Option<String> {
    if !raw.contains(&b'\\') {
        return std::str::from_utf8(raw).ok().map(str::to_owned);
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice(&quoted).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_string_values_and_skips_lookalikes() {
        let content = Key::new("\"content\"");
        let ev = br#"{"choices":[{"delta":{"role":"content","reasoning_content":"r","content" : "a\"b\\"}}]}"#;
        assert_eq!(content.str_in(ev), Ok(Some(&br#"a\"b\\"#[..])));
        assert_eq!(content.str_in(br#"{"delta":{"content":null}}"#), Ok(None));
        assert_eq!(
            content.str_in(br#"{"delta":{"role":"assistant"}}"#),
            Ok(None)
        );
        assert!(
            content
                .str_in(br#"{"delta":{"content":"unterminated"#)
                .is_err()
        );
        assert!(content.str_in(br#"{"delta":{"content":5}}"#).is_err());
        // The key's text inside a string value is escaped and does not match.
        let text = Key::new("\"text\"");
        assert_eq!(
            text.str_in(br#"{"generated_text":"x \"text\": y","text":"z"}"#),
            Ok(Some(&b"z"[..]))
        );
    }

    #[test]
    fn reads_integers_and_booleans() {
        let n = Key::new("\"completion_tokens\"");
        assert_eq!(
            n.uint_in(br#"{"usage":{"completion_tokens": 42}}"#),
            Some(42)
        );
        assert_eq!(n.uint_in(br#"{"usage":{"completion_tokens":null}}"#), None);
        let done = Key::new("\"done\"");
        assert!(done.is_true_in(br#"{"done": true}"#));
        assert!(!done.is_true_in(br#"{"done":false}"#));
        let usage = Key::new("\"usage\"");
        assert!(usage.non_null_in(br#"{"usage":{}}"#));
        assert!(!usage.non_null_in(br#"{"usage":null}"#));
    }

    #[test]
    fn unescapes_fragments_including_split_surrogates() {
        assert_eq!(unescape(b"plain").as_deref(), Some("plain"));
        let mut raw = Vec::new();
        raw.extend_from_slice(br"\ud83d");
        raw.extend_from_slice(br"\ude00 \n");
        assert_eq!(unescape(&raw).as_deref(), Some("\u{1f600} \n"));
    }

    #[test]
    fn object_shape() {
        assert!(is_object(b" {\"a\":1}\n"));
        assert!(!is_object(b"{\"a\":"));
        assert!(!is_object(b"[DONE]"));
    }
}
