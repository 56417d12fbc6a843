//! The Python worker process: started with the bundled package on `PYTHONPATH`, its handshake
//! checked, then its stdout relayed line by line by a thread until it exits.

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bench_worker::stdio;
use shared_protocol::codec::WORKER_TYPES;
use shared_protocol::{
    Decoded, Done, EngineId, ErrorMessage, Hello, PROTOCOL_VERSION, WorkerMessage, decode_line,
};

use crate::interpreter::Interpreter;

/// How long the Python process may take to write its handshake (it imports no framework before
/// it; the runner waits 30 s for ours).
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a process that stopped reading its stdin or closed its stdout may take to end on
/// its own, so that the relay can say how it ended, before it is killed.
pub const DEATH_GRACE: Duration = Duration::from_secs(5);

/// How often the relay looks whether a process whose stdout closed has exited.
const EXIT_POLL: Duration = Duration::from_millis(5);

/// A running Python worker whose stdout is being relayed.
pub struct Python {
    pub interpreter: Interpreter,
    child: Arc<Mutex<Child>>,
    stdin: Option<ChildStdin>,
    relay: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
}

/// What the relay thread and the message loop both see.
#[derive(Default)]
struct Shared {
    /// The loop asked the process to finish (its stdin is closed): a clean exit is no error.
    stopping: AtomicBool,
    /// The loop is killing the process: its end is no error at all.
    killing: AtomicBool,
    /// The process's stdout closed.
    gone: AtomicBool,
    /// `sample` lines relayed.
    samples: AtomicU64,
    /// The last line relayed was a `done`.
    last_was_done: AtomicBool,
}

impl Python {
    /// Start `interpreter` on the package under `package_dir` and wait for its handshake, which
    /// is returned (as the line it wrote, and checked) but not relayed.
    pub fn start(
        interpreter: &Interpreter,
        package_dir: &Path,
    ) -> Result<(Python, String), String> {
        let mut python_path = package_dir.as_os_str().to_owned();
        if let Some(existing) = std::env::var_os("PYTHONPATH").filter(|p| !p.is_empty()) {
            python_path.push(":");
            python_path.push(existing);
        }
        let mut child = Command::new(&interpreter.program)
            .args(["-u", "-B", "-m", "pytorch_baseline", "--worker-version"])
            .arg(env!("CARGO_PKG_VERSION"))
            .env("PYTHONPATH", python_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => interpreter.unusable("was not found"),
                _ => interpreter.unusable(&format!("cannot be started ({e})")),
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let child = Arc::new(Mutex::new(child));
        let shared = Arc::new(Shared::default());
        let (hello_tx, hello_rx) = mpsc::sync_channel(1);
        let relay = stdout.map(|out| {
            let shared = Arc::clone(&shared);
            let child = Arc::clone(&child);
            let interpreter = interpreter.clone();
            std::thread::spawn(move || relay_stdout(out, &hello_tx, &shared, &child, &interpreter))
        });
        let mut python = Python {
            interpreter: interpreter.clone(),
            child,
            stdin,
            relay,
            shared,
        };
        let hello = match hello_rx.recv_timeout(HELLO_TIMEOUT) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                python.kill();
                return Err(interpreter.unusable(&format!(
                    "did not start the bundled worker within {} s (its stderr is above)",
                    HELLO_TIMEOUT.as_secs()
                )));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = python.kill();
                return Err(interpreter.unusable(&format!(
                    "exited before the bundled worker's handshake ({status}; its stderr is above)"
                )));
            }
        };
        if let Err(reason) = check_hello(&hello) {
            python.kill();
            return Err(reason);
        }
        Ok((python, hello))
    }

    /// Whether the process's stdout has closed.
    pub fn is_gone(&self) -> bool {
        self.shared.gone.load(Ordering::SeqCst)
    }

    /// `sample` lines relayed so far.
    pub fn samples(&self) -> u64 {
        self.shared.samples.load(Ordering::SeqCst)
    }

    /// Pass one runner line on.
    pub fn send(&mut self, line: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("stdin closed"))?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()
    }

    /// Let the process finish: close its stdin (it answers `done` and exits), relay what it
    /// still writes, and wait for it. If it ended without a `done`, one is sent in its place.
    pub fn finish(mut self) -> io::Result<()> {
        self.shared.stopping.store(true, Ordering::SeqCst);
        drop(self.stdin.take());
        if let Some(relay) = self.relay.take() {
            let _ = relay.join();
        }
        let _ = lock(&self.child).wait();
        if self.shared.last_was_done.load(Ordering::SeqCst) {
            return Ok(());
        }
        stdio::send(&WorkerMessage::Done(Done {
            samples: self.samples(),
            peak_rss_bytes: None,
            server_metrics: None,
        }))
    }

    /// The process was found gone (its stdout closed, or its stdin would take no more): close
    /// its stdin and give it [`DEATH_GRACE`] to end on its own, so that the relay reports its
    /// exit status (a fatal `error`) before anything is answered in its place; then end it.
    pub fn end_after_death(&mut self) {
        drop(self.stdin.take());
        let started = Instant::now();
        while self.relay.as_ref().is_some_and(|r| !r.is_finished())
            && started.elapsed() < DEATH_GRACE
        {
            std::thread::sleep(EXIT_POLL);
        }
        self.kill();
    }

    /// End the process now and wait for the relay to drain; returns how it ended.
    pub fn kill(&mut self) -> String {
        self.shared.killing.store(true, Ordering::SeqCst);
        drop(self.stdin.take());
        let status = {
            let mut child = lock(&self.child);
            let _ = child.kill();
            child
                .wait()
                .map_or_else(|e| format!("status unknown: {e}"), |s| s.to_string())
        };
        if let Some(relay) = self.relay.take() {
            let _ = relay.join();
        }
        status
    }
}

