//! Reading a Hugging Face llama directory (`config.json`, `*.safetensors`) into the same f32
//! weights as a GGUF file gives.
//!
//! Hugging Face llama checkpoints rotate the two halves of each head's dimensions; GGUF files
//! (and [`crate::model::Llama`]) rotate adjacent pairs. The query and key matrices are permuted
//! at load exactly as llama.cpp's converter permutes them, so both sources run the same model.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use memmap2::Mmap;
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::load::{DEFAULT_MAX_SEQ_LEN, ReadModel};
use crate::model::{BlockWeights, Config, Matrix, Weights};

/// The parts of a llama `config.json` the model needs.
#[derive(Debug, Deserialize)]
struct HfConfig {
    #[serde(default)]
    model_type: Option<String>,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    #[serde(default)]
    num_key_value_heads: Option<usize>,
    vocab_size: usize,
    /// Before transformers 5; since, `rope_parameters.rope_theta`.
    #[serde(default)]
    rope_theta: Option<f32>,
    #[serde(default)]
    rope_parameters: Option<RopeParameters>,
    #[serde(default)]
    attention_bias: bool,
    #[serde(default)]
    mlp_bias: bool,
    #[serde(default)]
    hidden_act: Option<String>,
    #[serde(default = "default_eps")]
    rms_norm_eps: f64,
    #[serde(default)]
    tie_word_embeddings: bool,
    #[serde(default)]
    max_position_embeddings: Option<usize>,
    #[serde(default)]
    rope_scaling: Option<Value>,
    #[serde(default)]
    eos_token_id: Option<Value>,
    #[serde(default)]
    head_dim: Option<usize>,
}

/// transformers 5's rotary settings.
#[derive(Debug, Deserialize)]
struct RopeParameters {
    #[serde(default)]
    rope_theta: Option<f32>,
    #[serde(default)]
    rope_type: Option<String>,
}

fn default_eps() -> f64 {
    1e-6
}

