//! The measuring client's HTTP/1.1 connection: the request written by the task that times it,
//! the response head parsed with `httparse`, and the body (chunked, length-delimited or
//! delimited by the connection's close) decoded in place from one read buffer.
//!
//! Everything happens in the request's own task: no connection driver task, no channel between
//! the socket and the code that stamps it. Each piece of body data comes with the arrival time
//! of the socket read that brought it (data is never left in the buffer across reads, so that
//! time holds for every byte). On Linux the arrival time is the kernel's (`SO_TIMESTAMPNS`: when
//! the last segment of the read reached the socket), so a client thread that was busy or
//! descheduled does not lengthen any measured latency; how long it took to pick the data up
//! (the client's lag) is kept per response. Elsewhere it is the time the read returned.
//!
//! Over TLS (`https`) the same reads bring ciphertext, which rustls decrypts in the same task
//! right after the read: the plaintext of every TLS record the read completed joins the buffer
//! with that read's arrival time, so a record's bytes arrive when its last byte did, as the
//! server's flush of that record reached the socket.

use std::net::SocketAddr;
use std::sync::Arc;

use bench_worker::mono_ns;
use bytes::{Buf, BytesMut};
use rustls::pki_types::ServerName;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;

use tokio::io::unix::AsyncFd;

/// Longest accepted response head.
const MAX_HEAD: usize = 64 * 1024;
/// Longest accepted chunk-size or trailer line.
const MAX_LINE: usize = 4096;
/// Most response headers.
const MAX_HEADERS: usize = 96;
/// Bytes the read buffer grows by before a read.
const READ_RESERVE: usize = 16 * 1024;

/// What went wrong on a connection.
#[derive(Debug, thiserror::Error)]
pub enum H1Error {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the connection; `during` says what was being read.
    #[error("connection closed by the server {during}")]
    Closed { during: &'static str },
    #[error("invalid HTTP response: {0}")]
    Invalid(String),
    /// The TLS session failed: the handshake (an untrusted certificate) or a later record.
    #[error("{}", crate::tls::handshake_message(.0))]
    Tls(rustls::Error),
}

impl H1Error {
    fn invalid(msg: impl Into<String>) -> H1Error {
        H1Error::Invalid(msg.into())
    }
}

/// A response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
}

/// How a response body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk, this many bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines up to an empty one.
    Trailer,
    /// Content-Length body, this many bytes left.
    Length(u64),
    /// Body delimited by the connection's close.
    Close,
    /// The body has ended.
    Done,
}

/// The next step of a body over a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// Body data at `buf[start..end]`; consume up to `end` after using it.
    Data { start: usize, end: usize },
    /// More input is needed; consume `consumed` framing bytes first.
    Need { consumed: usize },
    /// The body ended after `consumed` bytes.
    End { consumed: usize },
}

/// A body decoder over a byte buffer (no I/O, so every framing case is testable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Body {
    state: State,
}

impl Body {
    fn next(&mut self, buf: &[u8]) -> Result<Piece, H1Error> {
        let mut i = 0;
        loop {
            let rest = &buf[i..];
            match self.state {
                State::Done => return Ok(Piece::End { consumed: i }),
                State::Close if rest.is_empty() => return Ok(Piece::Need { consumed: i }),
                State::Close => {
                    return Ok(Piece::Data {
                        start: i,
                        end: buf.len(),
                    });
                }
                State::Length(0) => {
                    self.state = State::Done;
                }
                State::Length(n) | State::Data(n) => {
                    if rest.is_empty() {
                        return Ok(Piece::Need { consumed: i });
                    }
                    let take = rest.len().min(usize::try_from(n).unwrap_or(usize::MAX));
                    let left = n - take as u64;
                    self.state = match self.state {
                        State::Length(_) => State::Length(left),
                        _ if left == 0 => State::DataEnd,
                        _ => State::Data(left),
                    };
                    return Ok(Piece::Data {
                        start: i,
                        end: i + take,
                    });
                }
                State::DataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        i += 2;
                        self.state = State::Size;
                    }
                    [b'\n', ..] => {
                        i += 1;
                        self.state = State::Size;
                    }
                    [] | [b'\r'] => return Ok(Piece::Need { consumed: i }),
                    _ => return Err(H1Error::invalid("chunk data not followed by CRLF")),
                },
                State::Size | State::Trailer => {
                    let Some(nl) = memchr::memchr(b'\n', rest) else {
                        if rest.len() > MAX_LINE {
                            return Err(H1Error::invalid("chunk-size line too long"));
                        }
                        return Ok(Piece::Need { consumed: i });
                    };
                    let line = rest[..nl].strip_suffix(b"\r").unwrap_or(&rest[..nl]);
                    i += nl + 1;
                    if self.state == State::Trailer {
                        if line.is_empty() {
                            self.state = State::Done;
                        }
                    } else {
                        let size = chunk_size(line)?;
                        self.state = if size == 0 {
                            State::Trailer
                        } else {
                            State::Data(size)
                        };
                    }
                }
            }
        }
    }
}

