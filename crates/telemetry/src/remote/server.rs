//! The HTTP side of `energy-monitor`: one sampler, its lines fanned out to every stream client.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tiny_http::{Header, Request, Response, Server};

use crate::clock::mono_ns;
use crate::collector::Collector;
use crate::detect::Roots;
use crate::host::host_info;
use crate::remote::RemoteError;
use crate::sampler::{self, SamplerConfig, SamplerHandle};

/// Lines a slow client may fall behind before it is dropped.
const CLIENT_BACKLOG: usize = 4096;

/// The stream clients, each fed through a bounded channel.
#[derive(Default)]
struct Hub {
    clients: Mutex<Vec<SyncSender<Arc<str>>>>,
}

impl Hub {
    fn subscribe(&self) -> Receiver<Arc<str>> {
        let (tx, rx) = mpsc::sync_channel(CLIENT_BACKLOG);
        self.lock().push(tx);
        rx
    }

    fn publish(&self, line: &Arc<str>) {
        // A client that is gone or too far behind is dropped; its stream then ends.
        self.lock()
            .retain(|tx| match tx.try_send(Arc::clone(line)) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            });
    }

    fn close(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SyncSender<Arc<str>>>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The sampler's sink: splits its output into lines and publishes each.
struct Broadcast {
    hub: Arc<Hub>,
    pending: Vec<u8>,
}

impl Write for Broadcast {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line: Arc<str> = String::from_utf8_lossy(&line).into();
            self.hub.publish(&line);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A running `energy-monitor` server.
pub struct Monitor {
    addr: SocketAddr,
    server: Arc<Server>,
    hub: Arc<Hub>,
    sampler: SamplerHandle,
    accept: JoinHandle<()>,
}

/// Serve `collectors` on `bind` (`127.0.0.1:9464`; port 0 picks a free one), sampling every
/// `interval`; `roots` locate the host facts served on `/info`.
pub fn serve(
    bind: &str,
    mut collectors: Vec<Box<dyn Collector>>,
    roots: &Roots,
    interval: Duration,
) -> Result<Monitor, RemoteError> {
    let bind_error = |message: String| RemoteError::Bind {
        bind: bind.to_owned(),
        message,
    };
    let server = Server::http(bind).map_err(|e| bind_error(e.to_string()))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| bind_error("not an IP address".to_owned()))?;
    let info = serde_json::to_string(&host_info(roots, &mut collectors))
        .map_err(|e| bind_error(format!("host info: {e}")))?;
    let hub = Arc::new(Hub::default());
    let config = SamplerConfig {
        interval,
        keep_in_memory: false,
    };
    let sink = Broadcast {
        hub: Arc::clone(&hub),
        pending: Vec::new(),
    };
    let sampler = sampler::start(collectors, &config, Some(Box::new(sink)))?;
    let server = Arc::new(server);
    let accept = {
        let server = Arc::clone(&server);
        let hub = Arc::clone(&hub);
        std::thread::Builder::new()
            .name("energy-monitor-accept".to_owned())
            .spawn(move || accept_loop(&server, &hub, &info))?
    };
    Ok(Monitor {
        addr,
        server,
        hub,
        sampler,
        accept,
    })
}

impl Monitor {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop sampling, end every stream and stop listening.
    pub fn stop(self) -> Result<(), RemoteError> {
        let stopped = self.sampler.stop();
        self.hub.close();
        self.server.unblock();
        // The accept loop only forwards requests; if it panicked there is nothing left to undo.
        let _ = self.accept.join();
        stopped.map(|_| ()).map_err(RemoteError::from)
    }
}

fn accept_loop(server: &Server, hub: &Arc<Hub>, info: &str) {
    for request in server.incoming_requests() {
        let path = request
            .url()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let result = match path.as_str() {
            "/info" => request.respond(json(info.to_owned())),
            "/time" => request.respond(json(format!("{{\"t_ns\":{}}}", mono_ns()))),
            "/samples" => {
                let lines = hub.subscribe();
                // A stream lives as long as its client; it gets its own thread.
                let spawned = std::thread::Builder::new()
                    .name("energy-monitor-stream".to_owned())
                    .spawn(move || stream(request, &lines));
                spawned.map(|_| ())
            }
            _ => request.respond(
                Response::from_string("not found: try /info, /time or /samples\n")
                    .with_status_code(404),
            ),
        };
        if let Err(e) = result {
            eprintln!("energy-monitor: {path}: {e}");
        }
    }
}

fn json(body: String) -> Response<std::io::Cursor<Vec<u8>>> {
    let response = Response::from_string(body);
    match Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..]) {
        Ok(h) => response.with_header(h),
        Err(()) => response,
    }
}

/// Write each line as its own HTTP chunk and flush it, so samples arrive as they are taken
/// (the `tiny_http` chunked chunked writer would hold them back until 8 KiB accumulate).
fn stream(request: Request, lines: &Receiver<Arc<str>>) {
    let mut out = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n\
                Cache-Control: no-store\r\nTransfer-Encoding: chunked\r\n\r\n";
    let mut send = |bytes: &[u8]| -> std::io::Result<()> {
        out.write_all(bytes)?;
        out.flush()
    };
    if send(head.as_bytes()).is_err() {
        return;
    }
    while let Ok(line) = lines.recv() {
        let chunk = format!("{:x}\r\n{line}\r\n", line.len());
        if send(chunk.as_bytes()).is_err() {
            return;
        }
    }
    // The hub closed: end the body properly so the client sees a clean end of stream.
    let _ = send(b"0\r\n\r\n");
}
