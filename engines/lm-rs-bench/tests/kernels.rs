//! The block kernels against references: dequantisation against gguf-py's decoding of random
//! blocks (`fixtures/ggml-blocks.json`, see `fixtures/make_block_reference.py`), and every dot
//! product (scalar and, where the CPU has it, AVX2) against the dequantised row dotted in `f32`.

use gguf::GgmlType;
#[cfg(target_arch = "x86_64")]
use lm_rs_bench::quant::Isa;
use lm_rs_bench::quant::{self, Q8Acts, Q8KActs};
use lm_rs_bench::sampler::Rng;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    types: std::collections::BTreeMap<String, Row>,
}

#[derive(Deserialize)]
struct Row {
    hex: String,
    values: Vec<f32>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn ggml_type(name: &str) -> GgmlType {
    match name {
        "q4_0" => GgmlType::Q4_0,
        "q4_1" => GgmlType::Q4_1,
        "q8_0" => GgmlType::Q8_0,
        "q4_K" => GgmlType::Q4_K,
        "q6_K" => GgmlType::Q6_K,
        other => panic!("unexpected type {other}"),
    }
}

fn fixture() -> Vec<(GgmlType, Vec<u8>, Vec<f32>)> {
    let f: Fixture =
        serde_json::from_str(include_str!("fixtures/ggml-blocks.json")).expect("fixture parses");
    f.types
        .into_iter()
        .map(|(name, row)| (ggml_type(&name), unhex(&row.hex), row.values))
        .collect()
}

#[test]
fn dequantisation_matches_gguf_py() {
    let rows = fixture();
    assert_eq!(rows.len(), 5);
    for (ty, bytes, want) in rows {
        let mut got = vec![0f32; want.len()];
        quant::dequantize_row(ty, &bytes, &mut got);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                "{ty} element {i}: lm-rs {g}, gguf-py {w}"
            );
        }
    }
}

fn activations(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.next_f32() * 4.0 - 2.0).collect()
}

/// Every kernel this machine can run for `ty`.
fn dots(ty: GgmlType, row: &[u8], x: &[f32]) -> Vec<(&'static str, f32)> {
    let mut out = Vec::new();
    match quant::act_format(ty).expect("supported") {
        quant::ActFormat::Q8 => {
            let mut a = Q8Acts::default();
            a.quantize(x, x.len());
            let scalar = match ty {
                GgmlType::Q4_0 => quant::q4_0::dot(row, a.row(0)),
                GgmlType::Q4_1 => quant::q4_1::dot(row, a.row(0)),
                _ => quant::q8_0::dot(row, a.row(0)),
            };
            out.push(("scalar", scalar));
            #[cfg(target_arch = "x86_64")]
            {
                let isa = Isa::detect();
                // SAFETY: each kernel runs only where Isa::detect found its features.
                unsafe {
                    if isa != Isa::Scalar {
                        let f = match ty {
                            GgmlType::Q4_0 => quant::avx2::dot_q4_0,
                            GgmlType::Q4_1 => quant::avx2::dot_q4_1,
                            _ => quant::avx2::dot_q8_0,
                        };
                        out.push(("avx2", f(row, a.row(0))));
                    }
                }
            }
        }
        quant::ActFormat::Q8K => {
            let mut a = Q8KActs::default();
            a.quantize(x, x.len());
            let scalar = match ty {
                GgmlType::Q4_K => quant::q4_k::dot(row, a.row(0)),
                _ => quant::q6_k::dot(row, a.row(0)),
            };
            out.push(("scalar", scalar));
        }
        quant::ActFormat::F32 => unreachable!("fixture holds quantised types"),
    }
    out
}

#[test]
fn dot_products_agree_with_dequantised_rows() {
    for (ty, all_bytes, all_values) in fixture() {
        // The whole row, and one block less (an odd block count for the paired SIMD loops).
        let block = ty.block_size() as usize;
        let block_bytes = ty.type_size() as usize;
        for blocks in [all_values.len() / block, all_values.len() / block - 1] {
            let bytes = &all_bytes[..blocks * block_bytes];
            let values = &all_values[..blocks * block];
            check_dots(ty, bytes, values);
        }
    }
}

fn check_dots(ty: GgmlType, bytes: &[u8], values: &[f32]) {
    {
        for seed in 0..4 {
            let x = activations(values.len(), seed);
            let exact: f32 = values.iter().zip(&x).map(|(w, a)| w * a).sum();
            // Activation quantisation errs by at most half a step (amax/254) per element.
            let bound: f32 = values.iter().map(|w| w.abs() * 2.0 / 254.0).sum::<f32>() * 1.01;
            for (kernel, got) in dots(ty, bytes, &x) {
                assert!(
                    (got - exact).abs() <= bound,
                    "{ty} {kernel} seed {seed}: {got} vs exact {exact} (bound {bound})"
                );
            }
            let all = dots(ty, bytes, &x);
            for (kernel, got) in &all[1..] {
                let scalar = all[0].1;
                assert!(
                    (got - scalar).abs() <= 1e-4 * scalar.abs().max(1.0),
                    "{ty}: {kernel} {got} vs scalar {scalar}"
                );
            }
        }
    }
}
