//! The reader made for the rows the runner writes (see [`super`]): a cursor over one line that
//! answers `None` for anything it does not read itself.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde::de::value::BorrowedStrDeserializer;
use shared_protocol::{Outcome, TokenCounts};

use super::digits::{POW10, eight_digits, same};
use super::{Arrays, Row};
use crate::metrics::{DecodeDevice, RequestDevice};

/// The keys [`super::WireRow`] reads; [`Reader::field`] reads the value of `KEYS[k]`.
const KEYS: [&[u8]; 24] = [
    b"engine",
    b"label",
    b"repetition",
    b"request_id",
    b"phase",
    b"outcome",
    b"start_mono_ns",
    b"scheduled_mono_ns",
    b"prefill_ns",
    b"ttft_ns",
    b"e2e_ns",
    b"itl_ns",
    b"prompt_tokens",
    b"prompt_tokens_source",
    b"completion_tokens",
    b"completion_tokens_source",
    b"token_counts",
    b"device_clock",
    b"prefill_device_ns",
    b"decode_device_ns",
    b"finish_reason",
    b"output_token_ids",
    b"reasoning",
    b"retry",
];

/// The keys serde requires, as bits of [`KEYS`] (every other one is optional or has a
/// default): `engine`, `label`, `repetition`, `request_id`, `phase`, `outcome`,
/// `start_mono_ns`, `e2e_ns`, `itl_ns`, `completion_tokens`, `completion_tokens_source`.
const REQUIRED: u32 = {
    let mut bits = 0;
    let required = [0, 1, 2, 3, 4, 5, 6, 10, 11, 14, 15];
    let mut i = 0;
    while i < required.len() {
        bits |= 1 << required[i];
        i += 1;
    }
    bits
};

