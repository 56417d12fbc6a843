//! Reads the project's default model when it has been fetched (`models/`); skipped otherwise.

use std::path::PathBuf;

use gguf::{GgmlType, GgufFile};

fn model_path() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/smollm2-135m-instruct-q4_1.gguf");
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipping: {} not present (fetch the default model first)",
            p.display()
        );
        None
    }
}

#[test]
fn smollm2_index_is_consistent() {
    let Some(path) = model_path() else { return };
    let f = GgufFile::open(&path).expect("open");
    let m = f.metadata();
    assert_eq!(m.get_str("general.architecture"), Some("llama"));
    assert_eq!(m.get_u32("llama.block_count"), Some(30));
    assert_eq!(m.get_u32("llama.embedding_length"), Some(576));
    let vocab = m.get_str_array("tokenizer.ggml.tokens").expect("vocab");
    assert_eq!(vocab.len(), 49152);
    assert_eq!(vocab[1], "<|im_start|>");
    let embd = f.tensor("token_embd.weight").expect("embeddings");
    assert_eq!(embd.dims, [576, 49152]);
    assert!(f.tensors().iter().any(|t| t.ggml_type == GgmlType::Q4_1));
    // Tensors tile the data section in order, each aligned, and the last one ends the file.
    let align = m.alignment();
    let mut sorted: Vec<_> = f.tensors().iter().collect();
    sorted.sort_by_key(|t| t.offset);
    for w in sorted.windows(2) {
        assert_eq!(
            w[1].offset,
            (w[0].offset + w[0].n_bytes()).next_multiple_of(align)
        );
    }
    let last = sorted.last().expect("tensors");
    assert!(f.data_offset() + last.offset + last.n_bytes() <= f.file_bytes());
    assert_eq!(&GgufFile::read_metadata(&path).expect("streamed"), m);
}
