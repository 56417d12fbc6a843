//! The real worker binary through protocol lines on stdin: the handshake, a load of the default
//! model and greedy requests (skipped with a printed reason when the model or torch is absent),
//! and every way the Python side can be missing or broken, each of which must be one clear
//! protocol error rather than a dead pipe.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

mod support;
use support::{check, generate, generate_sampled, ids, load, run, run_with_env, samples};

use worker_testkit::prompts::{EOS, FRANCE, FRANCE_F32, SKY};

#[test]
fn loads_the_default_model_and_answers_greedy_requests() {
    let Some(path) = support::model() else { return };
    if !support::torch_available() {
        return;
    }
    let before_ns = bench_worker::mono_ns();
    let messages = run(&[
        check(&path, &json!({"threads": 2})),
        load(&path, &json!({"threads": 2})),
        generate(0, Some(&SKY), 24, true),
        generate(1, Some(&SKY), 24, false),
        generate(2, Some(&FRANCE), 8, false),
        generate(3, None, 8, false),
        generate_sampled(4, Some(&FRANCE), 8, true, 0.8, 42),
        generate_sampled(5, Some(&FRANCE), 8, true, 0.8, 42),
    ]);
    let after_ns = bench_worker::mono_ns();
    let hello = &messages[0];
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["engine"], "pytorch");
    assert_eq!(hello["worker_version"], env!("CARGO_PKG_VERSION"));
    assert!(
        hello["engine_version"]
            .as_str()
            .is_some_and(|v| v.starts_with('2')),
        "torch's version: {hello}"
    );
    assert_eq!(messages[1]["type"], "checked", "{}", messages[1]);
    let loaded = &messages[2];
    assert_eq!(loaded["type"], "loaded", "{loaded}");
    let details = &loaded["details"];
    assert_eq!(details["threads"], 2);
    assert_eq!(details["dtype"], "f32");
    assert_eq!(details["attention"], "sdpa");
    assert_eq!(details["compile"], false);
    assert_eq!(details["format"], "gguf");
    assert_eq!(details["eos_ids"], json!([EOS]));
    assert!(loaded["load_ns"].as_u64().is_some_and(|n| n > 0));
    assert!(
        loaded["model_bytes"]
            .as_u64()
            .is_some_and(|b| b > 100 << 20)
    );

    let s = samples(&messages);
    assert_eq!(s.len(), 6, "{messages:?}");
    let full = ids(s[0]);
    assert_eq!(full.len(), 24, "ignore_eos runs to max_tokens");
    assert_eq!(s[0]["finish_reason"], "length");
    assert_eq!(s[0]["completion_tokens"], 24);
    assert_eq!(s[0]["prompt_tokens"], 42);
    assert_eq!(s[0]["itl_ns"].as_array().map(Vec::len), Some(23));
    let stopped = ids(s[1]);
    assert_eq!(s[1]["finish_reason"], "eos");
    assert!(stopped.len() < 24 && !stopped.contains(&EOS), "{stopped:?}");
    assert_eq!(
        stopped,
        full[..stopped.len()],
        "EOS cuts the same sequence short"
    );
    assert_eq!(full[stopped.len()], EOS, "the ignored token was EOS");
    assert_eq!(ids(s[2]), FRANCE_F32, "greedy f32 answer: {}", s[2]);

    for sample in [s[0], s[1], s[2]] {
        assert_eq!(sample["outcome"]["status"], "ok", "{sample}");
        let start = sample["start_mono_ns"].as_u64().expect("start");
        assert!(
            (before_ns..after_ns).contains(&start),
            "the worker's clock is the host monotonic clock: {start} not in {before_ns}..{after_ns}"
        );
        let prefill = sample["prefill_ns"].as_u64().expect("prefill");
        let ttft = sample["ttft_ns"].as_u64().expect("ttft");
        let e2e = sample["e2e_ns"].as_u64().expect("e2e");
        let gaps: u64 = sample["itl_ns"]
            .as_array()
            .expect("gaps")
            .iter()
            .filter_map(Value::as_u64)
            .sum();
        assert!(
            0 < prefill && prefill <= ttft && ttft + gaps <= e2e,
            "{sample}"
        );
        assert!(start + e2e <= after_ns);
        assert!(
            sample["device_clock"].is_null(),
            "no device clock on the CPU"
        );
    }
    assert_eq!(s[2]["prompt_tokens"], 37);

    let failure = s[3]["outcome"].to_string();
    assert!(failure.contains("prompt_token_ids"), "{failure}");
    assert_eq!(ids(s[4]), ids(s[5]), "one seed, one sample");
    assert_eq!(ids(s[4]).len(), 8);
    assert_eq!(messages.last().expect("done")["samples"], 6);
}

