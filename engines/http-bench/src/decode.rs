//! Stream decoding: frames events (SSE or NDJSON), classifies each by flavour with lazy field
//! lookups, and records content chunks, usage, finish reason and the terminator.
//!
//! A chunk is reasoning when it carries only `reasoning_content` / `reasoning` (Ollama:
//! `thinking`), and answer when it carries `content` or a tool call (`tool_calls`, whose
//! `function.arguments` stream as fragments). Both kinds are generated tokens: TTFT and ITL count
//! every one; the recorder also keeps when the answer began.

use std::sync::LazyLock;

use serde_json::Value;

use crate::api::{Api, Framing};
use crate::ndjson::NdjsonParser;
use crate::record::{Recorder, finish_reason};
use crate::scan::{Key, is_object};
use crate::sse::SseParser;

/// Why a stream could not be read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// An event that does not parse.
    #[error("malformed event: {0}")]
    Malformed(String),
    /// The server reported an error inside the stream.
    #[error("server error in stream: {0}")]
    Engine(String),
}

/// Whether the stream is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    More,
    Done,
}

struct Keys {
    content: Key,
    reasoning_content: Key,
    reasoning: Key,
    reasoning_tokens: Key,
    tool_calls: Key,
    arguments: Key,
    thinking: Key,
    text: Key,
    response: Key,
    usage: Key,
    prompt_tokens: Key,
    completion_tokens: Key,
    finish_reason: Key,
    done_reason: Key,
    timings: Key,
    error: Key,
    choices: Key,
    done: Key,
    special: Key,
    generated_text: Key,
    details: Key,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| Keys {
    content: Key::new("\"content\""),
    reasoning_content: Key::new("\"reasoning_content\""),
    reasoning: Key::new("\"reasoning\""),
    reasoning_tokens: Key::new("\"reasoning_tokens\""),
    tool_calls: Key::new("\"tool_calls\""),
    arguments: Key::new("\"arguments\""),
    thinking: Key::new("\"thinking\""),
    text: Key::new("\"text\""),
    response: Key::new("\"response\""),
    usage: Key::new("\"usage\""),
    prompt_tokens: Key::new("\"prompt_tokens\""),
    completion_tokens: Key::new("\"completion_tokens\""),
    finish_reason: Key::new("\"finish_reason\""),
    done_reason: Key::new("\"done_reason\""),
    timings: Key::new("\"timings\""),
    error: Key::new("\"error\""),
    choices: Key::new("\"choices\""),
    done: Key::new("\"done\""),
    special: Key::new("\"special\""),
    generated_text: Key::new("\"generated_text\""),
    details: Key::new("\"details\""),
});

enum Framer {
    Sse(SseParser),
    Ndjson(NdjsonParser),
}

/// Decodes one reply stream into a [`Recorder`].
pub struct Decoder {
    api: Api,
    framer: Framer,
    done: bool,
}

impl Decoder {
    pub fn new(api: Api) -> Decoder {
        let framer = match api.framing() {
            Framing::Sse => Framer::Sse(SseParser::new()),
            Framing::Ndjson => Framer::Ndjson(NdjsonParser::new()),
        };
        LazyLock::force(&KEYS);
        Decoder {
            api,
            framer,
            done: false,
        }
    }

    /// Feed one body chunk that arrived at `stamp_ns`.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        stamp_ns: u64,
        rec: &mut Recorder,
    ) -> Result<Progress, StreamError> {
        let api = self.api;
        let done = &mut self.done;
        let mut on_event = |data: &[u8], stamp: u64| -> Result<bool, StreamError> {
            let progress = match api {
                Api::Chat | Api::Completions => openai_event(api, data, stamp, rec)?,
                Api::OllamaChat | Api::OllamaGenerate => ollama_line(api, data, stamp, rec)?,
                Api::Tgi => tgi_event(data, stamp, rec)?,
            };
            if progress == Progress::Done {
                rec.done_ns = Some(stamp);
                *done = true;
                return Ok(false);
            }
            Ok(true)
        };
        match &mut self.framer {
            Framer::Sse(p) => p.feed(chunk, stamp_ns, |e| on_event(e.data, e.stamp_ns))?,
            Framer::Ndjson(p) => p.feed(chunk, stamp_ns, &mut on_event)?,
        }
        Ok(if self.done {
            Progress::Done
        } else {
            Progress::More
        })
    }

    /// Whether the terminator has been seen.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

fn openai_event(
    api: Api,
    data: &[u8],
    stamp: u64,
    rec: &mut Recorder,
) -> Result<Progress, StreamError> {
    let k = &*KEYS;
    if data.trim_ascii() == b"[DONE]" {
        return Ok(Progress::Done);
    }
    if !is_object(data) {
        return Err(malformed(data));
    }
    if k.error.non_null_in(data) && k.choices.value_at(data).is_none() {
        return Err(StreamError::Engine(error_message(data)));
    }
    let usage = k
        .usage
        .value_at(data)
        .filter(|&at| !data[at..].starts_with(b"null"));
    let mut tokens = None;
    if let Some(at) = usage {
        let usage = &data[at..];
        if let Some(n) = k.completion_tokens.uint_in(usage) {
            tokens = rec.cumulative_completion(n);
            rec.server_completion = Some(n as u32);
        }
        if let Some(n) = k.prompt_tokens.uint_in(usage) {
            rec.server_prompt = Some(n as u32);
        }
        if let Some(n) = k.reasoning_tokens.uint_in(usage) {
            rec.server_reasoning = Some(n as u32);
        }
    }
    let tokens = tokens.unwrap_or(1);
    if api == Api::Chat {
        let answer = match first_text(data, &[&k.content])? {
            Some(raw) => Some(raw),
            None => tool_call(data)?,
        };
        let reasoning = first_text(data, &[&k.reasoning_content, &k.reasoning])?;
        match (answer, reasoning) {
            (Some(raw), reasoning) => {
                if let Some(r) = reasoning {
                    rec.reasoning_text(r);
                }
                rec.content(stamp, raw, tokens);
            }
            (None, Some(r)) => rec.reasoning(stamp, r, tokens),
            (None, None) => {}
        }
    } else if let Some(raw) = first_text(data, &[&k.text])? {
        rec.content(stamp, raw, tokens);
    }
    if let Some(raw) = k.finish_reason.str_in(data).map_err(|_| malformed(data))? {
        rec.finish = Some(finish_reason(raw));
    }
    if k.timings.value_at(data).is_some()
        && let Some(timings) = parse(data)?.get("timings")
    {
        rec.engine_metrics.insert("timings".into(), timings.clone());
    }
    Ok(Progress::More)
}

