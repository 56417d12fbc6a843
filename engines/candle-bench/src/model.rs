//! One forward pass over either model kind, and the KV cache each request starts afresh.

use candle_core::{Device, Tensor};
use candle_transformers::models::{llama, quantized_llama};

/// A loaded llama-family model.
#[allow(
    clippy::large_enum_variant,
    reason = "one model per worker process, built once and never moved in a hot path"
)]
pub enum Model {
    /// GGUF weights through `quantized_llama`. Its per-layer KV cache is replaced, not extended,
    /// by any forward pass at position 0, so a request that starts at 0 cannot see another's.
    Quantized(quantized_llama::ModelWeights),
    /// Safetensors weights through `llama`; `fresh` is an empty cache cloned at each request.
    Llama {
        model: llama::Llama,
        fresh: llama::Cache,
        cache: llama::Cache,
    },
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Model::Quantized(_) => "Model::Quantized",
            Model::Llama { .. } => "Model::Llama",
        })
    }
}

impl Model {
    /// Start a request: drop every cached key and value, then run the whole prompt at
    /// position 0. Returns the logits of the last prompt position, `[1, vocab]`.
    pub fn prefill(&mut self, prompt: &[u32], device: &Device) -> candle_core::Result<Tensor> {
        if let Model::Llama { fresh, cache, .. } = self {
            // Tensors are reference-counted: cloning an empty cache copies no data.
            *cache = fresh.clone();
        }
        let input = Tensor::new(prompt, device)?.unsqueeze(0)?;
        self.forward(&input, 0)
    }

    /// Decode one token at position `pos` (the number of tokens already in the cache).
    pub fn step(&mut self, token: u32, pos: usize, device: &Device) -> candle_core::Result<Tensor> {
        let input = Tensor::new(&[token], device)?.unsqueeze(0)?;
        self.forward(&input, pos)
    }

    fn forward(&mut self, input: &Tensor, pos: usize) -> candle_core::Result<Tensor> {
        match self {
            Model::Quantized(m) => m.forward(input, pos),
            Model::Llama { model, cache, .. } => model.forward(input, pos, cache),
        }
    }
}
