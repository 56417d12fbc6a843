//! Tests of the FLOPs count and MFU, against figures worked by hand.
#![allow(clippy::float_cmp, reason = "FLOP counts are integers, exact in f64")]

use super::*;
use crate::manifest::ComputePeak;
use shared_protocol::EngineId;

/// `SmolLM2-135M` as its GGUF metadata gives it.
fn smollm2() -> ModelShape {
    ModelShape {
        architecture: "llama".into(),
        layers: 30,
        hidden_size: 576,
        heads: 9,
        kv_heads: 3,
        head_dim: 64,
        ffn_size: 1536,
        vocab_size: 49_152,
    }
}

/// Llama-3-8B's shapes.
fn llama3_8b() -> ModelShape {
    ModelShape {
        architecture: "llama".into(),
        layers: 32,
        hidden_size: 4096,
        heads: 32,
        kv_heads: 8,
        head_dim: 128,
        ffn_size: 14_336,
        vocab_size: 128_256,
    }
}

#[test]
fn smollm2_flops_by_hand() {
    let s = smollm2();
    // Per layer: Q 576*576 = 331,776, K and V 2*576*192 = 221,184, O 331,776, FFN
    // 3*576*1536 = 2,654,208: 3,538,944 multiply-adds; 30 layers, 2 FLOPs each.
    assert_eq!(weight_flops_per_token(&s), 212_336_640.0);
    // LM head 576*49,152 multiply-adds.
    assert_eq!(head_flops(&s), 56_623_104.0);
    // Scores and weighted sum: 2*9*64 multiply-adds per position and layer, 30 layers.
    assert_eq!(attention_flops_per_position(&s), 69_120.0);
    // Decode at 132 positions: 212,336,640 + 69,120*132 + 56,623,104.
    assert_eq!(decode_flops_per_token(&s, 132.0), 278_083_584.0);
    // Prefill of 128 tokens: 128 tokens through the weights, 128*129/2 = 8,256 attended
    // positions, one LM head: 27,179,089,920 + 570,654,720 + 56,623,104.
    assert_eq!(prefill_flops(&s, 128.0), 27_806_367_744.0);
}

#[test]
fn llama3_8b_flops_by_hand() {
    let s = llama3_8b();
    // Per layer: Q and O 2*4096*4096, K and V 2*4096*1024, FFN 3*4096*14,336:
    // 218,103,808 multiply-adds; 32 layers.
    assert_eq!(weight_flops_per_token(&s), 13_958_643_712.0);
    assert_eq!(head_flops(&s), 1_050_673_152.0);
    // 2*32*128 multiply-adds per position and layer, 32 layers, 2 FLOPs each.
    assert_eq!(attention_flops_per_position(&s), 524_288.0);
    // About 2 FLOPs per parameter (8.03 B) plus 0.5 GFLOP of attention at 1,024 positions.
    assert_eq!(decode_flops_per_token(&s, 1024.0), 15_546_187_776.0);
    // 512 prompt tokens: 7,146,825,580,544 + 524,288*131,328 + 1,050,673,152.
    assert_eq!(prefill_flops(&s, 512.0), 7_216_729_948_160.0);
}

fn request(prompt_tokens: u32, prefill_ms: u64, completion_tokens: u32) -> Request {
    let mut s = crate::summary::tests::sample(prefill_ms + 1, prefill_ms + 100, completion_tokens);
    s.prompt_tokens = Some(prompt_tokens);
    s.prefill_ns = Some(prefill_ms * 1_000_000);
    Request::of(0, EngineId::Sim, 0, &s)
}

fn host_with_peak(flops_per_s: f64) -> Host {
    Host {
        compute_peak: Some(ComputePeak::Measured(crate::compute::Gemm {
            flops_per_s,
            method: "f32 sgemm (matrixmultiply), measured".into(),
            cpu_model: "x".into(),
            threads: 2,
            size: 512,
            products: 8,
            passes: 5,
            build_profile: "release".into(),
            measured_utc: String::new(),
        })),
        ..Host::default()
    }
}

#[test]
fn mfu_at_the_medians_against_the_measured_peak() {
    let s = smollm2();
    let rows = [
        request(128, 100, 8),
        request(128, 200, 8),
        request(128, 400, 8),
    ];
    let ok: Vec<&Request> = rows.iter().collect();
    let host = host_with_peak(1e12);
    let m = mfu(
        Some(Device::Cpu),
        &host,
        &[],
        Some(&s),
        &ok,
        Some((128.0, 8.0)),
        Some(10.0),
    )
    .expect("shape and peak known");
    // Per request 27,806,367,744 FLOPs over 0.1, 0.2 and 0.4 s; the median is the 0.2 s one.
    let prefill = m.prefill_flops_per_s.expect("prefill timed");
    assert!((prefill - 139_031_838_720.0).abs() < 1.0, "{prefill}");
    assert!((m.prefill_mfu.expect("peak") - 0.139_031_838_72).abs() < 1e-12);
    assert_eq!(m.flops_per_prefill_token, 217_237_248.0);
    // Decode context 128 + 8/2 = 132: 278,083,584 FLOPs per 10 ms step.
    assert_eq!(m.mean_decode_context, 132.0);
    assert_eq!(m.flops_per_decode_token, 278_083_584.0);
    let decode = m.decode_flops_per_s.expect("tpot given");
    assert!((decode - 27_808_358_400.0).abs() < 1e-3, "{decode}");
    assert!((m.decode_mfu.expect("peak") - 0.027_808_358_4).abs() < 1e-12);
    assert_eq!(
        m.peak_source,
        "f32 sgemm (matrixmultiply), measured, 2 threads"
    );
    assert_eq!(m.implausible(), None);
    // Against a peak of 0.1 TFLOP/s the prefill would run at 139%: said, not hidden.
    let over = mfu(
        Some(Device::Cpu),
        &host_with_peak(1e11),
        &[],
        Some(&s),
        &ok,
        Some((128.0, 8.0)),
        Some(10.0),
    )
    .expect("shape and peak known");
    let warning = over.implausible().expect("above 100%");
    assert!(
        warning.starts_with("MFU above 100% (prefill 139%)"),
        "{warning}"
    );
}

#[test]
fn no_mfu_without_the_shape_or_the_peak() {
    let s = smollm2();
    let rows = [request(128, 100, 8)];
    let ok: Vec<&Request> = rows.iter().collect();
    let tokens = Some((128.0, 8.0));
    let host = host_with_peak(1e12);
    let cpu = Some(Device::Cpu);
    assert_eq!(mfu(cpu, &host, &[], None, &ok, tokens, Some(10.0)), None);
    let unmeasured = Host::default();
    assert_eq!(
        mfu(cpu, &unmeasured, &[], Some(&s), &ok, tokens, Some(10.0)),
        None
    );
    let gpu = Some(Device::Cuda(0));
    assert_eq!(
        mfu(gpu, &host, &[], Some(&s), &ok, tokens, Some(10.0)),
        None,
        "no GPU named by the telemetry"
    );
    let m = mfu(cpu, &host, &[], Some(&s), &[], tokens, None).expect("figures without timings");
    assert_eq!((m.prefill_mfu, m.decode_mfu), (None, None));
}
