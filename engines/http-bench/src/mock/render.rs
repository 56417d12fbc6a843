//! The mock's replies, event by event, in each API's shape. Events that are the same for every
//! chunk are rendered once when the server starts and shared.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::body::{Step, Timed};
use super::{Fault, MockConfig};
use crate::api::Api;

/// What one streaming request asked for.
#[derive(Debug, Clone)]
pub struct Ask {
    pub api: Api,
    pub max_tokens: u32,
    pub prompt_tokens: u32,
    pub include_usage: bool,
    pub continuous_usage: bool,
    pub fault: Option<Fault>,
}

/// Events rendered once.
#[derive(Debug)]
pub struct Templates {
    model: String,
    text: String,
    chat_role: Bytes,
    chat_content: Bytes,
    chat_reasoning: Bytes,
    completion_content: Bytes,
    ollama_chat_content: Bytes,
    ollama_generate_content: Bytes,
    done: Bytes,
}

const CHAT_HEAD: &str =
    r#"{"id":"chatcmpl-mock","object":"chat.completion.chunk","created":0,"model":"#;
const COMPLETION_HEAD: &str =
    r#"{"id":"cmpl-mock","object":"text_completion","created":0,"model":"#;
const CREATED_AT: &str = r#""created_at":"2024-01-01T00:00:00Z""#;

