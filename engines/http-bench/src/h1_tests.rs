//! Tests of the HTTP/1.1 connection: body framing at every read size, heads, and a loopback
//! server for keep-alive and cut bodies.

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
    let (len, h, state, keep) = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nbody");
    assert_eq!((len, h.status, state, keep), (47, 200, State::Size, true));
    let (_, _, state, keep) = head("HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n");
    assert_eq!((state, keep), (State::Length(12), true));
    // Transfer-Encoding wins over Content-Length.
    let (_, _, state, _) =
        head("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
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
        parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").is_err()
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
