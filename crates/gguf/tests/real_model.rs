//! Reads the project's default model when it has been fetched (`models/`); skipped otherwise.
//! Its dequantised tensors are checked against the `gguf` Python package's, through the
//! checksums in `tests/fixtures/smollm2-q4_1.tsv` (written by `make-quant-fixtures.py --model`).

use std::fmt::Write as _;
use std::path::PathBuf;

use gguf::{GgmlType, GgufFile};
use sha2::{Digest, Sha256};

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

/// `(tensor, type, elements, sha256 of the little-endian f32 values)` per line of the fixture.
fn reference_sums() -> Vec<(String, String, u64, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smollm2-q4_1.tsv");
    let text = std::fs::read_to_string(path).expect("fixture");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l}");
            (
                f[0].to_owned(),
                f[1].to_owned(),
                f[2].parse().expect("count"),
                f[3].to_owned(),
            )
        })
        .collect()
}

#[test]
fn smollm2_dequantises_as_gguf_py_does() {
    let Some(path) = model_path() else { return };
    let f = GgufFile::open(&path).expect("open");
    let sums = reference_sums();
    assert_eq!(sums.len(), f.tensors().len(), "one checksum per tensor");
    let mut out = Vec::new();
    for (t, (name, ty, n, want)) in f.tensors().iter().zip(&sums) {
        assert_eq!((&t.name, t.n_elements()), (name, *n));
        assert!(ty.eq_ignore_ascii_case(t.ggml_type.name()), "{name}: {ty}");
        out.resize(t.n_elements() as usize, 0f32);
        f.tensor_f32_into(t, &mut out).expect("dequantise");
        assert!(
            out.iter().all(|v| v.is_finite()),
            "{name}: non-finite weight"
        );
        let mut h = Sha256::new();
        for v in &out {
            h.update(v.to_le_bytes());
        }
        let got = h.finalize().iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        assert_eq!(
            &got, want,
            "{name} ({ty}) differs from gguf-py's dequantisation"
        );
    }
    let types: Vec<GgmlType> = f.tensors().iter().map(|t| t.ggml_type).collect();
    for ty in [GgmlType::Q4_1, GgmlType::Q8_0, GgmlType::F32] {
        assert!(types.contains(&ty), "the default model has {ty} tensors");
    }
}
