//! The shape of a llama-family model as its GGUF metadata gives it: what the FLOPs of a forward
//! pass are counted from.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Sizes of a decoder-only transformer with grouped-query attention and a gated (`SwiGLU`)
/// feed-forward block, read from `{arch}.*` keys of GGUF metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelShape {
    /// `general.architecture` (`llama`).
    pub architecture: String,
    /// `{arch}.block_count`.
    pub layers: u64,
    /// `{arch}.embedding_length`.
    pub hidden_size: u64,
    /// `{arch}.attention.head_count`.
    pub heads: u64,
    /// `{arch}.attention.head_count_kv` (`heads` when absent).
    pub kv_heads: u64,
    /// `{arch}.attention.key_length` (`hidden_size / heads` when absent).
    pub head_dim: u64,
    /// `{arch}.feed_forward_length`.
    pub ffn_size: u64,
    /// `{arch}.vocab_size`, else the length of `tokenizer.ggml.tokens`.
    pub vocab_size: u64,
}

impl ModelShape {
    /// The shape in `m`, or `None` when a size is missing or zero (not a llama-family layout
    /// this crate can count).
    pub fn from_metadata(m: &gguf::Metadata) -> Option<ModelShape> {
        let arch = m.get_str("general.architecture")?;
        let get = |key: &str| m.get_u64(&format!("{arch}.{key}"));
        let hidden_size = get("embedding_length")?;
        let heads = get("attention.head_count")?;
        if heads == 0 {
            return None;
        }
        let vocab_size = get("vocab_size").or_else(|| match m.get("tokenizer.ggml.tokens") {
            Some(gguf::Value::Array(tokens)) => Some(tokens.len() as u64),
            _ => None,
        })?;
        let shape = ModelShape {
            architecture: arch.to_owned(),
            layers: get("block_count")?,
            hidden_size,
            heads,
            kv_heads: get("attention.head_count_kv").unwrap_or(heads),
            head_dim: get("attention.key_length").unwrap_or(hidden_size / heads),
            ffn_size: get("feed_forward_length")?,
            vocab_size,
        };
        let sizes = [
            shape.layers,
            shape.hidden_size,
            shape.kv_heads,
            shape.head_dim,
            shape.ffn_size,
            shape.vocab_size,
        ];
        sizes.iter().all(|&s| s > 0).then_some(shape)
    }

    /// The shape of the GGUF file at `path` (`Ok(None)` when its metadata lacks a size).
    pub fn read(path: &Path) -> crate::Result<Option<ModelShape>> {
        Ok(ModelShape::from_metadata(&gguf::GgufFile::read_metadata(
            path,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smollm2() -> gguf::Metadata {
        let mut m = gguf::Metadata::new(3);
        m.insert("general.architecture", "llama");
        m.insert("llama.block_count", 30u32);
        m.insert("llama.embedding_length", 576u32);
        m.insert("llama.feed_forward_length", 1536u32);
        m.insert("llama.attention.head_count", 9u32);
        m.insert("llama.attention.head_count_kv", 3u32);
        m.insert("llama.vocab_size", 49_152u32);
        m
    }

    #[test]
    fn reads_the_sizes_and_derives_the_head_width() {
        let s = ModelShape::from_metadata(&smollm2()).expect("a full shape");
        assert_eq!(
            (s.layers, s.hidden_size, s.heads, s.kv_heads),
            (30, 576, 9, 3)
        );
        assert_eq!((s.head_dim, s.ffn_size, s.vocab_size), (64, 1536, 49_152));
        assert_eq!(s.architecture, "llama");
    }

    #[test]
    fn the_default_model_file_when_fetched() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../models/smollm2-135m-instruct-q4_1.gguf");
        if !path.exists() {
            eprintln!("skipping: {} not present", path.display());
            return;
        }
        let s = ModelShape::read(&path)
            .expect("a readable GGUF file")
            .expect("a full shape");
        let expected = ModelShape::from_metadata(&smollm2()).expect("a full shape");
        assert_eq!(s, expected);
    }

    #[test]
    fn vocabulary_from_the_token_list_and_missing_sizes() {
        let mut m = smollm2();
        m.insert("llama.vocab_size", 0u32);
        assert_eq!(ModelShape::from_metadata(&m), None, "a zero size");
        let mut m = gguf::Metadata::new(3);
        for (k, v) in smollm2().iter() {
            if k != "llama.vocab_size" {
                m.insert(k, v.clone());
            }
        }
        m.insert(
            "tokenizer.ggml.tokens",
            gguf::Value::Array(vec!["a".into(), "b".into(), "c".into()]),
        );
        let s = ModelShape::from_metadata(&m).expect("vocabulary from the tokens");
        assert_eq!(s.vocab_size, 3);
        let mut m = smollm2();
        m.insert("general.architecture", "qwen2");
        assert_eq!(ModelShape::from_metadata(&m), None, "no qwen2.* keys");
    }
}
