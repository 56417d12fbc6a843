//! A running worker process and the typed exchanges with it.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use shared_protocol::codec::WORKER_TYPES;
use shared_protocol::{
    Decoded, Done, EngineId, GenerateRequest, Hello, LoadRequest, Loaded, PROTOCOL_VERSION,
    RunnerMessage, Sample, WorkerMessage, Workload, decode_line, encode_line,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use super::failure::WorkerFailure;
use super::tail::Tail;
use crate::catalog;

/// How long each kind of wait may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timeouts {
    pub hello: Duration,
    pub load: Duration,
    pub request: Duration,
    pub shutdown: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            hello: Duration::from_secs(30),
            load: Duration::from_mins(15),
            request: Duration::from_mins(5),
            shutdown: Duration::from_secs(10),
        }
    }
}

/// More consecutive non-protocol stdout lines than this and the worker is declared broken.
const GARBAGE_LIMIT: u64 = 64;

enum Event {
    Line(String),
    Eof,
}

/// A spawned worker. Dropping it kills the process.
pub struct WorkerProcess {
    worker: String,
    child: Child,
    stdin: Option<ChildStdin>,
    events: mpsc::UnboundedReceiver<Event>,
    tail: Arc<Mutex<Tail>>,
    hello: Hello,
    garbage_run: u64,
}

