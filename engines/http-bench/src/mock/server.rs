//! Running the mock: on the caller's runtime ([`serve`]) or on its own thread and runtime
//! ([`start_thread`]), so it never shares a thread with the client it is measured by.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::MockConfig;
use super::service::{State, handle};

/// Accept connections on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, state: Arc<State>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { handle(&state, req).await }
            });
            // A connection error is the client's business (or a fault on purpose).
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A mock running on its own thread; stopped when dropped.
#[derive(Debug)]
pub struct MockServer {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockServer {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
            runtime.block_on(serve(listener, served, async {
                let _ = rx.await;
            }));
            // Connections still open (a stalled stream) end with the runtime.
            runtime.shutdown_background();
        })?;
    Ok(MockServer {
        addr,
        state,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}
