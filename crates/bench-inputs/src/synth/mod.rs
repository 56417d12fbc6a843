//! Synthetic models: GGUF files with seeded random weights in the exact shapes of named
//! architectures, so engines can be measured at sizes no downloadable model here has.
//!
//! A synthetic model borrows a real model's tokenizer (and so its vocabulary) and is marked
//! `general.synthetic = true`; its outputs are meaningless, its costs are those of the shape.
//!
//! - [`arch`]: [`Architecture`] and the named ones, [`ARCHITECTURES`].
//! - [`blocks`]: [`WeightType`] and the block encoders.
//! - `pool`: seeded encoded blocks, streamed into tensors.
//! - [`write`](mod@write): [`write_synthetic`], [`read_synthetic_info`].

pub mod arch;
pub mod blocks;
mod pool;
pub mod write;

pub use arch::{ARCHITECTURES, Architecture, architecture, known_architectures};
pub use blocks::WeightType;
pub use write::{
    SYNTHETIC_ARCH_KEY, SYNTHETIC_KEY, SYNTHETIC_SEED_KEY, SynthSpec, SyntheticInfo, read_metadata,
    read_synthetic_info, synthetic_info, write_synthetic,
};

#[cfg(test)]
mod tests {
    use gguf::{GgmlType, GgufFile, Metadata};

    use super::*;

    const TINY: Architecture = Architecture {
        name: "tiny",
        n_embd: 64,
        n_layer: 2,
        n_head: 4,
        n_head_kv: 2,
        n_ff: 128,
        rope_theta: 10_000.0,
        context_length: 256,
        rms_eps: 1e-5,
        tied_embeddings: false,
    };

    fn tokenizer() -> Metadata {
        let mut m = Metadata::new(3);
        m.insert("tokenizer.ggml.model", "gpt2");
        let tokens: Vec<String> = (0..96).map(|i| format!("t{i}")).collect();
        m.insert("tokenizer.ggml.tokens", tokens);
        m.insert("tokenizer.ggml.eos_token_id", 2u32);
        m.insert("general.name", "not copied");
        m
    }

    fn write(dir: &std::path::Path, weights: WeightType, seed: u64) -> (std::path::PathBuf, u64) {
        let path = dir.join(format!("tiny-{}-{seed}.gguf", weights.name()));
        let spec = SynthSpec {
            arch: &TINY,
            weights,
            seed,
            source: "test",
        };
        let mut last = None;
        let bytes = write_synthetic(&spec, &tokenizer(), &path, &mut |done, total| {
            last = Some((done, total));
        })
        .expect("write");
        let (done, total) = last.expect("progress reported at the end");
        assert_eq!(done, bytes);
        assert!(total < bytes, "tensor data {total} within the file {bytes}");
        (path, bytes)
    }

    #[test]
    fn writes_the_shapes_types_and_metadata_of_the_architecture() {
        let dir = tempfile::tempdir().expect("tempdir");
        for weights in WeightType::ALL {
            let (path, bytes) = write(dir.path(), weights, 5);
            let f = GgufFile::open(&path).expect("reads back");
            assert_eq!(f.file_bytes(), bytes);
            // embeddings, 9 per layer, output norm, untied output
            assert_eq!(f.tensors().len(), 1 + 2 * 9 + 2);
            let t = |n: &str| f.tensor(n).expect(n);
            assert_eq!(t("token_embd.weight").dims, [64, 96]);
            assert_eq!(t("output.weight").dims, [64, 96]);
            assert_eq!(t("blk.1.attn_q.weight").dims, [64, 64]);
            assert_eq!(t("blk.1.attn_k.weight").dims, [64, 32]);
            assert_eq!(t("blk.0.ffn_down.weight").dims, [128, 64]);
            assert_eq!(t("blk.0.ffn_up.weight").ggml_type, weights.ggml());
            let norm = t("blk.1.ffn_norm.weight");
            assert_eq!(norm.ggml_type, GgmlType::F32);
            assert!(
                f.tensor_data(norm)
                    .chunks_exact(4)
                    .all(|c| c == 1f32.to_le_bytes())
            );
            let m = f.metadata();
            assert_eq!(m.get_str("general.architecture"), Some("llama"));
            assert_eq!(m.get_str("general.name"), Some("synthetic tiny"));
            assert_eq!(m.get_u32("llama.block_count"), Some(2));
            assert_eq!(m.get_u32("llama.attention.head_count_kv"), Some(2));
            assert_eq!(m.get_u32("llama.rope.dimension_count"), Some(16));
            assert_eq!(m.get_u32("llama.vocab_size"), Some(96));
            assert_eq!(m.get_u32("tokenizer.ggml.eos_token_id"), Some(2));
            assert_eq!(
                synthetic_info(m),
                Some(SyntheticInfo {
                    architecture: Some("tiny".into()),
                    seed: Some(5),
                })
            );
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 3, "no partial files left: {names:?}");
    }

    #[test]
    fn the_seed_decides_the_weights() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = |seed| {
            let (path, _) = write(dir.path(), WeightType::Q8_0, seed);
            let f = GgufFile::open(&path).expect("reads back");
            let t = f.tensor("blk.0.attn_v.weight").expect("present").clone();
            f.tensor_data(&t).to_vec()
        };
        let a = data(1);
        assert_eq!(a, data(1));
        assert_ne!(a, data(2));
        let real = GgufFile::open(&dir.path().join("tiny-q8_0-1.gguf")).expect("open");
        assert!(read_synthetic_info(real.path()).expect("reads").is_some());
    }

    #[test]
    fn refuses_a_tokenizer_without_tokens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = SynthSpec {
            arch: &TINY,
            weights: WeightType::F16,
            seed: 0,
            source: "test",
        };
        let err = write_synthetic(
            &spec,
            &Metadata::new(3),
            &dir.path().join("x.gguf"),
            &mut |_, _| {},
        )
        .expect_err("no tokens");
        assert!(err.to_string().contains("tokenizer.ggml.tokens"), "{err}");
    }
}
