//! A run whose replies reasoned: the fixture run with reasoning figures written into one engine's
//! samples, re-rendered. The summary's reasoning figures and the report's table follow from them;
//! the other engine has none.

use std::path::Path;

#[test]
fn reasoning_figures_reach_the_summary_and_the_report() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
    let dir = tempfile::tempdir().expect("temporary directory");
    for entry in std::fs::read_dir(&fixture).expect("fixture directory") {
        let entry = entry.expect("fixture entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy fixture");
    }
    // Every `sim` reply answers 5 ms after its first (reasoning) token, after 10 reasoning
    // tokens counted by the server.
    let samples = dir.path().join("samples.jsonl");
    let mut lines = Vec::new();
    let mut ok_measured = 0;
    for line in std::fs::read_to_string(&samples).expect("samples").lines() {
        let mut row: serde_json::Value = serde_json::from_str(line).expect("a row");
        if row["label"] == "sim" {
            if let Some(ttft) = row["ttft_ns"].as_u64() {
                row["reasoning"] = serde_json::json!({
                    "first_answer_ns": ttft + 5_000_000, "chunks": 10, "tokens": 10,
                    "tokens_source": "server_usage", "server_tokens": 10,
                });
            }
            if row["phase"] == "measure" && row["outcome"]["status"] == "ok" {
                ok_measured += 1;
            }
        }
        lines.push(row.to_string());
    }
    std::fs::write(&samples, lines.join("\n") + "\n").expect("write samples");

    let summary = benchmark_runner::render::render_dir(dir.path()).expect("render");
    assert!(summary.engines["sim@slow"].reasoning.is_none());
    let sim = &summary.engines["sim"];
    let r = sim.reasoning.as_ref().expect("sim reasoned");
    assert_eq!(r.requests, ok_measured);
    let ttft = sim.ttft_ms.as_ref().expect("ttft");
    let answer = r.time_to_first_answer_ms.as_ref().expect("answers");
    // A constant shift moves the median by the shift.
    assert!(
        (answer.p50 - (ttft.p50 + 5.0)).abs() < 1e-9,
        "{answer:?} {ttft:?}"
    );
    let tokens = r.reasoning_tokens.as_ref().expect("counts");
    assert_eq!((tokens.p50, tokens.mean), (10.0, 10.0));
    assert_eq!(
        (
            r.tokens_from_server_usage,
            r.tokens_from_tokenizer,
            r.tokens_unknown
        ),
        (ok_measured, 0, 0)
    );

    let report = std::fs::read_to_string(dir.path().join("report.md")).expect("report.md");
    assert!(report.contains("| Engine | Reasoned | TTFT p50 ms | First answer p50 ms |"));
    let row = format!(
        "| sim | {ok_measured} | {:.1} | {:.1} |",
        ttft.p50,
        ttft.p50 + 5.0
    );
    assert!(report.contains(&row), "{row} in\n{report}");
}
