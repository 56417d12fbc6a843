//! What the conversions refuse: unsupported types, partial blocks, byte counts that do not fit.

use gguf::{GgmlType, QuantError, dequantize, dequantize_into, quantize, quantize_into};

#[test]
fn unsupported_types_are_named_with_the_supported_ones() {
    let err = dequantize(GgmlType::IQ2_XXS, &[0; 66], 256).expect_err("iq2_xxs");
    assert!(matches!(err, QuantError::Unsupported { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("cannot dequantize iq2_xxs"), "{msg}");
    assert!(msg.contains("q4_1") && msg.contains("q6_K"), "{msg}");
    let err = quantize(GgmlType::Q4_K, &[0.0; 256]).expect_err("no K-quant encoder");
    assert!(
        err.to_string().contains("supported: f32, f16, q4_0"),
        "{err}"
    );
}

#[test]
fn lengths_must_be_whole_blocks_and_exact_bytes() {
    assert_eq!(
        quantize(GgmlType::Q8_0, &[1.0; 33]),
        Err(QuantError::PartialBlock {
            ggml_type: GgmlType::Q8_0,
            n_elements: 33,
            block_size: 32
        })
    );
    let err = dequantize(GgmlType::Q4_1, &[0; 39], 64).expect_err("short");
    assert_eq!(err.to_string(), "64 q4_1 elements take 40 bytes, got 39");
    let mut out = [0f32; 2];
    assert!(dequantize_into(GgmlType::F16, &[0; 4], &mut out).is_ok());
    assert!(dequantize_into(GgmlType::F16, &[0; 6], &mut out).is_err());
}

#[test]
fn quantize_into_appends() {
    let mut out = vec![7u8];
    quantize_into(GgmlType::F16, &[1.0, -2.0], &mut out).expect("f16");
    assert_eq!(out, [7, 0x00, 0x3c, 0x00, 0xc0]);
    assert_eq!(dequantize(GgmlType::F16, &out[1..], 2), Ok(vec![1.0, -2.0]));
}
