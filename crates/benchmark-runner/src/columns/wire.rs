//! One line of `samples.jsonl` read into the fields [`super::Columns`] keeps.
//!
//! A million-request run is over a gigabyte of rows, most of it the per-token arrays, so each
//! line is first read by a reader made for the rows the runner writes: it walks the object's
//! keys, reads whole numbers, arrays of them and `null` itself, and hands every other value to
//! `serde_json`, whose reading of it is the definition. Whenever a line is anything else (an
//! unknown or repeated key, a required field missing, an escape in a label, a number that is not
//! a plain whole number in range), it gives up and the line is read by `serde_json` as a whole
//! ([`WireRow`]), so a line reads the same either way and a bad line gets `serde_json`'s error.

use std::borrow::Cow;

use serde::Deserialize;
use shared_protocol::{
    DeviceClockKind, EngineId, FinishReason, Outcome, Phase, TokenCounts, TokenSource,
};

use crate::metrics::{DecodeDevice, Request, RequestDevice, RequestReasoning};

/// A line's fields as [`super::Columns`] keeps them; its per-token arrays are in [`Arrays`].
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row<'a> {
    pub label: Cow<'a, str>,
    /// Whether the line has `output_token_ids` (they are in [`Arrays::ids`]).
    pub has_ids: bool,
    /// The rest, as the summary keeps it; its label index, ids and gap sum are set when it is
    /// added to the columns.
    pub request: Request,
}

/// A request with every optional field absent: what the reader starts each line from, until
/// the line says otherwise.
static BLANK: std::sync::LazyLock<Request> = std::sync::LazyLock::new(|| {
    Request::of(
        0,
        EngineId::Sim,
        0,
        &shared_protocol::Sample::new(0, Phase::Measure, Outcome::Ok, 0, 0),
    )
});

/// The per-token arrays of the last line read, in buffers kept from line to line.
#[derive(Debug, Default)]
pub(super) struct Arrays {
    pub itl: Vec<u64>,
    pub ids: Vec<u32>,
    /// `decode_device_ns`, folded into the row as it is read.
    device: Vec<u64>,
    /// The line's device-clock figures, set on its request once the line is read.
    device_figures: RequestDevice,
    /// Each enum field's string on the line read before, and its variant.
    last: LastVariants,
}

/// The string each enum field had on the last line that had one, with its variant.
#[derive(Debug, Default)]
struct LastVariants {
    engine: Option<(Vec<u8>, EngineId)>,
    phase: Option<(Vec<u8>, Phase)>,
    prompt_tokens_source: Option<(Vec<u8>, TokenSource)>,
    completion_tokens_source: Option<(Vec<u8>, TokenSource)>,
    device_clock: Option<(Vec<u8>, DeviceClockKind)>,
    finish_reason: Option<(Vec<u8>, FinishReason)>,
}

/// One line as serde reads it: [`crate::store::SampleRow`]'s fields, the ones the summary does
/// not read skipped unparsed (serde's rules otherwise: the same fields are required).
#[derive(Deserialize)]
struct WireRow<'a> {
    engine: EngineId,
    #[serde(borrow)]
    label: Cow<'a, str>,
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
    reasoning: Option<Box<RequestReasoning>>,
    #[serde(default)]
    retry: u32,
}

/// Reads `line` into a row, its arrays into `arrays`.
pub(super) fn read<'a>(line: &'a [u8], arrays: &mut Arrays) -> serde_json::Result<Row<'a>> {
    if let Some(row) = Reader::new(line).row(arrays) {
        return Ok(row);
    }
    read_with_serde(line, arrays)
}

/// [`read`] by `serde_json` alone.
pub(super) fn read_with_serde<'a>(
    line: &'a [u8],
    arrays: &mut Arrays,
) -> serde_json::Result<Row<'a>> {
    let w: WireRow<'a> = serde_json::from_slice(line)?;
    arrays.itl = w.itl_ns;
    let has_ids = w.output_token_ids.is_some();
    arrays.ids = w.output_token_ids.unwrap_or_default();
    let mut request = Request {
        label: 0,
        engine: w.engine,
        repetition: w.repetition,
        request_id: w.request_id,
        phase: w.phase,
        failure: None,
        start_mono_ns: w.start_mono_ns,
        scheduled_mono_ns: w.scheduled_mono_ns,
        prefill_ns: w.prefill_ns,
        ttft_ns: w.ttft_ns,
        e2e_ns: w.e2e_ns,
        itl_sum_ns: 0,
        prompt_tokens: w.prompt_tokens,
        prompt_tokens_source: w.prompt_tokens_source,
        completion_tokens: w.completion_tokens,
        completion_tokens_source: w.completion_tokens_source,
        token_counts: w.token_counts,
        device: None,
        finish_reason: w.finish_reason,
        reasoning: w.reasoning,
        ids: None,
        retry: w.retry,
    };
    request.set_outcome(w.outcome);
    request.set_device(RequestDevice {
        clock: w.device_clock,
        prefill_ns: w.prefill_device_ns,
        decode: w.decode_device_ns.as_deref().map(DecodeDevice::of),
    });
    Ok(Row {
        label: w.label,
        has_ids,
        request,
    })
}

mod digits;
mod reader;
#[cfg(test)]
use digits::eight_digits;
use reader::Reader;

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
