//! What burn-bench can be told: engine options (unknown keys refused) and the device string.

use anyhow::{Context, bail};
use serde::Deserialize;

/// burn-bench's engine options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurnOptions {
    /// CPU threads for burn-flex's kernels (the rayon pool); all cores when absent. CPU only.
    #[serde(default)]
    pub threads: Option<usize>,
    /// Most positions (prompt plus output) the KV cache holds; 4096 or the model's context
    /// length, whichever is smaller, when absent.
    #[serde(default)]
    pub max_seq_len: Option<usize>,
}

impl BurnOptions {
    /// Checks serde cannot express.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.threads == Some(0) {
            bail!("invalid engine option: threads must be at least 1");
        }
        if self.max_seq_len == Some(0) {
            bail!("invalid engine option: max_seq_len must be at least 1");
        }
        Ok(())
    }
}

/// A device as the runner names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSpec {
    /// burn-flex, burn's CPU backend.
    Cpu,
    /// burn's wgpu backend. 0 is the adapter wgpu prefers (a high-power GPU, or a software one
    /// such as lavapipe where no GPU is present); n > 0 the n-th discrete GPU. The adapter's
    /// name is recorded in the details.
    Wgpu(usize),
    /// burn's CUDA backend (cubecl, kernels compiled at run time by NVRTC).
    Cuda(usize),
}

impl DeviceSpec {
    /// `cpu`, `wgpu`, `wgpu:N`, `cuda` (ordinal 0) or `cuda:N`.
    pub fn parse(s: &str) -> anyhow::Result<DeviceSpec> {
        let index = |n: &str, what: &str| {
            n.parse::<usize>()
                .with_context(|| format!("invalid device '{s}': expected {what}:N"))
        };
        match s {
            "cpu" => Ok(DeviceSpec::Cpu),
            "wgpu" => Ok(DeviceSpec::Wgpu(0)),
            "cuda" => Ok(DeviceSpec::Cuda(0)),
            _ => {
                if let Some(n) = s.strip_prefix("wgpu:") {
                    Ok(DeviceSpec::Wgpu(index(n, "wgpu")?))
                } else if let Some(n) = s.strip_prefix("cuda:") {
                    Ok(DeviceSpec::Cuda(index(n, "cuda")?))
                } else {
                    bail!(
                        "device '{s}' is not supported by burn-bench (cpu, wgpu, wgpu:N, cuda, cuda:N)"
                    )
                }
            }
        }
    }

    /// The backend this device runs on, as recorded in the details.
    pub fn backend(self) -> &'static str {
        match self {
            DeviceSpec::Cpu => "flex",
            DeviceSpec::Wgpu(_) => "wgpu",
            DeviceSpec::Cuda(_) => "cuda",
        }
    }

    /// The burn device; an error names the cargo feature a GPU backend needs.
    pub fn open(self) -> anyhow::Result<burn::tensor::Device> {
        use burn::tensor::Device;
        match self {
            DeviceSpec::Cpu => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            DeviceSpec::Wgpu(n) => {
                use burn::tensor::DeviceKind;
                Ok(Device::wgpu(match n {
                    0 => DeviceKind::DefaultDevice,
                    n => DeviceKind::DiscreteGpu(n),
                }))
            }
            #[cfg(feature = "cuda")]
            DeviceSpec::Cuda(n) => Ok(Device::cuda(n)),
            #[allow(unreachable_patterns, reason = "reachable without a GPU feature")]
            other => bail!(
                "device {} needs burn-bench built with --features {}",
                match other {
                    DeviceSpec::Wgpu(n) => format!("wgpu:{n}"),
                    DeviceSpec::Cuda(n) => format!("cuda:{n}"),
                    DeviceSpec::Cpu => "cpu".to_owned(),
                },
                other.backend()
            ),
        }
    }

    /// Whether the backend queues work on a device (reading a result waits for it).
    pub fn queues_work(self) -> bool {
        !matches!(self, DeviceSpec::Cpu)
    }
}

/// The name the GPU backend's adapter gives itself (`llvmpipe (LLVM ...)` for lavapipe, the
/// card's name for a GPU); `None` on the CPU backend.
pub fn adapter_name(device: &burn::tensor::Device) -> Option<String> {
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    {
        device.identity().map(|id| id.name)
    }
    #[cfg(not(any(feature = "wgpu", feature = "cuda")))]
    {
        let _ = device;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse() {
        assert_eq!(DeviceSpec::parse("cpu").expect("cpu"), DeviceSpec::Cpu);
        assert_eq!(
            DeviceSpec::parse("wgpu").expect("wgpu"),
            DeviceSpec::Wgpu(0)
        );
        assert_eq!(
            DeviceSpec::parse("wgpu:1").expect("wgpu:1"),
            DeviceSpec::Wgpu(1)
        );
        assert_eq!(
            DeviceSpec::parse("cuda").expect("cuda"),
            DeviceSpec::Cuda(0)
        );
        assert_eq!(
            DeviceSpec::parse("cuda:2").expect("cuda:2"),
            DeviceSpec::Cuda(2)
        );
        for bad in ["cuda:x", "wgpu:", "metal", "CPU"] {
            assert!(DeviceSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    #[cfg(not(feature = "cuda"))]
    fn a_gpu_device_without_its_feature_names_the_feature() {
        let e = DeviceSpec::Cuda(0).open().expect_err("no cuda feature");
        assert!(e.to_string().contains("--features cuda"), "{e}");
    }

    #[test]
    fn options_refuse_unknown_keys_and_zeros() {
        let mut m = serde_json::Map::new();
        m.insert("threads".into(), 2.into());
        m.insert("max_seq_len".into(), 512.into());
        let o: BurnOptions = bench_worker::parse_options(&m).expect("valid");
        assert_eq!(
            o,
            BurnOptions {
                threads: Some(2),
                max_seq_len: Some(512)
            }
        );
        m.insert("thread".into(), 2.into());
        assert!(bench_worker::parse_options::<BurnOptions>(&m).is_err());
        assert!(
            BurnOptions {
                threads: Some(0),
                max_seq_len: None
            }
            .validate()
            .is_err()
        );
    }
}