/// The hexadecimal size of a chunk-size line, extensions ignored.
fn chunk_size(line: &[u8]) -> Result<u64, H1Error> {
    let digits = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let bad = || {
        H1Error::invalid(format!(
            "bad chunk size {:?}",
            String::from_utf8_lossy(&line[..line.len().min(32)])
        ))
    };
    if digits.is_empty() || digits.len() > 16 {
        return Err(bad());
    }
    let text = std::str::from_utf8(digits).map_err(|_| bad())?;
    u64::from_str_radix(text, 16).map_err(|_| bad())
}

/// A parsed head and how its body is delimited, or `None` when `buf` holds no complete head.
fn parse_head(buf: &[u8]) -> Result<Option<(usize, Head, State, bool)>, H1Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Err(H1Error::invalid("response head larger than 64 KiB"));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(H1Error::invalid(format!("response head: {e}"))),
    };
    let status = resp.code.unwrap_or(0);
    let mut keep_alive = resp.version == Some(1);
    let mut chunked = None;
    let mut length = None;
    for h in resp.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // The final coding decides the framing.
            let last = value.rsplit(',').next().unwrap_or("").trim();
            chunked = Some(last.eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("content-length") {
            let n: u64 = value
                .parse()
                .map_err(|_| H1Error::invalid(format!("bad content-length {value:?}")))?;
            if length.is_some_and(|m| m != n) {
                return Err(H1Error::invalid("conflicting content-length headers"));
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    keep_alive = true;
                }
            }
        }
    }
    let state = if status == 204 || status == 304 || (100..200).contains(&status) {
        State::Length(0)
    } else {
        match (chunked, length) {
            (Some(true), _) => State::Size,
            (Some(false), _) | (None, None) => State::Close,
            (None, Some(n)) => State::Length(n),
        }
    };
    if state == State::Close {
        keep_alive = false;
    }
    Ok(Some((len, Head { status }, state, keep_alive)))
}

/// How long the client took to read data the kernel had received, over one response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lag {
    /// Socket reads.
    pub reads: u32,
    /// Reads that carried a kernel arrival time.
    pub stamped: u32,
    /// The longest lag, nanoseconds.
    pub max_ns: u64,
    /// Sum of the lags, nanoseconds.
    pub sum_ns: u64,
}

impl Lag {
    fn record(&mut self, ns: u64) {
        self.stamped += 1;
        self.max_ns = self.max_ns.max(ns);
        self.sum_ns += ns;
    }
}

/// Kernel receive timestamps (`SO_TIMESTAMPNS`): when the data of a read reached the socket.
#[cfg(target_os = "linux")]
mod rx_stamp {
    use std::mem::MaybeUninit;
    use std::os::fd::AsRawFd;

    use std::net::TcpStream;

    /// Ask the kernel to timestamp received data; false where it cannot.
    pub fn enable(io: &TcpStream) -> bool {
        let one: libc::c_int = 1;
        // SAFETY: a valid socket and an int option of the size given.
        unsafe {
            libc::setsockopt(
                io.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                (&raw const one).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            ) == 0
        }
    }

