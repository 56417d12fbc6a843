//! MFU through the whole summary: the checked-in sim run re-rendered as a CPU run whose manifest
//! records the model's shape and a measured compute peak, as `compare` writes them.

use std::path::Path;

use benchmark_runner::manifest::{self, ComputePeak, ModelRecord};
use shared_protocol::{ModelFormat, ModelSpec};

fn smollm2() -> bench_inputs::ModelShape {
    bench_inputs::ModelShape {
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

fn gemm(flops_per_s: f64) -> benchmark_runner::compute::Gemm {
    benchmark_runner::compute::Gemm {
        flops_per_s,
        method: "f32 sgemm (matrixmultiply), measured".into(),
        cpu_model: "x".into(),
        threads: 2,
        size: 512,
        products: 8,
        passes: 5,
        build_profile: "release".into(),
        measured_utc: String::new(),
    }
}

/// The fixture run in a temporary directory as a CPU run with a measured compute peak of 1
/// TFLOP/s and, where given, the model's shape.
fn cpu_run(shape: Option<bench_inputs::ModelShape>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
    for entry in std::fs::read_dir(fixture).expect("fixture directory") {
        let entry = entry.expect("fixture entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy fixture");
    }
    let mut m = manifest::read(dir.path()).expect("the fixture's manifest");
    for e in &mut m.plan.engines {
        e.device = benchmark_runner::plan::Device::Cpu;
    }
    m.inputs.model = shape.map(|shape| ModelRecord {
        spec: ModelSpec {
            id: "smollm2-135m-instruct-q4_1".into(),
            path: None,
            format: Some(ModelFormat::Gguf),
            served_name: None,
            sha256: None,
        },
        synthetic: false,
        synthetic_architecture: None,
        synthetic_seed: None,
        derived_from: None,
        shape: Some(shape),
    });
    m.host.compute_peak = Some(ComputePeak::Measured(gemm(1e12)));
    let text = serde_json::to_string_pretty(&m).expect("serialize the manifest");
    std::fs::write(dir.path().join("manifest.json"), text).expect("write the manifest");
    dir
}

#[test]
fn a_run_with_a_shape_and_a_peak_has_mfu_in_its_summary_and_report() {
    let dir = cpu_run(Some(smollm2()));
    let summary = benchmark_runner::render::render_dir(dir.path()).expect("render");
    for (label, e) in &summary.engines {
        let mfu = e.mfu.as_ref().expect("shape and peak known");
        let prompt = e.prompt_tokens.as_ref().expect("prompt tokens").mean;
        let completion = e
            .completion_tokens
            .as_ref()
            .expect("completion tokens")
            .mean;
        let context = prompt + completion / 2.0;
        assert!((mfu.mean_decode_context - context).abs() < 1e-9, "{label}");
        // 212,336,640 through the weights and 56,623,104 for the LM head, plus 69,120 per
        // position attended.
        let per_token = 268_959_744.0 + 69_120.0 * context;
        assert!(
            (mfu.flops_per_decode_token - per_token).abs() < 1e-3,
            "{label}"
        );
        let tpot_s = e.tpot_ms.as_ref().expect("tpot").p50 / 1e3;
        let decode = mfu.decode_mfu.expect("tpot measured");
        assert!(
            (decode - per_token / tpot_s / 1e12).abs() < 1e-12,
            "{label}"
        );
        let prefill = mfu.prefill_mfu.expect("prefill measured");
        assert!(prefill > 0.0 && prefill.is_finite(), "{label}: {prefill}");
        assert!((mfu.peak_flops_per_s - 1e12).abs() < 1.0, "{label}");
        assert_eq!(
            mfu.peak_source,
            "f32 sgemm (matrixmultiply), measured, 2 threads"
        );
    }
    let report = std::fs::read_to_string(dir.path().join("report.md")).expect("report.md");
    assert!(report.contains("MFU of sim: prefill "), "{report}");
    assert!(report.contains("MFU of sim@slow: prefill "), "{report}");
}

#[test]
fn no_mfu_without_the_models_shape() {
    let dir = cpu_run(None);
    let summary = benchmark_runner::render::render_dir(dir.path()).expect("render");
    assert!(summary.engines.values().all(|e| e.mfu.is_none()));
    let json = std::fs::read_to_string(dir.path().join("summary.json")).expect("summary.json");
    assert!(!json.contains("\"mfu\""), "an absent MFU is not written");
}