/// A cursor over one line; every method answers `None` for anything it does not read itself.
pub(super) struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        Reader { b, i: 0 }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips JSON's whitespace.
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Takes `c` after any whitespace.
    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string without escapes or control characters, its bytes (UTF-8 unchecked).
    fn plain_str(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        // The runner's strings are a few bytes long: a loop over them beats a search's setup.
        let len = self.b[start..]
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if self.b[start + len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        Some(&self.b[start..start + len])
    }

    /// A whole number as JSON writes one (no sign, fraction, exponent or leading zero) that fits
    /// in 64 bits.
    #[inline]
    fn uint(&mut self) -> Option<u64> {
        self.ws();
        let start = self.i;
        let mut v: u64 = 0;
        // Eight bytes at a time while eight remain (a line's numbers are mostly 5 to 12 digits),
        // then one at a time; nineteen digits cannot overflow, so past them the rest is checked.
        while let Some(bytes) = self.b.get(self.i..self.i + 8) {
            let (n, value) = eight_digits(bytes.try_into().ok()?);
            if self.i + n - start > 19 {
                break;
            }
            v = v * POW10[n] + value;
            self.i += n;
            if n < 8 {
                break;
            }
        }
        while let Some(d @ b'0'..=b'9') = self.peek() {
            let d = u64::from(d - b'0');
            v = if self.i - start < 19 {
                v * 10 + d
            } else {
                v.checked_mul(10)?.checked_add(d)?
            };
            self.i += 1;
        }
        let len = self.i - start;
        if len == 0 || (len > 1 && self.b[start] == b'0') {
            return None;
        }
        match self.peek() {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(v),
        }
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uint()?).ok()
    }

    /// `null`, whole.
    fn null(&mut self) -> Option<()> {
        self.ws();
        let rest = self.b.get(self.i..self.i + 4)?;
        if rest != b"null"
            || self
                .b
                .get(self.i + 4)
                .is_some_and(u8::is_ascii_alphanumeric)
        {
            return None;
        }
        self.i += 4;
        Some(())
    }

    fn is_null(&mut self) -> bool {
        self.ws();
        self.peek() == Some(b'n')
    }

    /// `null`, or what `read` reads.
    #[allow(
        clippy::option_option,
        reason = "the outer `None` gives up on the line, the inner one is the JSON `null`"
    )]
    fn nullable<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.is_null() {
            self.null()?;
            Some(None)
        } else {
            read(self).map(Some)
        }
    }

    /// An array of whole numbers, each appended to `out` (`None` when one does not fit a `T`).
    fn array<T: TryFrom<u64>>(&mut self, out: &mut Vec<T>) -> Option<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            let (at, ended) = compact_run(self.b, self.i, out);
            self.i = at;
            if ended {
                return Some(());
            }
            // An element as JSON allows one but the runner does not write it (or one that does
            // not fit a `T`, refused here).
            out.push(T::try_from(self.uint()?).ok()?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string naming one of an enum's unit variants, as serde reads it; `last` holds the
    /// string this field had on the line before and its variant, which a line with the same
    /// string takes without reading it again (a run's rows repeat a handful of them).
    fn variant<T: Deserialize<'a> + Copy>(&mut self, last: &mut Option<(Vec<u8>, T)>) -> Option<T> {
        let s = self.plain_str()?;
        if let Some((before, variant)) = last
            && same(before, s)
        {
            return Some(*variant);
        }
        let variant = T::deserialize(BorrowedStrDeserializer::<serde_json::Error>::new(
            std::str::from_utf8(s).ok()?,
        ))
        .ok()?;
        *last = Some((s.to_vec(), variant));
        Some(variant)
    }

    /// Any value, read by `serde_json` from here to its end.
    fn serde<T: Deserialize<'a>>(&mut self) -> Option<T> {
        self.ws();
        let mut values = serde_json::Deserializer::from_slice(&self.b[self.i..]).into_iter::<T>();
        let value = values.next()?.ok()?;
        self.i += values.byte_offset();
        Some(value)
    }

    /// Takes `text` when it comes next, after any whitespace.
    fn literal(&mut self, text: &[u8]) -> bool {
        self.ws();
        let next = self.b.get(self.i..self.i + text.len());
        let taken = next.is_some_and(|next| same(next, text));
        if taken {
            self.i += text.len();
        }
        taken
    }

    /// Takes the key `KEYS[k]`, quoted, when it comes next.
    #[inline]
    fn expected_key(&mut self, k: usize) -> Option<()> {
        let key = KEYS.get(k)?;
        self.ws();
        let rest = self.b.get(self.i..self.i + key.len() + 2)?;
        (rest[0] == b'"' && same(&rest[1..=key.len()], key) && rest[key.len() + 1] == b'"')
            .then(|| self.i += key.len() + 2)
    }

    /// The whole line as a row, when it is an object this reader reads.
    pub(super) fn row(mut self, arrays: &mut Arrays) -> Option<Row<'a>> {
        arrays.itl.clear();
        arrays.ids.clear();
        arrays.device_figures = RequestDevice::default();
        let mut row = Row {
            label: Cow::Borrowed(""),
            has_ids: false,
            request: super::BLANK.clone(),
        };
        let mut seen: u32 = 0;
        // The runner writes the keys in the order of `KEYS`: the key after the last one read is
        // tried first.
        let mut next = 0;
        self.eat(b'{')?;
        self.ws();
        if self.peek()? != b'}' {
            loop {
                let k = if let Some(()) = self.expected_key(next) {
                    Some(next)
                } else {
                    let key = self.plain_str()?;
                    match KEYS.iter().position(|k| *k == key) {
                        Some(k) => Some(k),
                        None if key.is_ascii() => None,
                        None => return None,
                    }
                };
                self.eat(b':')?;
                match k {
                    Some(k) => {
                        next = k + 1;
                        let bit = 1u32 << k;
                        if seen & bit != 0 {
                            return None;
                        }
                        seen |= bit;
                        self.field(k, &mut row, arrays)?;
                    }
                    None => {
                        self.serde::<IgnoredAny>()?;
                    }
                }
                self.ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.i += 1;
        self.ws();
        row.request.set_device(arrays.device_figures);
        (self.i == self.b.len() && seen & REQUIRED == REQUIRED).then_some(row)
    }

    /// The value of key `KEYS[k]`.
    fn field(&mut self, k: usize, row: &mut Row<'a>, arrays: &mut Arrays) -> Option<()> {
        let r = &mut row.request;
        match k {
            0 => r.engine = self.variant(&mut arrays.last.engine)?,
            1 => row.label = Cow::Borrowed(std::str::from_utf8(self.plain_str()?).ok()?),
            2 => r.repetition = self.u32()?,
            3 => r.request_id = self.uint()?,
            4 => r.phase = self.variant(&mut arrays.last.phase)?,
            5 => {
                const OK: &[u8] = br#"{"status":"ok"}"#;
                if self.literal(OK) {
                    r.set_outcome(Outcome::Ok);
                } else {
                    r.set_outcome(self.serde()?);
                }
            }
            6 => r.start_mono_ns = self.uint()?,
            7 => r.scheduled_mono_ns = self.nullable(Self::uint)?,
            8 => r.prefill_ns = self.nullable(Self::uint)?,
            9 => r.ttft_ns = self.nullable(Self::uint)?,
            10 => r.e2e_ns = self.uint()?,
            11 => {
                self.array(&mut arrays.itl)?;
            }
            12 => r.prompt_tokens = self.nullable(Self::u32)?,
            13 => {
                let last = &mut arrays.last.prompt_tokens_source;
                r.prompt_tokens_source = self.nullable(|reader| reader.variant(last))?;
            }
            14 => r.completion_tokens = self.u32()?,
            15 => {
                r.completion_tokens_source =
                    self.variant(&mut arrays.last.completion_tokens_source)?;
            }
            16 => {
                // What the runner writes when no source counted anything.
                const NONE: &[u8] = br#"{"server_prompt":null,"server_completion":null,"tokenizer_completion":null,"chunks":null}"#;
                if self.literal(NONE) {
                    r.token_counts = TokenCounts::default();
                } else {
                    r.token_counts = self.serde()?;
                }
            }
            17 => {
                let last = &mut arrays.last.device_clock;
                arrays.device_figures.clock = self.nullable(|reader| reader.variant(last))?;
            }
            18 => arrays.device_figures.prefill_ns = self.nullable(Self::uint)?,
            19 => {
                let device = &mut arrays.device;
                device.clear();
                arrays.device_figures.decode = self.nullable(|reader| {
                    reader.array(device)?;
                    Some(DecodeDevice::of(device))
                })?;
            }
            20 => {
                let last = &mut arrays.last.finish_reason;
                r.finish_reason = self.nullable(|reader| reader.variant(last))?;
            }
            21 => {
                let ids = &mut arrays.ids;
                row.has_ids = self.nullable(|reader| reader.array(ids))?.is_some();
            }
            22 => r.reasoning = self.serde()?,
            23 => r.retry = self.u32()?,
            _ => return None,
        }
        Some(())
    }
}

