//! `requantize` re-encodes matrices and keeps everything else: metadata, 1-D tensors, tensors
//! already of the target type and matrices whose rows do not split into its blocks.

use gguf::{GgmlType, GgufError, GgufFile, GgufWriter, dequantize, quantize, requantize};

/// Seeded values in roughly `-1..1` (a 64-bit LCG).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((s >> 40) as f32 / (1u64 << 23) as f32) - 1.0
        })
        .collect()
}

fn source(dir: &std::path::Path) -> std::path::PathBuf {
    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", "llama")
        .add_metadata("general.file_type", 3u32)
        .add_metadata("tokenizer.ggml.tokens", vec!["<s>", "a", "b"]);
    let bytes = |ty, n, seed| quantize(ty, &values(n, seed)).expect("quantize");
    w.add_tensor("norm", &[64], GgmlType::F32, bytes(GgmlType::F32, 64, 1))
        .and_then(|w| {
            w.add_tensor(
                "m.q4_1",
                &[64, 3],
                GgmlType::Q4_1,
                bytes(GgmlType::Q4_1, 192, 2),
            )
        })
        .and_then(|w| {
            w.add_tensor(
                "m.q8_0",
                &[32, 2],
                GgmlType::Q8_0,
                bytes(GgmlType::Q8_0, 64, 3),
            )
        })
        .and_then(|w| {
            w.add_tensor(
                "m.f16",
                &[48, 2],
                GgmlType::F16,
                bytes(GgmlType::F16, 96, 4),
            )
        })
        .expect("valid tensors");
    let path = dir.join("src.gguf");
    w.write_file(&path).expect("write");
    path
}

#[test]
fn matrices_are_re_encoded_and_the_rest_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = GgufFile::open(&source(dir.path())).expect("open source");
    let out_path = dir.path().join("q8_0.gguf");
    requantize(&src, GgmlType::Q8_0)
        .expect("q8_0 has an encoder")
        .write_file(&out_path)
        .expect("write");
    let out = GgufFile::open(&out_path).expect("open output");

    assert_eq!(out.metadata().get_u32("general.file_type"), Some(7));
    for (key, value) in src.metadata().iter() {
        if key != "general.file_type" {
            assert_eq!(out.metadata().get(key), Some(value), "{key}");
        }
    }
    assert_eq!(out.metadata().len(), src.metadata().len());

    let types: Vec<(&str, GgmlType)> = out
        .tensors()
        .iter()
        .map(|t| (t.name.as_str(), t.ggml_type))
        .collect();
    assert_eq!(
        types,
        [
            ("norm", GgmlType::F32),
            ("m.q4_1", GgmlType::Q8_0),
            ("m.q8_0", GgmlType::Q8_0),
            ("m.f16", GgmlType::F16),
        ]
    );
    for name in ["norm", "m.q8_0", "m.f16"] {
        let (a, b) = (
            src.tensor(name).expect("src"),
            out.tensor(name).expect("out"),
        );
        assert_eq!(
            src.tensor_data(a),
            out.tensor_data(b),
            "{name} kept byte for byte"
        );
    }
    let a = src.tensor("m.q4_1").expect("src");
    let want = quantize(GgmlType::Q8_0, &src.tensor_f32(a).expect("dequantise")).expect("q8_0");
    let b = out.tensor("m.q4_1").expect("out");
    assert_eq!(out.tensor_data(b), want.as_slice());
    let back = dequantize(GgmlType::Q8_0, &want, 192).expect("decode");
    let orig = src.tensor_f32(a).expect("dequantise");
    assert!(back.iter().zip(&orig).all(|(x, y)| (x - y).abs() < 0.01));
}

#[test]
fn a_target_without_an_encoder_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = GgufFile::open(&source(dir.path())).expect("open source");
    let err = requantize(&src, GgmlType::Q4_K).expect_err("no Q4_K encoder");
    assert!(matches!(err, GgufError::WriterInput(_)), "{err:?}");
    assert!(err.to_string().contains("cannot quantize q4_K"), "{err}");
}
