//! The mock's routes: streaming generation in each shape, readiness and discovery routes, a
//! Prometheus page, bearer-key checking and fault injection.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::body::MockBody;
use super::render::{Ask, Templates, steps};
use super::{Fault, MockConfig};
use crate::api::Api;

/// Shared by every connection of one mock server.
#[derive(Debug)]
pub struct State {
    pub config: MockConfig,
    templates: Templates,
    requests: AtomicU64,
    tokens: AtomicU64,
    bodies: Mutex<Vec<Value>>,
}

/// The service refused to answer at all (the `reset` fault): the connection is closed.
#[derive(Debug, thiserror::Error)]
#[error("mock: connection reset on purpose")]
pub struct Reset;

impl State {
    pub fn new(config: MockConfig) -> State {
        State {
            templates: Templates::new(&config),
            config,
            requests: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            bodies: Mutex::new(Vec::new()),
        }
    }

    /// Streaming requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The JSON bodies of streaming requests, when `record_bodies` is set.
    pub fn bodies(&self) -> Vec<Value> {
        self.bodies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response<MockBody> {
    let mut r = Response::new(MockBody::full(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Answer one request.
pub async fn handle(state: &State, req: Request<Bytes>) -> Result<Response<MockBody>, Reset> {
    let t0 = tokio::time::Instant::now();
    let cfg = &state.config;
    if let Some(key) = &cfg.api_key {
        let expected = format!("Bearer {key}");
        if req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some(expected.as_str())
        {
            return Ok(json_response(
                StatusCode::UNAUTHORIZED,
                &json!({"error": {"message": "invalid api key", "code": 401}}),
            ));
        }
    }
    let api = match (req.method(), req.uri().path()) {
        (&Method::GET, path) => return Ok(get(state, path)),
        (&Method::POST, "/v1/chat/completions") => Api::Chat,
        (&Method::POST, "/v1/completions") => Api::Completions,
        (&Method::POST, "/api/chat") => Api::OllamaChat,
        (&Method::POST, "/api/generate") => Api::OllamaGenerate,
        (&Method::POST, "/generate_stream") => Api::Tgi,
        _ => {
            return Ok(json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": "not found"}),
            ));
        }
    };
    let auth = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req.into_body();
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return Ok(json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "body is not JSON"}),
        ));
    };
    let n = state.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let ask = ask(api, &body, cfg, n);
    if cfg.record_bodies {
        state
            .bodies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(body);
    }
    match ask.fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Ok(json_response(
                status,
                &json!({"error": {"message": format!("mock fault {code}"), "code": code}}),
            ));
        }
        Some(Fault::Reset) => return Err(Reset),
        Some(Fault::EchoAuth) => {
            return Ok(json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": {"message": format!("rejected authorization {}", auth.unwrap_or_default())}}),
            ));
        }
        _ => {}
    }
    let steps = steps(cfg, &state.templates, &ask, t0);
    state
        .tokens
        .fetch_add(u64::from(ask.max_tokens), Ordering::Relaxed);
    let content_type = match api.framing() {
        crate::api::Framing::Sse => "text/event-stream",
        crate::api::Framing::Ndjson => "application/x-ndjson",
    };
    let head = u32::from(api == Api::Chat);
    let mut r = Response::new(MockBody::new(steps, cfg.burst, head));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(r)
}

/// What a streaming request asked for, and the fault it gets (its own, else the configured
/// one on every `fault_every`-th request).
fn ask(api: Api, body: &Value, cfg: &MockConfig, n: u64) -> Ask {
    let max_tokens = [
        &body["max_tokens"],
        &body["max_completion_tokens"],
        &body["options"]["num_predict"],
        &body["parameters"]["max_new_tokens"],
    ]
    .iter()
    .find_map(|v| v.as_u64())
    .unwrap_or(16) as u32;
    let text = [
        &body["messages"][0]["content"],
        &body["prompt"],
        &body["inputs"],
    ]
    .iter()
    .find_map(|v| v.as_str())
    .unwrap_or_default();
    let own = Fault::in_text(text);
    let every = u64::from(cfg.fault_every.max(1));
    let fault = own.or(cfg.fault.filter(|_| n.is_multiple_of(every)));
    Ask {
        api,
        max_tokens,
        prompt_tokens: text.split_whitespace().count() as u32,
        include_usage: body["stream_options"]["include_usage"].as_bool() == Some(true),
        continuous_usage: body["stream_options"]["continuous_usage_stats"].as_bool() == Some(true),
        fault,
    }
}

fn get(state: &State, path: &str) -> Response<MockBody> {
    let model = &state.config.model;
    let v = match path {
        "/health" => json!({}),
        "/v1/models" => {
            json!({"object": "list", "data": [{"id": model, "object": "model", "owned_by": "mock", "max_model_len": 4096}]})
        }
        "/api/tags" => json!({"models": [{"name": model, "model": model}]}),
        "/api/version" | "/version" => json!({"version": "0.0.0-mock"}),
        "/info" => json!({"model_id": model, "version": "0.0.0-mock", "max_total_tokens": 4096}),
        "/metrics" => {
            let page = format!(
                "# TYPE mock_requests_total counter\nmock_requests_total {}\n# TYPE mock_tokens_total counter\nmock_tokens_total {}\n",
                state.requests(),
                state.tokens.load(Ordering::Relaxed)
            );
            return Response::new(MockBody::full(Bytes::from(page)));
        }
        _ => return json_response(StatusCode::NOT_FOUND, &json!({"error": "not found"})),
    };
    json_response(StatusCode::OK, &v)
}
