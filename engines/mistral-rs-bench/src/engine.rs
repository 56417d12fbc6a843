//! [`MistralRs`]: the engine behind the worker loop.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use bench_worker::{Description, Engine, Loaded, TokenSink, parse_options};
use mistralrs::{GgufModelBuilder, Model, PagedAttentionMetaBuilder, TokenSource};
use serde_json::{Map, Value};
use shared_protocol::{
    Capabilities, DeviceKind, EngineId, LoadRequest, ModelFormat, Request, WorkerMessage, Workload,
};

use crate::MISTRALRS_VERSION;
use crate::options::{DeviceSpec, MistralRsOptions};
use crate::stream::{self, Limits};

/// mistral.rs with one GGUF model, on CPU or CUDA.
pub struct MistralRs {
    /// Drives mistral.rs's async API; mistral.rs runs its engine on threads of its own.
    runtime: tokio::runtime::Runtime,
    model: Arc<Model>,
    eos_ids: Vec<u32>,
    vocab: usize,
    max_seq_len: usize,
}

impl std::fmt::Debug for MistralRs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MistralRs")
            .field("eos_ids", &self.eos_ids)
            .field("vocab", &self.vocab)
            .field("max_seq_len", &self.max_seq_len)
            .finish_non_exhaustive()
    }
}

/// Everything `check` validates, reused by `load`.
struct Checked<'a> {
    options: MistralRsOptions,
    device: DeviceSpec,
    path: &'a Path,
}

fn checked(request: &LoadRequest) -> anyhow::Result<Checked<'_>> {
    let device = DeviceSpec::parse(&request.device)?;
    let options: MistralRsOptions = parse_options(&request.options)?;
    options.validate(device)?;
    match device {
        DeviceSpec::Cuda(_) if !cfg!(feature = "cuda") => {
            bail!(
                "device {} needs mistral-rs-bench built with --features cuda",
                request.device
            )
        }
        DeviceSpec::Cuda(n) if n != 0 => bail!(
            "mistral.rs's GGUF builder runs on the first CUDA device only: use cuda:0 (choose the GPU with CUDA_VISIBLE_DEVICES)"
        ),
        _ => {}
    }
    let (path, format) = bench_worker::inputs::local_model(request, "mistral-rs-bench")?;
    if format != ModelFormat::Gguf {
        bail!(
            "mistral-rs-bench runs GGUF files; {} is a Hugging Face directory (not supported here)",
            path.display()
        );
    }
    Ok(Checked {
        options,
        device,
        path,
    })
}

/// What the GGUF file says that the worker needs besides mistral.rs.
struct FileFacts {
    eos_ids: Vec<u32>,
    vocab: usize,
    context_length: Option<usize>,
    architecture: String,
    quantization: Option<String>,
}

fn read_facts(path: &Path) -> anyhow::Result<FileFacts> {
    let file = gguf::GgufFile::open(path)
        .with_context(|| format!("cannot read GGUF file {}", path.display()))?;
    let md = file.metadata();
    let architecture = md
        .get_str("general.architecture")
        .unwrap_or("unknown")
        .to_owned();
    let eos_ids = ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"]
        .iter()
        .filter_map(|k| md.get_u32(k))
        .fold(Vec::new(), |mut v, id| {
            if !v.contains(&id) {
                v.push(id);
            }
            v
        });
    let vocab = match md.get("tokenizer.ggml.tokens") {
        Some(gguf::Value::Array(tokens)) => tokens.len(),
        _ => bail!("{} has no tokenizer.ggml.tokens", path.display()),
    };
    let context_length = md
        .get_u64(&format!("{architecture}.context_length"))
        .map(|n| n as usize);
    let quantization = file
        .tensor("blk.0.attn_q.weight")
        .map(|t| t.ggml_type.name().to_owned());
    Ok(FileFacts {
        eos_ids,
        vocab,
        context_length,
        architecture,
        quantization,
    })
}

impl Engine for MistralRs {
    fn describe() -> Description {
        let mut devices = vec![DeviceKind::Cpu];
        if cfg!(feature = "cuda") {
            devices.push(DeviceKind::Cuda);
        }
        Description {
            engine: EngineId::MistralRs,
            engine_version: MISTRALRS_VERSION.to_owned(),
            default_device: "cpu".to_owned(),
            capabilities: Capabilities {
                devices,
                token_ids_input: true,
                device_clock: false,
                workload: true,
                ignore_eos: true,
            },
        }
    }

    fn check(request: &LoadRequest) -> anyhow::Result<()> {
        checked(request).map(|_| ())
    }