#[test]
fn unknown_options_are_refused_by_name() {
    let Some(path) = support::model() else { return };
    if !support::torch_available() {
        return;
    }
    let messages = run(&[check(&path, &json!({"thread": 2, "dtype": "f32"}))]);
    let error = &messages[1];
    assert_eq!(error["type"], "error", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("'thread'")),
        "{error}"
    );
    assert_eq!(error["fatal"], false);
}

/// The message every missing-interpreter error must carry: the interpreter, the option, the
/// variable and the setup command.
fn assert_names_the_fixes(message: &Value, what: &str) {
    let text = message["message"].as_str().expect("a message");
    for needle in [
        what,
        "`python`",
        "PYTORCH_BASELINE_PYTHON",
        "scripts/setup-torch.sh",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
}

/// The answers to check, load, generate and shutdown when the Python side cannot work.
fn assert_one_clear_error(messages: &[Value], what: &str) {
    let kinds: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    assert_eq!(
        kinds,
        ["hello", "error", "error", "error", "done"],
        "{messages:?}"
    );
    assert_eq!(messages[0]["engine"], "pytorch");
    assert_eq!(messages[0]["protocol"], shared_protocol::PROTOCOL_VERSION);
    assert_names_the_fixes(&messages[1], what);
    assert_eq!(messages[1]["fatal"], false, "a check failure is not fatal");
    assert_names_the_fixes(&messages[2], what);
    assert_eq!(messages[2]["fatal"], true, "a failed load is");
    assert_eq!(messages[4]["samples"], 0);
}

fn lines_to_fail(path: &Path, options: &Value) -> Vec<Value> {
    vec![
        check(path, options),
        load(path, options),
        generate(0, Some(&FRANCE), 4, false),
    ]
}

#[test]
fn a_missing_interpreter_is_one_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let model = tmp.path().join("absent.gguf");
    let missing = tmp.path().join("no-such-python");
    let env = [("PYTORCH_BASELINE_PYTHON", missing.as_os_str())];
    let messages = run_with_env(&lines_to_fail(&model, &json!({})), &env);
    assert_one_clear_error(&messages, "not found");
    assert!(
        messages[0]["engine_version"]
            .as_str()
            .is_some_and(|v| v.contains("unknown"))
    );
    assert!(
        messages[1]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&*missing.to_string_lossy())),
        "names the interpreter: {}",
        messages[1]
    );
}

/// An interpreter that starts the bundled package but sees no site-packages, so that torch is
/// missing on any machine.
fn python_without_site_packages(dir: &Path) -> Option<PathBuf> {
    let python = which("python3")?;
    let script = dir.join("python-without-torch");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nexec {} -S \"$@\"\n", python.display()),
    )
    .expect("write script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    Some(script)
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

#[test]
fn an_interpreter_without_torch_is_one_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(python) = python_without_site_packages(tmp.path()) else {
        eprintln!("skipping: no python3 on PATH");
        return;
    };
    let model = tmp.path().join("model.gguf");
    std::fs::write(&model, b"GGUF").expect("model file");
    let env = [("PYTORCH_BASELINE_PYTHON", python.as_os_str())];
    let messages = run_with_env(&lines_to_fail(&model, &json!({})), &env);
    let kinds: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    // The Python side runs (its own handshake), answers the check and load with the reason,
    // and a generate without a model as every worker does.
    assert_eq!(
        kinds,
        ["hello", "error", "error", "error", "done"],
        "{messages:?}"
    );
    assert_names_the_fixes(&messages[1], "cannot import torch");
    assert_eq!(messages[1]["fatal"], false);
    assert_names_the_fixes(&messages[2], "cannot import torch");
    assert_eq!(messages[2]["fatal"], true);
    assert!(
        messages[0]["engine_version"]
            .as_str()
            .is_some_and(|v| v.contains("not installed"))
    );
}

#[test]
fn the_python_option_overrides_the_environment() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(python) = python_without_site_packages(tmp.path()) else {
        eprintln!("skipping: no python3 on PATH");
        return;
    };
    let model = tmp.path().join("model.gguf");
    std::fs::write(&model, b"GGUF").expect("model file");
    let missing = tmp.path().join("no-such-python");
    let env = [("PYTORCH_BASELINE_PYTHON", missing.as_os_str())];
    let options = json!({"python": python});
    let messages = run_with_env(&[check(&model, &options)], &env);
    // The environment's interpreter is missing (our own handshake); the option's one starts and
    // answers the check itself.
    assert!(
        messages[0]["engine_version"]
            .as_str()
            .is_some_and(|v| v.contains("unknown"))
    );
    assert_names_the_fixes(&messages[1], "cannot import torch");
    assert_eq!(messages.last().expect("done")["type"], "done");

    let messages = run_with_env(&[check(&model, &json!({"python": 7}))], &env);
    assert_eq!(messages[1]["type"], "error");
    assert!(
        messages[1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("python"))
    );
}

