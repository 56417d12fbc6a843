//! What candle-bench can be told: engine options (unknown keys refused) and the device string.

use anyhow::{Context, bail};
use candle_core::{DType, Device};
use serde::Deserialize;

/// Element type of a safetensors model's weights and activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightDType {
    F32,
    F16,
    Bf16,
}

impl From<WeightDType> for DType {
    fn from(d: WeightDType) -> DType {
        match d {
            WeightDType::F32 => DType::F32,
            WeightDType::F16 => DType::F16,
            WeightDType::Bf16 => DType::BF16,
        }
    }
}

/// candle-bench's engine options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandleOptions {
    /// CPU threads for candle's kernels (the rayon pool); all cores when absent.
    #[serde(default)]
    pub threads: Option<usize>,
    /// Safetensors models only: f32 on CPU and bf16 on CUDA when absent. GGUF weights keep their
    /// quantisation.
    #[serde(default)]
    pub dtype: Option<WeightDType>,
}

impl CandleOptions {
    /// Checks serde cannot express.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.threads == Some(0) {
            bail!("invalid engine option: threads must be at least 1");
        }
        Ok(())
    }
}

/// A device as the runner names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSpec {
    Cpu,
    Cuda(usize),
}

impl DeviceSpec {
    /// `cpu`, `cuda` (ordinal 0) or `cuda:N`.
    pub fn parse(s: &str) -> anyhow::Result<DeviceSpec> {
        Ok(
            match bench_worker::inputs::cpu_or_cuda(s, "candle-bench")? {
                None => DeviceSpec::Cpu,
                Some(n) => DeviceSpec::Cuda(n),
            },
        )
    }

    /// Open the device; CUDA fails unless the worker was built with `--features cuda`.
    pub fn open(self) -> anyhow::Result<Device> {
        match self {
            DeviceSpec::Cpu => Ok(Device::Cpu),
            DeviceSpec::Cuda(n) => Device::new_cuda(n).with_context(|| {
                format!("cannot open cuda:{n} (is candle-bench built with --features cuda?)")
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse() {
        assert_eq!(DeviceSpec::parse("cpu").expect("cpu"), DeviceSpec::Cpu);
        assert_eq!(
            DeviceSpec::parse("cuda").expect("cuda"),
            DeviceSpec::Cuda(0)
        );
        assert_eq!(
            DeviceSpec::parse("cuda:3").expect("cuda:3"),
            DeviceSpec::Cuda(3)
        );
        assert!(DeviceSpec::parse("cuda:x").is_err());
        assert!(DeviceSpec::parse("metal").is_err());
    }

    #[test]
    fn options_refuse_unknown_keys_and_zero_threads() {
        let mut m = serde_json::Map::new();
        m.insert("threads".into(), 2.into());
        m.insert("dtype".into(), "bf16".into());
        let o: CandleOptions = bench_worker::parse_options(&m).expect("valid");
        assert_eq!(
            o,
            CandleOptions {
                threads: Some(2),
                dtype: Some(WeightDType::Bf16)
            }
        );
        m.insert("thread".into(), 2.into());
        assert!(bench_worker::parse_options::<CandleOptions>(&m).is_err());
        assert!(
            CandleOptions {
                threads: Some(0),
                dtype: None
            }
            .validate()
            .is_err()
        );
    }
}
