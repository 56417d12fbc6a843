//! Against a real llama.cpp server (the `xllamacpp` wheel running llama.cpp's HTTP server
//! in-process, started by `scripts/llamacpp-server.py`) on the default `SmolLM2` GGUF: chat and
//! completions streams, closed and open loop. Skips, saying why, when the model or a Python
//! with `xllamacpp` is missing.
//!
//! The interpreter is `$XLLAMACPP_PYTHON`, else `.venv/bin/python` in the workspace, else
//! `/tmp/xl/bin/python`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{request, run, workload};
use serde_json::{Value, json};
use shared_protocol::{Arrival, LoadPattern, Outcome};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> Option<PathBuf> {
    let candidates = std::env::var_os("XLLAMACPP_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            workspace().join(".venv/bin/python"),
            PathBuf::from("/tmp/xl/bin/python"),
        ]);
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import xllamacpp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(python: &Path, model: &Path) -> Server {
    let mut child = Command::new(python)
        .arg(workspace().join("scripts/llamacpp-server.py"))
        .args(["--model".as_ref(), model.as_os_str()])
        .args([
            // The server binds a port of its own choosing and reports it (a port picked here
            // and freed could be taken by another test before the server binds it).
            "--port",
            "0",
            "--parallel",
            "4",
            "--ctx",
            "2048",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start llamacpp-server.py");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut server = Server {
        child,
        url: String::new(),
    };
    let line = rx
        .recv_timeout(Duration::from_mins(3))
        .expect("llama.cpp server did not report it was listening within 180 s");
    let v: Value = serde_json::from_str(&line).expect("listening line");
    v["listening"]
        .as_str()
        .expect("url")
        .clone_into(&mut server.url);
    server
}

fn assert_real_streams(samples: &[shared_protocol::Sample], max_tokens: u32) {
    for s in samples {
        assert_eq!(s.outcome, Outcome::Ok, "request {}", s.request_id);
        let chunks = s.token_counts.chunks.expect("chunk count");
        assert!(chunks >= 1, "no content chunk");
        assert!(s.ttft_ns.is_some());
        assert_eq!(s.itl_ns.len() + 1, chunks as usize);
        // llama.cpp honours ignore_eos: exactly max_tokens, as its usage says.
        assert_eq!(
            s.token_counts.server_completion,
            Some(max_tokens),
            "request {}",
            s.request_id
        );
        assert!(s.token_counts.server_prompt.is_some_and(|n| n > 0));
        assert!(!s.output_text.as_deref().unwrap_or_default().is_empty());
        assert!(
            s.engine_metrics.contains_key("timings"),
            "llama.cpp timings recorded"
        );
    }
}

#[test]
fn llamacpp_chat_and_completions_closed_and_open_loop() {
    let model = workspace().join("models/smollm2-135m-instruct-q4_1.gguf");
    if !model.is_file() {
        eprintln!(
            "skipped: {} is missing (fetch the default model first)",
            model.display()
        );
        return;
    }
    let Some(python) = python() else {
        eprintln!(
            "skipped: no Python with xllamacpp (set XLLAMACPP_PYTHON, or: python3 -m venv /tmp/xl && /tmp/xl/bin/pip install xllamacpp)"
        );
        return;
    };
    let server = start(&python, &model);
    let max_tokens = 8;
    let requests = |base: u64| {
        (0..4)
            .map(|i| request(base + i, "Name a colour.", i % 2 == 0, max_tokens))
            .collect::<Vec<_>>()
    };

    let closed = workload(requests(0), LoadPattern::Closed { concurrency: 2 }, 120_000);
    let (samples, messages) = run(
        "llamacpp",
        &server.url,
        &json!({"ready_timeout_s": 60}),
        &closed,
    );
    assert_eq!(samples.len(), 4);
    assert_real_streams(&samples, max_tokens);
    assert!(!messages.is_empty());

    let open = workload(
        requests(10),
        LoadPattern::Open {
            rate_rps: 2.0,
            arrival: Arrival::Poisson,
            max_concurrency: Some(4),
            seed: 1,
            ramp_up_s: 0.0,
        },
        120_000,
    );
    let (samples, _) = run("llamacpp", &server.url, &json!({}), &open);
    assert_eq!(samples.len(), 4);
    assert_real_streams(&samples, max_tokens);
    assert!(samples.iter().all(|s| s.scheduled_mono_ns.is_some()));
}