    fn load(request: &LoadRequest) -> anyhow::Result<Loaded<Self>> {
        let c = checked(request)?;
        let threads = bench_worker::cpu::set_rayon_threads(c.options.threads)?;
        let facts = read_facts(c.path)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mistral-rs-bench")
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let dir = c.path.parent().unwrap_or(Path::new("."));
        let file = c
            .path
            .file_name()
            .context("the model path names no file")?
            .to_string_lossy()
            .into_owned();
        let mut builder = GgufModelBuilder::new(dir.to_string_lossy(), vec![file])
            .with_token_source(TokenSource::None)
            .with_max_num_seqs(c.options.max_num_seqs)
            .with_prefix_cache_n((c.options.prefix_cache > 0).then_some(c.options.prefix_cache));
        // mistral.rs's GGUF builder places the model itself: the first CUDA device when built
        // with CUDA, else the CPU (`check` refuses what it cannot honour).
        if c.device == DeviceSpec::Cpu {
            builder = builder.with_force_cpu();
        }
        if c.options.paged_attention {
            builder = builder.with_paged_attn(
                PagedAttentionMetaBuilder::default()
                    .build()
                    .map_err(|e| anyhow::anyhow!("PagedAttention: {e}"))?,
            );
        }
        let model = runtime
            .block_on(builder.build())
            .map_err(|e| anyhow::anyhow!("mistral.rs cannot load {}: {e:#}", c.path.display()))?;
        let max_seq_len = model
            .max_sequence_length()
            .ok()
            .flatten()
            .or(facts.context_length)
            .context("neither mistral.rs nor the GGUF file gives the model's context length")?;
        let details = details(&c, &facts, threads, max_seq_len, request);
        let mut loaded = Loaded::new(MistralRs {
            runtime,
            model: Arc::new(model),
            eos_ids: facts.eos_ids,
            vocab: facts.vocab,
            max_seq_len,
        });
        loaded.model_bytes = std::fs::metadata(c.path).ok().map(|m| m.len());
        loaded.details = details;
        Ok(loaded)
    }

    fn generate(&mut self, request: &Request, sink: &mut TokenSink) -> anyhow::Result<()> {
        let limits = self.limits();
        self.runtime
            .block_on(stream::run(&self.model, request, &limits, sink))
    }

    fn workload(
        &mut self,
        workload: &Workload,
        emit: &mut dyn FnMut(WorkerMessage) -> std::io::Result<()>,
    ) -> anyhow::Result<u64> {
        crate::workload::run(self, workload, emit)
    }
}

impl MistralRs {
    /// What one request needs from the loaded engine.
    pub fn limits(&self) -> Limits<'_> {
        Limits {
            eos_ids: &self.eos_ids,
            vocab: self.vocab,
            max_seq_len: self.max_seq_len,
        }
    }

    /// The runtime mistral.rs's async API runs on, and the model.
    pub fn parts(&self) -> (&tokio::runtime::Runtime, &Arc<Model>) {
        (&self.runtime, &self.model)
    }
}

/// What the results record about the engine as loaded.
fn details(
    c: &Checked<'_>,
    facts: &FileFacts,
    threads: usize,
    max_seq_len: usize,
    request: &LoadRequest,
) -> Map<String, Value> {
    let o = &c.options;
    let mut d = Map::new();
    d.insert("device".into(), request.device.clone().into());
    d.insert("architecture".into(), facts.architecture.clone().into());
    d.insert("format".into(), "gguf".into());
    d.insert(
        "quantization".into(),
        facts.quantization.clone().map_or(Value::Null, Value::from),
    );
    d.insert(
        "arithmetic".into(),
        "GGUF weights quantised (candle's kernels); activations, attention and KV cache in \
         mistral.rs's automatic dtype (its GGUF builder takes no other): bf16 on the CPU, the \
         first of bf16 and f16 the GPU supports on CUDA"
            .into(),
    );
    d.insert("threads".into(), threads.into());
    d.insert("max_num_seqs".into(), o.max_num_seqs.into());
    d.insert("prefix_cache".into(), o.prefix_cache.into());
    d.insert("paged_attention".into(), o.paged_attention.into());
    d.insert("max_seq_len".into(), max_seq_len.into());
    d.insert("eos_ids".into(), facts.eos_ids.clone().into());
    d.insert(
        "input".into(),
        "token ids (a completion request of tokens)".into(),
    );
    d.insert(
        "timing".into(),
        "host clock where the worker receives each streamed chunk from mistral.rs's response \
         channel; mistral.rs schedules and runs the model on its own threads, so every figure \
         includes its scheduler, sampler and detokenizer"
            .into(),
    );
    d.insert(
        "token_ids".into(),
        "recorded by a logits processor inside mistral.rs's sampler (its greedy argmax rule); \
         sampled requests are drawn there by the project's host sampler"
            .into(),
    );
    d.insert(
        "ignore_eos".into(),
        "end-of-sequence tokens masked (mistral.rs cannot generate past them per request)".into(),
    );
    d.insert(
        "cpu_features".into(),
        bench_worker::cpu::compiled_cpu_features().into(),
    );
    d
}
