//! The closed set of engine ids, devices and model formats, spelled one way everywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every engine the project knows. The spelling in [`EngineId::as_str`] is the one used on the
/// command line, in configs, on the wire and in results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EngineId {
    Candle,
    Burn,
    MistralRs,
    LmRs,
    Pytorch,
    Vllm,
    Sglang,
    Mlx,
    Llamacpp,
    Tgi,
    Ollama,
    Trtllm,
    Litellm,
    Openai,
    Sim,
}

impl EngineId {
    /// All engine ids, in the order `list-engines` shows them.
    pub const ALL: [EngineId; 15] = [
        EngineId::Candle,
        EngineId::Burn,
        EngineId::MistralRs,
        EngineId::LmRs,
        EngineId::Pytorch,
        EngineId::Vllm,
        EngineId::Sglang,
        EngineId::Mlx,
        EngineId::Llamacpp,
        EngineId::Tgi,
        EngineId::Ollama,
        EngineId::Trtllm,
        EngineId::Litellm,
        EngineId::Openai,
        EngineId::Sim,
    ];

    /// Engines served over HTTP (one worker, `http-bench`, speaks to all of them).
    pub const SERVED: [EngineId; 9] = [
        EngineId::Vllm,
        EngineId::Sglang,
        EngineId::Mlx,
        EngineId::Llamacpp,
        EngineId::Tgi,
        EngineId::Ollama,
        EngineId::Trtllm,
        EngineId::Litellm,
        EngineId::Openai,
    ];

    /// Whether this engine is a server reached over HTTP.
    pub fn is_served(self) -> bool {
        Self::SERVED.contains(&self)
    }

    /// The one spelling of this id.
    pub const fn as_str(self) -> &'static str {
        match self {
            EngineId::Candle => "candle",
            EngineId::Burn => "burn",
            EngineId::MistralRs => "mistral-rs",
            EngineId::LmRs => "lm-rs",
            EngineId::Pytorch => "pytorch",
            EngineId::Vllm => "vllm",
            EngineId::Sglang => "sglang",
            EngineId::Mlx => "mlx",
            EngineId::Llamacpp => "llamacpp",
            EngineId::Tgi => "tgi",
            EngineId::Ollama => "ollama",
            EngineId::Trtllm => "trtllm",
            EngineId::Litellm => "litellm",
            EngineId::Openai => "openai",
            EngineId::Sim => "sim",
        }
    }
}

impl fmt::Display for EngineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine id that is not in [`EngineId::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEngine(pub String);

impl fmt::Display for UnknownEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = EngineId::ALL.iter().map(|e| e.as_str()).collect();
        write!(
            f,
            "unknown engine '{}' (known: {})",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownEngine {}

impl FromStr for EngineId {
    type Err = UnknownEngine;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EngineId::ALL
            .iter()
            .copied()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| UnknownEngine(s.to_owned()))
    }
}

/// Where an engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// The host CPU.
    Cpu,
    /// An NVIDIA GPU through CUDA.
    Cuda,
    /// A GPU through wgpu.
    Wgpu,
    /// Apple's Metal.
    Metal,
    /// A server reached over HTTP; the device is the server's business.
    Remote,
    /// A synthetic engine that computes nothing.
    None,
}

impl DeviceKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Cuda => "cuda",
            DeviceKind::Wgpu => "wgpu",
            DeviceKind::Metal => "metal",
            DeviceKind::Remote => "remote",
            DeviceKind::None => "none",
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// On-disk format of a model's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ModelFormat {
    /// One `.gguf` file (weights, tokenizer and chat template in its metadata).
    Gguf,
    /// A Hugging Face directory: `config.json`, `*.safetensors`, `tokenizer.json`.
    Safetensors,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_round_trips_through_its_one_spelling() {
        for id in EngineId::ALL {
            assert_eq!(id.as_str().parse::<EngineId>(), Ok(id));
            let json = serde_json::to_string(&id).expect("serialize");
            assert_eq!(json, format!("\"{}\"", id.as_str()));
        }
    }

    #[test]
    fn unknown_id_names_the_known_ones() {
        let err = "candel".parse::<EngineId>().expect_err("must fail");
        let msg = err.to_string();
        assert!(msg.contains("'candel'"), "{msg}");
        assert!(msg.contains("mistral-rs"), "{msg}");
    }
}