/// The array elements from `at` on as the runner writes them, each a whole number of 1 to 15
/// digits right before a `,` or a `]`, appended to `out` while they come; returns where the
/// first element not taken starts, and whether a `]` ended the array (the cursor then after it).
/// An element written otherwise, or one that does not fit a `T`, is left to [`Reader::uint`],
/// which reads every form JSON allows or refuses it.
///
/// A function of its own, not inlined into [`Reader::row`]: there the cursor, the digit count
/// and the output's length lived on the stack, stored and loaded again for every element; here
/// they stay in registers (counted by callgrind, a tenth fewer instructions in reading a line).
#[inline(never)]
pub(super) fn compact_run<T: TryFrom<u64>>(
    b: &[u8],
    mut at: usize,
    out: &mut Vec<T>,
) -> (usize, bool) {
    let word = |at: usize| -> Option<[u8; 8]> { b.get(at..at + 8)?.try_into().ok() };
    // The byte `n` (below 8) of `bytes`, shifted out of the word rather than indexed.
    let byte = |bytes: [u8; 8], n: usize| (u64::from_le_bytes(bytes) >> (8 * n)) as u8;
    loop {
        let Some(first) = word(at) else {
            return (at, false);
        };
        let (mut len, mut value) = eight_digits(first);
        if len == 0 || (len > 1 && first[0] == b'0') {
            return (at, false);
        }
        // The byte after the digits, taken from the word already read.
        let after = if len < 8 {
            byte(first, len)
        } else {
            let Some(second) = word(at + 8) else {
                return (at, false);
            };
            let (more, rest) = eight_digits(second);
            if more == 8 {
                return (at, false);
            }
            len += more;
            value = value * POW10[more] + rest;
            byte(second, more)
        };
        let last = match after {
            b',' => false,
            b']' => true,
            _ => return (at, false),
        };
        let Ok(value) = T::try_from(value) else {
            return (at, false);
        };
        out.push(value);
        at += len + 1;
        if last {
            return (at, true);
        }
    }
}
