//! The `hf-hub` source against a local HTTP server that answers like the Hub's `resolve`
//! endpoint (ranged GETs, `etag`, `x-repo-commit`, `Content-Range`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bench_inputs::{Error, FetchProgress, Registry, fetch, is_intact};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn sha(bytes: &[u8]) -> String {
    bench_inputs::hash::sha256_hex(bytes)
}

/// A hub-shaped server for one repository; records every path asked for.
struct Hub {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Hub {
    fn start(repo: &str, revision: &str, files: BTreeMap<String, Vec<u8>>) -> Hub {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let prefix = format!("/{repo}/resolve/{revision}/");
        let (srv, log) = (Arc::clone(&server), Arc::clone(&seen));
        let thread = std::thread::spawn(move || {
            for request in srv.incoming_requests() {
                let url = request.url().to_owned();
                log.lock().expect("log").push(url.clone());
                let body = url.strip_prefix(&prefix).and_then(|f| files.get(f));
                let Some(body) = body else {
                    let _ = request.respond(tiny_http::Response::empty(404));
                    continue;
                };
                let start: usize = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Range"))
                    .and_then(|h| {
                        h.value
                            .as_str()
                            .strip_prefix("bytes=")?
                            .split('-')
                            .next()?
                            .parse()
                            .ok()
                    })
                    .unwrap_or(0);
                let end = if request
                    .headers()
                    .iter()
                    .any(|h| h.field.equiv("Range") && h.value.as_str() == "bytes=0-0")
                {
                    1.min(body.len())
                } else {
                    body.len()
                };
                let header = |k: &str, v: String| {
                    tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).expect("header")
                };
                let response = tiny_http::Response::from_data(body[start..end].to_vec())
                    .with_status_code(206)
                    .with_header(header("etag", format!("\"{}\"", sha(body))))
                    .with_header(header("x-repo-commit", COMMIT.to_owned()))
                    .with_header(header(
                        "Content-Range",
                        format!("bytes {start}-{}/{}", end.saturating_sub(1), body.len()),
                    ));
                let _ = request.respond(response);
            }
        });
        Hub {
            server,
            thread: Some(thread),
            seen,
        }
    }

    fn endpoint(&self) -> String {
        format!(
            "http://{}",
            self.server.server_addr().to_ip().expect("ip address")
        )
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn files() -> BTreeMap<String, Vec<u8>> {
    let weights: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    BTreeMap::from([
        (
            "config.json".to_owned(),
            b"{\"architectures\":[\"LlamaForCausalLM\"]}".to_vec(),
        ),
        ("tokenizer.json".to_owned(), b"{}".to_vec()),
        ("model.safetensors".to_owned(), weights),
    ])
}

fn registry(endpoint: &str, weights_sha: &str) -> Registry {
    Registry::parse(&format!(
        r#"
[[model]]
id = "tiny-hub"
architecture = "llama"
format = "safetensors"
license = "Apache-2.0"
file = "tiny-hub"
source = {{ kind = "hf-hub", repo = "org/tiny", revision = "main", endpoint = "{endpoint}", files = ["config.json", "tokenizer.json", "model.safetensors"], sha256 = {{ "model.safetensors" = "{weights_sha}" }} }}
"#
    ))
    .expect("valid registry")
}

fn dot_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn fetches_every_file_verifies_and_renames_the_directory_into_place() {
    let files = files();
    let hub = Hub::start("org/tiny", "main", files.clone());
    let reg = registry(&hub.endpoint(), &sha(&files["model.safetensors"]));
    let entry = reg.get("tiny-hub").expect("entry");
    let models = tempfile::tempdir().expect("tempdir");
    let mut events = Vec::new();
    let path = fetch(entry, models.path(), &mut |e| events.push(e)).expect("fetch");
    assert_eq!(path, models.path().join("tiny-hub"));
    for (name, body) in &files {
        assert_eq!(
            &std::fs::read(path.join(name)).expect("read"),
            body,
            "{name}"
        );
    }
    assert!(
        dot_entries(models.path()).is_empty(),
        "{:?}",
        dot_entries(models.path())
    );
    assert!(
        events.iter().any(
            |e| matches!(e, FetchProgress::Verified { file, .. } if file == "model.safetensors")
        )
    );
    assert!(
        hub.seen
            .lock()
            .expect("log")
            .iter()
            .all(|p| p.starts_with("/org/tiny/resolve/main/")),
        "only the registry's repository is asked for"
    );
    assert!(is_intact(entry, &path).expect("check"));

    // A second fetch finds the model intact and downloads nothing.
    let asked = hub.seen.lock().expect("log").len();
    let mut events = Vec::new();
    fetch(entry, models.path(), &mut |e| events.push(e)).expect("fetch again");
    assert!(
        matches!(events.as_slice(), [FetchProgress::AlreadyPresent { .. }]),
        "{events:?}"
    );
    assert_eq!(hub.seen.lock().expect("log").len(), asked);
}

#[test]
fn a_hash_mismatch_leaves_no_model_directory() {
    let hub = Hub::start("org/tiny", "main", files());
    let reg = registry(&hub.endpoint(), &sha(b"something else"));
    let models = tempfile::tempdir().expect("tempdir");
    let err = fetch(
        reg.get("tiny-hub").expect("entry"),
        models.path(),
        &mut |_| {},
    )
    .expect_err("mismatch");
    assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    assert!(!models.path().join("tiny-hub").exists());
    assert!(
        dot_entries(models.path()).is_empty(),
        "{:?}",
        dot_entries(models.path())
    );
}

#[test]
fn a_missing_file_fails_with_its_url() {
    let mut files = files();
    files.remove("tokenizer.json");
    let hub = Hub::start("org/tiny", "main", files);
    let reg = registry(&hub.endpoint(), &sha(b"x"));
    let models = tempfile::tempdir().expect("tempdir");
    let err = fetch(
        reg.get("tiny-hub").expect("entry"),
        models.path(),
        &mut |_| {},
    )
    .expect_err("404");
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
    assert!(!models.path().join("tiny-hub").exists());
}