    /// One `recvmsg` into `buf`: bytes read, and the kernel's arrival time of the last of
    /// them on the monotonic clock (`None` when the kernel gave none).
    pub fn recv(
        io: &TcpStream,
        buf: &mut [MaybeUninit<u8>],
    ) -> std::io::Result<(usize, Option<u64>)> {
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // Room for one timespec control message, aligned for cmsghdr.
        let mut control = [0u64; 8];
        // SAFETY: msghdr is plain data; every pointer set below outlives the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = size_of_val(&control) as _;
        // SAFETY: the socket is valid and msg points at live buffers of the stated sizes.
        let n = unsafe { libc::recvmsg(io.as_raw_fd(), &raw mut msg, 0) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut stamp = None;
        // SAFETY: walking the control messages the kernel wrote into `control`.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&raw const msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                    let ts = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::timespec>());
                    stamp = Some(ts);
                }
                c = libc::CMSG_NXTHDR(&raw const msg, c);
            }
        }
        Ok((n as usize, stamp.map(to_mono)))
    }

    /// A `CLOCK_REALTIME` time on the monotonic clock, through the clocks' current offset.
    fn to_mono(ts: libc::timespec) -> u64 {
        let read = |clock| {
            let mut t = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: a valid clock id and a timespec to fill.
            unsafe { libc::clock_gettime(clock, &raw mut t) };
            i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
        };
        let mono = read(libc::CLOCK_MONOTONIC);
        let real = read(libc::CLOCK_REALTIME);
        let kernel = i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec);
        (kernel - (real - mono)).max(0) as u64
    }
}

/// Plain reads where the kernel gives no receive timestamps.
#[cfg(not(target_os = "linux"))]
mod rx_stamp {
    use std::mem::MaybeUninit;
    use std::os::fd::AsRawFd;

    use std::net::TcpStream;

    pub fn enable(_io: &TcpStream) -> bool {
        false
    }

