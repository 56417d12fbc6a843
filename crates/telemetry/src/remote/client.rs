//! The runner's side of a remote telemetry stream: one local collector per remote collector.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tonic::Request;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use crate::clock::mono_ns;
use crate::collector::Collector;
use crate::host::{DeviceInfo, HostInfo};
use crate::reading::{Domain, Reading, StaticInfo};
use crate::remote::offset::{self, Probe};
use crate::remote::proto::energy_monitor_client::EnergyMonitorClient;
use crate::remote::proto::{InfoRequest, StreamSamplesRequest, TimeRequest};
use crate::remote::{RemoteError, Token, convert};

/// How long to wait for the monitor to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Round trips used to estimate the clock offset.
const TIME_PROBES: usize = 8;

/// What the runner presents to a monitor.
#[derive(Debug, Clone, Default)]
pub struct ClientSecurity {
    /// Sent as `authorization: Bearer <token>` on every call.
    pub token: Option<Token>,
    /// The CA certificate (PEM) that signed the monitor's certificate; required for `https://`.
    pub ca_pem: Option<Vec<u8>>,
}

/// A connected remote monitor.
pub struct Remote {
    /// The remote host, for the manifest.
    pub host: HostInfo,
    /// One collector per remote collector, named `remote:<name>`; hand them to the sampler.
    pub collectors: Vec<Box<dyn Collector>>,
}

/// What the stream thread hands one collector.
#[derive(Default)]
struct Inbox {
    readings: Vec<Reading>,
    closed: Option<String>,
}

type Inboxes = HashMap<String, Arc<Mutex<Inbox>>>;

/// One remote collector, fed by the stream.
pub struct RemoteCollector {
    name: String,
    device: DeviceInfo,
    host: String,
    inbox: Arc<Mutex<Inbox>>,
}

/// Adds the token to every call.
type Authorize = Box<dyn FnMut(Request<()>) -> Result<Request<()>, tonic::Status> + Send>;

type Client =
    EnergyMonitorClient<tonic::service::interceptor::InterceptedService<Channel, Authorize>>;

/// Connect to an `energy-monitor` at `url`: `http://127.0.0.1:9464` on loopback (an SSH
/// tunnel), or `https://gpu-host:9464` with the CA certificate in `security`. A token is never
/// sent in plaintext beyond loopback.
///
/// The connection and its stream live on a thread of their own, so this may be called from
/// inside an async runtime or outside one.
pub fn connect(url: &str, security: &ClientSecurity) -> Result<Remote, RemoteError> {
    let base = url.trim_end_matches('/').to_owned();
    let rpc = |message: String| RemoteError::Rpc {
        url: base.clone(),
        message,
    };
    let endpoint = endpoint(&base, security).map_err(rpc)?;
    let token = security.token.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("energy-monitor-client".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("runtime: {e}")));
                    return;
                }
            };
            runtime.block_on(run(endpoint, token, ready_tx));
        })?;
    let (host, inboxes) = ready_rx
        .recv()
        .map_err(|_| rpc("the connection thread ended".to_owned()))?
        .map_err(rpc)?;
    let host_name = host.hostname.clone().unwrap_or_else(|| base.clone());
    let collectors = host
        .devices
        .iter()
        .filter_map(|device| {
            let inbox = Arc::clone(inboxes.get(&device.collector)?);
            Some(Box::new(RemoteCollector {
                name: format!("remote:{}", device.collector),
                device: device.clone(),
                host: host_name.clone(),
                inbox,
            }) as Box<dyn Collector>)
        })
        .collect();
    Ok(Remote { host, collectors })
}

/// The endpoint of `base`, with TLS for `https://`; refuses a token over plaintext beyond
/// loopback.
fn endpoint(base: &str, security: &ClientSecurity) -> Result<Endpoint, String> {
    let endpoint = Endpoint::from_shared(base.to_owned())
        .map_err(|e| format!("not a URL ({e}); expected http://HOST:PORT or https://HOST:PORT"))?
        .connect_timeout(CONNECT_TIMEOUT);
    let uri = endpoint.uri().clone();
    match uri.scheme_str() {
        Some("https") => {
            let ca = security.ca_pem.as_ref().ok_or(
                "https:// needs the CA certificate that signed the monitor's (--telemetry-ca)",
            )?;
            let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca));
            if let Some(host) = uri.host() {
                tls = tls.domain_name(host.trim_start_matches('[').trim_end_matches(']'));
            }
            endpoint.tls_config(tls).map_err(|e| format!("TLS: {e}"))
        }
        Some("http") => {
            let loopback = match uri.host() {
                Some("localhost") => true,
                Some(host) => host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()),
                None => false,
            };
            if security.token.is_some() && !loopback {
                return Err(
                    "a token is only sent over TLS beyond loopback: use https:// with --telemetry-ca"
                        .to_owned(),
                );
            }
            Ok(endpoint)
        }
        _ => Err("expected http://HOST:PORT or https://HOST:PORT".to_owned()),
    }
}

