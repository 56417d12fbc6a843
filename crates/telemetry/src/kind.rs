//! Which telemetry sources to use: the `--telemetry` choice.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which telemetry sources to use, spelled the same on the command line, in configs and on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TelemetryKind {
    /// Every source the host has.
    #[default]
    Auto,
    /// NVIDIA GPUs through NVML.
    Nvml,
    /// AMD GPUs through amdgpu hwmon.
    Amd,
    /// CPU package and DRAM energy through RAPL powercap.
    Rapl,
    /// Apple Silicon through `powermetrics` (root only).
    Apple,
    /// No telemetry: energy fields stay empty, with the reason.
    None,
}

impl TelemetryKind {
    /// Every kind, in the order of the CLI help.
    pub const ALL: [Self; 6] = [
        Self::Auto,
        Self::Nvml,
        Self::Amd,
        Self::Rapl,
        Self::Apple,
        Self::None,
    ];

    /// The one spelling of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Nvml => "nvml",
            Self::Amd => "amd",
            Self::Rapl => "rapl",
            Self::Apple => "apple",
            Self::None => "none",
        }
    }
}

impl fmt::Display for TelemetryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--telemetry` value that names no kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown telemetry kind `{0}` (expected one of auto, nvml, amd, rapl, apple, none)")]
pub struct UnknownKind(pub String);

impl FromStr for TelemetryKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_for_parse_display_and_serde() {
        for kind in TelemetryKind::ALL {
            assert_eq!(kind.as_str().parse::<TelemetryKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).expect("serialize");
            assert_eq!(json, format!("\"{kind}\""));
        }
        assert!("NVML".parse::<TelemetryKind>().is_err());
    }
}
