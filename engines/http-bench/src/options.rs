//! The worker's options (`LoadRequest.options`), validated into a [`Config`] without network.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use shared_protocol::{EngineId, LoadRequest};

use crate::api::Api;
use crate::secret::ApiKey;
use crate::url::BaseUrl;

/// Engine ids this worker serves.
pub const HTTP_ENGINES: [EngineId; 9] = EngineId::SERVED;

/// The served engines' ids, for messages.
fn served_names() -> String {
    let names: Vec<&str> = HTTP_ENGINES.iter().map(|e| e.as_str()).collect();
    names.join(", ")
}

/// `LoadRequest.options` as sent by the runner. Unknown keys are rejected.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Which served engine this is (required): `vllm`, `sglang`, `mlx`, `llamacpp`, `tgi`,
    /// `ollama`, `trtllm`, `litellm` or `openai`.
    pub engine: Option<EngineId>,
    /// Base URL; the engine's usual local address when absent.
    pub url: Option<String>,
    /// API flavour; per engine (and per request's `chat`) when absent.
    pub api: Option<Api>,
    /// Served model name.
    pub model: Option<String>,
    /// Name of the environment variable that holds the API key.
    pub api_key_env: Option<String>,
    /// How long `load` waits for the server to become ready (default 120 s).
    pub ready_timeout_s: Option<f64>,
    /// Scrape the server's Prometheus `/metrics` before and after each workload.
    #[serde(default)]
    pub metrics: bool,
    /// Client runtime threads (default: the machine's cores).
    pub threads: Option<usize>,
    /// `https` servers: a PEM file of certificates to trust besides Mozilla's and the
    /// platform's roots (a private CA, or a self-signed server's own certificate).
    pub ca_cert: Option<String>,
    /// Send a request again up to this many times after a transient failure (429, 5xx,
    /// connection reset, timeout); default 0.
    #[serde(default)]
    pub retries: u32,
    /// Wait before the first retry, doubled before each next one (default 100 ms).
    pub retry_backoff_ms: Option<f64>,
}

/// Options resolved and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub engine: EngineId,
    pub base: BaseUrl,
    pub api: Option<Api>,
    pub model: Option<String>,
    pub api_key: Option<ApiKey>,
    pub ready_timeout: Duration,
    pub metrics: bool,
    pub threads: usize,
    /// The TLS configuration of an `https` base.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Retries after a transient failure, and the wait before the first (doubled each time).
    pub retries: u32,
    pub retry_backoff: Duration,
}

/// A problem with the options.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("option engine is required: one of {}", served_names())]
    MissingEngine,
    #[error(
        "engine {0} is not served over HTTP; http-bench serves {served}",
        served = served_names()
    )]
    NotHttp(EngineId),
    /// The message names the option; the URL's own error follows as the source.
    #[error("option url")]
    Url(#[from] crate::url::UrlError),
    #[error("option api_key_env: environment variable {0} is not set")]
    KeyMissing(String),
    #[error("option api_key_env: environment variable {0} does not hold a valid header value")]
    KeyInvalid(String),
    #[error("option ready_timeout_s must be a positive number of seconds, got {0}")]
    ReadyTimeout(f64),
    #[error("option ca_cert (--ca-cert): {0}")]
    CaCert(crate::tls::TlsError),
    #[error("option threads must be at least 1")]
    Threads,
    #[error("option retry_backoff_ms must be a finite number of milliseconds >= 0, got {0}")]
    RetryBackoff(f64),
    #[error("api {api} does not fit engine {engine}")]
    ApiMismatch { api: Api, engine: EngineId },
}

impl Config {
    /// Parse and validate `request.options`; reads the key's environment variable, nothing else.
    pub fn from_request(request: &LoadRequest) -> anyhow::Result<Config> {
        let options: Options = bench_worker::parse_options(&request.options)?;
        let mut config = Config::from_options(options)?;
        if config.model.is_none() {
            config.model = request.model.as_ref().and_then(|m| m.served_name.clone());
        }
        Ok(config)
    }

