//! Stream decoding: frames events (SSE or NDJSON), classifies each by flavour with lazy field
//! lookups, and records content chunks, usage, finish reason and the terminator.

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
    }
    let text = if api == Api::Chat {
        first_text(data, &[&k.content, &k.reasoning_content, &k.reasoning])?
    } else {
        first_text(data, &[&k.text])?
    };
    if let Some(raw) = text {
        rec.content(stamp, raw, tokens.unwrap_or(1));
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
    let text = if api == Api::OllamaChat {
        first_text(data, &[&k.content, &k.thinking])?
    } else {
        first_text(data, &[&k.response, &k.thinking])?
    };
    if let Some(raw) = text {
        rec.content(stamp, raw, 1);
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
mod tests {
    use super::*;
    use shared_protocol::FinishReason;

    fn run(api: Api, chunks: &[&[u8]]) -> (Recorder, Result<Progress, StreamError>) {
        let mut d = Decoder::new(api);
        let mut rec = Recorder::new(16);
        let mut last = Ok(Progress::More);
        for (i, c) in chunks.iter().enumerate() {
            last = d.feed(c, 10 * (i as u64 + 1), &mut rec);
            if !matches!(last, Ok(Progress::More)) {
                break;
            }
        }
        (rec, last)
    }

    #[test]
    fn chat_latches_on_content_not_the_role_chunk() {
        let (rec, r) = run(
            Api::Chat,
            &[
                b"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
                b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n",
                b"data: {\"choices\":[{\"delta\":{\"content\":\" there\"},\"finish_reason\":\"length\"}]}\n\n",
                b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
            ],
        );
        assert_eq!(r, Ok(Progress::Done));
        assert_eq!(rec.chunks(), 2);
        assert_eq!(
            (rec.server_prompt, rec.server_completion),
            (Some(5), Some(2))
        );
        assert_eq!(rec.finish, Some(FinishReason::Length));
        assert_eq!(rec.done_ns, Some(40));
    }

    #[test]
    fn continuous_usage_gives_tokens_per_chunk() {
        let (rec, _) = run(
            Api::Completions,
            &[
                b"data: {\"choices\":[{\"text\":\"\"}],\"usage\":{\"completion_tokens\":0}}\n\n",
                b"data: {\"choices\":[{\"text\":\"ab\"}],\"usage\":{\"completion_tokens\":3}}\n\n",
                b"data: {\"choices\":[{\"text\":\"c\"}],\"usage\":{\"completion_tokens\":4}}\n\n",
            ],
        );
        let s = rec.into_sample(
            &shared_protocol::Request {
                id: 0,
                text: String::new(),
                prompt_token_ids: None,
                chat: false,
                max_tokens: 4,
                ignore_eos: false,
                sampling: shared_protocol::Sampling::default(),
            },
            shared_protocol::Phase::Measure,
            shared_protocol::Outcome::Ok,
            100,
        );
        assert_eq!(s.tokens_per_chunk, Some(vec![1]));
        assert_eq!(s.completion_tokens, 4);
        assert_eq!(s.output_text.as_deref(), Some("abc"));
    }

    #[test]
    fn malformed_and_error_events_fail() {
        let (_, r) = run(
            Api::Chat,
            &[b"data: {\"choices\":[{\"delta\":{\"content\":\"tru\n\n"],
        );
        assert!(matches!(r, Err(StreamError::Malformed(_))), "{r:?}");
        let (_, r) = run(Api::Chat, &[b"data: not json\n\n"]);
        assert!(matches!(r, Err(StreamError::Malformed(_))), "{r:?}");
        let (_, r) = run(
            Api::Chat,
            &[b"data: {\"error\":{\"message\":\"boom\",\"code\":500}}\n\n"],
        );
        assert_eq!(r, Err(StreamError::Engine("boom".into())));
    }

    #[test]
    fn ollama_final_line_carries_counts_and_durations() {
        let (rec, r) = run(
            Api::OllamaChat,
            &[
                b"{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n",
                b"{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":7,\"eval_count\":1,\"eval_duration\":1000,\"prompt_eval_duration\":500,\"load_duration\":9}\n",
            ],
        );
        assert_eq!(r, Ok(Progress::Done));
        assert_eq!(rec.chunks(), 1);
        assert_eq!(
            (rec.server_prompt, rec.server_completion),
            (Some(7), Some(1))
        );
        assert_eq!(rec.engine_metrics["eval_duration"], 1000);
        assert_eq!(rec.finish, Some(FinishReason::Eos));
    }

    #[test]
    fn tgi_skips_special_tokens_and_ends_on_details() {
        let (rec, r) = run(
            Api::Tgi,
            &[
                b"data:{\"index\":1,\"token\":{\"id\":5,\"text\":\"Hi\",\"special\":false},\"generated_text\":null,\"details\":null}\n\n",
                b"data:{\"index\":2,\"token\":{\"id\":2,\"text\":\"</s>\",\"special\":true},\"generated_text\":\"Hi\",\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":2}}\n\n",
            ],
        );
        assert_eq!(r, Ok(Progress::Done));
        assert_eq!(rec.chunks(), 1);
        assert_eq!(rec.server_completion, Some(2));
        assert_eq!(rec.finish, Some(FinishReason::Eos));
    }
}
