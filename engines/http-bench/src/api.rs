//! API flavours: which route a request goes to, its JSON body, and how the reply streams.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use shared_protocol::{EngineId, Request};

/// An API flavour, spelled the same in options and results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// OpenAI-compatible `/v1/chat/completions` (SSE).
    Chat,
    /// OpenAI-compatible `/v1/completions` (SSE).
    Completions,
    /// Ollama `/api/chat` (NDJSON).
    OllamaChat,
    /// Ollama `/api/generate` (NDJSON).
    OllamaGenerate,
    /// TGI native `/generate_stream` (SSE).
    Tgi,
}

/// How a reply streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Sse,
    Ndjson,
}

impl Api {
    pub const fn as_str(self) -> &'static str {
        match self {
            Api::Chat => "chat",
            Api::Completions => "completions",
            Api::OllamaChat => "ollama-chat",
            Api::OllamaGenerate => "ollama-generate",
            Api::Tgi => "tgi",
        }
    }

    /// The flavour for one request: `forced` when the options name one, else the engine's own,
    /// picking the chat or the plain-prompt route by `chat`.
    pub fn for_request(engine: EngineId, forced: Option<Api>, chat: bool) -> Api {
        if let Some(api) = forced {
            return api;
        }
        match (engine, chat) {
            (EngineId::Ollama, true) => Api::OllamaChat,
            (EngineId::Ollama, false) => Api::OllamaGenerate,
            (EngineId::Tgi, _) => Api::Tgi,
            (_, true) => Api::Chat,
            (_, false) => Api::Completions,
        }
    }

    pub const fn route(self) -> &'static str {
        match self {
            Api::Chat => "/v1/chat/completions",
            Api::Completions => "/v1/completions",
            Api::OllamaChat => "/api/chat",
            Api::OllamaGenerate => "/api/generate",
            Api::Tgi => "/generate_stream",
        }
    }

    pub const fn framing(self) -> Framing {
        match self {
            Api::OllamaChat | Api::OllamaGenerate => Framing::Ndjson,
            _ => Framing::Sse,
        }
    }

    /// Whether the request's text goes out as a chat message (the server applies its template).
    pub const fn is_chat(self) -> bool {
        matches!(self, Api::Chat | Api::OllamaChat)
    }
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which fixed-length controls an engine's `OpenAI` route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls {
    pub ignore_eos: bool,
    pub min_tokens: bool,
    /// `stream_options.continuous_usage_stats`: usage on every chunk, so tokens per chunk are
    /// the server's own figures.
    pub continuous_usage: bool,
}

impl Controls {
    pub const fn of(engine: EngineId) -> Controls {
        match engine {
            EngineId::Vllm => Controls {
                ignore_eos: true,
                min_tokens: true,
                continuous_usage: true,
            },
            EngineId::Sglang | EngineId::Trtllm => Controls {
                ignore_eos: true,
                min_tokens: true,
                continuous_usage: false,
            },
            EngineId::Llamacpp => Controls {
                ignore_eos: true,
                min_tokens: false,
                continuous_usage: false,
            },
            _ => Controls {
                ignore_eos: false,
                min_tokens: false,
                continuous_usage: false,
            },
        }
    }
}

