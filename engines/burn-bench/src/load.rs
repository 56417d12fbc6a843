//! Reading a model into f32 weights: a GGUF llama file (dequantised at load by the `gguf`
//! crate) here, a Hugging Face directory in [`crate::hf`].

use std::path::Path;

use anyhow::{Context, bail};
use gguf::GgufFile;
use serde_json::{Map, Value};

use crate::model::{BlockWeights, Config, Matrix, Weights};

/// Most positions held when neither the options nor the file say less.
pub const DEFAULT_MAX_SEQ_LEN: usize = 4096;

/// A model read from disk, before it is moved to a device.
#[derive(Debug)]
pub struct ReadModel {
    pub config: Config,
    pub weights: Weights,
    /// Ids that end a sequence.
    pub eos_ids: Vec<u32>,
    /// Bytes of the file on disk.
    pub file_bytes: u64,
    /// Architecture, format, the stored quantisation and the arithmetic used.
    pub details: Map<String, Value>,
}

/// Read a GGUF file of the llama architecture. `max_seq_len` caps the positions held.
pub fn read_gguf(path: &Path, max_seq_len: Option<usize>) -> anyhow::Result<ReadModel> {
    let file = GgufFile::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let md = file.metadata();
    let arch = md.get_str("general.architecture").unwrap_or_default();
    if arch != "llama" {
        bail!(
            "{}: architecture '{arch}' is not supported by burn-bench (llama)",
            path.display()
        );
    }
    let config = read_config(&file, path, max_seq_len)?;
    let tensor = |name: &str| {
        file.tensor(name)
            .with_context(|| format!("{}: no tensor {name}", path.display()))
    };
    let matrix = |name: &str, rows: usize, cols: usize| -> anyhow::Result<Matrix> {
        let info = tensor(name)?;
        if info.dims != [cols as u64, rows as u64] {
            bail!(
                "{}: {name} has shape {:?}, expected [{cols}, {rows}] (GGUF order)",
                path.display(),
                info.dims
            );
        }
        let data = file
            .tensor_f32(info)
            .with_context(|| format!("{}: cannot dequantise {name}", path.display()))?;
        Ok(Matrix { rows, cols, data })
    };
    let vector = |name: &str, n: usize| -> anyhow::Result<Vec<f32>> {
        let info = tensor(name)?;
        if info.n_elements() != n as u64 {
            bail!(
                "{}: {name} has {} elements, expected {n}",
                path.display(),
                info.n_elements()
            );
        }
        Ok(file.tensor_f32(info)?)
    };
    let (d, ff, hd) = (config.d_model, config.d_ff, config.head_dim());
    let kv = config.n_kv_heads * hd;
    let blocks = (0..config.n_layers)
        .map(|i| {
            let t = |n: &str| format!("blk.{i}.{n}.weight");
            Ok(BlockWeights {
                attn_norm: vector(&t("attn_norm"), d)?,
                wq: matrix(&t("attn_q"), d, d)?,
                wk: matrix(&t("attn_k"), kv, d)?,
                wv: matrix(&t("attn_v"), kv, d)?,
                wo: matrix(&t("attn_output"), d, d)?,
                ffn_norm: vector(&t("ffn_norm"), d)?,
                gate: matrix(&t("ffn_gate"), ff, d)?,
                up: matrix(&t("ffn_up"), ff, d)?,
                down: matrix(&t("ffn_down"), d, ff)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let output = match file.tensor("output.weight") {
        Some(_) => Some(matrix("output.weight", config.vocab, d)?),
        None => None,
    };
    let weights = Weights {
        embedding: matrix("token_embd.weight", config.vocab, d)?,
        blocks,
        norm: vector("output_norm.weight", d)?,
        output,
    };
    let eos_ids = eos_ids(md);
    let details = details(&file, arch, &config, weights.output.is_none());
    Ok(ReadModel {
        config,
        weights,
        eos_ids,
        file_bytes: file.file_bytes(),
        details,
    })
}

/// The model's shapes and constants from the file's llama metadata.
fn read_config(file: &GgufFile, path: &Path, max_seq_len: Option<usize>) -> anyhow::Result<Config> {
    let md = file.metadata();
    let key = |k: &str| format!("llama.{k}");
    let need = |k: &str| {
        md.get_u32(&key(k))
            .map(|v| v as usize)
            .with_context(|| format!("{}: metadata lacks {}", path.display(), key(k)))
    };
    let n_heads = need("attention.head_count")?;
    let d_model = need("embedding_length")?;
    let context = md
        .get_u32(&key("context_length"))
        .map_or(DEFAULT_MAX_SEQ_LEN, |n| n as usize);
    let tensor = |name: &str| {
        file.tensor(name)
            .with_context(|| format!("{}: no tensor {name}", path.display()))
    };
    let embedding_info = tensor("token_embd.weight")?;
    let config = Config {
        vocab: embedding_info.n_rows() as usize,
        d_model,
        n_layers: need("block_count")?,
        n_heads,
        n_kv_heads: md
            .get_u32(&key("attention.head_count_kv"))
            .map_or(n_heads, |n| n as usize),
        d_ff: need("feed_forward_length")?,
        rope_theta: md.get_f32(&key("rope.freq_base")).unwrap_or(10_000.0),
        rms_eps: f64::from(
            md.get_f32(&key("attention.layer_norm_rms_epsilon"))
                .unwrap_or(1e-5),
        ),
        max_seq_len: max_seq_len.unwrap_or(DEFAULT_MAX_SEQ_LEN).min(context),
    };
    config.validate(path)?;
    if md
        .get_str("llama.rope.scaling.type")
        .is_some_and(|t| t != "none")
    {
        bail!(
            "{}: rotary scaling is not supported by burn-bench",
            path.display()
        );
    }
    Ok(config)
}

/// Ids that end a sequence: the end-of-sequence and end-of-turn tokens, once each.
fn eos_ids(md: &gguf::Metadata) -> Vec<u32> {
    ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"]
        .iter()
        .filter_map(|k| md.get_u32(k))
        .fold(Vec::new(), |mut v, id| {
            if !v.contains(&id) {
                v.push(id);
            }
            v
        })
}

/// What the results record about the model as read.
fn details(file: &GgufFile, arch: &str, config: &Config, tied: bool) -> Map<String, Value> {
    let quantization = file
        .tensor("blk.0.attn_q.weight")
        .map(|t| t.ggml_type.name());
    let mut details = Map::new();
    details.insert("architecture".into(), arch.into());
    details.insert("format".into(), "gguf".into());
    details.insert(
        "quantization".into(),
        quantization.map_or(Value::Null, Value::from),
    );
    details.insert(
        "arithmetic".into(),
        "f32: weights dequantised to f32 at load (the gguf crate), activations and KV cache in f32"
            .into(),
    );
    details.insert("tied_embeddings".into(), tied.into());
    details.insert("max_seq_len".into(), config.max_seq_len.into());
    details.insert(
        "kv_bytes_per_position".into(),
        config.kv_bytes_per_position().into(),
    );
    details
}
