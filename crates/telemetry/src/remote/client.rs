//! The runner's side of a remote telemetry stream: one local collector per remote collector.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::clock::mono_ns;
use crate::collector::Collector;
use crate::host::{DeviceInfo, HostInfo};
use crate::reading::{Domain, Reading, StaticInfo};
use crate::remote::RemoteError;
use crate::series::SampleLine;

/// How long to wait for the monitor to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

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

/// Connect to an `energy-monitor` at `url` (`http://gpu-host:9464`).
pub fn connect(url: &str) -> Result<Remote, RemoteError> {
    let base = url.trim_end_matches('/');
    let http = |message: String| RemoteError::Http {
        url: base.to_owned(),
        message,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .build()
        .into();
    let host: HostInfo = agent
        .get(format!("{base}/info"))
        .call()
        .map_err(|e| http(format!("GET /info: {e}")))?
        .into_body()
        .read_to_string()
        .map_err(|e| http(format!("GET /info: {e}")))
        .and_then(|text| {
            serde_json::from_str(&text).map_err(|e| http(format!("GET /info: bad JSON: {e}")))
        })?;
    let offset_ns = clock_offset(&agent, base).map_err(http)?;
    let stream = agent
        .get(format!("{base}/samples"))
        .call()
        .map_err(|e| http(format!("GET /samples: {e}")))?
        .into_body()
        .into_reader();

    let host_name = host.hostname.clone().unwrap_or_else(|| base.to_owned());
    let mut inboxes = Inboxes::new();
    let mut collectors: Vec<Box<dyn Collector>> = Vec::new();
    for device in &host.devices {
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        inboxes.insert(device.collector.clone(), Arc::clone(&inbox));
        collectors.push(Box::new(RemoteCollector {
            name: format!("remote:{}", device.collector),
            device: device.clone(),
            host: host_name.clone(),
            inbox,
        }));
    }
    std::thread::Builder::new()
        .name("energy-monitor-client".to_owned())
        .spawn(move || receive(BufReader::new(stream), offset_ns, &inboxes))?;
    Ok(Remote { host, collectors })
}

/// Round trips used to estimate the clock offset.
const TIME_PROBES: usize = 8;

/// Local minus remote monotonic time, from the `/time` probe with the shortest round trip.
fn clock_offset(agent: &ureq::Agent, base: &str) -> Result<i128, String> {
    #[derive(serde::Deserialize)]
    struct Time {
        t_ns: u64,
    }
    let mut best: Option<(u64, i128)> = None;
    for _ in 0..TIME_PROBES {
        let sent = mono_ns();
        let text = agent
            .get(format!("{base}/time"))
            .call()
            .and_then(|r| r.into_body().read_to_string())
            .map_err(|e| format!("GET /time: {e}"))?;
        let received = mono_ns();
        let remote: Time =
            serde_json::from_str(&text).map_err(|e| format!("GET /time: bad JSON: {e}"))?;
        let round_trip = received - sent;
        let offset = i128::from(sent + round_trip / 2) - i128::from(remote.t_ns);
        if best.is_none_or(|(rt, _)| round_trip < rt) {
            best = Some((round_trip, offset));
        }
    }
    best.map(|(_, offset)| offset)
        .ok_or_else(|| "no /time probe".to_owned())
}

/// Dispatch stream lines to their collectors, mapping remote time onto the local clock.
fn receive(reader: impl BufRead, offset_ns: i128, inboxes: &Inboxes) {
    let mut end = "energy-monitor stream ended".to_owned();
    for line in reader.lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                end = format!("energy-monitor stream failed: {e}");
                break;
            }
        };
        let Ok(sample) = serde_json::from_str::<SampleLine>(&line) else {
            continue;
        };
        let Some(inbox) = inboxes.get(&sample.collector) else {
            continue;
        };
        let mut reading = sample.reading;
        reading.observed_ns = u64::try_from(i128::from(sample.t_ns) + offset_ns).ok();
        lock(inbox).readings.push(reading);
    }
    for inbox in inboxes.values() {
        lock(inbox).closed = Some(end.clone());
    }
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