/// The JSON body of `request` for `api` on `engine`, asking for a stream.
pub fn body(api: Api, engine: EngineId, model: &str, request: &Request) -> Value {
    let s = &request.sampling;
    match api {
        Api::Chat | Api::Completions => {
            let controls = Controls::of(engine);
            let mut b = Map::new();
            b.insert("model".into(), model.into());
            if api == Api::Chat {
                b.insert(
                    "messages".into(),
                    json!([{"role": "user", "content": request.text}]),
                );
            } else {
                b.insert("prompt".into(), request.text.as_str().into());
            }
            // OpenAI itself deprecated `max_tokens` on chat; everyone else reads `max_tokens`.
            let max_key = if engine == EngineId::Openai && api == Api::Chat {
                "max_completion_tokens"
            } else {
                "max_tokens"
            };
            b.insert(max_key.into(), request.max_tokens.into());
            b.insert("stream".into(), true.into());
            let mut stream_options = json!({"include_usage": true});
            if controls.continuous_usage {
                stream_options["continuous_usage_stats"] = true.into();
            }
            b.insert("stream_options".into(), stream_options);
            b.insert("temperature".into(), s.temperature.into());
            b.insert("top_p".into(), s.top_p.into());
            b.insert("seed".into(), s.seed.into());
            if request.ignore_eos && controls.ignore_eos {
                b.insert("ignore_eos".into(), true.into());
            }
            if request.ignore_eos && controls.min_tokens {
                b.insert("min_tokens".into(), request.max_tokens.into());
            }
            Value::Object(b)
        }
        Api::OllamaChat | Api::OllamaGenerate => {
            let mut b = json!({
                "model": model,
                "stream": true,
                "options": {
                    "num_predict": request.max_tokens,
                    "temperature": s.temperature,
                    "top_p": s.top_p,
                    "seed": s.seed,
                },
            });
            if api == Api::OllamaChat {
                b["messages"] = json!([{"role": "user", "content": request.text}]);
            } else {
                b["prompt"] = request.text.as_str().into();
            }
            b
        }
        Api::Tgi => {
            let mut parameters = json!({
                "max_new_tokens": request.max_tokens,
                "details": true,
                "seed": s.seed,
            });
            // TGI rejects temperature 0 and top_p 1: greedy is `do_sample: false`.
            if s.temperature > 0.0 {
                parameters["do_sample"] = true.into();
                parameters["temperature"] = s.temperature.into();
                if s.top_p < 1.0 {
                    parameters["top_p"] = s.top_p.into();
                }
            } else {
                parameters["do_sample"] = false.into();
            }
            json!({"inputs": request.text, "parameters": parameters, "stream": true})
        }
    }
}

/// Whether `engine` honours `ignore_eos` on `api`.
pub fn honours_ignore_eos(api: Api, engine: EngineId) -> bool {
    matches!(api, Api::Chat | Api::Completions) && Controls::of(engine).ignore_eos
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_protocol::Sampling;

    fn request(chat: bool) -> Request {
        Request {
            id: 1,
            text: "hello".into(),
            prompt_token_ids: None,
            chat,
            max_tokens: 16,
            ignore_eos: true,
            sampling: Sampling::default(),
        }
    }

    #[test]
    fn picks_routes_by_engine_and_chat() {
        assert_eq!(Api::for_request(EngineId::Vllm, None, true), Api::Chat);
        assert_eq!(
            Api::for_request(EngineId::Vllm, None, false),
            Api::Completions
        );
        assert_eq!(
            Api::for_request(EngineId::Ollama, None, true),
            Api::OllamaChat
        );
        assert_eq!(Api::for_request(EngineId::Tgi, None, true), Api::Tgi);
        assert_eq!(
            Api::for_request(EngineId::Tgi, Some(Api::Chat), true),
            Api::Chat
        );
    }

    #[test]
    fn bodies_carry_the_fixed_length_controls_each_server_takes() {
        let v = body(Api::Chat, EngineId::Vllm, "m", &request(true));
        assert_eq!(v["messages"][0]["content"], "hello");
        assert_eq!(v["ignore_eos"], true);
        assert_eq!(v["min_tokens"], 16);
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["stream_options"]["continuous_usage_stats"], true);
        let v = body(Api::Completions, EngineId::Llamacpp, "m", &request(false));
        assert_eq!(v["prompt"], "hello");
        assert_eq!(v["ignore_eos"], true);
        assert!(v.get("min_tokens").is_none());
        assert!(v["stream_options"].get("continuous_usage_stats").is_none());
        let v = body(Api::Chat, EngineId::Openai, "m", &request(true));
        assert!(v.get("ignore_eos").is_none());
        assert_eq!(v["max_completion_tokens"], 16);
        let v = body(Api::OllamaGenerate, EngineId::Ollama, "m", &request(false));
        assert_eq!(
            (v["prompt"].as_str(), v["options"]["num_predict"].as_u64()),
            (Some("hello"), Some(16))
        );
        let v = body(Api::Tgi, EngineId::Tgi, "m", &request(false));
        assert_eq!(v["parameters"]["do_sample"], false);
        assert!(v["parameters"].get("temperature").is_none());
    }
}
