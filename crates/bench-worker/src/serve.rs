//! The message loop: handshake, then one runner message at a time until `shutdown` or EOF.

use std::io::{self, BufRead};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use shared_protocol::codec::RUNNER_TYPES;
use shared_protocol::{
    Decoded, Done, ErrorMessage, FailureKind, GenerateRequest, Hello, LoadRequest, Outcome,
    PROTOCOL_VERSION, RunnerMessage, WorkerMessage, decode_line, error_text,
};

use crate::clock::mono_ns;
use crate::engine::Engine;
use crate::procfs;
use crate::sink::TokenSink;
use crate::stdio;

/// Run the worker loop for engine `E` on this process's stdin and stdout. Call it from `main`.
pub fn run<E: Engine>() -> ExitCode {
    if let Err(e) = stdio::init() {
        eprintln!("worker: cannot take over stdout: {e}");
        return ExitCode::from(1);
    }
    match serve::<E>(io::stdin().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worker: protocol output failed: {e}");
            ExitCode::from(1)
        }
    }
}

struct State<E> {
    engine: E,
    sink: TokenSink,
}

fn serve<E: Engine>(input: impl BufRead) -> io::Result<()> {
    let description = E::describe();
    stdio::send(&WorkerMessage::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        engine: description.engine,
        engine_version: description.engine_version,
        worker_version: env!("CARGO_PKG_VERSION").to_owned(),
        device: description.default_device,
        capabilities: description.capabilities,
    }))?;
    let mut state: Option<State<E>> = None;
    let mut samples = 0u64;
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let message = match decode_line::<RunnerMessage>(&line, RUNNER_TYPES) {
            Decoded::Message(m) => m,
            Decoded::Unknown { type_name } => {
                eprintln!("worker: skipping unknown message type '{type_name}'");
                continue;
            }
            Decoded::NotProtocol { reason } | Decoded::Invalid { error: reason, .. } => {
                send_error(format!("cannot read runner message: {reason}"), false)?;
                continue;
            }
        };
        match message {
            RunnerMessage::Check(request) => match guarded(|| E::check(&request)) {
                Ok(()) => stdio::send(&WorkerMessage::Checked)?,
                Err(e) => send_error(e, false)?,
            },
            RunnerMessage::Load(request) => {
                if state.is_some() {
                    send_error("a model is already loaded".to_owned(), false)?;
                    continue;
                }
                state = load::<E>(&request)?;
            }
            RunnerMessage::Generate(generate) => match state.as_mut() {
                Some(s) => {
                    generate_one(s, &generate)?;
                    samples += 1;
                }
                None => send_error("generate before a successful load".to_owned(), false)?,
            },
            RunnerMessage::Workload(workload) => match state.as_mut() {
                Some(s) => {
                    let mut emitted = 0u64;
                    let result = guarded(|| {
                        s.engine.workload(&workload, &mut |m| {
                            if matches!(m, WorkerMessage::Sample(_)) {
                                emitted += 1;
                            }
                            stdio::send(&m)
                        })
                    });
                    samples += emitted;
                    if let Err(e) = result {
                        send_error(e, false)?;
                    }
                    stdio::send(&WorkerMessage::Done(Done {
                        samples: emitted,
                        peak_rss_bytes: procfs::peak_rss_bytes(),
                        server_metrics: s.engine.server_metrics(),
                    }))?;
                }
                None => send_error("workload before a successful load".to_owned(), false)?,
            },
            RunnerMessage::Shutdown => break,
        }
    }
    stdio::send(&WorkerMessage::Done(Done {
        samples,
        peak_rss_bytes: procfs::peak_rss_bytes(),
        server_metrics: None,
    }))
}

fn load<E: Engine>(request: &LoadRequest) -> io::Result<Option<State<E>>> {
    let t0 = mono_ns();
    let result = guarded(|| E::load(request));
    let load_ns = mono_ns() - t0;
    match result {
        Ok(loaded) => {
            stdio::send(&WorkerMessage::Loaded(shared_protocol::Loaded {
                load_ns,
                rss_bytes: procfs::rss_bytes(),
                device_memory_bytes: loaded.device_memory_bytes,
                model_bytes: loaded.model_bytes,
                details: loaded.details,
            }))?;
            Ok(Some(State {
                engine: loaded.engine,
                sink: TokenSink::new(loaded.device_clock),
            }))
        }
        Err(e) => {
            send_error(format!("load failed: {e}"), true)?;
            Ok(None)
        }
    }
}

fn generate_one<E: Engine>(state: &mut State<E>, generate: &GenerateRequest) -> io::Result<()> {
    let request = &generate.request;
    if let Err(e) = state.sink.prepare(request.max_tokens) {
        return send_error(format!("device clock: {}", error_text(e.as_ref())), false);
    }
    // Timed region: the host reading in `start`, the engine call, the host reading after it.
    state.sink.start();
    let result = catch_unwind(AssertUnwindSafe(|| {
        state.engine.generate(request, &mut state.sink)
    }));
    let end_ns = mono_ns();
    let outcome = match result {
        Ok(Ok(())) => Outcome::Ok,
        Ok(Err(e)) => Outcome::Failed {
            kind: FailureKind::EngineError,
            message: error_text(e.as_ref()),
            http_status: None,
        },
        Err(panic) => Outcome::Failed {
            kind: FailureKind::Panic,
            message: panic_message(panic.as_ref()),
            http_status: None,
        },
    };
    let (sample, device_err) = state.sink.finish(request, generate.phase, end_ns, outcome);
    if let Some(e) = device_err {
        eprintln!(
            "worker: device clock unreadable for request {}: {e:#}",
            request.id
        );
    }
    stdio::send(&WorkerMessage::Sample(Box::new(sample)))
}

/// Run `f`, turning a panic into an error that carries its message.
fn guarded<T>(f: impl FnOnce() -> anyhow::Result<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error_text(e.as_ref())),
        Err(panic) => Err(format!("panic: {}", panic_message(panic.as_ref()))),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

fn send_error(message: String, fatal: bool) -> io::Result<()> {
    stdio::send(&WorkerMessage::Error(ErrorMessage { message, fatal }))
}
