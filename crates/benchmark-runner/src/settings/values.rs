//! The typed values a setting holds, each parsed from its one spelling (a flag's value, a
//! config's string): engine labels, devices, engine options, URLs, objectives, arrivals.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared_protocol::{Arrival, DeviceKind, EngineId};

/// `ID` or `ID@VARIANT`: an engine and the label it has in results (`sim@slow`, `candle@t1`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct EngineLabel {
    pub id: EngineId,
    pub label: String,
}

impl FromStr for EngineLabel {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (id, variant) = match raw.split_once('@') {
            Some((id, variant)) => (id, Some(variant)),
            None => (raw, None),
        };
        let id: EngineId = id.parse().map_err(|e| format!("{e}"))?;
        if let Some(v) = variant {
            let ok = !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
            if !ok {
                return Err(format!(
                    "engine variant '{raw}' must look like ID@NAME with letters, digits, '-' or '_' in NAME"
                ));
            }
        }
        Ok(EngineLabel {
            id,
            label: raw.to_owned(),
        })
    }
}

impl TryFrom<String> for EngineLabel {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// Where an engine runs: `cpu`, `cuda:N`, `wgpu:N`, `metal`, a server (`remote`) or nowhere
/// (`none`, synthetic engines). Written the same on the command line, in configs and on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Device {
    Cpu,
    Cuda(u32),
    Wgpu(u32),
    Metal,
    Remote,
    None,
}

impl Device {
    /// The kind of device, as the catalogue and workers name it.
    pub fn kind(self) -> DeviceKind {
        match self {
            Device::Cpu => DeviceKind::Cpu,
            Device::Cuda(_) => DeviceKind::Cuda,
            Device::Wgpu(_) => DeviceKind::Wgpu,
            Device::Metal => DeviceKind::Metal,
            Device::Remote => DeviceKind::Remote,
            Device::None => DeviceKind::None,
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cuda(i) => write!(f, "cuda:{i}"),
            Device::Wgpu(i) => write!(f, "wgpu:{i}"),
            other => f.write_str(other.kind().as_str()),
        }
    }
}

impl FromStr for Device {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let (kind, index) = match raw.split_once(':') {
            Some((k, i)) => (k, Some(i)),
            None => (raw, None),
        };
        let number = || match index {
            None => Ok(0),
            Some(i) => i
                .parse::<u32>()
                .map_err(|_| format!("device '{raw}': the index after ':' must be a number")),
        };
        let plain = |d: Device| match index {
            None => Ok(d),
            Some(_) => Err(format!("device '{raw}' takes no index")),
        };
        match kind {
            "cpu" => plain(Device::Cpu),
            "cuda" => Ok(Device::Cuda(number()?)),
            "wgpu" | "vulkan" => Ok(Device::Wgpu(number()?)),
            "metal" => plain(Device::Metal),
            "remote" => plain(Device::Remote),
            "none" => plain(Device::None),
            _ => Err(format!(
                "unknown device '{raw}' (cpu, cuda[:N], wgpu[:N], metal)"
            )),
        }
    }
}

impl TryFrom<String> for Device {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Device> for String {
    fn from(d: Device) -> String {
        d.to_string()
    }
}

/// `ENGINE.KEY=VALUE`: one engine option, VALUE as JSON when it parses, else as a string.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOpt {
    pub engine: String,
    pub key: String,
    pub value: Value,
}

impl FromStr for EngineOpt {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let bad = || "must look like ENGINE.KEY=VALUE (e.g. sim.ttft_ms=normal:20:2)".to_owned();
        let (lhs, value) = raw.split_once('=').ok_or_else(bad)?;
        let (engine, key) = lhs.split_once('.').ok_or_else(bad)?;
        if engine.is_empty() || key.is_empty() {
            return Err(bad());
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        Ok(EngineOpt {
            engine: engine.to_owned(),
            key: key.to_owned(),
            value,
        })
    }
}

/// `ENGINE=URL`: the base URL of a served engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineUrl {
    pub engine: String,
    pub url: String,
}

impl EngineUrl {
    /// A URL for `engine`, which must be http(s).
    pub fn new(engine: &str, url: &str) -> Result<EngineUrl, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("{engine}: '{url}' is not an http(s) URL"));
        }
        Ok(EngineUrl {
            engine: engine.to_owned(),
            url: url.to_owned(),
        })
    }
}

impl FromStr for EngineUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let (engine, url) = raw
            .split_once('=')
            .ok_or("must look like ENGINE=URL (e.g. vllm=http://127.0.0.1:8000)")?;
        // clap prints the value beside this message: do not repeat it.
        EngineUrl::new(engine, url)
            .map_err(|_| "the URL must start with http:// or https://".to_owned())
    }
}

/// A metric a service-level objective can bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SloMetric {
    TtftMs,
    TpotMs,
    E2eMs,
}

impl SloMetric {
    pub const ALL: [SloMetric; 3] = [SloMetric::TtftMs, SloMetric::TpotMs, SloMetric::E2eMs];

