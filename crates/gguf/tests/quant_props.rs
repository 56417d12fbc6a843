//! Properties of quantise-then-dequantise on random blocks: each type's error stays within the
//! step its scale allows, and any bytes of the right length decode without panicking.

use gguf::{GgmlType, can_dequantize, dequantize, quantize};
use proptest::prelude::*;

/// Blocks of 32 values in `-s..s`, with `s` large enough that every block scale is a normal f16.
fn blocks() -> impl Strategy<Value = Vec<f32>> {
    (1usize..6, 0.01f32..1000.0, -1.0f32..1.0).prop_flat_map(|(n, s, shift)| {
        prop::collection::vec(-s..s, 32 * n)
            .prop_map(move |v| v.into_iter().map(|x| x + shift * s).collect())
    })
}

/// The largest error `ty` may make on a block `x` (f16 scales add a relative 2^-11 each).
fn bound(ty: GgmlType, x: &[f32]) -> f32 {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let min = x.iter().fold(f32::INFINITY, |m, &v| m.min(v));
    let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let f16_rel = 1.0 / 1024.0;
    match ty {
        // Half a step, plus 127 steps' worth of error in the rounded scale.
        GgmlType::Q8_0 => amax / 127.0 * (0.5 + 127.0 * f16_rel),
        // The value opposite in sign to the largest is clamped one step short.
        GgmlType::Q4_0 => amax / 8.0 * (1.0 + 16.0 * f16_rel),
        GgmlType::Q5_0 => amax / 16.0 * (1.0 + 32.0 * f16_rel),
        GgmlType::Q4_1 => (max - min) / 15.0 * (0.5 + 15.0 * f16_rel) + min.abs() * f16_rel,
        GgmlType::Q5_1 => (max - min) / 31.0 * (0.5 + 31.0 * f16_rel) + min.abs() * f16_rel,
        _ => 0.0,
    }
}

proptest! {
    #[test]
    fn block_quantisers_stay_within_their_step(x in blocks()) {
        for ty in [GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1] {
            let bytes = quantize(ty, &x).expect("quantize");
            let y = dequantize(ty, &bytes, x.len()).expect("dequantize");
            for (xb, yb) in x.chunks(32).zip(y.chunks(32)) {
                let tol = bound(ty, xb) * 1.001 + 1e-30;
                for (a, b) in xb.iter().zip(yb) {
                    prop_assert!((a - b).abs() <= tol, "{ty}: {a} came back as {b} (bound {tol})");
                }
            }
        }
    }

    #[test]
    fn float_types_round_to_the_nearest(x in blocks()) {
        for (ty, rel) in [(GgmlType::F32, 0.0), (GgmlType::F16, 1.0 / 2048.0), (GgmlType::BF16, 1.0 / 256.0)] {
            let y = dequantize(ty, &quantize(ty, &x).expect("quantize"), x.len()).expect("dequantize");
            for (a, b) in x.iter().zip(&y) {
                // Below f16's normal range the step is absolute: 2^-24.
                let tol = a.abs() * rel + if ty == GgmlType::F16 { 3e-8 } else { 0.0 };
                prop_assert!((a - b).abs() <= tol, "{ty}: {a} came back as {b}");
            }
        }
    }

    #[test]
    fn any_bytes_of_the_right_length_decode(seed in any::<u64>(), n_blocks in 1usize..4) {
        for ty in GgmlType::all().filter(|&t| can_dequantize(t)) {
            let n = n_blocks * ty.block_size() as usize;
            let len = n_blocks * ty.type_size() as usize;
            let bytes: Vec<u8> = (0..len as u64)
                .map(|i| (seed.wrapping_mul(i + 1).rotate_left(17) >> 24) as u8)
                .collect();
            prop_assert_eq!(dequantize(ty, &bytes, n).expect("decode").len(), n);
        }
    }
}
