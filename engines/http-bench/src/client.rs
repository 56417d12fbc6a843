//! The measuring HTTP client: kept-alive HTTP/1.1 connections ([`crate::h1`]) and one streamed
//! request.
//!
//! The request's bytes are built before the clock is read; `start` is read just before they are
//! written to the socket, by the same task, and each piece of body data is stamped by the read
//! that brought it, before it is parsed.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bench_worker::mono_ns;
use bytes::Bytes;
use rustls::pki_types::ServerName;
use shared_protocol::FailureKind;

use crate::api::Api;
use crate::decode::{Decoder, Progress, StreamError, excerpt};
use crate::h1::{self, H1Error};
use crate::record::Recorder;
use crate::secret::{ApiKey, scrub};
use crate::url::BaseUrl;

/// One kept-alive connection.
pub type Conn = h1::Conn;

/// Where requests go.
#[derive(Debug)]
pub struct Target {
    pub base: BaseUrl,
    addrs: Vec<SocketAddr>,
    pub api_key: Option<ApiKey>,
    /// `https` bases: the TLS configuration and the name the certificate must carry.
    tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
}

/// A failed request, before it becomes a sample's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    pub http_status: Option<u16>,
    /// The TLS handshake failed (an untrusted certificate, no common protocol): trying again
    /// will not help.
    pub handshake: bool,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            http_status: None,
            handshake: false,
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
    /// Resolve the base URL's host once, so requests never wait on name resolution. An
    /// `https` base connects with `tls` (by default Mozilla's and the platform's roots).
    pub async fn resolve(
        base: BaseUrl,
        api_key: Option<ApiKey>,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Target, Failure> {
        let tls = if base.is_tls() {
            let config = match tls {
                Some(c) => c,
                None => crate::tls::client_config(&[], "")
                    .map_err(|e| Failure::new(FailureKind::Connection, e.to_string()))?,
            };
            let name = ServerName::try_from(base.host().to_owned()).map_err(|e| {
                Failure::new(
                    FailureKind::Connection,
                    format!("{base}: '{}' cannot be a TLS server name: {e}", base.host()),
                )
            })?;
            Some((config, name))
        } else {
            None
        };
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
        Ok(Target {
            base,
            addrs,
            api_key,
            tls,
        })
    }

    /// Open a connection (no delay, HTTP/1.1 keep-alive; TLS for an `https` base).
    pub async fn connect(&self) -> Result<Conn, Failure> {
        let mut last = None;
        for addr in &self.addrs {
            let conn = match &self.tls {
                None => Conn::connect(*addr).await.map_err(H1Error::from),
                Some((config, name)) => {
                    Conn::connect_tls(*addr, Arc::clone(config), name.clone()).await
                }
            };
            match conn {
                Ok(conn) => return Ok(conn),
                // The server answered and refused the session: another address will not help.
                Err(H1Error::Tls(e)) => {
                    let mut f = Failure::new(
                        FailureKind::Connection,
                        format!("cannot connect to {}: {}", self.base, H1Error::Tls(e)),
                    );
                    f.handshake = true;
                    return Err(f);
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

    /// The bytes of an HTTP/1.1 request: `method path`, the usual headers, and `body`.
    fn request_bytes(&self, method: &str, path: &str, body: Option<&[u8]>) -> Vec<u8> {
        let mut head = String::with_capacity(256);
        let _ = write!(
            head,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: http-bench/{}\r\n",
            self.base.authority(),
            env!("CARGO_PKG_VERSION")
        );
        if let Some(body) = body {
            let _ = write!(
                head,
                "Content-Type: application/json\r\nAccept: text/event-stream, application/x-ndjson\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        let mut out = head.into_bytes();
        if let Some(key) = &self.api_key {
            out.extend_from_slice(b"Authorization: ");
            out.extend_from_slice(key.header().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body.unwrap_or_default());
        out
    }

    /// A plain GET returning status and at most `limit` bytes of body (readiness, discovery).
    pub async fn get(
        &self,
        path: &str,
        limit: usize,
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), Failure> {
        let fut = async {
            let mut conn = self.connect().await?;
            let req = self.request_bytes("GET", &self.base.path(path), None);
            conn.send(&req)
                .await
                .map_err(|e| connection_failure(&self.base, &e))?;
            let head = conn
                .head()
                .await
                .map_err(|e| connection_failure(&self.base, &e))?;
            Ok((head.status, read_limited(&mut conn, limit).await))
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| Failure::new(FailureKind::Timeout, format!("GET {path} timed out")))?
    }
}

/// Send `p` on `conn` and read its stream into `rec` until the terminator. `rec.start_ns` is
/// set here. After `Ok` the body has been read to its end and `conn` can carry another
/// request (unless the server asked to close it); after an error it must be dropped.
pub async fn stream(
    target: &Target,
    conn: &mut Conn,
    p: &Prepared,
    rec: &mut Recorder,
) -> Result<(), Failure> {
    let req = target.request_bytes("POST", &p.path, Some(&p.body));
    let mut decoder = Decoder::new(p.api);
    rec.start_ns = mono_ns();
    conn.send(&req)
        .await
        .map_err(|e| connection_failure(&target.base, &e))?;
    let head = conn.head().await.map_err(|e| match e {
        H1Error::Invalid(m) => Failure::new(FailureKind::Malformed, m),
        e => connection_failure(&target.base, &e),
    })?;
    if !(200..300).contains(&head.status) {
        let body = read_limited(conn, 2048).await;
        let text = scrub(target.api_key.as_ref(), &excerpt(&body));
        return Err(Failure {
            kind: FailureKind::HttpStatus,
            message: format!("HTTP {}: {text}", head.status),
            http_status: Some(head.status),
            handshake: false,
        });
    }
    while !decoder.is_done() {
        let chunks = rec.chunks();
        let (data, now) = match conn.data().await {
            Ok(Some(piece)) => piece,
            Ok(None) => {
                return Err(Failure::new(
                    FailureKind::StreamCut,
                    format!("stream ended before its terminator after {chunks} content chunks"),
                ));
            }
            Err(e) => {
                return Err(Failure::new(
                    FailureKind::StreamCut,
                    format!("stream cut after {chunks} content chunks: {e}"),
                ));
            }
        };
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
    // Read to the end of the body (normally just the chunked terminator) so the connection
    // can be reused; anything after the stream's terminator is ignored. A failure here leaves
    // the connection unusable, which `Conn::is_closed` reports.
    while let Ok(Some(_)) = conn.data().await {}
    record_lag(conn.lag(), rec);
    Ok(())
}

/// Put the clock behind the arrival times, and the client's lag, into the sample's engine
/// metrics: `arrival_clock` is `kernel` when every read carried the kernel's receive time,
/// else `client`; `client_lag_max_ns` / `client_lag_mean_ns` are how long the client took to
/// read data after the kernel had it (over the reads that carried a kernel time).
fn record_lag(lag: h1::Lag, rec: &mut Recorder) {
    let kernel = lag.reads > 0 && lag.stamped == lag.reads;
    rec.engine_metrics.insert(
        "arrival_clock".into(),
        (if kernel { "kernel" } else { "client" }).into(),
    );
    rec.engine_metrics
        .insert("socket_reads".into(), lag.reads.into());
    if lag.stamped > 0 {
        rec.engine_metrics
            .insert("client_lag_max_ns".into(), lag.max_ns.into());
        rec.engine_metrics.insert(
            "client_lag_mean_ns".into(),
            (lag.sum_ns / u64::from(lag.stamped)).into(),
        );
    }
}

/// At most `limit` bytes of the body; the rest is left unread.
async fn read_limited(conn: &mut Conn, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some((d, _))) = conn.data().await {
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&d[..d.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    out
}

fn connection_failure(base: &BaseUrl, e: &H1Error) -> Failure {
    Failure::new(FailureKind::Connection, format!("{base}: {e}"))
}