    pub fn recv(
        io: &TcpStream,
        buf: &mut [MaybeUninit<u8>],
    ) -> std::io::Result<(usize, Option<u64>)> {
        // SAFETY: the socket is valid and `buf` is writable for its length.
        let n = unsafe { libc::recv(io.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((n as usize, None))
    }
}

/// One HTTP/1.1 connection, used by one request at a time.
#[derive(Debug)]
pub struct Conn {
    /// The socket (non-blocking), registered with the runtime by hand so that a read can mark it
    /// drained against the readiness it started from.
    io: AsyncFd<TcpStream>,
    buf: BytesMut,
    body: Body,
    /// Bytes of `buf` the last piece handed out; consumed on the next call.
    pending: usize,
    /// When the latest read returned.
    stamp: u64,
    /// Whether the connection can carry another request once the body is read.
    keep_alive: bool,
    /// The client's lag over the current response.
    lag: Lag,
    /// The TLS session of an `https` connection.
    tls: Option<Box<rustls::ClientConnection>>,
    /// Ciphertext of the latest read (TLS only).
    raw: BytesMut,
    /// The TLS peer has sent `close_notify`: no more data.
    tls_closed: bool,
    /// How long the TLS handshake took, nanoseconds (0 without TLS).
    handshake_ns: u64,
}

/// One read from the socket into `buf`'s spare room: bytes read and the kernel's arrival time.
async fn recv_into(
    io: &AsyncFd<TcpStream>,
    buf: &mut BytesMut,
) -> std::io::Result<(usize, Option<u64>)> {
    buf.reserve(READ_RESERVE);
    let room = buf.capacity() - buf.len();
    let (n, kernel) = loop {
        let mut guard = io.readable().await?;
        match guard.try_io(|s| rx_stamp::recv(s.get_ref(), buf.spare_capacity_mut())) {
            Ok(Ok((n, kernel))) => {
                if n > 0 && n < room {
                    // A short read drained the socket: mark it not ready now, instead of
                    // learning so from one more read that would block. The mark is against
                    // the readiness this read started from, so data whose arrival the
                    // runtime noticed since keeps the socket ready.
                    guard.clear_ready();
                }
                break (n, kernel);
            }
            Ok(Err(e)) => return Err(e),
            // Would block: readiness was cleared, wait again.
            Err(_) => {}
        }
    };
    // SAFETY: `recv` initialised the first `n` bytes of the spare capacity.
    unsafe { buf.set_len(buf.len() + n) };
    Ok((n, kernel))
}

impl Conn {
    /// Connect to `addr` with Nagle's algorithm off.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let io = tokio::net::TcpStream::connect(addr).await?;
        io.set_nodelay(true)?;
        // Non-blocking, as tokio left it.
        let io = io.into_std()?;
        rx_stamp::enable(&io);
        // SAFETY: the AsyncFd owns the std stream, whose descriptor stays open and the same
        // until the AsyncFd is dropped.
        let io = unsafe { AsyncFd::register(io) }.map_err(std::io::Error::from)?;
        Ok(Conn {
            io,
            buf: BytesMut::with_capacity(READ_RESERVE),
            body: Body { state: State::Done },
            pending: 0,
            stamp: 0,
            keep_alive: true,
            lag: Lag::default(),
            tls: None,
            raw: BytesMut::new(),
            tls_closed: false,
            handshake_ns: 0,
        })
    }

    /// Connect to `addr` and complete a TLS handshake with `name` (the URL's host) under
    /// `config`; the handshake's time is kept ([`Conn::handshake_ns`]).
    pub async fn connect_tls(
        addr: SocketAddr,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<Conn, H1Error> {
        let mut conn = Conn::connect(addr).await?;
        let t0 = mono_ns();
        let session = rustls::ClientConnection::new(config, name).map_err(H1Error::Tls)?;
        conn.tls = Some(Box::new(session));
        loop {
            conn.flush_tls().await?;
            if !conn.tls.as_ref().is_some_and(|t| t.is_handshaking()) {
                break;
            }
            conn.raw.clear();
            let (n, _) = recv_into(&conn.io, &mut conn.raw).await?;
            if n == 0 {
                return Err(H1Error::Closed {
                    during: "during the TLS handshake",
                });
            }
            conn.decrypt()?;
        }
        conn.handshake_ns = mono_ns() - t0;
        Ok(conn)
    }

    /// How long the TLS handshake took, nanoseconds; 0 on a plain connection.
    pub fn handshake_ns(&self) -> u64 {
        self.handshake_ns
    }

    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The negotiated TLS version and cipher suite, as rustls names them.
    pub fn tls_session(&self) -> Option<(String, String)> {
        let tls = self.tls.as_ref()?;
        Some((
            format!("{:?}", tls.protocol_version()?),
            format!("{:?}", tls.negotiated_cipher_suite()?.suite()),
        ))
    }

    /// Feed the latest read's ciphertext to the TLS session and move every plaintext byte it
    /// yields into the buffer; the plaintext bytes added.
    fn decrypt(&mut self) -> Result<usize, H1Error> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(0);
        };
        let mut rest: &[u8] = &self.raw;
        let mut added = 0;
        while !rest.is_empty() {
            tls.read_tls(&mut rest)?;
            let state = tls.process_new_packets().map_err(H1Error::Tls)?;
            let ready = state.plaintext_bytes_to_read();
            if ready > 0 {
                let at = self.buf.len();
                self.buf.resize(at + ready, 0);
                tls.reader().read_exact(&mut self.buf[at..])?;
                added += ready;
            }
            if state.peer_has_closed() {
                self.tls_closed = true;
            }
        }
        Ok(added)
    }

