//! A mock LLM server in the shapes the client speaks (`OpenAI` chat and completions SSE with a
//! usage chunk, Ollama NDJSON, TGI `/generate_stream` SSE), with configurable delays and fault
//! modes; chat replies may reason first and may answer with a tool call. Used by the tests and by `calibrate`.
//!
//! A request may also carry its own fault in its text, as `[[mock:FAULT]]` with FAULT spelled as
//! in [`Fault::parse`], so one workload can mix healthy and failing requests.

mod body;
mod render;
mod server;
mod service;
mod tls;

use std::time::Duration;

pub use body::MockBody;
pub use server::{MockServer, serve, start_thread, start_thread_with};
pub use service::State;
pub use tls::MockTls;

/// How the mock answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Delay from the request to the first content chunk.
    pub ttft: Duration,
    /// Delay between content chunks.
    pub itl: Duration,
    /// Tokens in each content chunk.
    pub tokens_per_chunk: u32,
    /// Content chunks per reply; by default enough for the request's `max_tokens`.
    pub chunks: Option<u32>,
    /// A fault applied to every `fault_every`-th streaming request.
    pub fault: Option<Fault>,
    pub fault_every: u32,
    /// Require `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// The model name it serves.
    pub model: String,
    /// Keep every streaming request's JSON body (tests inspect them).
    pub record_bodies: bool,
    /// Frames written together, at most, when several are due at once (1: every event in its
    /// own write, as a server that flushes per token).
    pub burst: u32,
    /// Chat: the first this many content chunks carry reasoning (`delta.reasoning_content`),
    /// the rest the answer.
    pub reasoning_chunks: u32,
    /// Chat: the final usage reports `completion_tokens_details.reasoning_tokens`.
    pub reasoning_usage: bool,
    /// Chat: the answer streams as a tool call's `function.arguments` fragments, not content.
    pub tool_calls: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            ttft: Duration::ZERO,
            itl: Duration::ZERO,
            tokens_per_chunk: 1,
            chunks: None,
            fault: None,
            fault_every: 1,
            api_key: None,
            model: "mock".to_owned(),
            record_bodies: false,
            burst: 1,
            reasoning_chunks: 0,
            reasoning_usage: false,
            tool_calls: false,
        }
    }
}

/// A way for a reply to go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a JSON error body.
    Status(u16),
    /// Close the connection without an answer.
    Reset,
    /// Close the connection after this many content chunks, mid-stream.
    Cut(u32),
    /// Send a broken event after this many content chunks.
    Malformed(u32),
    /// Stop sending after this many content chunks, keeping the connection open.
    Stall(u32),
    /// Answer 500 with a body that repeats the request's `Authorization` header.
    EchoAuth,
}

impl Fault {
    /// `429`, `500` (any status), `reset`, `cut:N`, `malformed:N`, `stall:N`, `echo-auth`.
    pub fn parse(s: &str) -> Result<Fault, String> {
        let (name, arg) = s.split_once(':').unwrap_or((s, ""));
        let n = || {
            arg.parse::<u32>()
                .map_err(|_| format!("fault {s}: expected {name}:N"))
        };
        match name {
            "reset" => Ok(Fault::Reset),
            "echo-auth" => Ok(Fault::EchoAuth),
            "cut" => n().map(Fault::Cut),
            "malformed" => n().map(Fault::Malformed),
            "stall" => n().map(Fault::Stall),
            _ => match name.parse::<u16>() {
                Ok(code) if (400..600).contains(&code) => Ok(Fault::Status(code)),
                _ => Err(format!(
                    "unknown fault '{s}': use an HTTP status (400-599), reset, cut:N, malformed:N, stall:N or echo-auth"
                )),
            },
        }
    }

    /// A fault written into a request's text as `[[mock:FAULT]]`.
    pub fn in_text(text: &str) -> Option<Fault> {
        let start = text.find("[[mock:")? + "[[mock:".len();
        let len = text[start..].find("]]")?;
        Fault::parse(&text[start..start + len]).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_from_options_and_text() {
        assert_eq!(Fault::parse("429"), Ok(Fault::Status(429)));
        assert_eq!(Fault::parse("cut:3"), Ok(Fault::Cut(3)));
        assert_eq!(Fault::parse("stall:0"), Ok(Fault::Stall(0)));
        assert!(Fault::parse("cut").is_err());
        assert!(Fault::parse("200").is_err());
        assert_eq!(
            Fault::in_text("hi [[mock:malformed:2]] there"),
            Some(Fault::Malformed(2))
        );
        assert_eq!(Fault::in_text("hi"), None);
    }
}
