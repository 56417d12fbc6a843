//! The [`bench_worker::Engine`] implementation: options, load and generation.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use bench_worker::{Description, Engine, Flow, Loaded, TokenSink, parse_options};
use serde::Deserialize;
use serde_json::{Map, Value};
use shared_protocol::{Capabilities, DeviceKind, EngineId, LoadRequest, ModelFormat, Request};

use crate::config::LlamaConfig;
use crate::forward::forward;
use crate::matmul::Ctx;
use crate::model::Model;
use crate::quant::Isa;
use crate::sampler::Sampler;
use crate::state::{MAX_BATCH, State};
use crate::threads::default_threads;

/// Engine options (`options` of the load request).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Worker threads for the matrix products (default: the physical cores).
    #[serde(default)]
    pub threads: Option<usize>,
}

/// The lm-rs engine with a model loaded.
pub struct LmRs {
    model: Model,
    pool: rayon::ThreadPool,
    threads: usize,
    isa: Isa,
    /// Buffers of the last request, kept while they are big enough.
    state: Option<State>,
}

impl std::fmt::Debug for LmRs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LmRs")
            .field("model", &self.model.file.path())
            .field("threads", &self.threads)
            .field("isa", &self.isa)
            .finish_non_exhaustive()
    }
}

/// The options and model path of a load request, validated.
fn validate(request: &LoadRequest) -> anyhow::Result<(Options, &Path)> {
    let options: Options = parse_options(&request.options)?;
    if options.threads == Some(0) {
        bail!("option threads must be at least 1");
    }
    if request.device != "cpu" {
        bail!("lm-rs runs on the cpu only, not on '{}'", request.device);
    }
    let model = request
        .model
        .as_ref()
        .ok_or_else(|| anyhow!("lm-rs needs a model (a .gguf file)"))?;
    if let Some(format) = model.format
        && format != ModelFormat::Gguf
    {
        bail!(
            "lm-rs reads GGUF files only, model '{}' is {format:?}",
            model.id
        );
    }
    let path = model.path.as_deref().ok_or_else(|| {
        anyhow!(
            "model '{}' has no local path; lm-rs needs a .gguf file",
            model.id
        )
    })?;
    Ok((options, Path::new(path)))
}

impl LmRs {
    /// Load the model at `path` with `threads` worker threads (`None`: the physical cores).
    pub fn open(path: &Path, threads: Option<usize>) -> anyhow::Result<LmRs> {
        let model = Model::open(path).with_context(|| format!("cannot load {}", path.display()))?;
        let threads = threads.unwrap_or_else(default_threads);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("lm-rs-{i}"))
            .build()
            .context("cannot start the thread pool")?;
        touch(model.file.bytes());
        Ok(LmRs {
            model,
            pool,
            threads,
            isa: Isa::detect(),
            state: None,
        })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// What the results should record about this engine and model.
    pub fn details(&self) -> Map<String, Value> {
        let c = &self.model.config;
        let mut d = Map::new();
        d.insert("architecture".into(), c.architecture.clone().into());
        d.insert(
            "quantization".into(),
            self.model.quantization().name().into(),
        );
        d.insert("n_params".into(), self.model.n_params().into());
        d.insert("threads".into(), self.threads.into());
        d.insert("isa".into(), self.isa.name().into());
        d.insert("n_layer".into(), c.n_layer.into());
        d.insert("n_embd".into(), c.n_embd.into());
        d.insert("context_length".into(), c.context_length.into());
        d.insert(
            "tied_embeddings".into(),
            self.model.tied_embeddings().into(),
        );
        d.insert(
            "weight_bytes_per_token".into(),
            self.model.weight_bytes_per_token().into(),
        );
        // Keys and values, f32, every layer.
        d.insert(
            "kv_bytes_per_position".into(),
            (2 * c.n_layer * c.kv_dim() * size_of::<f32>()).into(),
        );
        d
    }