/// Read a Hugging Face llama directory. `max_seq_len` caps the positions held.
pub fn read_dir(dir: &Path, max_seq_len: Option<usize>) -> anyhow::Result<ReadModel> {
    let config_path = dir.join("config.json");
    let text = std::fs::read(&config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let hf: HfConfig = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a llama config", config_path.display()))?;
    let config = config_of(&hf, max_seq_len, &config_path)?;
    let n_kv_heads = config.n_kv_heads;
    let files = safetensors_files(dir)?;
    let maps = files
        .iter()
        .map(|f| {
            let file = File::open(f).with_context(|| format!("cannot open {}", f.display()))?;
            // SAFETY: read-only mapping of a weights file nothing writes while the worker runs.
            unsafe { Mmap::map(&file) }.with_context(|| format!("cannot map {}", f.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut tensors = Tensors::new(dir, &files, &maps)?;
    let (d, ff, hd) = (config.d_model, config.d_ff, config.head_dim());
    let kv = n_kv_heads * hd;
    let mut blocks = Vec::with_capacity(config.n_layers);
    for i in 0..config.n_layers {
        let t = |n: &str| format!("model.layers.{i}.{n}.weight");
        let mut wq = tensors.matrix(&t("self_attn.q_proj"), d, d)?;
        let mut wk = tensors.matrix(&t("self_attn.k_proj"), kv, d)?;
        wq.data = interleave_rotary_rows(&wq.data, config.n_heads, hd, d);
        wk.data = interleave_rotary_rows(&wk.data, n_kv_heads, hd, d);
        blocks.push(BlockWeights {
            attn_norm: tensors.read(&t("input_layernorm"), &[d])?,
            wq,
            wk,
            wv: tensors.matrix(&t("self_attn.v_proj"), kv, d)?,
            wo: tensors.matrix(&t("self_attn.o_proj"), d, d)?,
            ffn_norm: tensors.read(&t("post_attention_layernorm"), &[d])?,
            gate: tensors.matrix(&t("mlp.gate_proj"), ff, d)?,
            up: tensors.matrix(&t("mlp.up_proj"), ff, d)?,
            down: tensors.matrix(&t("mlp.down_proj"), d, ff)?,
        });
    }
    let embedding = tensors.matrix("model.embed_tokens.weight", config.vocab, d)?;
    let norm = tensors.read("model.norm.weight", &[d])?;
    let output = if hf.tie_word_embeddings || !tensors.has("lm_head.weight") {
        None
    } else {
        Some(tensors.matrix("lm_head.weight", config.vocab, d)?)
    };
    let dtypes = tensors.dtypes;
    let weights = Weights {
        embedding,
        blocks,
        norm,
        output,
    };
    let eos_ids = match hf.eos_token_id {
        Some(Value::Number(n)) => n.as_u64().map(|n| vec![n as u32]).unwrap_or_default(),
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(Value::as_u64)
            .map(|n| n as u32)
            .collect(),
        _ => Vec::new(),
    };
    let file_bytes = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()))
        .sum::<std::io::Result<u64>>()?;
    let details = details_of(&dtypes, &config, weights.output.is_none());
    Ok(ReadModel {
        config,
        weights,
        eos_ids,
        file_bytes,
        details,
    })
}

/// The model's shapes and constants from `config.json`, refusing what the model cannot run.
fn config_of(
    hf: &HfConfig,
    max_seq_len: Option<usize>,
    config_path: &Path,
) -> anyhow::Result<Config> {
    if hf.model_type.as_deref().is_some_and(|t| t != "llama") {
        bail!(
            "{}: model_type '{}' is not supported by burn-bench (llama)",
            config_path.display(),
            hf.model_type.as_deref().unwrap_or_default()
        );
    }
    let rope_type = hf
        .rope_parameters
        .as_ref()
        .and_then(|r| r.rope_type.as_deref());
    if hf.rope_scaling.as_ref().is_some_and(|v| !v.is_null())
        || rope_type.is_some_and(|t| t != "default")
    {
        bail!(
            "{}: rotary scaling is not supported by burn-bench",
            config_path.display()
        );
    }
    if hf.attention_bias || hf.mlp_bias || hf.hidden_act.as_deref().is_some_and(|a| a != "silu") {
        bail!(
            "{}: biases or an activation other than silu are not supported by burn-bench",
            config_path.display()
        );
    }
    let n_kv_heads = hf.num_key_value_heads.unwrap_or(hf.num_attention_heads);
    let config = Config {
        vocab: hf.vocab_size,
        d_model: hf.hidden_size,
        n_layers: hf.num_hidden_layers,
        n_heads: hf.num_attention_heads,
        n_kv_heads,
        d_ff: hf.intermediate_size,
        rope_theta: hf
            .rope_parameters
            .as_ref()
            .and_then(|r| r.rope_theta)
            .or(hf.rope_theta)
            .unwrap_or(10_000.0),
        rms_eps: hf.rms_norm_eps,
        max_seq_len: max_seq_len
            .unwrap_or(DEFAULT_MAX_SEQ_LEN)
            .min(hf.max_position_embeddings.unwrap_or(usize::MAX)),
    };
    config.validate(config_path)?;
    if hf.head_dim.is_some_and(|h| h != config.head_dim()) {
        bail!(
            "{}: head_dim differs from hidden_size / num_attention_heads",
            config_path.display()
        );
    }
    Ok(config)
}

/// What the results record about the model as read.
fn details_of(dtypes: &[Dtype], config: &Config, tied: bool) -> Map<String, Value> {
    let mut details = Map::new();
    details.insert("architecture".into(), "llama".into());
    details.insert("format".into(), "safetensors".into());
    details.insert(
        "stored_dtypes".into(),
        dtypes
            .iter()
            .map(|d| format!("{d:?}").to_lowercase())
            .collect::<Vec<_>>()
            .into(),
    );
    details.insert(
        "arithmetic".into(),
        "f32: weights converted to f32 at load, activations and KV cache in f32".into(),
    );
    details.insert("tied_embeddings".into(), tied.into());
    details.insert("max_seq_len".into(), config.max_seq_len.into());
    details.insert(
        "kv_bytes_per_position".into(),
        config.kv_bytes_per_position().into(),
    );
    details
}

/// The tensors of a checkpoint's files, by name, read as f32.
struct Tensors<'a> {
    dir: &'a Path,
    stores: Vec<SafeTensors<'a>>,
    index: HashMap<String, usize>,
    /// The element types met, in order.
    dtypes: Vec<Dtype>,
}

impl<'a> Tensors<'a> {
    fn new(dir: &'a Path, files: &[PathBuf], maps: &'a [Mmap]) -> anyhow::Result<Tensors<'a>> {
        let mut stores = Vec::with_capacity(maps.len());
        let mut index = HashMap::new();
        for (map, f) in maps.iter().zip(files) {
            let st = SafeTensors::deserialize(map)
                .with_context(|| format!("{}: not a safetensors file", f.display()))?;
            for name in st.names() {
                index.insert(name.to_owned(), stores.len());
            }
            stores.push(st);
        }
        Ok(Tensors {
            dir,
            stores,
            index,
            dtypes: Vec::new(),
        })
    }

    fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The tensor `name`, which must have `shape`, as f32 values (row-major).
    fn read(&mut self, name: &str, shape: &[usize]) -> anyhow::Result<Vec<f32>> {
        let dir = self.dir.display();
        let i = *self
            .index
            .get(name)
            .with_context(|| format!("{dir}: no tensor {name}"))?;
        let view = self.stores[i].tensor(name)?;
        if view.shape() != shape {
            bail!(
                "{dir}: {name} has shape {:?}, expected {shape:?}",
                view.shape()
            );
        }
        if !self.dtypes.contains(&view.dtype()) {
            self.dtypes.push(view.dtype());
        }
        to_f32(view.data(), view.dtype()).with_context(|| format!("{dir}: {name}"))
    }

    fn matrix(&mut self, name: &str, rows: usize, cols: usize) -> anyhow::Result<Matrix> {
        Ok(Matrix {
            rows,
            cols,
            data: self.read(name, &[rows, cols])?,
        })
    }
}

/// Rows of a query or key matrix (`heads` heads of `head_dim` rows, `cols` columns each) moved
/// from Hugging Face's rotary layout (a head's first half of dimensions, then its second) to the
/// adjacent pairs GGUF stores: row `h * head_dim + 2 i + j` takes row `h * head_dim + j *
/// head_dim / 2 + i`, as llama.cpp's converter does.
pub fn interleave_rotary_rows(w: &[f32], heads: usize, head_dim: usize, cols: usize) -> Vec<f32> {
    let half = head_dim / 2;
    let mut out = vec![0f32; w.len()];
    for h in 0..heads {
        for i in 0..half {
            for j in 0..2 {
                let to = h * head_dim + 2 * i + j;
                let from = h * head_dim + j * half + i;
                out[to * cols..(to + 1) * cols].copy_from_slice(&w[from * cols..(from + 1) * cols]);
            }
        }
    }
    out
}

/// Values of a tensor's bytes (little-endian) as f32.
fn to_f32(bytes: &[u8], dtype: Dtype) -> anyhow::Result<Vec<f32>> {
    Ok(match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        other => bail!("element type {other:?} is not supported (f32, f16, bf16)"),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotary_rows_interleave_like_llama_cpp() {
        // One head of 4 dimensions, one column: HF rows [a0, a1, b0, b1] (halves a and b)
        // become GGUF's pairs [a0, b0, a1, b1].
        let w = [10.0, 11.0, 20.0, 21.0];
        assert_eq!(
            interleave_rotary_rows(&w, 1, 4, 1),
            [10.0, 20.0, 11.0, 21.0]
        );
        // Two heads, two columns: each head on its own, columns kept together.
        let w: Vec<f32> = (0..16).map(|x| x as f32).collect();
        let out = interleave_rotary_rows(&w, 2, 4, 2);
        assert_eq!(
            out,
            [
                0., 1., 4., 5., 2., 3., 6., 7., 8., 9., 12., 13., 10., 11., 14., 15.
            ]
        );
    }
}
