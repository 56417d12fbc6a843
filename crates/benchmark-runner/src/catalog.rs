//! The engines the runner knows: worker binary, kind and devices, per engine id.

use shared_protocol::{DeviceKind, EngineId};

/// How an engine is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The engine runs inside the worker process; the runner sends one request at a time.
    InProcess,
    /// The engine is a server; the worker runs the whole workload against it.
    Served,
    /// Synthetic; no model.
    Synthetic,
}

/// What the runner knows about an engine before spawning anything.
#[derive(Debug, Clone, Copy)]
pub struct EngineEntry {
    pub id: EngineId,
    pub worker: &'static str,
    pub kind: EngineKind,
    pub devices: &'static [DeviceKind],
    /// Cargo package that builds the worker.
    pub package: &'static str,
}

const LOCAL: &[DeviceKind] = &[DeviceKind::Cpu, DeviceKind::Cuda];

/// The catalogue entry for `id`.
pub fn entry(id: EngineId) -> EngineEntry {
    let (worker, kind, devices): (&str, EngineKind, &[DeviceKind]) = match id {
        EngineId::Candle => ("candle-bench", EngineKind::InProcess, LOCAL),
        EngineId::Burn => (
            "burn-bench",
            EngineKind::InProcess,
            &[DeviceKind::Cpu, DeviceKind::Cuda, DeviceKind::Wgpu],
        ),
        EngineId::MistralRs => ("mistral-rs-bench", EngineKind::InProcess, LOCAL),
        EngineId::LmRs => ("lm-rs-bench", EngineKind::InProcess, &[DeviceKind::Cpu]),
        EngineId::Pytorch => ("pytorch-baseline", EngineKind::InProcess, LOCAL),
        EngineId::Vllm
        | EngineId::Sglang
        | EngineId::Mlx
        | EngineId::Llamacpp
        | EngineId::Tgi
        | EngineId::Ollama
        | EngineId::Trtllm
        | EngineId::Litellm
        | EngineId::Openai => ("http-bench", EngineKind::Served, &[DeviceKind::Remote]),
        EngineId::Sim => ("sim-bench", EngineKind::Synthetic, &[DeviceKind::None]),
    };
    EngineEntry {
        id,
        worker,
        kind,
        devices,
        package: worker,
    }
}

/// Engines whose worker package exists in this workspace (the others are listed, not built).
pub fn has_package(id: EngineId) -> bool {
    !matches!(id, EngineId::Burn | EngineId::MistralRs | EngineId::Pytorch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_engines_share_http_bench() {
        for id in [
            EngineId::Vllm,
            EngineId::Ollama,
            EngineId::Tgi,
            EngineId::Openai,
        ] {
            assert_eq!(entry(id).worker, "http-bench");
            assert_eq!(entry(id).kind, EngineKind::Served);
        }
        assert_eq!(entry(EngineId::Candle).worker, "candle-bench");
        assert_eq!(entry(EngineId::Sim).kind, EngineKind::Synthetic);
    }
}
