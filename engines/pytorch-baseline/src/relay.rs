//! The message loop: runner lines go to the Python worker as they are, and its lines come back
//! the same way. Where there is no working Python process (none could be started, or it died),
//! this loop answers in its place, so the runner always gets a protocol message.

use std::io::{self, BufRead};
use std::path::Path;
use std::process::ExitCode;

use bench_worker::stdio;
use shared_protocol::codec::RUNNER_TYPES;
use shared_protocol::{
    Capabilities, Decoded, DeviceKind, Done, EngineId, ErrorMessage, Hello, PROTOCOL_VERSION,
    RunnerMessage, WorkerMessage, decode_line,
};

use crate::bundle;
use crate::interpreter::Interpreter;
use crate::python::Python;

/// Run the relay on this process's stdin and stdout. Call it from `main`.
pub fn run() -> ExitCode {
    if let Err(e) = stdio::init() {
        eprintln!("pytorch-baseline: cannot take over stdout: {e}");
        return ExitCode::from(1);
    }
    match serve(io::stdin().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pytorch-baseline: protocol output failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// The Python side, or why there is none.
enum Backend {
    Running(Python),
    Unavailable { reason: String, samples: u64 },
}

impl Backend {
    fn start(interpreter: &Interpreter, package: &Path, samples: u64) -> (Backend, Option<String>) {
        match Python::start(interpreter, package) {
            Ok((python, hello)) => (Backend::Running(python), Some(hello)),
            Err(reason) => {
                eprintln!("pytorch-baseline: {reason}");
                (Backend::Unavailable { reason, samples }, None)
            }
        }
    }

    fn samples(&self) -> u64 {
        match self {
            Backend::Running(p) => p.samples(),
            Backend::Unavailable { samples, .. } => *samples,
        }
    }
}

fn serve(input: impl BufRead) -> io::Result<()> {
    let package = tempfile::Builder::new()
        .prefix("pytorch-baseline-")
        .tempdir()?;
    bundle::write(package.path())?;
    let mut interpreter = Interpreter::from_env();
    let (mut backend, hello) = Backend::start(&interpreter, package.path(), 0);
    match hello {
        Some(line) => stdio::write_raw_line(&line)?,
        None => stdio::send(&WorkerMessage::Hello(fallback_hello()))?,
    }
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let decoded = decode_line::<RunnerMessage>(&line, RUNNER_TYPES);
        // A check or load naming another interpreter: restart with that one first.
        if let Decoded::Message(RunnerMessage::Check(r) | RunnerMessage::Load(r)) = &decoded {
            match Interpreter::from_options(&r.options) {
                Ok(Some(wanted)) if wanted.program != interpreter.program => {
                    let samples = backend.samples();
                    if let Backend::Running(mut python) = backend {
                        python.kill();
                    }
                    interpreter = wanted;
                    (backend, _) = Backend::start(&interpreter, package.path(), samples);
                }
                Ok(_) => {}
                Err(reason) => {
                    let fatal = matches!(decoded, Decoded::Message(RunnerMessage::Load(_)));
                    send_error(reason, fatal)?;
                    continue;
                }
            }
        }
        if let Backend::Running(python) = &mut backend {
            if !python.is_gone() && python.send(&line).is_ok() {
                if matches!(decoded, Decoded::Message(RunnerMessage::Shutdown)) {
                    break;
                }
                continue;
            }
            let reason = format!(
                "the python worker ({}) is no longer running; its stderr is above",
                python.interpreter.program.to_string_lossy()
            );
            let samples = python.samples();
            // Let the relay thread give the process's own word on its exit first, and wait
            // for it before answering in the process's place, so that nothing it still writes
            // can follow our `done`.
            python.end_after_death();
            backend = Backend::Unavailable { reason, samples };
        }
        let Backend::Unavailable { reason, samples } = &backend else {
            continue;
        };
        if !answer_in_place(decoded, reason, *samples)? {
            break;
        }
    }
    match backend {
        Backend::Running(python) => python.finish()?,
        Backend::Unavailable { samples, .. } => stdio::send(&WorkerMessage::Done(Done {
            samples,
            peak_rss_bytes: None,
            server_metrics: None,
        }))?,
    }
    Ok(())
}

/// Answer a runner message with no Python process to pass it to. Returns whether to go on.
fn answer_in_place(
    decoded: Decoded<RunnerMessage>,
    reason: &str,
    samples: u64,
) -> io::Result<bool> {
    match decoded {
        Decoded::Message(RunnerMessage::Shutdown) => return Ok(false),
        Decoded::Message(RunnerMessage::Check(_)) => send_error(reason.to_owned(), false)?,
        Decoded::Message(RunnerMessage::Load(_)) => {
            send_error(format!("load failed: {reason}"), true)?;
        }
        Decoded::Message(RunnerMessage::Generate(_)) => send_error(reason.to_owned(), true)?,
        Decoded::Message(RunnerMessage::Workload(_)) => {
            send_error(reason.to_owned(), true)?;
            stdio::send(&WorkerMessage::Done(Done {
                samples: 0,
                peak_rss_bytes: None,
                server_metrics: None,
            }))?;
        }
        Decoded::Unknown { type_name } => {
            eprintln!("pytorch-baseline: skipping unknown message type '{type_name}'");
        }
        Decoded::NotProtocol { reason } | Decoded::Invalid { error: reason, .. } => {
            send_error(format!("cannot read runner message: {reason}"), false)?;
        }
    }
    let _ = samples;
    Ok(true)
}

/// The handshake sent when no Python process could give its own: the same capabilities, the
/// engine's version unknown. Every load then fails with the reason.
pub fn fallback_hello() -> Hello {
    Hello {
        protocol: PROTOCOL_VERSION,
        engine: EngineId::Pytorch,
        engine_version: "unknown (no usable python)".to_owned(),
        worker_version: env!("CARGO_PKG_VERSION").to_owned(),
        device: "cpu".to_owned(),
        capabilities: Capabilities {
            devices: vec![DeviceKind::Cpu, DeviceKind::Cuda],
            token_ids_input: true,
            device_clock: true,
            workload: false,
            ignore_eos: true,
        },
    }
}

fn send_error(message: String, fatal: bool) -> io::Result<()> {
    stdio::send(&WorkerMessage::Error(ErrorMessage { message, fatal }))
}
