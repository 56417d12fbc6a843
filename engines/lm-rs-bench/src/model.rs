//! The model: hyper-parameters and weights, indexed in the memory-mapped GGUF file.

use std::path::Path;

use gguf::{GgmlType, GgufFile};

use crate::config::LlamaConfig;
use crate::error::ModelError;
use crate::matmul::QMatrix;
use crate::quant;

/// One transformer block's weights.
#[derive(Debug)]
pub struct Layer {
    pub attn_norm: Vec<f32>,
    pub wq: QMatrix,
    pub wk: QMatrix,
    pub wv: QMatrix,
    pub wo: QMatrix,
    pub ffn_norm: Vec<f32>,
    pub w_gate: QMatrix,
    pub w_up: QMatrix,
    pub w_down: QMatrix,
}

/// A llama-family model ready to run.
#[derive(Debug)]
pub struct Model {
    pub config: LlamaConfig,
    pub file: GgufFile,
    pub vocab_size: usize,
    pub token_embd: QMatrix,
    pub layers: Vec<Layer>,
    pub output_norm: Vec<f32>,
    /// The output head: `output.weight`, or the token embeddings when they are tied.
    pub output: QMatrix,
    /// Per-dimension rotary frequency divisors (`rope_freqs.weight`, llama 3), when present.
    pub rope_freqs: Option<Vec<f32>>,
}

/// A vector tensor (norm weights, frequency factors) of `len` elements as `f32`.
fn vector(file: &GgufFile, name: &str, len: usize) -> Result<Vec<f32>, ModelError> {
    let info = file
        .tensor(name)
        .ok_or_else(|| ModelError::MissingTensor(name.to_owned()))?;
    if info.dims != [len as u64] {
        return Err(ModelError::Shape {
            name: name.to_owned(),
            found: info.dims.clone(),
            expected: vec![len as u64],
        });
    }
    if !matches!(
        info.ggml_type,
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16
    ) {
        return Err(ModelError::UnsupportedType {
            name: name.to_owned(),
            ty: info.ggml_type,
        });
    }
    let mut out = vec![0f32; len];
    quant::dequantize_row(info.ggml_type, file.tensor_data(info), &mut out);
    Ok(out)
}

impl Model {
    /// Map the file at `path` and index its weights, checking every shape and type.
    pub fn open(path: &Path) -> Result<Model, ModelError> {
        let file = GgufFile::open(path)?;
        let config = LlamaConfig::from_metadata(file.metadata())?;
        let embd_info = file
            .tensor("token_embd.weight")
            .ok_or_else(|| ModelError::MissingTensor("token_embd.weight".into()))?;
        let vocab_size = embd_info.n_rows() as usize;
        let c = &config;
        let token_embd = QMatrix::load(&file, "token_embd.weight", c.n_embd, vocab_size)?;
        let mut layers = Vec::with_capacity(c.n_layer);
        for i in 0..c.n_layer {
            let name = |t: &str| format!("blk.{i}.{t}.weight");
            for bias in ["attn_q", "attn_k", "attn_v", "attn_output"] {
                let b = format!("blk.{i}.{bias}.bias");
                if file.tensor(&b).is_some() {
                    return Err(ModelError::Config(format!(
                        "tensor '{b}': attention biases are not supported"
                    )));
                }
            }
            layers.push(Layer {
                attn_norm: vector(&file, &name("attn_norm"), c.n_embd)?,
                wq: QMatrix::load(&file, &name("attn_q"), c.n_embd, c.q_dim())?,
                wk: QMatrix::load(&file, &name("attn_k"), c.n_embd, c.kv_dim())?,
                wv: QMatrix::load(&file, &name("attn_v"), c.n_embd, c.kv_dim())?,
                wo: QMatrix::load(&file, &name("attn_output"), c.q_dim(), c.n_embd)?,
                ffn_norm: vector(&file, &name("ffn_norm"), c.n_embd)?,
                w_gate: QMatrix::load(&file, &name("ffn_gate"), c.n_embd, c.n_ff)?,
                w_up: QMatrix::load(&file, &name("ffn_up"), c.n_embd, c.n_ff)?,
                w_down: QMatrix::load(&file, &name("ffn_down"), c.n_ff, c.n_embd)?,
            });
        }
        let output_norm = vector(&file, "output_norm.weight", c.n_embd)?;
        let output = if file.tensor("output.weight").is_some() {
            QMatrix::load(&file, "output.weight", c.n_embd, vocab_size)?
        } else {
            token_embd.clone()
        };
        let rope_freqs = if file.tensor("rope_freqs.weight").is_some() {
            Some(vector(&file, "rope_freqs.weight", c.n_rot / 2)?)
        } else {
            None
        };
        Ok(Model {
            config,
            file,
            vocab_size,
            token_embd,
            layers,
            output_norm,
            output,
            rope_freqs,
        })
    }

    /// Whether the output head shares the token embeddings.
    pub fn tied_embeddings(&self) -> bool {
        self.output.name == self.token_embd.name
    }

    /// Number of weights (parameters), counting tied embeddings once.
    pub fn n_params(&self) -> u64 {
        let mut n: u64 = self
            .file
            .tensors()
            .iter()
            .map(gguf::TensorInfo::n_elements)
            .sum();
        if let Some(f) = self.file.tensor("rope_freqs.weight") {
            n -= f.n_elements();
        }
        n
    }

    /// Bytes of weights a decode step reads: every matrix once, plus the embedding row.
    pub fn weight_bytes_per_token(&self) -> u64 {
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                [&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down]
                    .iter()
                    .map(|m| m.n_bytes())
                    .sum::<usize>()
            })
            .sum();
        let embd_row = self.token_embd.n_bytes() / self.vocab_size;
        (layers + self.output.n_bytes() + embd_row) as u64
    }

    /// The most common weight type among the layer matrices (the model's quantisation).
    pub fn quantization(&self) -> GgmlType {
        let mut counts: Vec<(GgmlType, usize)> = Vec::new();
        for l in &self.layers {
            for m in [&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down] {
                match counts.iter_mut().find(|(t, _)| *t == m.ty) {
                    Some(c) => c.1 += 1,
                    None => counts.push((m.ty, 1)),
                }
            }
        }
        counts
            .into_iter()
            .max_by_key(|c| c.1)
            .map_or(self.output.ty, |c| c.0)
    }
}