    pub fn as_str(self) -> &'static str {
        match self {
            SloMetric::TtftMs => "ttft_ms",
            SloMetric::TpotMs => "tpot_ms",
            SloMetric::E2eMs => "e2e_ms",
        }
    }

    /// The metric's value for a successful request (a one-token request has no TPOT and meets
    /// any TPOT objective).
    pub fn value(self, s: &crate::metrics::Request) -> Option<f64> {
        match self {
            SloMetric::TtftMs => crate::metrics::ttft_ms(s),
            SloMetric::TpotMs => crate::metrics::tpot_ms(s).or(Some(0.0)),
            SloMetric::E2eMs => Some(crate::metrics::e2e_ms(s)),
        }
    }
}

impl FromStr for SloMetric {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        SloMetric::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| format!("unknown objective '{raw}' (ttft_ms, tpot_ms, e2e_ms)"))
    }
}

/// `METRIC=LIMIT`: one service-level objective.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SloTerm {
    pub metric: SloMetric,
    pub limit: f64,
}

impl SloTerm {
    /// An objective with a positive, finite limit.
    pub fn new(metric: SloMetric, limit: f64) -> Result<SloTerm, String> {
        if limit.is_finite() && limit > 0.0 {
            Ok(SloTerm { metric, limit })
        } else {
            Err(format!(
                "{}: the limit must be a positive number, got {limit}",
                metric.as_str()
            ))
        }
    }
}

impl FromStr for SloTerm {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let bad = || "must look like METRIC=LIMIT with METRIC one of ttft_ms, tpot_ms, e2e_ms";
        let (metric, limit) = raw.split_once('=').ok_or_else(bad)?;
        let limit: f64 = limit.parse().map_err(|_| bad())?;
        SloTerm::new(metric.parse()?, limit)
    }
}

/// Open-loop arrivals: `constant`, `poisson` or `gamma:SHAPE`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct ArrivalSpec(pub Arrival);

impl FromStr for ArrivalSpec {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let arrival = match raw {
            "constant" => Arrival::Constant,
            "poisson" => Arrival::Poisson,
            other => match other.strip_prefix("gamma:").map(str::parse::<f64>) {
                Some(Ok(shape)) if shape.is_finite() && shape > 0.0 => Arrival::Gamma { shape },
                _ => return Err("must be constant, poisson or gamma:SHAPE with SHAPE > 0".into()),
            },
        };
        Ok(ArrivalSpec(arrival))
    }
}

impl TryFrom<String> for ArrivalSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// What an hourly price is set for: one engine (by label, sweep points included) or every engine
/// that runs on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceTarget {
    Engine(EngineLabel),
    Device(Device),
}

impl fmt::Display for PriceTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceTarget::Engine(l) => write!(f, "engine {}", l.label),
            PriceTarget::Device(d) => write!(f, "device {d}"),
        }
    }
}

/// `ENGINE=USD` or `DEVICE=USD`: the price of one hour of the device an engine runs on, in US
/// dollars.
#[derive(Debug, Clone, PartialEq)]
pub struct HourlyPrice {
    pub target: PriceTarget,
    pub usd_per_hour: f64,
}

impl HourlyPrice {
    /// A price for `key` (a device name, else an engine label), which must be a finite,
    /// non-negative number of dollars.
    pub fn new(key: &str, usd_per_hour: f64) -> Result<HourlyPrice, String> {
        let key = key.trim();
        let target = match key.parse::<Device>() {
            Ok(d) => PriceTarget::Device(d),
            Err(_) => PriceTarget::Engine(
                key.parse()
                    .map_err(|e| format!("price-per-hour '{key}': {e}"))?,
            ),
        };
        if !(usd_per_hour.is_finite() && usd_per_hour >= 0.0) {
            return Err(format!(
                "price-per-hour of {target}: the price must be a non-negative number of US dollars, got {usd_per_hour}"
            ));
        }
        Ok(HourlyPrice {
            target,
            usd_per_hour,
        })
    }
}

impl FromStr for HourlyPrice {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "'{raw}' must look like ENGINE=USD or DEVICE=USD (e.g. vllm=2.50 or cuda:0=2.50)"
            )
        };
        let (key, usd) = raw.split_once('=').ok_or_else(bad)?;
        if key.trim().is_empty() {
            return Err(bad());
        }
        let usd: f64 = usd.trim().parse().map_err(|_| bad())?;
        HourlyPrice::new(key, usd)
    }
}

/// `I/N`: shard `I` (from 0) of a run split `N` ways across machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let bad = || format!("must look like I/N with 0 <= I < N (e.g. 0/4), got {raw}");
        let (i, n) = raw.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(ShardSpec { index, count })
    }
}

impl TryFrom<String> for ShardSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// An RFC 3339 instant in UTC (`2026-05-01T12:00:00Z`): when shards start measuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct StartAt(pub jiff::Timestamp);

impl FromStr for StartAt {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        raw.trim()
            .parse::<jiff::Timestamp>()
            .map(StartAt)
            .map_err(|e| format!("must be an RFC 3339 instant such as 2026-05-01T12:00:00Z ({e})"))
    }
}

impl TryFrom<String> for StartAt {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}