    /// Check `prompt`, size the buffers for it plus `max_tokens`, and run it through the
    /// model in batches; the next token's logits are then in the state.
    fn prefill(&mut self, prompt: &[u32], max_tokens: u32) -> anyhow::Result<&mut State> {
        let c: &LlamaConfig = &self.model.config;
        let vocab = self.model.vocab_size;
        if prompt.is_empty() {
            bail!("the prompt has no tokens");
        }
        if let Some(bad) = prompt.iter().find(|&&id| id as usize >= vocab) {
            bail!("prompt token id {bad} is outside the vocabulary of {vocab} tokens");
        }
        if prompt.len() >= c.context_length {
            bail!(
                "a prompt of {} tokens does not fit the model's context of {}",
                prompt.len(),
                c.context_length
            );
        }
        let capacity = (prompt.len() + max_tokens as usize).min(c.context_length);
        let batch = prompt.len().min(MAX_BATCH);
        let state = match self.state.take() {
            Some(s) if s.fits(capacity, batch) => s,
            old => {
                let capacity = capacity.max(old.as_ref().map_or(0, |s| s.capacity));
                let batch = batch.max(old.as_ref().map_or(0, |s| s.max_batch));
                drop(old);
                State::new(&self.model, capacity, batch)
            }
        };
        let state = self.state.insert(state);
        let model = &self.model;
        let ctx = Ctx {
            file: model.file.bytes(),
            isa: self.isa,
            threads: self.threads,
        };
        for (i, chunk) in prompt.chunks(MAX_BATCH).enumerate() {
            self.pool
                .install(|| forward(model, ctx, state, chunk, i * MAX_BATCH));
        }
        Ok(state)
    }

    /// The logits of the token after `prompt`.
    pub fn prompt_logits(&mut self, prompt: &[u32]) -> anyhow::Result<Vec<f32>> {
        Ok(self.prefill(prompt, 1)?.logits.clone())
    }

    /// Generate for `prompt` with `request`'s limits and sampling: mark the prefill in `sink`,
    /// then hand it each token until it says stop, the KV cache is full, or end-of-sequence
    /// (unless `request.ignore_eos`, marked in the sink).
    pub fn run(
        &mut self,
        prompt: &[u32],
        request: &Request,
        sink: &mut TokenSink,
    ) -> anyhow::Result<()> {
        let sampling = request.sampling;
        let vocab = self.model.vocab_size;
        let mut sampler = Sampler::new(sampling.temperature, sampling.top_p, sampling.seed, vocab);
        let eos = self
            .model
            .config
            .eos_token_id
            .filter(|_| !request.ignore_eos);
        self.prefill(prompt, request.max_tokens)?;
        sink.prefill_done();
        if request.max_tokens == 0 {
            return Ok(());
        }
        let model = &self.model;
        let ctx = Ctx {
            file: model.file.bytes(),
            isa: self.isa,
            threads: self.threads,
        };
        let Some(state) = self.state.as_mut() else {
            unreachable!("prefill leaves a state behind");
        };
        let mut pos = prompt.len();
        loop {
            let token = sampler.sample(&mut state.logits);
            if Some(token) == eos {
                sink.end_of_sequence();
                return Ok(());
            }
            if sink.token(token) == Flow::Stop || pos >= state.capacity {
                return Ok(());
            }
            self.pool
                .install(|| forward(model, ctx, state, &[token], pos));
            pos += 1;
        }
    }
}

/// Read one byte of every page so the first request does not pay for page faults.
fn touch(bytes: &[u8]) {
    let sum = bytes
        .iter()
        .step_by(4096)
        .fold(0u8, |a, &b| a.wrapping_add(b));
    std::hint::black_box(sum);
}

impl Engine for LmRs {
    fn describe() -> Description {
        Description {
            engine: EngineId::LmRs,
            engine_version: env!("CARGO_PKG_VERSION").to_owned(),
            default_device: "cpu".to_owned(),
            capabilities: Capabilities {
                devices: vec![DeviceKind::Cpu],
                token_ids_input: true,
                device_clock: false,
                workload: false,
                ignore_eos: true,
            },
        }
    }

    fn check(request: &LoadRequest) -> anyhow::Result<()> {
        let (_, path) = validate(request)?;
        let metadata = gguf::GgufFile::read_metadata(path)?;
        LlamaConfig::from_metadata(&metadata)?;
        Ok(())
    }

    fn load(request: &LoadRequest) -> anyhow::Result<Loaded<Self>> {
        let (options, path) = validate(request)?;
        let engine = LmRs::open(path, options.threads)?;
        let mut loaded = Loaded::new(engine);
        loaded.model_bytes = Some(loaded.engine.model.file.tensor_bytes());
        loaded.details = loaded.engine.details();
        Ok(loaded)
    }

    fn generate(&mut self, request: &Request, sink: &mut TokenSink) -> anyhow::Result<()> {
        let prompt = request.prompt_token_ids.as_deref().ok_or_else(|| {
            anyhow!("lm-rs takes token ids: the request carries no prompt_token_ids")
        })?;
        self.run(prompt, request, sink)
    }
}
