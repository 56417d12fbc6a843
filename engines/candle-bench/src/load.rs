//! Load a GGUF file or a Hugging Face safetensors directory onto a device.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use candle_core::quantized::gguf_file;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use candle_transformers::models::{llama, quantized_llama};
use serde_json::{Map, Value};

use crate::model::Model;

/// A model ready to generate, and what the worker reports about it.
#[derive(Debug)]
pub struct LoadedModel {
    pub model: Model,
    /// Ids that end a sequence.
    pub eos_ids: Vec<u32>,
    /// Most positions (prompt plus output) the model's caches and rotary tables hold.
    pub max_seq_len: usize,
    /// Bytes of weights on disk.
    pub model_bytes: u64,
    /// Architecture, format, quantisation, dtype.
    pub details: Map<String, Value>,
}

/// Load a GGUF file (llama architecture) with `quantized_llama`.
pub fn load_gguf(path: &Path, device: &Device) -> anyhow::Result<LoadedModel> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let content = gguf_file::Content::read(&mut file)
        .map_err(|e| anyhow::anyhow!("{}: not a readable GGUF file: {e}", path.display()))?;
    let md_str = |k: &str| {
        content
            .metadata
            .get(k)
            .and_then(|v| v.to_string().ok())
            .cloned()
    };
    let md_u32 = |k: &str| content.metadata.get(k).and_then(|v| v.to_u32().ok());
    let arch = md_str("general.architecture").unwrap_or_default();
    if arch != "llama" {
        bail!(
            "{}: architecture '{arch}' is not supported by candle-bench's GGUF path (llama)",
            path.display()
        );
    }
    let quantization = content
        .tensor_infos
        .get("blk.0.attn_q.weight")
        .map(|t| format!("{:?}", t.ggml_dtype));
    let eos_ids: Vec<u32> = ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"]
        .iter()
        .filter_map(|k| md_u32(k))
        .fold(Vec::new(), |mut v, id| {
            if !v.contains(&id) {
                v.push(id);
            }
            v
        });
    let context_length = md_u32("llama.context_length").map(|n| n as usize);
    // Keys and values are kept in f32 by candle's quantized llama.
    let kv_bytes = kv_layout(
        md_u32("llama.block_count"),
        md_u32("llama.attention.head_count"),
        md_u32("llama.attention.head_count_kv"),
        md_u32("llama.embedding_length"),
    )
    .map(|(layers, kv_heads, head_dim)| kv_bytes_per_position(layers, kv_heads, head_dim, 4));
    let max_seq_len = context_length.map_or(quantized_llama::MAX_SEQ_LEN, |n| {
        n.min(quantized_llama::MAX_SEQ_LEN)
    });
    let weights = quantized_llama::ModelWeights::from_gguf(content, &mut file, device)
        .with_context(|| format!("cannot load {}", path.display()))?;
    let model_bytes = file_bytes(path)?;
    let mut details = Map::new();
    details.insert("architecture".into(), arch.into());
    details.insert("format".into(), "gguf".into());
    details.insert(
        "quantization".into(),
        quantization.map_or(Value::Null, Value::from),
    );
    details.insert("max_seq_len".into(), max_seq_len.into());
    if let Some(b) = kv_bytes {
        details.insert("kv_bytes_per_position".into(), b.into());
    }
    Ok(LoadedModel {
        model: Model::Quantized(weights),
        eos_ids,
        max_seq_len,
        model_bytes,
        details,
    })
}

/// Load a Hugging Face llama directory (`config.json`, `*.safetensors`) in `dtype`.
pub fn load_safetensors(dir: &Path, device: &Device, dtype: DType) -> anyhow::Result<LoadedModel> {
    let config_path = dir.join("config.json");
    let text = std::fs::read(&config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let raw: llama::LlamaConfig = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a llama config", config_path.display()))?;
    let config = raw.into_config(false);
    let files = safetensors_files(dir)?;
    let model_bytes = files
        .iter()
        .map(|f| file_bytes(f))
        .sum::<anyhow::Result<u64>>()?;
    // SAFETY: the weights are memory-mapped read-only; the files are not modified while the
    // worker runs (they live in the models directory and are only ever replaced by rename).
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&files, dtype, device)? };
    let model = llama::Llama::load(vb, &config)
        .with_context(|| format!("cannot load {}", dir.display()))?;
    let fresh = llama::Cache::new(true, dtype, &config, device)?;
    let eos_ids = match &config.eos_token_id {
        Some(llama::LlamaEosToks::Single(id)) => vec![*id],
        Some(llama::LlamaEosToks::Multiple(ids)) => ids.clone(),
        None => Vec::new(),
    };
    let mut details = Map::new();
    details.insert("architecture".into(), "llama".into());
    details.insert("format".into(), "safetensors".into());
    details.insert("dtype".into(), format!("{dtype:?}").to_lowercase().into());
    details.insert("max_seq_len".into(), config.max_position_embeddings.into());
    details.insert(
        "kv_bytes_per_position".into(),
        kv_bytes_per_position(
            config.num_hidden_layers,
            config.num_key_value_heads,
            config.hidden_size / config.num_attention_heads.max(1),
            dtype.size_in_bytes(),
        )
        .into(),
    );
    Ok(LoadedModel {
        model: Model::Llama {
            model,
            cache: fresh.clone(),
            fresh,
        },
        eos_ids,
        max_seq_len: config.max_position_embeddings,
        model_bytes,
        details,
    })
}

/// Layers, key-value heads and head size from GGUF llama metadata (key-value heads default
/// to the query heads).
fn kv_layout(
    layers: Option<u32>,
    heads: Option<u32>,
    kv_heads: Option<u32>,
    embd: Option<u32>,
) -> Option<(usize, usize, usize)> {
    let heads = heads.filter(|&h| h > 0)?;
    Some((
        layers? as usize,
        kv_heads.unwrap_or(heads) as usize,
        (embd? / heads) as usize,
    ))
}

/// Bytes of keys and values one decode step reads per cached position, over every layer.
pub fn kv_bytes_per_position(
    layers: usize,
    kv_heads: usize,
    head_dim: usize,
    elem_bytes: usize,
) -> u64 {
    (2 * layers * kv_heads * head_dim * elem_bytes) as u64
}

fn file_bytes(path: &Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?
        .len())
}

fn safetensors_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no *.safetensors files", dir.display());
    }
    Ok(files)
}