fn ollama_line(
    api: Api,
    data: &[u8],
    stamp: u64,
    rec: &mut Recorder,
) -> Result<Progress, StreamError> {
    let k = &*KEYS;
    if !is_object(data) {
        return Err(malformed(data));
    }
    if k.error.non_null_in(data) {
        return Err(StreamError::Engine(error_message(data)));
    }
    let answer = if api == Api::OllamaChat {
        first_text(data, &[&k.content])?
    } else {
        first_text(data, &[&k.response])?
    };
    match (answer, first_text(data, &[&k.thinking])?) {
        (Some(raw), thinking) => {
            if let Some(r) = thinking {
                rec.reasoning_text(r);
            }
            rec.content(stamp, raw, 1);
        }
        (None, Some(r)) => rec.reasoning(stamp, r, 1),
        (None, None) => {}
    }
    if !k.done.is_true_in(data) {
        return Ok(Progress::More);
    }
    let v = parse(data)?;
    for key in [
        "prompt_eval_count",
        "eval_count",
        "prompt_eval_duration",
        "eval_duration",
        "load_duration",
        "total_duration",
    ] {
        if let Some(x) = v.get(key).filter(|x| x.is_number()) {
            rec.engine_metrics.insert(key.into(), x.clone());
        }
    }
    let count = |key: &str| v.get(key).and_then(Value::as_u64).map(|n| n as u32);
    rec.server_prompt = count("prompt_eval_count");
    rec.server_completion = count("eval_count");
    if let Some(raw) = k.done_reason.str_in(data).map_err(|_| malformed(data))? {
        rec.finish = Some(finish_reason(raw));
    }
    Ok(Progress::Done)
}

fn tgi_event(data: &[u8], stamp: u64, rec: &mut Recorder) -> Result<Progress, StreamError> {
    let k = &*KEYS;
    if !is_object(data) {
        return Err(malformed(data));
    }
    if k.error.non_null_in(data) {
        return Err(StreamError::Engine(error_message(data)));
    }
    if !k.special.is_true_in(data)
        && let Some(raw) = first_text(data, &[&k.text])?
    {
        rec.content(stamp, raw, 1);
    }
    if !(k.generated_text.non_null_in(data) || k.details.non_null_in(data)) {
        return Ok(Progress::More);
    }
    let v = parse(data)?;
    if let Some(details) = v.get("details").filter(|d| d.is_object()) {
        if let Some(n) = details.get("generated_tokens").and_then(Value::as_u64) {
            rec.server_completion = Some(n as u32);
        }
        if let Some(reason) = details.get("finish_reason").and_then(Value::as_str) {
            rec.finish = Some(finish_reason(reason.as_bytes()));
        }
    }
    Ok(Progress::Done)
}

/// The first non-empty string among `keys`; an empty string counts as no text (a role-only
/// chunk), so TTFT latches on real content.
fn first_text<'a>(data: &'a [u8], keys: &[&Key]) -> Result<Option<&'a [u8]>, StreamError> {
    for key in keys {
        match key.str_in(data) {
            Ok(Some(raw)) if !raw.is_empty() => return Ok(Some(raw)),
            Ok(_) => {}
            Err(_) => return Err(malformed(data)),
        }
    }
    Ok(None)
}

/// A chat chunk's tool call: `Some` with its (possibly empty) `function.arguments` fragment when
/// `tool_calls` holds a non-empty array, `None` otherwise.
fn tool_call(data: &[u8]) -> Result<Option<&[u8]>, StreamError> {
    let k = &*KEYS;
    let Some(at) = k.tool_calls.value_at(data) else {
        return Ok(None);
    };
    let calls = &data[at..];
    if calls.first() != Some(&b'[') || calls[1..].trim_ascii_start().first() == Some(&b']') {
        return Ok(None);
    }
    let arguments = k.arguments.str_in(calls).map_err(|_| malformed(data))?;
    Ok(Some(arguments.unwrap_or_default()))
}

fn parse(data: &[u8]) -> Result<Value, StreamError> {
    serde_json::from_slice(data).map_err(|_| malformed(data))
}

fn malformed(data: &[u8]) -> StreamError {
    StreamError::Malformed(excerpt(data))
}

fn error_message(data: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return excerpt(data);
    };
    let e = &v["error"];
    e.get("message")
        .and_then(Value::as_str)
        .or_else(|| e.as_str())
        .map_or_else(|| excerpt(data), str::to_owned)
}

/// At most 200 bytes of `data`, for a message.
pub fn excerpt(data: &[u8]) -> String {
    let cut = data.len().min(200);
    let mut s = String::from_utf8_lossy(&data[..cut]).into_owned();
    if cut < data.len() {
        s.push_str("...");
    }
    s
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
