//! `models synth` end to end: a synthetic llama-3.2-1b in `Q4_0` is written, refused names exit 2,
//! and lm-rs runs the model on the CPU, marked synthetic in the manifest.

mod support;

use std::path::Path;
use std::process::Command;

use support::{jsonl, runner, stderr};

/// The tokenizer of every synthetic model comes from the default model.
fn default_model_present() -> bool {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/smollm2-135m-instruct-q4_1.gguf");
    if !path.is_file() {
        eprintln!(
            "skipping: {} is missing (benchmark-runner models fetch)",
            path.display()
        );
    }
    path.is_file()
}

#[test]
fn unknown_architecture_and_quantization_are_usage_errors() {
    let res = runner(&["models", "synth", "--arch", "llama-9"]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(stderr(&res).contains("known: llama-3.2-1b, llama-3.2-3b, llama-3.1-8b"));
    let res = runner(&["models", "synth", "--quant", "q4_k"]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(stderr(&res).contains("known: f16, q8_0, q4_0"));
}

#[test]
fn synthetic_1b_runs_on_lm_rs() {
    if !default_model_present() {
        return;
    }
    let status = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "-p", "lm-rs-bench"])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building lm-rs-bench failed");

    let tmp = tempfile::tempdir().expect("tempdir");
    let model = tmp.path().join("x.gguf");
    let model_s = model.to_str().expect("utf-8 path");
    let res = runner(&[
        "models",
        "synth",
        "--arch",
        "llama-3.2-1b",
        "--quant",
        "q4_0",
        "--out",
        model_s,
    ]);
    assert!(res.status.success(), "synth failed: {}", stderr(&res));
    assert!(stderr(&res).contains("written"), "{}", stderr(&res));
    // 1.07e9 weights at 18 bytes per 32 (16 layers of 60.8M, 49152 x 2048 tied embeddings).
    let bytes = std::fs::metadata(&model).expect("model written").len();
    assert!((600_000_000..610_000_000).contains(&bytes), "{bytes} bytes");

    let out = tmp.path().join("run");
    let res = runner(&[
        "compare",
        "--engines",
        "lm-rs",
        "--model",
        model_s,
        "--requests",
        "2",
        "--warmup",
        "0",
        "--max-tokens",
        "4",
        "--ignore-eos",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(res.status.success(), "compare failed: {}", stderr(&res));
    let rows = jsonl(&out.join("samples.jsonl"));
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r["outcome"]["status"], "ok", "{r}");
        assert_eq!(r["completion_tokens"], 4, "{r}");
    }
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json"),
    )
    .expect("manifest parses");
    let m = &manifest["inputs"]["model"];
    assert_eq!(m["synthetic"], true, "{m}");
    assert_eq!(m["synthetic_architecture"], "llama-3.2-1b", "{m}");
    assert_eq!(m["synthetic_seed"], 0, "{m}");
    // And every report says so.
    let summary = support::summary(&out);
    assert_eq!(summary["model"]["synthetic"], true, "{}", summary["model"]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    for (what, text) in [
        (
            "report.md",
            std::fs::read_to_string(out.join("report.md")).expect("report.md"),
        ),
        (
            "report.html",
            std::fs::read_to_string(out.join("report.html")).expect("report.html"),
        ),
        ("the terminal table", stdout.into_owned()),
    ] {
        assert!(
            text.contains("SYNTHETIC: seeded random weights with the shapes of llama-3.2-1b"),
            "{what} does not say the model is synthetic:\n{text}"
        );
    }
}
