//! Whether the engines of a race may generate at the same time: only where no two of them are
//! timed on the same CPU cores, GPU or serving host, since each would slow the other.

use std::fmt;

use crate::catalog::{self, EngineKind};
use crate::plan::{Device, EnginePlan};

/// What an engine's timings depend on, which a second engine running at once would disturb.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timed {
    /// This host's CPU cores: in-process CPU engines, servers on this host, a synthetic engine
    /// that spins while it waits.
    HostCores,
    /// One accelerator of this host (`cuda:0`, `wgpu:1`, `metal`).
    Device(String),
    /// A server on another host.
    RemoteHost(String),
    /// Nothing: a synthetic engine that sleeps.
    Nothing,
}

impl fmt::Display for Timed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timed::HostCores => f.write_str("this host's CPU cores"),
            Timed::Device(d) => write!(f, "{d}"),
            Timed::RemoteHost(h) => write!(f, "host {h}"),
            Timed::Nothing => f.write_str("nothing (simulated)"),
        }
    }
}

/// How the engines of a race run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All at once, each on its own resources.
    Concurrent,
    /// One after another, then replayed side by side at true speed.
    OneAfterAnother,
}

/// The mode and the reason the view and the summary show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub mode: Mode,
    pub reason: String,
}

impl Decision {
    /// One line for the view and the summary.
    pub fn line(&self) -> String {
        match self.mode {
            Mode::Concurrent => format!("ran at the same time: {}", self.reason),
            Mode::OneAfterAnother => format!(
                "ran one after another, replayed side by side at true speed: {}",
                self.reason
            ),
        }
    }
}

/// What `engine` is timed on, from the catalogue, its device and (served engines) its URL.
pub fn timed_on(engine: &EnginePlan) -> Timed {
    match catalog::entry(engine.id).kind {
        EngineKind::Synthetic => {
            let spins = engine
                .options
                .get("spin")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true);
            if spins {
                Timed::HostCores
            } else {
                Timed::Nothing
            }
        }
        EngineKind::Served => match engine
            .options
            .get("url")
            .and_then(serde_json::Value::as_str)
            .and_then(url_host)
        {
            Some(host) if !is_local(&host) => Timed::RemoteHost(host),
            // The engine's local default, or a server on this machine.
            _ => Timed::HostCores,
        },
        EngineKind::InProcess => match engine.device {
            Device::Cpu | Device::None | Device::Remote => Timed::HostCores,
            d => Timed::Device(d.to_string()),
        },
    }
}

/// The host of `http[s]://HOST[:PORT]/...`.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn is_local(host: &str) -> bool {
    host == "localhost" || host == "::1" || host.starts_with("127.") || host == "0.0.0.0"
}

