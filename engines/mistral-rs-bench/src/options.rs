//! What mistral-rs-bench can be told: engine options (unknown keys refused) and the device string.

use anyhow::bail;
use serde::Deserialize;

/// mistral-rs-bench's engine options.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MistralRsOptions {
    /// CPU threads for the model's kernels (rayon's global pool); all cores when absent.
    #[serde(default)]
    pub threads: Option<usize>,
    /// Most sequences mistral.rs's scheduler runs at once (its own default, 32, when absent).
    #[serde(default = "default_max_num_seqs")]
    pub max_num_seqs: usize,
    /// Sequences mistral.rs's prefix cache holds; 0 (the default here) turns it off, so every
    /// request computes its whole prompt, as the other in-process engines do. mistral.rs's own
    /// default is 16.
    #[serde(default)]
    pub prefix_cache: usize,
    /// `PagedAttention` (CUDA only; mistral.rs's server turns it on there). Off when absent.
    #[serde(default)]
    pub paged_attention: bool,
}

fn default_max_num_seqs() -> usize {
    32
}

impl Default for MistralRsOptions {
    fn default() -> Self {
        MistralRsOptions {
            threads: None,
            max_num_seqs: default_max_num_seqs(),
            prefix_cache: 0,
            paged_attention: false,
        }
    }
}

impl MistralRsOptions {
    /// Checks serde cannot express.
    pub fn validate(&self, device: DeviceSpec) -> anyhow::Result<()> {
        if self.threads == Some(0) {
            bail!("invalid engine option: threads must be at least 1");
        }
        if self.max_num_seqs == 0 {
            bail!("invalid engine option: max_num_seqs must be at least 1");
        }
        if self.paged_attention && device == DeviceSpec::Cpu {
            bail!("invalid engine option: paged_attention needs a CUDA device");
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
            match bench_worker::inputs::cpu_or_cuda(s, "mistral-rs-bench")? {
                None => DeviceSpec::Cpu,
                Some(n) => DeviceSpec::Cuda(n),
            },
        )
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
            DeviceSpec::parse("cuda:2").expect("cuda:2"),
            DeviceSpec::Cuda(2)
        );
        assert!(DeviceSpec::parse("cuda:x").is_err());
        assert!(DeviceSpec::parse("metal").is_err());
    }

    #[test]
    fn options_default_to_mistral_rs_scheduler_and_no_prefix_cache() {
        let o: MistralRsOptions = bench_worker::parse_options(&serde_json::Map::new()).expect("{}");
        assert_eq!(o, MistralRsOptions::default());
        assert_eq!((o.max_num_seqs, o.prefix_cache), (32, 0));
        let mut m = serde_json::Map::new();
        m.insert("prefix_cache".into(), 16.into());
        m.insert("threads".into(), 2.into());
        let o: MistralRsOptions = bench_worker::parse_options(&m).expect("valid");
        assert_eq!((o.prefix_cache, o.threads), (16, Some(2)));
        m.insert("prefix_caches".into(), 1.into());
        assert!(bench_worker::parse_options::<MistralRsOptions>(&m).is_err());
    }

    #[test]
    fn bad_values_are_refused() {
        let bad = |o: MistralRsOptions, d| o.validate(d).expect_err("refused").to_string();
        let base = MistralRsOptions::default();
        assert!(
            bad(
                MistralRsOptions {
                    threads: Some(0),
                    ..base.clone()
                },
                DeviceSpec::Cpu
            )
            .contains("threads")
        );
        assert!(
            bad(
                MistralRsOptions {
                    max_num_seqs: 0,
                    ..base.clone()
                },
                DeviceSpec::Cpu
            )
            .contains("max_num_seqs")
        );
        assert!(
            bad(
                MistralRsOptions {
                    paged_attention: true,
                    ..base.clone()
                },
                DeviceSpec::Cpu
            )
            .contains("CUDA")
        );
        assert!(
            MistralRsOptions {
                paged_attention: true,
                ..base
            }
            .validate(DeviceSpec::Cuda(0))
            .is_ok()
        );
    }
}
