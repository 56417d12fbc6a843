//! Running the mock: on the caller's runtime ([`serve`]) or on its own thread and runtime
//! ([`start_thread`]), so it never shares a thread with the client it is measured by.
//!
//! Each connection is one task that reads a request (head parsed with `httparse`, body by
//! `Content-Length`), answers it through [`handle`], and writes the reply chunked: the head
//! and every frame the body has ready go out in one write, then one write per burst of frames
//! as the body yields them. A new request is answered in the poll that reads it, so under load
//! it waits for at most one turn of the other connections.
//!
//! With [`MockTls`] the listener accepts TLS (`tokio-rustls`) and serves the same way over it.

use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use bytes::{Buf, Bytes, BytesMut};
use http::{Request, Response};
use http_body::Body as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::MockConfig;
use super::body::MockBody;
use super::service::{State, handle};
use super::tls::MockTls;

/// Largest request head or body the mock reads.
const MAX_REQUEST: usize = 1 << 20;

/// Accept connections on `listener` until `shutdown` completes; over TLS when `tls` is given.
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        // A connection error is the client's business (or a fault on purpose).
        match &acceptor {
            None => {
                tokio::spawn(async move { connection(stream, &state).await });
            }
            Some(acceptor) => {
                let accept = acceptor.accept(stream);
                tokio::spawn(async move {
                    // A refused handshake (a client that does not trust the mock) ends here.
                    let stream = accept.await?;
                    connection(stream, &state).await
                });
            }
        }
    }
}

/// Serve requests on one connection until the client closes it, a request is malformed, or a
/// fault closes it.
async fn connection(
    mut io: impl AsyncRead + AsyncWrite + Unpin,
    state: &State,
) -> std::io::Result<()> {
    let mut buf = BytesMut::with_capacity(4096);
    let mut out = BytesMut::with_capacity(4096);
    loop {
        let Some(req) = read_request(&mut io, &mut buf).await? else {
            return Ok(());
        };
        let req = match req {
            Ok(req) => req,
            Err(status) => {
                let reply =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                io.write_all(reply.as_bytes()).await?;
                io.flush().await?;
                return Ok(());
            }
        };
        // The `reset` fault: close without answering.
        let Ok(resp) = handle(state, req).await else {
            return Ok(());
        };
        if !write_response(&mut io, &mut out, resp).await? {
            return Ok(());
        }
    }
}

/// The next request, `None` at a clean end of the connection, or the status to refuse it with.
async fn read_request(
    io: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
) -> std::io::Result<Option<Result<Request<Bytes>, &'static str>>> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let mut builder = Request::builder()
                    .method(parsed.method.unwrap_or("GET"))
                    .uri(parsed.path.unwrap_or("/"));
                let mut length = 0usize;
                for h in parsed.headers.iter() {
                    if h.name.eq_ignore_ascii_case("content-length") {
                        match std::str::from_utf8(h.value)
                            .ok()
                            .and_then(|v| v.trim().parse().ok())
                        {
                            Some(n) if n <= MAX_REQUEST => length = n,
                            _ => return Ok(Some(Err("400 Bad Request"))),
                        }
                    } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                        return Ok(Some(Err("411 Length Required")));
                    }
                    builder = builder.header(h.name, h.value);
                }
                while buf.len() < head_len + length {
                    buf.reserve(head_len + length - buf.len());
                    if io.read_buf(buf).await? == 0 {
                        return Ok(None);
                    }
                }
                buf.advance(head_len);
                let body = buf.split_to(length).freeze();
                return Ok(Some(builder.body(body).map_err(|_| "400 Bad Request")));
            }
            Ok(httparse::Status::Partial) if buf.len() > MAX_REQUEST => {
                return Ok(Some(Err("431 Request Header Fields Too Large")));
            }
            Ok(httparse::Status::Partial) => {}
            Err(_) => return Ok(Some(Err("400 Bad Request"))),
        }
        buf.reserve(4096);
        if io.read_buf(buf).await? == 0 {
            return Ok(None);
        }
    }
}

/// Write `resp` with a chunked body; false when the connection must close (a cut on purpose).
async fn write_response(
    io: &mut (impl AsyncWrite + Unpin),
    out: &mut BytesMut,
    resp: Response<MockBody>,
) -> std::io::Result<bool> {
    let (parts, mut body) = resp.into_parts();
    out.clear();
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {} {}\r\n",
            parts.status.as_u16(),
            parts.status.canonical_reason().unwrap_or("")
        )
        .as_bytes(),
    );
    for (name, value) in &parts.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
    loop {
        // Everything the body has ready joins the pending bytes; when it has nothing ready,
        // the pending bytes are written, then the body is waited for.
        let ready =
            std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut body).poll_frame(cx))).await;
        let frame = match ready {
            Poll::Ready(frame) => frame,
            Poll::Pending => {
                if !out.is_empty() {
                    io.write_all(out).await?;
                    io.flush().await?;
                    out.clear();
                }
                // The body is yielding its turn (or waiting for a frame's time): give the turn
                // up here, since the poll above already counted as the body's yield.
                tokio::task::yield_now().await;
                std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
            }
        };
        match frame {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data()
                    && !data.is_empty()
                {
                    let _ = write!(out, "{:x}\r\n", data.len());
                    out.extend_from_slice(&data);
                    out.extend_from_slice(b"\r\n");
                }
            }
            Some(Err(_cut)) => {
                // Whatever was sent before the cut goes out; then the connection closes
                // without the terminating chunk.
                if !out.is_empty() {
                    io.write_all(out).await?;
                    io.flush().await?;
                }
                return Ok(false);
            }
            None => {
                out.extend_from_slice(b"0\r\n\r\n");
                io.write_all(out).await?;
                io.flush().await?;
                out.clear();
                return Ok(true);
            }
        }
    }
}

/// A mock running on its own thread; stopped when dropped.
#[derive(Debug)]
pub struct MockServer {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    /// The CA certificate (PEM) a client must trust, when the mock serves TLS.
    pub ca_pem: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockServer {
    /// `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` over TLS.
    pub fn url(&self) -> String {
        match self.ca_pem {
            None => format!("http://{}", self.addr),
            Some(_) => format!("https://{}", self.addr),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Start a mock on `127.0.0.1:port` (0: any free port) with its own runtime of `threads`
/// threads (1: a current-thread runtime).
pub fn start_thread(config: MockConfig, port: u16, threads: usize) -> std::io::Result<MockServer> {
    start_thread_with(config, port, threads, None)
}

/// [`start_thread`], serving TLS with `tls`'s certificate when given.
pub fn start_thread_with(
    config: MockConfig,
    port: u16,
    threads: usize,
    tls: Option<&MockTls>,
) -> std::io::Result<MockServer> {
    let server_config = tls.map(|t| Arc::clone(&t.server));
    let state = Arc::new(State::new(config));
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("http-bench-mock")
            .enable_all()
            .build()?
    };
    let listener = runtime.block_on(TcpListener::bind(("127.0.0.1", port)))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel();
    let served = Arc::clone(&state);
    let thread = std::thread::Builder::new()
        .name("http-bench-mock".into())
        .spawn(move || {
            runtime.block_on(serve(listener, served, server_config, async {
                let _ = rx.await;
            }));
            // Connections still open (a stalled stream) end with the runtime.
            runtime.shutdown_background();
        })?;
    Ok(MockServer {
        addr,
        state,
        ca_pem: tls.map(|t| t.ca_pem.clone()),
        shutdown: Some(tx),
        thread: Some(thread),
    })
}
