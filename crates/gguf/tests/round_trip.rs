//! Write files with `GgufWriter`, read them back with `GgufFile`, and check corrupt files are
//! refused with errors that say where and what.

use std::io::Write;
use std::path::Path;

use gguf::{GgmlType, GgufError, GgufFile, GgufWriter, Value};

fn sample_writer<'a>() -> GgufWriter<'a> {
    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", "llama")
        .add_metadata("llama.block_count", 2u32)
        .add_metadata("llama.rope.freq_base", 10_000f32)
        .add_metadata("general.flag", true)
        .add_metadata("x.i64", -7i64)
        .add_metadata("x.f64", 0.5f64)
        .add_metadata("tokenizer.ggml.tokens", vec!["<s>", "a", "Ġb"])
        .add_metadata("tokenizer.ggml.scores", vec![0.0f32, -1.0, -2.0])
        .add_metadata(
            "x.nested",
            Value::Array(vec![Value::from(vec![1u8, 2]), Value::from(vec![3u8])]),
        )
        .add_metadata("x.empty", Value::Array(Vec::new()));
    let f32_bytes: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
    w.add_tensor("a.f32", &[3, 2], GgmlType::F32, f32_bytes)
        .expect("valid tensor");
    w.add_tensor("b.q4_1", &[64, 2], GgmlType::Q4_1, vec![7u8; 80])
        .expect("valid tensor");
    w.add_tensor_with("c.q8_0", &[32], GgmlType::Q8_0, |out: &mut dyn Write| {
        out.write_all(&[9u8; 34])
    })
    .expect("valid tensor");
    w
}

fn write_sample(dir: &Path, alignment: Option<u32>) -> std::path::PathBuf {
    let path = dir.join("m.gguf");
    let mut w = sample_writer();
    if let Some(a) = alignment {
        w.set_alignment(a).expect("power of two");
    }
    let n = w.write_file(&path).expect("write");
    assert_eq!(n, std::fs::metadata(&path).expect("stat").len());
    path
}

#[test]
fn write_then_read_round_trips_everything() {
    for alignment in [None, Some(64)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_sample(dir.path(), alignment);
        let f = GgufFile::open(&path).expect("open");
        let m = f.metadata();
        assert_eq!(m.version, 3);
        assert_eq!(m.get_str("general.architecture"), Some("llama"));
        assert_eq!(m.get_u32("llama.block_count"), Some(2));
        assert_eq!(m.get_f32("llama.rope.freq_base"), Some(10_000.0));
        assert_eq!(m.get_bool("general.flag"), Some(true));
        assert_eq!(m.get("x.i64"), Some(&Value::I64(-7)));
        assert_eq!(m.get("x.f64"), Some(&Value::F64(0.5)));
        assert_eq!(
            m.get_str_array("tokenizer.ggml.tokens"),
            Some(vec!["<s>", "a", "Ġb"])
        );
        assert_eq!(
            m.get_f32_array("tokenizer.ggml.scores"),
            Some(vec![0.0, -1.0, -2.0])
        );
        assert_eq!(
            m.get("x.nested"),
            Some(&Value::Array(vec![
                Value::from(vec![1u8, 2]),
                Value::from(vec![3u8])
            ]))
        );
        assert_eq!(m.get("x.empty"), Some(&Value::Array(Vec::new())));
        let align = u64::from(alignment.unwrap_or(32));
        assert_eq!(m.alignment(), align);
        assert_eq!(f.data_offset() % align, 0);

        let names: Vec<&str> = f.tensors().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a.f32", "b.q4_1", "c.q8_0"]);
        for t in f.tensors() {
            assert_eq!(t.offset % align, 0, "{} aligned", t.name);
        }
        let t_f32 = f.tensor("a.f32").expect("present");
        assert_eq!(t_f32.dims, [3, 2]);
        assert_eq!(t_f32.ggml_type, GgmlType::F32);
        let floats: Vec<f32> = f
            .tensor_data(t_f32)
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        assert_eq!(floats, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let t_q4 = f.tensor("b.q4_1").expect("present");
        assert_eq!(f.tensor_data(t_q4), &[7u8; 80][..]);
        let t_q8 = f.tensor("c.q8_0").expect("present");
        assert_eq!(f.tensor_data(t_q8), &[9u8; 34][..]);
        assert!(f.tensor("missing").is_none());
        assert_eq!(f.tensor_bytes(), 24 + 80 + 34);

        let streamed = GgufFile::read_metadata(&path).expect("streamed read");
        assert_eq!(&streamed, m);
    }
}

#[test]
fn writer_refuses_bad_input() {
    let mut w = GgufWriter::new();
    let err = w
        .add_tensor("t", &[33], GgmlType::Q8_0, vec![0; 34])
        .expect_err("33 is not a block multiple");
    assert!(err.to_string().contains("block size 32"), "{err}");
    let err = w
        .add_tensor("t", &[32], GgmlType::Q8_0, vec![0; 33])
        .expect_err("wrong byte count");
    assert!(err.to_string().contains("needs 34 bytes, got 33"), "{err}");
    w.add_tensor("t", &[32], GgmlType::Q8_0, vec![0; 34])
        .expect("valid");
    assert!(
        w.add_tensor("t", &[32], GgmlType::Q8_0, vec![0; 34])
            .is_err()
    );
    assert!(w.set_alignment(48).is_err());

    let mut w = GgufWriter::new();
    w.add_tensor_with("g", &[32], GgmlType::Q8_0, |out: &mut dyn Write| {
        out.write_all(&[1u8; 10])
    })
    .expect("valid shape");
    let err = w.write(Vec::new()).expect_err("short generator");
    assert!(
        err.to_string().contains("wrote 10 bytes, expected 34"),
        "{err}"
    );

    let mut w = GgufWriter::new();
    w.add_metadata("mixed", Value::Array(vec![Value::U8(1), Value::I8(1)]));
    assert!(w.write(Vec::new()).is_err());
}

fn sample_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    sample_writer().write(&mut out).expect("write");
    out
}