/// A stand-in interpreter: a shell script that writes `hello` and then behaves as `rest` says.
fn fake_python(dir: &Path, hello: &Value, rest: &str) -> PathBuf {
    let script = dir.join("fake-python");
    std::fs::write(&script, format!("#!/bin/sh\necho '{hello}'\n{rest}\n")).expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

fn python_hello(protocol: u32) -> Value {
    json!({"type": "hello", "protocol": protocol, "engine": "pytorch", "engine_version": "2.0",
           "worker_version": "0.1.0", "device": "cpu", "capabilities": {"devices": ["cpu", "cuda"],
           "token_ids_input": true, "device_clock": true, "workload": false, "ignore_eos": true}})
}

#[test]
fn a_python_worker_that_dies_is_an_error_not_a_dead_pipe() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Reads one message, then dies without answering it.
    let python = fake_python(tmp.path(), &python_hello(1), "read line\nexit 3");
    let model = tmp.path().join("model.gguf");
    let env = [("PYTORCH_BASELINE_PYTHON", python.as_os_str())];
    let messages = run_with_env(&[check(&model, &json!({})), load(&model, &json!({}))], &env);
    let kinds: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    // The load was written before the process was seen to die (then the death's error answers
    // it) or after (then it is answered in its place); either way nothing waits in silence.
    assert!(
        kinds == ["hello", "error", "error", "done"] || kinds == ["hello", "error", "done"],
        "{messages:?}"
    );
    let died = messages[1]["message"].as_str().expect("message");
    assert!(
        died.contains("exited unexpectedly") && died.contains('3'),
        "{died}"
    );
    assert_eq!(messages[1]["fatal"], true);
    if kinds.len() == 4 {
        let after = messages[2]["message"].as_str().expect("message");
        assert!(
            after.starts_with("load failed") && after.contains("no longer running"),
            "{after}"
        );
        assert_eq!(messages[2]["fatal"], true);
    }
}

#[test]
fn a_python_worker_of_another_protocol_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let python = fake_python(tmp.path(), &python_hello(99), "cat > /dev/null");
    let model = tmp.path().join("model.gguf");
    let env: [(&str, &OsStr); 1] = [("PYTORCH_BASELINE_PYTHON", python.as_os_str())];
    let messages = run_with_env(&[load(&model, &json!({}))], &env);
    let kinds: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    assert_eq!(kinds, ["hello", "error", "done"], "{messages:?}");
    assert_eq!(messages[0]["protocol"], shared_protocol::PROTOCOL_VERSION);
    let error = messages[1]["message"].as_str().expect("message");
    assert!(error.contains("protocol 99"), "{error}");
}

/// The handshake the binary sends in place of Python's has the capabilities Python announces.
#[test]
fn the_fallback_handshake_matches_the_python_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(python) = python_without_site_packages(tmp.path()) else {
        eprintln!("skipping: no python3 on PATH");
        return;
    };
    let from_python = run_with_env(&[], &[("PYTORCH_BASELINE_PYTHON", python.as_os_str())]);
    let missing = tmp.path().join("no-such-python");
    let fallback = run_with_env(&[], &[("PYTORCH_BASELINE_PYTHON", missing.as_os_str())]);
    for key in [
        "protocol",
        "engine",
        "worker_version",
        "device",
        "capabilities",
    ] {
        assert_eq!(from_python[0][key], fallback[0][key], "{key}");
    }
}

/// When the binary dies (the runner kills a worker it gives up on), its Python process ends too,
/// even in the middle of a load, rather than computing on beside the next engine's run.
#[test]
fn the_python_process_ends_with_the_binary() {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let Some(path) = support::model() else { return };
    if !support::torch_available() {
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_pytorch-baseline"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("worker starts");
    let mut hello = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut hello)
        .expect("handshake");
    assert!(hello.contains("\"hello\""), "{hello}");
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id()))
        .expect("procfs lists the worker's children");
    let python_pid: u32 = children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the python process");
    // A load keeps the Python process busy for seconds (importing torch, dequantising).
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{}", load(&path, &json!({}))).expect("write");
    std::thread::sleep(Duration::from_millis(500));
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let alive = || {
        std::fs::read_to_string(format!("/proc/{python_pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit(')')
                    .next()
                    .map(|r| r.trim_start().starts_with('Z'))
            })
            .is_some_and(|zombie| !zombie)
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    while alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(), "python process {python_pid} outlived the worker");
}
