//! [`HttpBench`]: the [`bench_worker::Engine`] that measures a served engine over HTTP.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bench_worker::{Description, Engine, Loaded, TokenSink};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use shared_protocol::{
    Capabilities, DeviceKind, EngineId, LoadRequest, Request, WorkerMessage, Workload,
};

use crate::api::{self, Api};
use crate::client::{Prepared, Target};
use crate::load::Plan;
use crate::options::Config;
use crate::ready;

/// A served engine, reached over HTTP, with the client runtime that measures it.
pub struct HttpBench {
    config: Config,
    runtime: tokio::runtime::Runtime,
    target: Arc<Target>,
    model: Option<String>,
    /// The `/metrics` delta of the last workload, until `done` takes it.
    server_metrics: Option<Map<String, Value>>,
}

/// The client runtime: multi-threaded, sized to the machine unless the options say otherwise.
pub fn client_runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name("http-bench-client")
        .enable_all()
        .build()
}

impl HttpBench {
    /// Requests turned into ready-to-send bodies, before any clock is read.
    pub fn plan(&self, workload: &Workload) -> anyhow::Result<Plan> {
        let config = &self.config;
        let mut prepared = Vec::with_capacity(workload.requests.len());
        let (mut unchatted, mut no_fixed_length) = (0usize, 0usize);
        for r in &workload.requests {
            let api = Api::for_request(config.engine, config.api, r.chat);
            if r.chat && !api.is_chat() {
                unchatted += 1;
            }
            if r.ignore_eos && !api::honours_ignore_eos(api, config.engine) {
                no_fixed_length += 1;
            }
            let model = match (&self.model, api) {
                (Some(m), _) => m.as_str(),
                (None, Api::Tgi) => "",
                (None, _) => anyhow::bail!(
                    "no model name for {}: set option model (the server listed none)",
                    config.engine
                ),
            };
            let body = serde_json::to_vec(&api::body(api, config.engine, model, r))
                .context("cannot encode a request body")?;
            prepared.push(Prepared {
                api,
                path: config.base.path(api.route()),
                body: Bytes::from(body),
                max_tokens: r.max_tokens,
            });
        }
        if unchatted > 0 {
            eprintln!(
                "http-bench: {unchatted} chat requests go to a plain-prompt API, so no chat template is applied; set option api to a chat flavour to change that"
            );
        }
        if no_fixed_length > 0 {
            eprintln!(
                "http-bench: {no_fixed_length} requests ask for ignore_eos, which {} does not take on this API; output lengths may fall short of max_tokens",
                config.engine
            );
        }
        Ok(Plan {
            target: Arc::clone(&self.target),
            requests: workload.requests.clone(),
            prepared,
            phase: workload.phase,
            timeout: Duration::from_millis(workload.request_timeout_ms.max(1)),
            retries: config.retries,
            retry_backoff: config.retry_backoff,
        })
    }

    async fn scrape(&self) -> Option<std::collections::BTreeMap<String, f64>> {
        match self
            .target
            .get("/metrics", 16 << 20, Duration::from_secs(5))
            .await
        {
            Ok((200, body)) => Some(crate::prometheus::parse(&String::from_utf8_lossy(&body))),
            Ok((status, _)) => {
                eprintln!(
                    "http-bench: /metrics answered HTTP {status}; no server metrics for this run"
                );
                None
            }
            Err(f) => {
                eprintln!("http-bench: cannot scrape /metrics: {}", f.message);
                None
            }
        }
    }
}

impl Engine for HttpBench {
    fn describe() -> Description {
        Description {
            // The runner accepts any served engine id from this worker; the real one is the
            // `engine` option, recorded in the load details.
            engine: EngineId::Openai,
            engine_version: "remote".to_owned(),
            default_device: DeviceKind::Remote.as_str().to_owned(),
            capabilities: Capabilities {
                devices: vec![DeviceKind::Remote],
                token_ids_input: false,
                device_clock: false,
                workload: true,
                ignore_eos: true,
            },
        }
    }

    fn check(request: &LoadRequest) -> anyhow::Result<()> {
        Config::from_request(request).map(|_| ())
    }

    fn load(request: &LoadRequest) -> anyhow::Result<Loaded<Self>> {
        let config = Config::from_request(request)?;
        let runtime = client_runtime(config.threads).context("cannot start the client runtime")?;
        let target = runtime
            .block_on(Target::resolve(
                config.base.clone(),
                config.api_key.clone(),
                config.tls.clone(),
            ))
            .map_err(|f| anyhow::anyhow!(f.message))?;
        let info = runtime.block_on(ready::wait(&target, config.engine, config.ready_timeout))?;
        let requested = request.model.as_ref().map(|m| m.id.as_str());
        let model = ready::choose_model(config.model.as_deref(), requested, &info.models);
        let mut details = Map::new();
        details.insert("engine".into(), json!(config.engine));
        details.insert("url".into(), json!(config.base.to_string()));
        details.insert("tls".into(), json!(config.base.is_tls()));
        details.insert(
            "api".into(),
            config.api.map_or_else(|| json!("auto"), |a| json!(a)),
        );
        details.insert("served_model".into(), json!(model));
        details.insert("server_models".into(), json!(info.models));
        details.insert("server_version".into(), json!(info.version));
        details.insert("client_threads".into(), json!(config.threads));
        details.insert("authenticated".into(), json!(config.api_key.is_some()));
        for (k, v) in info.extra {
            details.insert(format!("server_{k}"), v);
        }
        let mut loaded = Loaded::new(HttpBench {
            config,
            runtime,
            target: Arc::new(target),
            model,
            server_metrics: None,
        });
        loaded.details = details;
        Ok(loaded)
    }

    fn generate(&mut self, request: &Request, _sink: &mut TokenSink) -> anyhow::Result<()> {
        anyhow::bail!(
            "http-bench measures whole workloads (send `workload`), not single request {}",
            request.id
        )
    }

    fn workload(
        &mut self,
        workload: &Workload,
        emit: &mut dyn FnMut(WorkerMessage) -> std::io::Result<()>,
    ) -> anyhow::Result<u64> {
        self.server_metrics = None;
        let plan = Arc::new(self.plan(workload)?);
        let before = if self.config.metrics {
            self.runtime.block_on(self.scrape())
        } else {
            None
        };
        let rx = bench_load::start(
            Arc::clone(&plan),
            self.runtime.handle(),
            &workload.load,
            "http-bench",
        )?;
        let lost = |r: &shared_protocol::Request| crate::load::lost(&plan, r);
        let tally = bench_load::collect(&rx, &plan.requests, &lost, emit)?;
        if tally.short_under_ignore_eos > 0 {
            eprintln!(
                "http-bench: {} of {} requests asked for ignore_eos but came back shorter than max_tokens",
                tally.short_under_ignore_eos, tally.samples
            );
        }
        if tally.lost > 0 {
            eprintln!(
                "http-bench: {} requests ended without a result and are reported as failed",
                tally.lost
            );
        }
        if let Some(before) = before
            && let Some(after) = self.runtime.block_on(self.scrape())
        {
            self.server_metrics = Some(crate::prometheus::delta(&before, &after));
        }
        Ok(tally.samples)
    }

    fn server_metrics(&mut self) -> Option<Map<String, Value>> {
        self.server_metrics.take()
    }
}
