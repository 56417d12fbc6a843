//! Llama hyper-parameters, read from GGUF metadata (`general.architecture` and `llama.*`).

use gguf::Metadata;

use crate::error::ModelError;

/// The architectures this engine runs.
pub const ARCHITECTURES: [&str; 1] = ["llama"];

/// Everything the forward pass needs to know about the model's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    pub architecture: String,
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_ff: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    /// Dimensions of each head that the rotary embedding turns (the first `n_rot`).
    pub n_rot: usize,
    pub context_length: usize,
    pub rms_eps: f32,
    pub rope_theta: f32,
    /// Positions are divided by this factor (linear rotary scaling; 1 for none).
    pub rope_linear_factor: f32,
    pub bos_token_id: Option<u32>,
    pub eos_token_id: Option<u32>,
}

fn required(m: &Metadata, key: String) -> Result<usize, ModelError> {
    m.get_u32(&key)
        .map(|v| v as usize)
        .ok_or(ModelError::Metadata {
            key,
            expected: "an unsigned integer",
        })
}

impl LlamaConfig {
    /// Read and check the hyper-parameters.
    pub fn from_metadata(m: &Metadata) -> Result<LlamaConfig, ModelError> {
        let arch = m
            .get_str("general.architecture")
            .ok_or(ModelError::Metadata {
                key: "general.architecture".into(),
                expected: "a string",
            })?;
        if !ARCHITECTURES.contains(&arch) {
            return Err(ModelError::UnsupportedArchitecture(arch.to_owned()));
        }
        let key = |k: &str| format!("{arch}.{k}");
        let n_embd = required(m, key("embedding_length"))?;
        let n_head = required(m, key("attention.head_count"))?;
        let n_head_kv = m
            .get_u32(&key("attention.head_count_kv"))
            .map_or(n_head, |v| v as usize);
        if n_head == 0 || n_head_kv == 0 || n_head % n_head_kv != 0 {
            return Err(ModelError::Config(format!(
                "{n_head} query heads cannot be grouped over {n_head_kv} key/value heads"
            )));
        }
        let head_dim = m
            .get_u32(&key("attention.key_length"))
            .map_or(n_embd / n_head, |v| v as usize);
        let value_dim = m
            .get_u32(&key("attention.value_length"))
            .map_or(head_dim, |v| v as usize);
        if value_dim != head_dim {
            return Err(ModelError::Config(format!(
                "key length {head_dim} differs from value length {value_dim}"
            )));
        }
        let n_rot = m
            .get_u32(&key("rope.dimension_count"))
            .map_or(head_dim, |v| v as usize);
        if n_rot > head_dim || !n_rot.is_multiple_of(2) {
            return Err(ModelError::Config(format!(
                "rope dimension count {n_rot} does not fit head size {head_dim}"
            )));
        }
        let rope_linear_factor = match m.get_str(&key("rope.scaling.type")) {
            None | Some("none") => 1.0,
            Some("linear") => m.get_f32(&key("rope.scaling.factor")).unwrap_or(1.0),
            Some(other) => return Err(ModelError::RopeScaling(other.to_owned())),
        };
        let config = LlamaConfig {
            architecture: arch.to_owned(),
            n_layer: required(m, key("block_count"))?,
            n_embd,
            n_ff: required(m, key("feed_forward_length"))?,
            n_head,
            n_head_kv,
            head_dim,
            n_rot,
            context_length: required(m, key("context_length"))?,
            rms_eps: m
                .get_f32(&key("attention.layer_norm_rms_epsilon"))
                .unwrap_or(1e-5),
            rope_theta: m.get_f32(&key("rope.freq_base")).unwrap_or(10_000.0),
            rope_linear_factor,
            bos_token_id: m.get_u32("tokenizer.ggml.bos_token_id"),
            eos_token_id: m.get_u32("tokenizer.ggml.eos_token_id"),
        };
        if config.n_layer == 0 || config.rope_linear_factor <= 0.0 {
            return Err(ModelError::Config(format!("{config:?}")));
        }
        Ok(config)
    }

    /// Width of the key (and value) projections.
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }

    /// Width of the query projection.
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "these values are exact")]
mod tests {
    use super::*;

    fn smollm_like() -> Metadata {
        let mut m = Metadata::new(3);
        m.insert("general.architecture", "llama");
        m.insert("llama.block_count", 30u32);
        m.insert("llama.context_length", 8192u32);
        m.insert("llama.embedding_length", 576u32);
        m.insert("llama.feed_forward_length", 1536u32);
        m.insert("llama.attention.head_count", 9u32);
        m.insert("llama.attention.head_count_kv", 3u32);
        m.insert("llama.rope.freq_base", 100_000f32);
        m.insert("llama.attention.layer_norm_rms_epsilon", 1e-5f32);
        m.insert("tokenizer.ggml.eos_token_id", 2u32);
        m
    }

    #[test]
    fn reads_llama_keys_with_defaults() {
        let c = LlamaConfig::from_metadata(&smollm_like()).expect("valid");
        assert_eq!(
            (c.n_layer, c.n_embd, c.n_head, c.n_head_kv),
            (30, 576, 9, 3)
        );
        assert_eq!((c.head_dim, c.n_rot, c.kv_dim()), (64, 64, 192));
        assert_eq!(c.rope_theta, 100_000.0);
        assert_eq!(c.rope_linear_factor, 1.0);
        assert_eq!(c.eos_token_id, Some(2));
    }

    #[test]
    fn refuses_other_architectures_and_bad_shapes() {
        let mut m = smollm_like();
        m.insert("general.architecture", "mamba");
        let err = LlamaConfig::from_metadata(&m).expect_err("mamba");
        assert!(
            err.to_string().contains("unsupported architecture 'mamba'"),
            "{err}"
        );

        let mut m = smollm_like();
        m.insert("llama.attention.head_count_kv", 4u32);
        assert!(LlamaConfig::from_metadata(&m).is_err());

        let mut m = smollm_like();
        m.insert("llama.rope.scaling.type", "yarn");
        assert!(matches!(
            LlamaConfig::from_metadata(&m),
            Err(ModelError::RopeScaling(_))
        ));

        let mut m = Metadata::new(3);
        m.insert("general.architecture", "llama");
        let err = LlamaConfig::from_metadata(&m).expect_err("empty");
        assert!(err.to_string().contains("llama.embedding_length"), "{err}");
    }
}
