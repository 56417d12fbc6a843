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

use std::net::SocketAddr;

use bench_worker::mono_ns;
use bytes::{Buf, BytesMut};
use std::io::Write as _;
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
        })
    }

    /// Whether this connection can no longer carry a request: the last response asked to
    /// close it or was not read to its end, or the server has closed it since.
    pub fn is_closed(&self) -> bool {
        if !self.keep_alive || self.body.state != State::Done || self.pending != 0 {
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

    /// Read bytes into the buffer and stamp them; `Ok(false)` at end of file.
    async fn fill(&mut self) -> Result<bool, H1Error> {
        self.buf.reserve(READ_RESERVE);
        let Conn { io, buf, .. } = self;
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
                Ok(Err(e)) => return Err(e.into()),
                // Would block: readiness was cleared, wait again.
                Err(_) => {}
            }
        };
        let now = mono_ns();
        self.stamp = match kernel {
            Some(k) if k <= now => {
                self.lag.record(now - k);
                k
            }
            _ => now,
        };
        self.lag.reads += 1;
        // SAFETY: `recv` initialised the first `n` bytes of the spare capacity.
        unsafe { self.buf.set_len(self.buf.len() + n) };
        Ok(n > 0)
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
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Decode `wire` fed in pieces of `step` bytes; the body's data and whether it ended.
    fn decode(state: State, wire: &[u8], step: usize) -> Result<(Vec<u8>, bool), H1Error> {
        let mut body = Body { state };
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let mut fed = 0;
        loop {
            match body.next(&buf)? {
                Piece::Data { start, end } => {
                    out.extend_from_slice(&buf[start..end]);
                    buf.drain(..end);
                }
                Piece::End { consumed } => {
                    buf.drain(..consumed);
                    return Ok((out, true));
                }
                Piece::Need { consumed } => {
                    buf.drain(..consumed);
                    if fed == wire.len() {
                        return Ok((out, false));
                    }
                    let n = step.min(wire.len() - fed);
                    buf.extend_from_slice(&wire[fed..fed + n]);
                    fed += n;
                }
            }
        }
    }

    #[test]
    fn chunked_bodies_decode_whatever_the_read_sizes() {
        let wire = b"5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\n";
        for step in [1, 2, 3, 7, 64] {
            let (data, ended) = decode(State::Size, wire, step).expect("decodes");
            assert_eq!(data, b"hello 0123456789", "step {step}");
            assert!(ended, "step {step}");
        }
        // Bare LF line endings, upper-case hex, whitespace before extensions.
        let (data, ended) = decode(State::Size, b"3 ;x\nabc\nF\n0123456789abcde\n0\n\n", 4)
            .expect("lenient endings decode");
        assert_eq!(data, b"abc0123456789abcde");
        assert!(ended);
    }

    #[test]
    fn truncated_chunked_body_needs_more_and_never_ends() {
        let (data, ended) = decode(State::Size, b"5\r\nhel", 2).expect("partial");
        assert_eq!(data, b"hel");
        assert!(!ended);
        let (_, ended) = decode(State::Size, b"5\r\nhello\r\n", 3).expect("no last chunk");
        assert!(!ended);
    }

    #[test]
    fn malformed_chunk_framing_is_an_error() {
        for wire in [
            &b"zz\r\nhello\r\n"[..],
            b"\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"11111111111111111\r\n",
        ] {
            assert!(
                matches!(decode(State::Size, wire, 3), Err(H1Error::Invalid(_))),
                "{:?} accepted",
                String::from_utf8_lossy(wire)
            );
        }
        let long = vec![b'1'; MAX_LINE + 10];
        assert!(decode(State::Size, &long, long.len()).is_err());
    }

    #[test]
    fn length_and_close_delimited_bodies() {
        let (data, ended) = decode(State::Length(5), b"helloEXTRA", 3).expect("length");
        assert_eq!(data, b"hello");
        assert!(ended);
        let (data, ended) = decode(State::Length(0), b"", 1).expect("empty");
        assert!(data.is_empty() && ended);
        // A close-delimited body ends only at end of file, which the connection handles.
        let (data, ended) = decode(State::Close, b"all of it", 4).expect("close");
        assert_eq!(data, b"all of it");
        assert!(!ended);
    }

    fn head(text: &str) -> (usize, Head, State, bool) {
        parse_head(text.as_bytes())
            .expect("parses")
            .expect("complete")
    }

    #[test]
    fn heads_decide_framing_and_keep_alive() {
        let (len, h, state, keep) =
            head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nbody");
        assert_eq!((len, h.status, state, keep), (47, 200, State::Size, true));
        let (_, _, state, keep) = head("HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n");
        assert_eq!((state, keep), (State::Length(12), true));
        // Transfer-Encoding wins over Content-Length.
        let (_, _, state, _) = head(
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        );
        assert_eq!(state, State::Size);
        let (_, _, state, keep) =
            head("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n");
        assert_eq!((state, keep), (State::Length(1), false));
        // No length: delimited by close, never reused.
        let (_, _, state, keep) = head("HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!((state, keep), (State::Close, false));
        // HTTP/1.0 closes unless it says keep-alive.
        let (_, _, _, keep) = head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert!(!keep);
        let (_, _, _, keep) =
            head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
        assert!(keep);
        let (_, h, state, _) = head("HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!((h.status, state), (204, State::Length(0)));
    }

    #[test]
    fn incomplete_and_invalid_heads() {
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-")
                .expect("partial is fine")
                .is_none()
        );
        assert!(parse_head(b"HTTP/1.1 abc\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                .is_err()
        );
        let mut huge = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
        huge.resize(MAX_HEAD + 10, b'a');
        assert!(parse_head(&huge).is_err());
    }

    /// A one-shot server on loopback that answers each connection with `replies` in turn.
    async fn server(replies: Vec<&'static [u8]>) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut req = vec![0u8; 4096];
            for reply in replies {
                let _ = s.read(&mut req).await.expect("request");
                s.write_all(reply).await.expect("reply");
            }
            // Then close, so the client sees end of file.
        });
        addr
    }

    #[tokio::test]
    async fn one_connection_carries_requests_until_the_server_closes() {
        let addr = server(vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        ])
        .await;
        let mut conn = Conn::connect(addr).await.expect("connect");
        for want in [&b"abc"[..], b"hi"] {
            conn.send(b"GET / HTTP/1.1\r\n\r\n").await.expect("send");
            assert_eq!(conn.head().await.expect("head").status, 200);
            let mut got = Vec::new();
            let before = mono_ns();
            while let Some((d, stamp)) = conn.data().await.expect("body") {
                assert!(stamp > 0 && stamp <= mono_ns() && stamp + 1_000_000_000 > before);
                got.extend_from_slice(d);
            }
            assert_eq!(got, want);
        }
        // The server has closed: a third request finds the connection gone.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(conn.is_closed());
        let _ = conn.send(b"GET / HTTP/1.1\r\n\r\n").await;
        assert!(matches!(
            conn.head().await,
            Err(H1Error::Closed { .. } | H1Error::Io(_))
        ));
    }

    #[tokio::test]
    async fn a_body_cut_by_the_server_is_an_error_not_an_end() {
        let addr = server(vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        ])
        .await;
        let mut conn = Conn::connect(addr).await.expect("connect");
        conn.send(b"GET / HTTP/1.1\r\n\r\n").await.expect("send");
        conn.head().await.expect("head");
        assert_eq!(
            conn.data().await.expect("data").map(|d| d.0.to_vec()),
            Some(b"abc".to_vec())
        );
        assert!(matches!(conn.data().await, Err(H1Error::Closed { .. })));
        assert!(conn.is_closed());
    }
}
