//! Waiting for a server to become ready, and what it says about itself.
//!
//! OpenAI-compatible servers: `/health` (200, or absent) and then `/v1/models` (200). Ollama:
//! `/api/tags`. TGI: `/health`, then `/info`. Versions come from `/version` (vLLM),
//! `/props` (llama.cpp), `/api/version` (Ollama) or `/info` (TGI) where they exist.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use shared_protocol::EngineId;

use crate::client::{Failure, Target};

/// What the server reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerInfo {
    /// Model names it serves.
    pub models: Vec<String>,
    /// Its version, where it tells.
    pub version: Option<String>,
    /// Other facts worth recording (`model_path`, `max_model_len`, ...).
    pub extra: Map<String, Value>,
}

/// The server never became ready.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadyError {
    #[error(
        "server at {url} not ready after {secs:.0} s (last: {last}); is it running, and is the url right?"
    )]
    Timeout {
        url: String,
        secs: f64,
        last: String,
    },
    #[error("server at {url} refused the credentials (HTTP {status}); check option api_key_env")]
    Auth { url: String, status: u16 },
    /// The TLS handshake failed; the message says why (an untrusted certificate names
    /// `--ca-cert`).
    #[error("{message}")]
    Tls { message: String },
}

const PROBE_LIMIT: usize = 1 << 20;
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Poll until the server answers its readiness routes, for at most `timeout`.
pub async fn wait(
    target: &Target,
    engine: EngineId,
    timeout: Duration,
) -> Result<ServerInfo, ReadyError> {
    let started = Instant::now();
    let mut last = String::from("no answer yet");
    loop {
        match probe(target, engine).await {
            Ok(Some(info)) => return Ok(info),
            Ok(None) => {}
            Err(Probe::Auth(status)) => {
                return Err(ReadyError::Auth {
                    url: target.base.to_string(),
                    status,
                });
            }
            Err(Probe::NotYet(why)) => last = why,
            Err(Probe::Tls(message)) => return Err(ReadyError::Tls { message }),
        }
        if started.elapsed() >= timeout {
            return Err(ReadyError::Timeout {
                url: target.base.to_string(),
                secs: timeout.as_secs_f64(),
                last,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

enum Probe {
    NotYet(String),
    Tls(String),
    Auth(u16),
}

async fn get(target: &Target, path: &str) -> Result<(u16, Value), Probe> {
    let (status, body) =
        target
            .get(path, PROBE_LIMIT, PROBE_TIMEOUT)
            .await
            .map_err(|f: Failure| {
                if f.handshake {
                    Probe::Tls(f.message)
                } else {
                    Probe::NotYet(f.message)
                }
            })?;
    if status == 401 || status == 403 {
        return Err(Probe::Auth(status));
    }
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

async fn probe(target: &Target, engine: EngineId) -> Result<Option<ServerInfo>, Probe> {
    let mut info = ServerInfo::default();
    match engine {
        EngineId::Ollama => {
            let (status, tags) = get(target, "/api/tags").await?;
            if status != 200 {
                return Err(Probe::NotYet(format!("/api/tags answered HTTP {status}")));
            }
            info.models = names(&tags["models"], "name");
            if let Ok((200, v)) = get(target, "/api/version").await {
                info.version = v["version"].as_str().map(str::to_owned);
            }
        }
        EngineId::Tgi => {
            let (status, _) = get(target, "/health").await?;
            if status != 200 {
                return Err(Probe::NotYet(format!("/health answered HTTP {status}")));
            }
            if let Ok((200, v)) = get(target, "/info").await {
                info.models = v["model_id"]
                    .as_str()
                    .map(str::to_owned)
                    .into_iter()
                    .collect();
                info.version = v["version"].as_str().map(str::to_owned);
                copy(
                    &v,
                    &mut info.extra,
                    &["max_input_tokens", "max_total_tokens", "model_dtype", "sha"],
                );
            }
        }
        _ => {
            let (status, _) = get(target, "/health").await?;
            if !(status == 200 || status == 404 || status == 405) {
                return Err(Probe::NotYet(format!("/health answered HTTP {status}")));
            }
            let (status, models) = get(target, "/v1/models").await?;
            if status != 200 {
                return Err(Probe::NotYet(format!("/v1/models answered HTTP {status}")));
            }
            info.models = names(&models["data"], "id");
            if let Some(first) = models["data"].get(0) {
                copy(first, &mut info.extra, &["max_model_len", "owned_by"]);
            }
            if let Ok((200, v)) = get(target, "/version").await {
                info.version = v["version"].as_str().map(str::to_owned);
            }
            if engine == EngineId::Llamacpp
                && let Ok((200, v)) = get(target, "/props").await
            {
                if info.version.is_none() {
                    info.version = v["build_info"].as_str().map(str::to_owned);
                }
                copy(&v, &mut info.extra, &["model_path", "total_slots"]);
            }
        }
    }
    Ok(Some(info))
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn copy(from: &Value, to: &mut Map<String, Value>, keys: &[&str]) {
    for k in keys {
        if let Some(v) = from.get(*k).filter(|v| !v.is_null()) {
            to.insert((*k).to_owned(), v.clone());
        }
    }
}

/// The model name to send: the configured one, else the requested id when the server serves
/// it, else the server's first model, else the requested id.
pub fn choose_model(
    configured: Option<&str>,
    requested_id: Option<&str>,
    served: &[String],
) -> Option<String> {
    if let Some(m) = configured {
        return Some(m.to_owned());
    }
    if let Some(id) = requested_id
        && (served.is_empty() || served.iter().any(|s| s == id))
    {
        return Some(id.to_owned());
    }
    served
        .first()
        .cloned()
        .or_else(|| requested_id.map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_choice_prefers_what_was_asked_and_served() {
        let served = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            choose_model(Some("x"), Some("b"), &served).as_deref(),
            Some("x")
        );
        assert_eq!(choose_model(None, Some("b"), &served).as_deref(), Some("b"));
        assert_eq!(
            choose_model(None, Some("zz"), &served).as_deref(),
            Some("a")
        );
        assert_eq!(choose_model(None, Some("zz"), &[]).as_deref(), Some("zz"));
        assert_eq!(choose_model(None, None, &[]), None);
    }
}