    /// Write whatever the TLS session has queued (handshake messages, records, alerts).
    async fn flush_tls(&mut self) -> Result<(), H1Error> {
        let Conn { io, tls, .. } = self;
        let Some(tls) = tls.as_mut() else {
            return Ok(());
        };
        while tls.wants_write() {
            let mut guard = io.writable().await?;
            match guard.try_io(|s| tls.write_tls(&mut s.get_ref())) {
                Ok(Ok(0)) => return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into()),
                Ok(Err(e)) => return Err(e.into()),
                // Written (the loop asks again), or would block: readiness was cleared.
                Ok(Ok(_)) | Err(_) => {}
            }
        }
        Ok(())
    }

    /// Whether this connection can no longer carry a request: the last response asked to
    /// close it or was not read to its end, or the server has closed it since.
    pub fn is_closed(&self) -> bool {
        if !self.keep_alive
            || self.body.state != State::Done
            || self.pending != 0
            || self.tls_closed
        {
            return true;
        }
        let mut probe = [0u8; 1];
        // Open and idle: the peek would block. End of file or stray bytes: not reusable.
        !matches!(self.io.get_ref().peek(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }

    /// The client's lag since the current response's head was asked for.
    pub fn lag(&self) -> Lag {
        self.lag
    }

    /// Write a whole request (head and body).
    pub async fn send(&mut self, request: &[u8]) -> Result<(), H1Error> {
        if let Some(tls) = self.tls.as_mut() {
            tls.writer().write_all(request)?;
            return self.flush_tls().await;
        }
        let mut sent = 0;
        while sent < request.len() {
            let mut guard = self.io.writable().await?;
            match guard.try_io(|s| s.get_ref().write(&request[sent..])) {
                Ok(Ok(0)) => return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into()),
                Ok(Ok(n)) => sent += n,
                Ok(Err(e)) => return Err(e.into()),
                // Would block: readiness was cleared, wait again.
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// Read bytes into the buffer and stamp them; `Ok(false)` at end of file. Over TLS, reads
    /// go on until one completes a record with data (or the stream ends).
    async fn fill(&mut self) -> Result<bool, H1Error> {
        if self.tls.is_none() {
            let (n, kernel) = recv_into(&self.io, &mut self.buf).await?;
            self.note_read(kernel);
            return Ok(n > 0);
        }
        loop {
            if self.tls_closed {
                return Ok(false);
            }
            self.raw.clear();
            let (n, kernel) = recv_into(&self.io, &mut self.raw).await?;
            self.note_read(kernel);
            if n == 0 {
                return Ok(false);
            }
            let added = self.decrypt()?;
            // Post-handshake messages may want an answer (a key update).
            self.flush_tls().await?;
            if added > 0 {
                return Ok(true);
            }
        }
    }

    /// Stamp the data of the read that just returned: the kernel's arrival time where it gave
    /// one (and the client's lag behind it), else now.
    fn note_read(&mut self, kernel: Option<u64>) {
        let now = mono_ns();
        self.stamp = match kernel {
            Some(k) if k <= now => {
                self.lag.record(now - k);
                k
            }
            _ => now,
        };
        self.lag.reads += 1;
    }

    /// Read the response head (skipping interim `1xx` ones); the body follows through
    /// [`Conn::data`].
    pub async fn head(&mut self) -> Result<Head, H1Error> {
        self.buf.advance(std::mem::take(&mut self.pending));
        self.lag = Lag::default();
        loop {
            if let Some((len, head, state, keep_alive)) = parse_head(&self.buf)? {
                self.buf.advance(len);
                if (100..200).contains(&head.status) && head.status != 101 {
                    continue;
                }
                self.body = Body { state };
                self.keep_alive = keep_alive;
                return Ok(head);
            }
            if !self.fill().await? {
                self.keep_alive = false;
                return Err(H1Error::Closed {
                    during: if self.buf.is_empty() {
                        "before a response"
                    } else {
                        "inside the response head"
                    },
                });
            }
        }
    }

    /// The next piece of the response body and the time its bytes arrived; `None` once the
    /// body has ended.
    pub async fn data(&mut self) -> Result<Option<(&[u8], u64)>, H1Error> {
        self.buf.advance(std::mem::take(&mut self.pending));
        loop {
            match self.body.next(&self.buf)? {
                Piece::Data { start, end } => {
                    self.pending = end;
                    return Ok(Some((&self.buf[start..end], self.stamp)));
                }
                Piece::End { consumed } => {
                    self.buf.advance(consumed);
                    return Ok(None);
                }
                Piece::Need { consumed } => {
                    self.buf.advance(consumed);
                    if !self.fill().await? {
                        self.keep_alive = false;
                        if self.body.state == State::Close {
                            self.body.state = State::Done;
                            return Ok(None);
                        }
                        return Err(H1Error::Closed {
                            during: "before the end of the response body",
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "h1_tests.rs"]
mod tests;
