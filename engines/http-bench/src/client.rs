//! The measuring HTTP client: kept-alive HTTP/1.1 connections and one streamed request.
//!
//! The request is built before the clock is read; `start` is read just before it is handed to
//! the connection, and each body chunk is stamped the moment it arrives, before it is parsed.

use std::net::SocketAddr;
use std::time::Duration;

use bench_worker::mono_ns;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderValue, Method};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use shared_protocol::FailureKind;
use tokio::net::TcpStream;

use crate::api::Api;
use crate::decode::{Decoder, Progress, StreamError, excerpt};
use crate::record::Recorder;
use crate::secret::{ApiKey, scrub};
use crate::url::BaseUrl;

/// One kept-alive connection.
pub type Conn = SendRequest<Full<Bytes>>;

/// Where requests go.
#[derive(Debug)]
pub struct Target {
    pub base: BaseUrl,
    addrs: Vec<SocketAddr>,
    host: HeaderValue,
    pub api_key: Option<ApiKey>,
}

/// A failed request, before it becomes a sample's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    pub http_status: Option<u16>,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            http_status: None,
        }
    }
}

/// A request ready to send: everything but the clock reading.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub api: Api,
    pub path: String,
    pub body: Bytes,
    pub max_tokens: u32,
}

impl Target {
    /// Resolve the base URL's host once, so requests never wait on name resolution.
    pub async fn resolve(base: BaseUrl, api_key: Option<ApiKey>) -> Result<Target, Failure> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((base.host(), base.port()))
            .await
            .map_err(|e| {
                Failure::new(
                    FailureKind::Connection,
                    format!("cannot resolve {base}: {e}"),
                )
            })?
            .collect();
        if addrs.is_empty() {
            return Err(Failure::new(
                FailureKind::Connection,
                format!("{base} resolves to no address"),
            ));
        }
        let host = HeaderValue::from_str(base.authority()).map_err(|e| {
            Failure::new(FailureKind::Connection, format!("bad host in {base}: {e}"))
        })?;
        Ok(Target {
            base,
            addrs,
            host,
            api_key,
        })
    }

    /// Open a connection (no delay, HTTP/1.1 keep-alive); its driver runs as its own task.
    pub async fn connect(&self) -> Result<Conn, Failure> {
        let mut last = None;
        for addr in &self.addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    let (conn, driver) = http1::Builder::new()
                        .handshake(TokioIo::new(stream))
                        .await
                        .map_err(|e| connection_failure(&self.base, &e))?;
                    tokio::spawn(async move {
                        // The driver ends when the connection closes; its error is seen by the
                        // request in flight, if any.
                        let _ = driver.await;
                    });
                    return Ok(conn);
                }
                Err(e) => last = Some(e),
            }
        }
        let e = last.map_or_else(|| "no address".to_owned(), |e| e.to_string());
        Err(Failure::new(
            FailureKind::Connection,
            format!("cannot connect to {}: {e}", self.base),
        ))
    }

    /// The HTTP request for `p`.
    fn request(&self, p: &Prepared) -> Result<http::Request<Full<Bytes>>, Failure> {
        let mut b = http::Request::builder()
            .method(Method::POST)
            .uri(p.path.as_str())
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                ACCEPT,
                HeaderValue::from_static("text/event-stream, application/x-ndjson"),
            );
        if let Some(key) = &self.api_key {
            b = b.header(AUTHORIZATION, key.header().clone());
        }
        b.body(Full::new(p.body.clone())).map_err(|e| {
            Failure::new(
                FailureKind::EngineError,
                format!("cannot build request: {e}"),
            )
        })
    }

    /// A plain GET returning status and at most `limit` bytes of body (readiness, discovery).
    pub async fn get(
        &self,
        path: &str,
        limit: usize,
        timeout: Duration,
    ) -> Result<(u16, Bytes), Failure> {
        let fut = async {
            let mut conn = self.connect().await?;
            let mut b = http::Request::builder()
                .method(Method::GET)
                .uri(self.base.path(path))
                .header(HOST, self.host.clone());
            if let Some(key) = &self.api_key {
                b = b.header(AUTHORIZATION, key.header().clone());
            }
            let req = b
                .body(Full::new(Bytes::new()))
                .map_err(|e| Failure::new(FailureKind::EngineError, e.to_string()))?;
            let resp = conn
                .send_request(req)
                .await
                .map_err(|e| connection_failure(&self.base, &e))?;
            let status = resp.status().as_u16();
            let body = read_limited(resp.into_body(), limit).await;
            Ok((status, body))
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| Failure::new(FailureKind::Timeout, format!("GET {path} timed out")))?
    }
}

/// Send `p` on `conn` and read its stream into `rec` until the terminator. `rec.start_ns` is
/// set here. After `Ok` the body has been read to its end and `conn` can carry another
/// request; after an error it must be dropped.
pub async fn stream(
    target: &Target,
    conn: &mut Conn,
    p: &Prepared,
    rec: &mut Recorder,
) -> Result<(), Failure> {
    let req = target.request(p)?;
    let mut decoder = Decoder::new(p.api);
    rec.start_ns = mono_ns();
    let resp = conn
        .send_request(req)
        .await
        .map_err(|e| connection_failure(&target.base, &e))?;
    let status = resp.status();
    if !status.is_success() {
        let body = read_limited(resp.into_body(), 2048).await;
        let text = scrub(target.api_key.as_ref(), &excerpt(&body));
        return Err(Failure {
            kind: FailureKind::HttpStatus,
            message: format!("HTTP {status}: {text}"),
            http_status: Some(status.as_u16()),
        });
    }
    let mut body = resp.into_body();
    while !decoder.is_done() {
        let frame = body.frame().await;
        let now = mono_ns();
        match frame {
            None => {
                return Err(Failure::new(
                    FailureKind::StreamCut,
                    format!(
                        "stream ended before its terminator after {} content chunks",
                        rec.chunks()
                    ),
                ));
            }
            Some(Err(e)) => {
                return Err(Failure::new(
                    FailureKind::StreamCut,
                    format!(
                        "stream cut after {} content chunks: {}",
                        rec.chunks(),
                        error_chain(&e)
                    ),
                ));
            }
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    match decoder.feed(data, now, rec) {
                        Ok(Progress::More | Progress::Done) => {}
                        Err(StreamError::Malformed(m)) => {
                            return Err(Failure::new(
                                FailureKind::Malformed,
                                scrub(target.api_key.as_ref(), &format!("malformed event: {m}")),
                            ));
                        }
                        Err(StreamError::Engine(m)) => {
                            return Err(Failure::new(
                                FailureKind::EngineError,
                                scrub(
                                    target.api_key.as_ref(),
                                    &format!("server error in stream: {m}"),
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    // Read to the end of the body (normally just the chunked terminator) so the connection
    // can be reused; anything after the stream's terminator is ignored.
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
    Ok(())
}

async fn read_limited(mut body: hyper::body::Incoming, limit: usize) -> Bytes {
    let mut out = Vec::new();
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(d) = frame.data_ref() {
            let room = limit.saturating_sub(out.len());
            out.extend_from_slice(&d[..d.len().min(room)]);
            if out.len() >= limit {
                break;
            }
        }
    }
    Bytes::from(out)
}

fn connection_failure(base: &BaseUrl, e: &hyper::Error) -> Failure {
    Failure::new(
        FailureKind::Connection,
        format!("{base}: {}", error_chain(e)),
    )
}

/// An error and its sources, one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