fn open_bytes(bytes: &[u8]) -> (Result<GgufFile, GgufError>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.gguf");
    std::fs::write(&path, bytes).expect("write");
    (GgufFile::open(&path), dir)
}

#[test]
fn bad_magic_and_version_are_named() {
    let mut bytes = sample_bytes();
    bytes[0] = b'X';
    let (r, _d) = open_bytes(&bytes);
    let err = r.expect_err("bad magic");
    assert!(matches!(err, GgufError::BadMagic { .. }), "{err}");
    assert!(err.to_string().contains("bad.gguf"), "{err}");

    let mut bytes = sample_bytes();
    bytes[4..8].copy_from_slice(&9u32.to_le_bytes());
    let (r, _d) = open_bytes(&bytes);
    let err = r.expect_err("version 9");
    assert!(
        matches!(err, GgufError::UnsupportedVersion { version: 9, .. }),
        "{err}"
    );
}

#[test]
fn truncation_anywhere_is_an_error_with_an_offset() {
    let bytes = sample_bytes();
    let (full, _d) = open_bytes(&bytes);
    let full = full.expect("intact file opens");
    let last = full.tensors().last().expect("tensors");
    // The file ends with padding after the last tensor: cut one byte into its data instead.
    let data_end = (full.data_offset() + last.offset + last.n_bytes()) as usize;
    for cut in [0, 3, 10, 30, 200, bytes.len() / 2, data_end - 1] {
        let (r, _d) = open_bytes(&bytes[..cut]);
        match r {
            Err(GgufError::Truncated { offset, .. }) => assert!(offset <= cut as u64),
            other => panic!("cut at {cut}: expected truncation, got {other:?}"),
        }
    }
}

#[test]
fn unknown_tensor_type_is_named() {
    let mut bytes = sample_bytes();
    // The first tensor's type id follows its name and two dims; find it by its F32 id after the
    // name "a.f32".
    let name_at = bytes
        .windows(5)
        .position(|w| w == b"a.f32")
        .expect("name present");
    let type_at = name_at + 5 + 4 + 16;
    assert_eq!(bytes[type_at..type_at + 4], 0u32.to_le_bytes());
    bytes[type_at..type_at + 4].copy_from_slice(&99u32.to_le_bytes());
    let (r, _d) = open_bytes(&bytes);
    let err = r.expect_err("type 99");
    match &err {
        GgufError::UnknownType {
            id, tensor, offset, ..
        } => {
            assert_eq!(
                (*id, tensor.as_str(), *offset),
                (99, "a.f32", type_at as u64)
            );
        }
        other => panic!("expected unknown type, got {other:?}"),
    }
    assert!(err.to_string().contains("unknown ggml type id 99"), "{err}");
}

#[test]
fn huge_counts_do_not_allocate() {
    let mut bytes = sample_bytes();
    // Metadata count at offset 16: claim 2^60 entries.
    bytes[16..24].copy_from_slice(&(1u64 << 60).to_le_bytes());
    let (r, _d) = open_bytes(&bytes);
    assert!(r.is_err());
}
