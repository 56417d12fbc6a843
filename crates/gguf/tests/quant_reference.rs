//! Dequantisation and quantisation match the `gguf` Python package bit for bit, on the fixtures
//! `tests/fixtures/make-quant-fixtures.py` wrote with it (seeded data, edge-case blocks, random
//! blocks).

use std::path::PathBuf;

use gguf::{GgmlType, can_dequantize, can_quantize, dequantize, quant::encoded_bytes, quantize};

fn fixture(ty: GgmlType, part: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/quant")
        .join(format!("{}.{part}", ty.name().to_lowercase()));
    std::fs::read(path).ok()
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The first index where `got` and `want` differ in bits, with both values, for the message.
fn first_difference(got: &[f32], want: &[f32]) -> Option<(usize, f32, f32)> {
    got.iter()
        .zip(want)
        .position(|(a, b)| a.to_bits() != b.to_bits())
        .map(|i| (i, got[i], want[i]))
}

#[test]
fn every_dequantised_type_has_a_fixture() {
    let types: Vec<GgmlType> = GgmlType::all().filter(|&t| can_dequantize(t)).collect();
    assert!(types.len() >= 13, "{types:?}");
    for ty in types {
        assert!(fixture(ty, "blocks").is_some(), "no fixture for {ty}");
        assert!(fixture(ty, "output.f32").is_some(), "no fixture for {ty}");
        if can_quantize(ty) {
            assert!(fixture(ty, "input.f32").is_some(), "no input for {ty}");
        }
    }
}

#[test]
fn dequantize_matches_gguf_py_bit_for_bit() {
    for ty in GgmlType::all().filter(|&t| can_dequantize(t)) {
        let (Some(blocks), Some(want)) = (fixture(ty, "blocks"), fixture(ty, "output.f32")) else {
            panic!("missing fixture for {ty}");
        };
        let want = f32s(&want);
        let got = dequantize(ty, &blocks, want.len()).expect("dequantize");
        assert_eq!(got.len(), want.len());
        assert_eq!(
            first_difference(&got, &want),
            None,
            "{ty}: (index, ours, gguf-py)"
        );
    }
}

#[test]
fn quantize_matches_gguf_py_byte_for_byte() {
    for ty in GgmlType::all().filter(|&t| can_quantize(t)) {
        let (Some(input), Some(blocks)) = (fixture(ty, "input.f32"), fixture(ty, "blocks")) else {
            panic!("missing fixture for {ty}");
        };
        let input = f32s(&input);
        let n_bytes = encoded_bytes(ty, input.len()).expect("whole blocks") as usize;
        let got = quantize(ty, &input).expect("quantize");
        assert_eq!(got.len(), n_bytes, "{ty}");
        let want = &blocks[..n_bytes];
        let per_block = ty.type_size() as usize;
        let bad = got
            .chunks(per_block)
            .zip(want.chunks(per_block))
            .position(|(a, b)| a != b);
        assert_eq!(bad, None, "{ty}: first block that differs from gguf-py's");
    }
}
