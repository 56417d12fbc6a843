//! The gRPC side of `energy-monitor`: one sampler, its readings fanned out to every stream client.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::transport::{Identity, ServerTlsConfig};
use tonic::{Request, Response, Status};

use crate::clock::mono_ns;
use crate::collector::Collector;
use crate::detect::Roots;
use crate::host::host_info;
use crate::remote::proto::energy_monitor_server::{EnergyMonitor, EnergyMonitorServer};
use crate::remote::proto::{
    HostInfo, InfoRequest, Sample, StreamSamplesRequest, TimeReply, TimeRequest,
};
use crate::remote::{RemoteError, Token};
use crate::sampler::{self, SampleSink, SamplerConfig, SamplerHandle};
use crate::series::SampleLine;

/// Samples a slow client may fall behind before it is dropped.
const CLIENT_BACKLOG: usize = 4096;

/// A certificate chain and its private key, PEM.
#[derive(Clone)]
pub struct TlsIdentity {
    /// Certificate chain, PEM.
    pub cert_pem: Vec<u8>,
    /// Private key, PEM.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsIdentity(<key redacted>)")
    }
}

/// How the server admits clients. Beyond loopback both are required.
#[derive(Debug, Clone, Default)]
pub struct ServerSecurity {
    /// The bearer token every call must carry; `None` admits any caller (loopback only).
    pub token: Option<Token>,
    /// Serve TLS with this identity; `None` serves plaintext (loopback only).
    pub tls: Option<TlsIdentity>,
}

type Client = mpsc::Sender<Result<Sample, Status>>;

/// The stream clients, each fed through a bounded channel.
#[derive(Default)]
struct Hub {
    clients: Mutex<Vec<Client>>,
}

impl Hub {
    fn subscribe(&self) -> mpsc::Receiver<Result<Sample, Status>> {
        let (tx, rx) = mpsc::channel(CLIENT_BACKLOG);
        self.lock().push(tx);
        rx
    }

    fn publish(&self, sample: &Sample) {
        // A client that is gone or too far behind is dropped; its stream then ends.
        self.lock()
            .retain(|tx| tx.try_send(Ok(sample.clone())).is_ok());
    }