/// Concurrent when no two engines are timed on the same thing; otherwise one after another,
/// naming the first pair that would share. `engines` holds each engine's label and what it is
/// timed on.
pub fn decide(engines: &[(String, Timed)]) -> Decision {
    if let [(label, _)] = engines {
        return Decision {
            mode: Mode::Concurrent,
            reason: format!("{label} races alone"),
        };
    }
    for (i, (label, timed)) in engines.iter().enumerate() {
        if *timed == Timed::Nothing {
            continue;
        }
        if let Some((other, _)) = engines[i + 1..].iter().find(|(_, t)| t == timed) {
            return Decision {
                mode: Mode::OneAfterAnother,
                reason: format!("{label} and {other} are both timed on {timed}"),
            };
        }
    }
    let each: Vec<String> = engines.iter().map(|(l, t)| format!("{l} on {t}")).collect();
    Decision {
        mode: Mode::Concurrent,
        reason: format!(
            "no two engines share what they are timed on ({})",
            each.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(label: &str, timed: Timed) -> (String, Timed) {
        (label.to_owned(), timed)
    }

    #[test]
    fn cpu_engines_share_the_host_cores_and_run_one_after_another() {
        let d = decide(&[
            pair("lm-rs", Timed::HostCores),
            pair("candle", Timed::HostCores),
            pair("vllm", Timed::RemoteHost("gpu-box".into())),
        ]);
        assert_eq!(d.mode, Mode::OneAfterAnother);
        assert_eq!(
            d.reason,
            "lm-rs and candle are both timed on this host's CPU cores"
        );
    }

    #[test]
    fn distinct_gpus_remote_hosts_and_sleeping_simulators_run_at_once() {
        let d = decide(&[
            pair("candle", Timed::Device("cuda:0".into())),
            pair("burn", Timed::Device("cuda:1".into())),
            pair("vllm", Timed::RemoteHost("gpu-box".into())),
            pair("sim", Timed::Nothing),
            pair("sim@2", Timed::Nothing),
        ]);
        assert_eq!(d.mode, Mode::Concurrent);
        assert!(d.reason.contains("candle on cuda:0"), "{}", d.reason);
    }

    #[test]
    fn the_same_gpu_or_the_same_server_host_is_shared() {
        let gpu = decide(&[
            pair("candle", Timed::Device("cuda:0".into())),
            pair("burn", Timed::Device("cuda:0".into())),
        ]);
        assert_eq!(gpu.mode, Mode::OneAfterAnother);
        let host = decide(&[
            pair("vllm", Timed::RemoteHost("a".into())),
            pair("sglang", Timed::RemoteHost("a".into())),
        ]);
        assert_eq!(host.reason, "vllm and sglang are both timed on host a");
    }

    fn engine(
        id: shared_protocol::EngineId,
        device: Device,
        options: serde_json::Value,
    ) -> EnginePlan {
        EnginePlan {
            id,
            label: id.as_str().to_owned(),
            worker: String::new(),
            device,
            options: match options {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
            load: shared_protocol::LoadPattern::Closed { concurrency: 1 },
        }
    }

    #[test]
    fn what_each_engine_is_timed_on_follows_its_kind_device_and_url() {
        use serde_json::json;
        use shared_protocol::EngineId;
        assert_eq!(
            timed_on(&engine(EngineId::LmRs, Device::Cpu, json!({}))),
            Timed::HostCores
        );
        assert_eq!(
            timed_on(&engine(EngineId::Candle, Device::Cuda(1), json!({}))),
            Timed::Device("cuda:1".into())
        );
        let remote = json!({"engine": "llamacpp", "url": "http://gpu-box:8080"});
        assert_eq!(
            timed_on(&engine(EngineId::Llamacpp, Device::Remote, remote)),
            Timed::RemoteHost("gpu-box".into())
        );
        // No URL: the engine's local default.
        assert_eq!(
            timed_on(&engine(EngineId::Llamacpp, Device::Remote, json!({}))),
            Timed::HostCores
        );
        // The synthetic engine spins a core while it waits unless told to sleep.
        assert_eq!(
            timed_on(&engine(EngineId::Sim, Device::None, json!({}))),
            Timed::HostCores
        );
        assert_eq!(
            timed_on(&engine(EngineId::Sim, Device::None, json!({"spin": false}))),
            Timed::Nothing
        );
    }

    #[test]
    fn one_engine_races_alone() {
        let d = decide(&[pair("lm-rs", Timed::HostCores)]);
        assert_eq!(d.line(), "ran at the same time: lm-rs races alone");
    }

    #[test]
    fn url_hosts_tell_local_servers_from_remote_ones() {
        assert_eq!(
            url_host("http://gpu-box:8000/v1").as_deref(),
            Some("gpu-box")
        );
        assert_eq!(url_host("https://[::1]:443").as_deref(), Some("::1"));
        assert_eq!(
            url_host("http://user@Example.org").as_deref(),
            Some("example.org")
        );
        assert!(is_local("127.0.0.1") && is_local("localhost") && !is_local("gpu-box"));
    }
}