impl WorkerProcess {
    /// Spawn `path`, read its handshake and check it speaks our protocol for `engine`.
    pub async fn spawn(
        path: &Path,
        engine: EngineId,
        timeouts: &Timeouts,
        forward_stderr: bool,
    ) -> Result<WorkerProcess, WorkerFailure> {
        let worker = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        // A process group of its own: a terminal's Ctrl-C goes to the runner alone, which stops
        // the worker in order (its samples written, its slot marked interrupted) instead of the
        // worker dying of the same signal first and its slot being recorded as a lost worker.
        let mut child = Command::new(path)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| WorkerFailure::Spawn {
                worker: worker.clone(),
                path: path.display().to_string(),
                source,
            })?;
        let (tx, events) = mpsc::unbounded_channel();
        let tail = Arc::new(Mutex::new(Tail::default()));
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if tx.send(Event::Line(line)).is_err() {
                        return;
                    }
                }
                let _ = tx.send(Event::Eof);
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let tail = Arc::clone(&tail);
            let prefix = worker.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if forward_stderr {
                        eprintln!("[{prefix}] {line}");
                    }
                    tail.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(&line);
                }
            });
        }
        let stdin = child.stdin.take();
        let mut process = WorkerProcess {
            worker,
            child,
            stdin,
            events,
            tail,
            hello: Hello {
                protocol: 0,
                engine,
                engine_version: String::new(),
                worker_version: String::new(),
                device: String::new(),
                capabilities: shared_protocol::Capabilities::default(),
            },
            garbage_run: 0,
        };
        let hello = match process
            .recv(timeouts.hello, "waiting for its handshake")
            .await?
        {
            WorkerMessage::Hello(h) => h,
            other => {
                return Err(
                    process.protocol(format!("expected a hello first, got {}", type_name(&other)))
                );
            }
        };
        if hello.protocol != PROTOCOL_VERSION {
            return Err(process.protocol(format!(
                "protocol version {} but this runner speaks {PROTOCOL_VERSION}; rebuild the worker (cargo build --release -p {})",
                hello.protocol, process.worker
            )));
        }
        if catalog::entry(hello.engine).worker != catalog::entry(engine).worker {
            return Err(process.protocol(format!(
                "announced engine {} but {engine} was expected",
                hello.engine
            )));
        }
        process.hello = hello;
        Ok(process)
    }

    /// The worker's handshake.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The worker's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Ask the worker to validate a load request without loading. `Ok(Err(msg))` is a rejection.
    pub async fn check(
        &mut self,
        request: &LoadRequest,
        timeout: Duration,
    ) -> Result<Result<(), String>, WorkerFailure> {
        self.send(&RunnerMessage::Check(request.clone())).await?;
        loop {
            match self.recv(timeout, "checking the engine options").await? {
                WorkerMessage::Checked => return Ok(Ok(())),
                WorkerMessage::Error(e) => return Ok(Err(e.message)),
                other => self.unexpected(&other),
            }
        }
    }

    /// Load the model.
    pub async fn load(
        &mut self,
        request: &LoadRequest,
        timeout: Duration,
    ) -> Result<Loaded, WorkerFailure> {
        self.send(&RunnerMessage::Load(request.clone())).await?;
        loop {
            match self.recv(timeout, "loading the model").await? {
                WorkerMessage::Loaded(l) => return Ok(l),
                WorkerMessage::Error(e) => {
                    return Err(WorkerFailure::Reported {
                        worker: self.worker.clone(),
                        message: e.message,
                    });
                }
                other => self.unexpected(&other),
            }
        }
    }

    /// Run one request and return its sample.
    pub async fn generate(
        &mut self,
        request: GenerateRequest,
        timeout: Duration,
    ) -> Result<Sample, WorkerFailure> {
        let id = request.request.id;
        self.send(&RunnerMessage::Generate(request)).await?;
        let waiting = format!("waiting for request {id}");
        loop {
            match self.recv(timeout, &waiting).await? {
                WorkerMessage::Sample(s) if s.request_id == id => return Ok(*s),
                WorkerMessage::Error(e) if !e.fatal => {
                    eprintln!("{}: {}", self.worker, e.message);
                }
                WorkerMessage::Error(e) => {
                    return Err(WorkerFailure::Reported {
                        worker: self.worker.clone(),
                        message: e.message,
                    });
                }
                other => self.unexpected(&other),
            }
        }
    }

    /// Run a whole workload; `on_message` sees each sample and progress line as it arrives.
    /// `idle_timeout` bounds the wait for any next message.
    pub async fn workload(
        &mut self,
        workload: Workload,
        idle_timeout: Duration,
        mut on_message: impl FnMut(WorkerMessage),
    ) -> Result<Done, WorkerFailure> {
        self.send(&RunnerMessage::Workload(workload)).await?;
        loop {
            match self.recv(idle_timeout, "running the workload").await? {
                WorkerMessage::Done(d) => return Ok(d),
                WorkerMessage::Error(e) if e.fatal => {
                    return Err(WorkerFailure::Reported {
                        worker: self.worker.clone(),
                        message: e.message,
                    });
                }
                m @ (WorkerMessage::Sample(_)
                | WorkerMessage::Progress(_)
                | WorkerMessage::Error(_)) => on_message(m),
                other => self.unexpected(&other),
            }
        }
    }

    /// Ask the worker to finish, wait for its `done` and its exit; kill it if it does not.
    pub async fn shutdown(mut self, timeout: Duration) -> Option<Done> {
        if self.send(&RunnerMessage::Shutdown).await.is_err() {
            return None;
        }
        let mut done = None;
        while let Ok(m) = self.recv(timeout, "shutting down").await {
            if let WorkerMessage::Done(d) = m {
                done = Some(d);
                break;
            }
        }
        drop(self.stdin.take());
        if tokio::time::timeout(timeout, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        done
    }

    async fn send(&mut self, message: &RunnerMessage) -> Result<(), WorkerFailure> {
        let line = encode_line(message).map_err(|e| self.protocol(e.to_string()))?;
        let result = match self.stdin.as_mut() {
            Some(stdin) => match stdin.write_all(line.as_bytes()).await {
                Ok(()) => stdin.flush().await,
                Err(e) => Err(e),
            },
            None => Err(std::io::Error::other("stdin closed")),
        };
        match result {
            Ok(()) => Ok(()),
            Err(_) => Err(self.exited("sending it a message").await),
        }
    }

    /// The next protocol message, skipping unknown types; garbage and silence are failures.
    async fn recv(
        &mut self,
        timeout: Duration,
        waiting_for: &str,
    ) -> Result<WorkerMessage, WorkerFailure> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last_garbage = String::new();
        loop {
            let event = match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) | Err(_) if self.garbage_run > 0 => {
                    return Err(self.garbage(waiting_for, last_garbage));
                }
                Ok(None) => Event::Eof,
                Err(_) => {
                    return Err(WorkerFailure::Timeout {
                        worker: self.worker.clone(),
                        waiting_for: waiting_for.to_owned(),
                        after: timeout,
                        stderr: self.stderr_tail(),
                    });
                }
            };
            let line = match event {
                Event::Line(line) => line,
                Event::Eof => return Err(self.exited(waiting_for).await),
            };
            match decode_line::<WorkerMessage>(&line, WORKER_TYPES) {
                Decoded::Message(m) => {
                    self.garbage_run = 0;
                    return Ok(m);
                }
                Decoded::Unknown { type_name } => {
                    eprintln!(
                        "{}: skipping message of unknown type '{type_name}'",
                        self.worker
                    );
                }
                Decoded::Invalid { type_name, error } => {
                    return Err(self.protocol(format!("malformed '{type_name}' message: {error}")));
                }
                Decoded::NotProtocol { .. } => {
                    self.garbage_run += 1;
                    last_garbage = line.chars().take(120).collect();
                    if self.garbage_run > GARBAGE_LIMIT {
                        return Err(self.garbage(waiting_for, last_garbage));
                    }
                }
            }
        }
    }

    fn garbage(&self, waiting_for: &str, last: String) -> WorkerFailure {
        WorkerFailure::Garbage {
            worker: self.worker.clone(),
            waiting_for: waiting_for.to_owned(),
            lines: self.garbage_run,
            last,
            stderr: self.stderr_tail(),
        }
    }

    async fn exited(&mut self, waiting_for: &str) -> WorkerFailure {
        let status = match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(Ok(s)) => s.to_string(),
            Ok(Err(e)) => format!("unknown status ({e})"),
            Err(_) => "its stdout closed".to_owned(),
        };
        // Let the stderr reader catch the last lines.
        tokio::time::sleep(Duration::from_millis(50)).await;
        WorkerFailure::Exited {
            worker: self.worker.clone(),
            waiting_for: waiting_for.to_owned(),
            status,
            stderr: self.stderr_tail(),
        }
    }

    fn protocol(&self, message: String) -> WorkerFailure {
        WorkerFailure::Protocol {
            worker: self.worker.clone(),
            message,
        }
    }

    fn unexpected(&self, message: &WorkerMessage) {
        eprintln!(
            "{}: ignoring unexpected '{}' message",
            self.worker,
            type_name(message)
        );
    }

    fn stderr_tail(&self) -> String {
        self.tail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .render()
    }
}

fn type_name(m: &WorkerMessage) -> &'static str {
    match m {
        WorkerMessage::Hello(_) => "hello",
        WorkerMessage::Checked => "checked",
        WorkerMessage::Loaded(_) => "loaded",
        WorkerMessage::Sample(_) => "sample",
        WorkerMessage::Progress(_) => "progress",
        WorkerMessage::Error(_) => "error",
        WorkerMessage::Done(_) => "done",
    }
}