type Ready = Result<(HostInfo, Inboxes), String>;

/// Connect, read the host facts, measure the clock offset, open the stream and report back
/// through `ready`; then deliver the stream to the collectors until it ends.
async fn run(endpoint: Endpoint, token: Option<Token>, ready: std::sync::mpsc::Sender<Ready>) {
    let opened = open(endpoint, token).await;
    let (host, offset_ns, mut stream) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let inboxes: Inboxes = host
        .devices
        .iter()
        .map(|d| (d.collector.clone(), Arc::default()))
        .collect();
    if ready.send(Ok((host, inboxes.clone()))).is_err() {
        return;
    }
    let end = loop {
        match stream.message().await {
            Ok(Some(sample)) => {
                let Some(inbox) = inboxes.get(&sample.collector) else {
                    continue;
                };
                let mut reading = convert::reading(sample.reading.unwrap_or_default());
                reading.observed_ns = offset::to_local(sample.t_ns, offset_ns);
                lock(inbox).readings.push(reading);
            }
            Ok(None) => break "energy-monitor stream ended".to_owned(),
            Err(status) => break format!("energy-monitor stream failed: {}", status.message()),
        }
    };
    for inbox in inboxes.values() {
        lock(inbox).closed = Some(end.clone());
    }
}

async fn open(
    endpoint: Endpoint,
    token: Option<Token>,
) -> Result<
    (
        HostInfo,
        i128,
        tonic::Streaming<crate::remote::proto::Sample>,
    ),
    String,
> {
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("connect: {}", error_chain(&e)))?;
    let authorize: Authorize = Box::new(move |mut request: Request<()>| {
        if let Some(token) = &token {
            request
                .metadata_mut()
                .insert("authorization", token.header().clone());
        }
        Ok(request)
    });
    let mut client: Client = EnergyMonitorClient::with_interceptor(channel, authorize);
    let host = client
        .info(InfoRequest {})
        .await
        .map_err(|s| format!("Info: {}: {}", code_name(s.code()), s.message()))?
        .into_inner();
    let mut probes = Vec::with_capacity(TIME_PROBES);
    for _ in 0..TIME_PROBES {
        let sent_ns = mono_ns();
        let reply = client
            .time(TimeRequest {})
            .await
            .map_err(|s| format!("Time: {}", s.message()))?;
        probes.push(Probe {
            sent_ns,
            received_ns: mono_ns(),
            remote_ns: reply.into_inner().t_ns,
        });
    }
    let offset_ns = offset::best_offset(&probes).ok_or("no Time probe")?;
    let stream = client
        .stream_samples(StreamSamplesRequest {})
        .await
        .map_err(|s| format!("StreamSamples: {}", s.message()))?
        .into_inner();
    Ok((convert::host_info(host), offset_ns, stream))
}

fn code_name(code: tonic::Code) -> String {
    match code {
        tonic::Code::Unauthenticated => "unauthenticated (check the token)".to_owned(),
        other => format!("{other:?}"),
    }
}

/// An error with its sources, which carry the reason (refused, certificate unknown).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn lock(inbox: &Mutex<Inbox>) -> std::sync::MutexGuard<'_, Inbox> {
    inbox.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Collector for RemoteCollector {
    fn name(&self) -> &str {
        &self.name
    }

    fn domain(&self) -> Domain {
        self.device.domain
    }

    fn static_info(&mut self) -> StaticInfo {
        let mut info = self.device.info.clone();
        info.notes.push(format!(
            "read on {} by energy-monitor as {}",
            self.host, self.device.collector
        ));
        info
    }

    fn read(&mut self) -> Reading {
        self.read_batch()
            .pop()
            .unwrap_or_else(|| Reading::failed("no remote sample yet"))
    }

    fn read_batch(&mut self) -> Vec<Reading> {
        let mut inbox = lock(&self.inbox);
        let readings = std::mem::take(&mut inbox.readings);
        match (&inbox.closed, readings.is_empty()) {
            (Some(reason), true) => vec![Reading::failed(reason.clone())],
            _ => readings,
        }
    }
}