    pub fn from_options(options: Options) -> Result<Config, OptionsError> {
        let engine = options.engine.ok_or(OptionsError::MissingEngine)?;
        if !HTTP_ENGINES.contains(&engine) {
            return Err(OptionsError::NotHttp(engine));
        }
        let base = BaseUrl::parse(options.url.as_deref().unwrap_or(default_url(engine)))?;
        if let Some(api) = options.api {
            let ollama_api = matches!(api, Api::OllamaChat | Api::OllamaGenerate);
            if ollama_api != (engine == EngineId::Ollama) && engine != EngineId::Litellm {
                return Err(OptionsError::ApiMismatch { api, engine });
            }
        }
        let api_key = match options.api_key_env {
            None => None,
            Some(name) => {
                let value =
                    std::env::var(&name).map_err(|_| OptionsError::KeyMissing(name.clone()))?;
                Some(ApiKey::new(&value).ok_or(OptionsError::KeyInvalid(name))?)
            }
        };
        let ready_timeout_s = options.ready_timeout_s.unwrap_or(120.0);
        if !(ready_timeout_s.is_finite() && ready_timeout_s > 0.0) {
            return Err(OptionsError::ReadyTimeout(ready_timeout_s));
        }
        let threads = match options.threads {
            Some(0) => return Err(OptionsError::Threads),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        };
        // The file is read even for an http base, so a wrong path shows before the run.
        let extra = match &options.ca_cert {
            Some(path) => {
                crate::tls::read_ca_file(Path::new(path)).map_err(OptionsError::CaCert)?
            }
            None => Vec::new(),
        };
        let tls = if base.is_tls() {
            let source = options.ca_cert.as_deref().unwrap_or_default();
            Some(crate::tls::client_config(&extra, source).map_err(OptionsError::CaCert)?)
        } else {
            None
        };
        let backoff_ms = options.retry_backoff_ms.unwrap_or(100.0);
        if !(backoff_ms.is_finite() && backoff_ms >= 0.0) {
            return Err(OptionsError::RetryBackoff(backoff_ms));
        }
        Ok(Config {
            tls,
            retries: options.retries,
            retry_backoff: Duration::from_secs_f64(backoff_ms / 1000.0),
            engine,
            base,
            api: options.api,
            model: options.model,
            api_key,
            ready_timeout: Duration::from_secs_f64(ready_timeout_s),
            metrics: options.metrics,
            threads,
        })
    }
}

/// The engine's usual local address.
pub const fn default_url(engine: EngineId) -> &'static str {
    match engine {
        EngineId::Sglang => "http://127.0.0.1:30000",
        EngineId::Mlx | EngineId::Llamacpp | EngineId::Tgi => "http://127.0.0.1:8080",
        EngineId::Ollama => "http://127.0.0.1:11434",
        EngineId::Litellm => "http://127.0.0.1:4000",
        EngineId::Openai => "https://api.openai.com",
        _ => "http://127.0.0.1:8000",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn options(v: &Value) -> Map<String, Value> {
        v.as_object().expect("object").clone()
    }

    fn config(v: &Value) -> Result<Config, String> {
        let o: Options = bench_worker::parse_options(&options(v)).map_err(|e| e.to_string())?;
        Config::from_options(o).map_err(|e| e.to_string())
    }

    #[test]
    fn openai_defaults_to_its_https_api() {
        let c = config(&json!({"engine": "openai"})).expect("valid");
        assert!(c.base.is_tls() && c.tls.is_some());
        assert_eq!((c.base.host(), c.base.port()), ("api.openai.com", 443));
        let c = config(&json!({"engine": "vllm"})).expect("valid");
        assert!(c.tls.is_none());
    }

    #[test]
    fn defaults_follow_the_engine() {
        let c = config(&json!({"engine": "sglang"})).expect("valid");
        assert_eq!(c.base.authority(), "127.0.0.1:30000");
        let c = config(&json!({"engine": "ollama"})).expect("valid");
        assert_eq!(c.base.authority(), "127.0.0.1:11434");
        let c =
            config(&json!({"engine": "vllm", "url": "http://gpu-box:9000/v1/"})).expect("valid");
        assert_eq!(c.base.authority(), "gpu-box:9000");
        assert_eq!(c.base.path("/v1/models"), "/v1/models");
    }

    #[test]
    fn rejects_bad_options() {
        assert!(
            config(&json!({}))
                .expect_err("engine")
                .contains("engine is required")
        );
        assert!(
            config(&json!({"engine": "candle"}))
                .expect_err("not http")
                .contains("not served")
        );
        assert!(
            config(&json!({"engine": "vllm", "urll": "x"}))
                .expect_err("typo")
                .contains("urll")
        );
        assert!(config(&json!({"engine": "vllm", "api": "ollama-chat"})).is_err());
        assert!(config(&json!({"engine": "vllm", "ready_timeout_s": 0})).is_err());
        let e = config(&json!({"engine": "vllm", "ca_cert": "/surely/not/here.pem"}))
            .expect_err("no such file");
        assert!(
            e.contains("option ca_cert (--ca-cert)") && e.contains("/surely/not/here.pem"),
            "{e}"
        );
        let e = config(&json!({"engine": "vllm", "retries": 2, "retry_backoff_ms": -1}))
            .expect_err("negative backoff");
        assert!(e.contains("retry_backoff_ms"), "{e}");
        let e = config(&json!({"engine": "vllm", "api_key_env": "HTTP_BENCH_TEST_SURELY_UNSET"}))
            .expect_err("unset");
        assert!(e.contains("HTTP_BENCH_TEST_SURELY_UNSET"), "{e}");
    }
}