    fn close(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Client>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The sampler's sink: publishes each reading to every streaming client.
struct Broadcast {
    hub: Arc<Hub>,
}

impl SampleSink for Broadcast {
    fn line(&mut self, line: &SampleLine) -> std::io::Result<()> {
        self.hub.publish(&Sample::from(line.clone()));
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Service {
    info: HostInfo,
    hub: Arc<Hub>,
}

#[tonic::async_trait]
impl EnergyMonitor for Service {
    async fn info(&self, _: Request<InfoRequest>) -> Result<Response<HostInfo>, Status> {
        Ok(Response::new(self.info.clone()))
    }

    async fn time(&self, _: Request<TimeRequest>) -> Result<Response<TimeReply>, Status> {
        Ok(Response::new(TimeReply { t_ns: mono_ns() }))
    }

    type StreamSamplesStream = ReceiverStream<Result<Sample, Status>>;

    async fn stream_samples(
        &self,
        _: Request<StreamSamplesRequest>,
    ) -> Result<Response<Self::StreamSamplesStream>, Status> {
        Ok(Response::new(ReceiverStream::new(self.hub.subscribe())))
    }
}

/// A running `energy-monitor` server.
pub struct Monitor {
    addr: SocketAddr,
    hub: Arc<Hub>,
    sampler: SamplerHandle,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

/// Refuse an address beyond loopback unless `security` has both a token and TLS.
fn check_exposure(bind: &str, security: &ServerSecurity) -> Result<(), RemoteError> {
    let bind_error = |message: String| RemoteError::Bind {
        bind: bind.to_owned(),
        message,
    };
    let addrs: Vec<SocketAddr> = bind
        .to_socket_addrs()
        .map_err(|e| bind_error(e.to_string()))?
        .collect();
    let beyond_loopback = addrs.iter().any(|a| !a.ip().is_loopback());
    if beyond_loopback && (security.token.is_none() || security.tls.is_none()) {
        let mut missing = Vec::new();
        if security.token.is_none() {
            missing.push("a bearer token (--token-file or $ENERGY_MONITOR_TOKEN)");
        }
        if security.tls.is_none() {
            missing.push("TLS (--tls-cert and --tls-key)");
        }
        return Err(bind_error(format!(
            "the address reaches beyond loopback, which needs {}",
            missing.join(" and ")
        )));
    }
    Ok(())
}

/// Serve `collectors` on `bind` (`127.0.0.1:9464`; port 0 picks a free one), sampling every
/// `interval`; `roots` locate the host facts served by `Info`. An address beyond loopback is
/// refused unless `security` has both a token and TLS.
pub fn serve(
    bind: &str,
    mut collectors: Vec<Box<dyn Collector>>,
    roots: &Roots,
    interval: Duration,
    security: &ServerSecurity,
) -> Result<Monitor, RemoteError> {
    let bind_error = |message: String| RemoteError::Bind {
        bind: bind.to_owned(),
        message,
    };
    check_exposure(bind, security)?;
    let tls = security.tls.as_ref().map(|identity| {
        ServerTlsConfig::new().identity(Identity::from_pem(&identity.cert_pem, &identity.key_pem))
    });
    let listener = TcpListener::bind(bind).map_err(|e| bind_error(e.to_string()))?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("energy-monitor-grpc")
        .enable_all()
        .build()?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder
            .tls_config(tls)
            .map_err(|e| bind_error(format!("--tls-cert/--tls-key: {e}")))?;
    }

    let hub = Arc::new(Hub::default());
    let service = Service {
        info: HostInfo::from(&host_info(roots, &mut collectors)),
        hub: Arc::clone(&hub),
    };
    let token = security.token.clone();
    let service =
        EnergyMonitorServer::with_interceptor(service, move |request: Request<()>| match &token {
            Some(token) if !token.admits(request.metadata().get("authorization")) => {
                Err(Status::unauthenticated("a valid bearer token is required"))
            }
            _ => Ok(request),
        });
    let config = SamplerConfig {
        interval,
        keep_in_memory: false,
    };
    let sink = Broadcast {
        hub: Arc::clone(&hub),
    };
    let sampler = sampler::start(collectors, &config, Some(Box::new(sink)))?;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let router = builder.add_service(service);
    let server = std::thread::Builder::new()
        .name("energy-monitor-server".to_owned())
        .spawn(move || {
            let served = runtime.block_on(router.serve_with_incoming_shutdown(
                TcpListenerStream::new(listener),
                async {
                    // A dropped sender stops the server as well.
                    let _ = stopped.await;
                },
            ));
            if let Err(e) = served {
                eprintln!("energy-monitor: server stopped: {e}");
            }
        })?;
    Ok(Monitor {
        addr,
        hub,
        sampler,
        shutdown,
        server,
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
        // The server may already have stopped on its own; then there is no one to tell.
        let _ = self.shutdown.send(());
        // The server thread only serves; if it panicked there is nothing left to undo.
        let _ = self.server.join();
        stopped.map(|_| ()).map_err(RemoteError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> TlsIdentity {
        TlsIdentity {
            cert_pem: b"cert".to_vec(),
            key_pem: b"key".to_vec(),
        }
    }

    #[test]
    fn beyond_loopback_needs_both_token_and_tls() {
        let token = Token::new("t");
        let open = ServerSecurity::default();
        let token_only = ServerSecurity {
            token: token.clone(),
            tls: None,
        };
        let tls_only = ServerSecurity {
            token: None,
            tls: Some(identity()),
        };
        let both = ServerSecurity {
            token,
            tls: Some(identity()),
        };
        for bind in ["127.0.0.1:0", "[::1]:0", "localhost:0"] {
            assert!(check_exposure(bind, &open).is_ok(), "{bind}");
        }
        let err = check_exposure("0.0.0.0:9464", &open).expect_err("open");
        let text = err.to_string();
        assert!(
            text.starts_with("energy-monitor cannot listen on 0.0.0.0:9464"),
            "{text}"
        );
        assert!(
            text.contains("--token-file") && text.contains("--tls-cert"),
            "{text}"
        );
        let text = check_exposure("0.0.0.0:9464", &token_only)
            .expect_err("no tls")
            .to_string();
        assert!(
            text.contains("--tls-cert") && !text.contains("--token-file"),
            "{text}"
        );
        let text = check_exposure("[::]:9464", &tls_only)
            .expect_err("no token")
            .to_string();
        assert!(
            text.contains("--token-file") && !text.contains("--tls-cert"),
            "{text}"
        );
        assert!(check_exposure("0.0.0.0:9464", &both).is_ok());
    }
}