impl Templates {
    pub fn new(config: &MockConfig) -> Templates {
        let model = json_str(&config.model);
        let k = config.tokens_per_chunk.max(1) as usize;
        let text = json_str(&"tok ".repeat(k));
        let reasoning = json_str(&"think ".repeat(k));
        let sse = |json: String| Bytes::from(format!("data: {json}\n\n"));
        Templates {
            chat_role: sse(chat(
                &model,
                r#"{"role":"assistant","content":""}"#,
                "null",
                "",
            )),
            chat_content: sse(chat(&model, &answer_delta(config, &text), "null", "")),
            chat_reasoning: sse(chat(
                &model,
                &format!(r#"{{"reasoning_content":{reasoning}}}"#),
                "null",
                "",
            )),
            completion_content: sse(completion(&model, &text, "null", "")),
            ollama_chat_content: Bytes::from(
                format!(
                    r#"{{"model":{model},{CREATED_AT},"message":{{"role":"assistant","content":{text}}},"done":false}}"#
                ) + "\n",
            ),
            ollama_generate_content: Bytes::from(
                format!(r#"{{"model":{model},{CREATED_AT},"response":{text},"done":false}}"#)
                    + "\n",
            ),
            done: Bytes::from_static(b"data: [DONE]\n\n"),
            model,
            text,
        }
    }
}

/// A chat answer chunk's delta: content, or a tool call's arguments fragment.
fn answer_delta(config: &MockConfig, text: &str) -> String {
    if config.tool_calls {
        format!(r#"{{"tool_calls":[{{"index":0,"function":{{"arguments":{text}}}}}]}}"#)
    } else {
        format!(r#"{{"content":{text}}}"#)
    }
}

/// A chat chunk's delta in continuous-usage replies (rendered per chunk).
fn chat_delta(config: &MockConfig, j: u32) -> String {
    let k = config.tokens_per_chunk.max(1) as usize;
    if j < config.reasoning_chunks {
        format!(
            r#"{{"reasoning_content":{}}}"#,
            json_str(&"think ".repeat(k))
        )
    } else {
        answer_delta(config, &json_str(&"tok ".repeat(k)))
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn chat(model: &str, delta: &str, finish: &str, usage: &str) -> String {
    format!(
        r#"{CHAT_HEAD}{model},"choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]{usage}}}"#
    )
}

fn completion(model: &str, text: &str, finish: &str, usage: &str) -> String {
    format!(
        r#"{COMPLETION_HEAD}{model},"choices":[{{"index":0,"text":{text},"logprobs":null,"finish_reason":{finish}}}]{usage}}}"#
    )
}

fn usage(prompt: u32, completion: u32) -> String {
    format!(
        r#","usage":{{"prompt_tokens":{prompt},"total_tokens":{},"completion_tokens":{completion}}}"#,
        prompt + completion
    )
}

/// [`usage`] with `completion_tokens_details.reasoning_tokens`.
fn usage_with_reasoning(prompt: u32, completion: u32, reasoning: u32) -> String {
    format!(
        r#","usage":{{"prompt_tokens":{prompt},"total_tokens":{},"completion_tokens":{completion},"completion_tokens_details":{{"reasoning_tokens":{reasoning}}}}}"#,
        prompt + completion
    )
}

/// The scripted reply to `ask`, received at `t0`.
pub fn steps(config: &MockConfig, t: &Templates, ask: &Ask, t0: Instant) -> Vec<Timed> {
    let k = config.tokens_per_chunk.max(1);
    let n = config
        .chunks
        .unwrap_or_else(|| ask.max_tokens.div_ceil(k))
        .max(1);
    let completion_tokens = n * k;
    let timed = !(config.ttft.is_zero() && config.itl.is_zero());
    let due = |j: u32| timed.then(|| t0 + config.ttft + config.itl * j);
    let mut out = Vec::with_capacity(n as usize + 4);
    let now = |bytes: Bytes| Timed {
        at: None,
        step: Step::Send(bytes),
    };
    let sse = |json: String| Bytes::from(format!("data: {json}\n\n"));
    if ask.api == Api::Chat {
        out.push(now(if ask.continuous_usage {
            sse(chat(
                &t.model,
                r#"{"role":"assistant","content":""}"#,
                "null",
                &usage(ask.prompt_tokens, 0),
            ))
        } else {
            t.chat_role.clone()
        }));
    }
    for j in 0..n {
        match ask.fault {
            Some(Fault::Cut(after)) if after == j => {
                out.push(Timed {
                    at: due(j),
                    step: Step::Cut,
                });
                return out;
            }
            Some(Fault::Stall(after)) if after == j => {
                out.push(Timed {
                    at: due(j),
                    step: Step::Stall,
                });
                return out;
            }
            Some(Fault::Malformed(after)) if after == j => {
                let broken: &'static [u8] = match ask.api.framing() {
                    crate::api::Framing::Sse => {
                        b"data: {\"choices\":[{\"delta\":{\"content\":\"tok\n\n"
                    }
                    crate::api::Framing::Ndjson => b"{\"message\":{\"content\":\"tok\n",
                };
                out.push(Timed {
                    at: due(j),
                    step: Step::Send(Bytes::from_static(broken)),
                });
            }
            _ => {}
        }
        let bytes = match ask.api {
            Api::Chat if ask.continuous_usage => sse(chat(
                &t.model,
                &chat_delta(config, j),
                "null",
                &usage(ask.prompt_tokens, (j + 1) * k),
            )),
            Api::Completions if ask.continuous_usage => sse(completion(
                &t.model,
                &t.text,
                "null",
                &usage(ask.prompt_tokens, (j + 1) * k),
            )),
            Api::Chat if j < config.reasoning_chunks => t.chat_reasoning.clone(),
            Api::Chat => t.chat_content.clone(),
            Api::Completions => t.completion_content.clone(),
            Api::OllamaChat => t.ollama_chat_content.clone(),
            Api::OllamaGenerate => t.ollama_generate_content.clone(),
            Api::Tgi => tgi_token(t, j, n, completion_tokens),
        };
        out.push(Timed {
            at: due(j),
            step: Step::Send(bytes),
        });
    }
    out.extend(closing(config, t, ask, n, completion_tokens));
    out
}

/// The events after the last content chunk: finish reason, usage, terminator.
fn closing(
    config: &MockConfig,
    t: &Templates,
    ask: &Ask,
    n: u32,
    completion_tokens: u32,
) -> Vec<Timed> {
    let mut out = Vec::with_capacity(3);
    let now = |bytes: Bytes| Timed {
        at: None,
        step: Step::Send(bytes),
    };
    let sse = |json: String| Bytes::from(format!("data: {json}\n\n"));
    match ask.api {
        Api::Chat => {
            out.push(now(sse(chat(&t.model, "{}", r#""length""#, ""))));
            if ask.include_usage {
                let usage = if config.reasoning_usage {
                    let reasoning = config.reasoning_chunks.min(n) * config.tokens_per_chunk.max(1);
                    usage_with_reasoning(ask.prompt_tokens, completion_tokens, reasoning)
                } else {
                    usage(ask.prompt_tokens, completion_tokens)
                };
                let json = format!(r#"{CHAT_HEAD}{},"choices":[]{usage}}}"#, t.model);
                out.push(now(sse(json)));
            }
            out.push(now(t.done.clone()));
        }
        Api::Completions => {
            out.push(now(sse(completion(&t.model, "\"\"", r#""length""#, ""))));
            if ask.include_usage {
                let json = format!(
                    r#"{COMPLETION_HEAD}{},"choices":[]{}}}"#,
                    t.model,
                    usage(ask.prompt_tokens, completion_tokens)
                );
                out.push(now(sse(json)));
            }
            out.push(now(t.done.clone()));
        }
        Api::OllamaChat | Api::OllamaGenerate => {
            let ns = |d: Duration| d.as_nanos() as u64;
            let eval = ns(config.itl) * u64::from(n - 1);
            let text = if ask.api == Api::OllamaChat {
                r#""message":{"role":"assistant","content":""}"#
            } else {
                r#""response":"""#
            };
            out.push(now(Bytes::from(format!(
                r#"{{"model":{},{CREATED_AT},{text},"done":true,"done_reason":"length","total_duration":{},"load_duration":0,"prompt_eval_count":{},"prompt_eval_duration":{},"eval_count":{completion_tokens},"eval_duration":{eval}}}"#,
                t.model,
                ns(config.ttft) + eval,
                ask.prompt_tokens,
                ns(config.ttft),
            ) + "\n")));
        }
        Api::Tgi => {}
    }
    out
}

/// A TGI token event; the last one carries the generated text and details.
fn tgi_token(t: &Templates, j: u32, n: u32, completion_tokens: u32) -> Bytes {
    let (generated, details) = if j + 1 == n {
        (
            json_str(&"tok ".repeat(completion_tokens as usize)),
            format!(
                r#"{{"finish_reason":"length","generated_tokens":{completion_tokens},"seed":null}}"#
            ),
        )
    } else {
        ("null".to_owned(), "null".to_owned())
    };
    Bytes::from(format!(
        "data:{{\"index\":{},\"token\":{{\"id\":1,\"text\":{},\"logprob\":-0.1,\"special\":false}},\"generated_text\":{generated},\"details\":{details}}}\n\n",
        j + 1,
        t.text
    ))
}