fn lock(child: &Mutex<Child>) -> std::sync::MutexGuard<'_, Child> {
    child.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The handshake must be a `hello` of this protocol version for engine `pytorch`.
fn check_hello(line: &str) -> Result<(), String> {
    match decode_line::<WorkerMessage>(line, WORKER_TYPES) {
        Decoded::Message(WorkerMessage::Hello(Hello {
            protocol, engine, ..
        })) => {
            if protocol != PROTOCOL_VERSION {
                Err(format!(
                    "the bundled python worker speaks protocol {protocol} but this binary speaks \
                     {PROTOCOL_VERSION}; rebuild it (cargo build --release -p pytorch-baseline)"
                ))
            } else if engine != EngineId::Pytorch {
                Err(format!(
                    "the bundled python worker announced engine {engine}, not pytorch"
                ))
            } else {
                Ok(())
            }
        }
        _ => Err(format!(
            "the bundled python worker's first line is not a handshake: {}",
            line.chars().take(200).collect::<String>()
        )),
    }
}

/// The relay thread: the first line goes to `hello`, every later one to our stdout as it is.
/// When the process's stdout closes unasked, a fatal `error` says so, so that nobody waits on a
/// dead pipe.
fn relay_stdout(
    out: impl io::Read,
    hello: &mpsc::SyncSender<String>,
    shared: &Shared,
    child: &Mutex<Child>,
    interpreter: &Interpreter,
) {
    let mut lines = BufReader::new(out).lines();
    let mut relayed_hello = false;
    while let Some(Ok(line)) = lines.next() {
        if !relayed_hello {
            relayed_hello = true;
            if hello.send(line).is_err() {
                return;
            }
            continue;
        }
        let kind = type_tag(&line);
        if kind.as_deref() == Some("sample") {
            shared.samples.fetch_add(1, Ordering::SeqCst);
        }
        shared
            .last_was_done
            .store(kind.as_deref() == Some("done"), Ordering::SeqCst);
        if stdio::write_raw_line(&line).is_err() {
            return;
        }
    }
    shared.gone.store(true, Ordering::SeqCst);
    if !relayed_hello || shared.killing.load(Ordering::SeqCst) {
        return;
    }
    // Polled rather than waited on, so that `kill` can take the child meanwhile: a process may
    // close its stdout and go on running.
    let status = loop {
        if shared.killing.load(Ordering::SeqCst) {
            return;
        }
        match lock(child).try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => std::thread::sleep(EXIT_POLL),
            Err(e) => break Err(e),
        }
    };
    let clean = status.as_ref().is_ok_and(std::process::ExitStatus::success);
    if clean && shared.stopping.load(Ordering::SeqCst) {
        return;
    }
    let status = status.map_or_else(|e| format!("status unknown: {e}"), |s| s.to_string());
    shared.last_was_done.store(false, Ordering::SeqCst);
    let _ = stdio::send(&WorkerMessage::Error(ErrorMessage {
        message: format!(
            "the python worker ({}) exited unexpectedly ({status}); its stderr is above",
            interpreter.program.to_string_lossy()
        ),
        fatal: true,
    }));
}

/// The `type` of a protocol line.
fn type_tag(line: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    value.get("type")?.as_str().map(str::to_owned)
}
