//! Model bandwidth utilisation: bytes read per decode step (weights and KV cache) over TPOT over
//! the measured bandwidth of the engine's device, and the fastest TPOT that bandwidth allows.

use serde::{Deserialize, Serialize};

use crate::manifest::{Host, MemoryBandwidth};
use crate::plan::Device;
use crate::store::EngineRun;

/// Bandwidth figures of one engine: bytes read per decode step (weights, plus the KV cache where
/// the worker says how many bytes one cached position holds), the measured read bandwidth, the
/// TPOT floor it allows and the utilisation at the TPOT median.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MbuFigures {
    /// Weights plus KV cache.
    pub bytes_per_step: u64,
    #[serde(default)]
    pub weight_bytes_per_step: u64,
    /// Keys and values read per step at the mean context of a decode step (mean prompt tokens
    /// plus half the mean completion tokens); `None` when the worker does not say.
    #[serde(default)]
    pub kv_bytes_per_step: Option<u64>,
    #[serde(default)]
    pub kv_bytes_per_position: Option<u64>,
    /// Bytes per second of the device the engine ran on (the CPU's read bandwidth, or a GPU's
    /// copy bandwidth counting bytes read plus written).
    #[serde(alias = "read_bytes_per_s")]
    pub bandwidth_bytes_per_s: f64,
    /// What `bandwidth_bytes_per_s` is and who measured it.
    #[serde(default)]
    pub bandwidth_source: String,
    pub floor_tpot_ms: Option<f64>,
    pub mbu: Option<f64>,
}

/// MBU from the worker's bytes per decode step and the bandwidth of the device the engine ran
/// on: for a CPU engine the host's read bandwidth recorded in the manifest, for a GPU engine
/// the copy bandwidth its worker measured on that GPU (`device_bandwidth` in its load details).
/// An engine with neither gets no MBU (a host figure never stands for a GPU). `tokens` are the
/// mean prompt and completion tokens, `tpot_ms` the TPOT median.
pub fn mbu(
    device: Option<Device>,
    host: &Host,
    runs: &[&EngineRun],
    tokens: Option<(f64, f64)>,
    tpot_ms: Option<f64>,
) -> Option<MbuFigures> {
    // What the first repetition that loaded says about the model.
    let detail = |key: &str| {
        runs.iter()
            .find_map(|r| r.loaded.as_ref()?.details.get(key).cloned())
    };
    let (bandwidth_bytes_per_s, bandwidth_source) =
        device_bandwidth(device?, host, detail("device_bandwidth").as_ref())?;
    let weight_bytes_per_step = detail("weight_bytes_per_token")
        .and_then(|v| v.as_u64())
        .or_else(|| runs.iter().find_map(|r| r.loaded.as_ref()?.model_bytes))?;
    let kv_bytes_per_position = detail("kv_bytes_per_position").and_then(|v| v.as_u64());
    let context = tokens.map(|(p, c)| mean_decode_context(p, c));
    let mut figures = mbu_figures(
        weight_bytes_per_step,
        kv_bytes_per_position.zip(context),
        tpot_ms,
        bandwidth_bytes_per_s,
    );
    figures.bandwidth_source = bandwidth_source;
    Some(figures)
}

/// The bandwidth behind MBU on `device`, and where it comes from: the host's measured read
/// bandwidth for `cpu`, the worker's own measurement (`worker`: its `device_bandwidth` detail)
/// for any other device.
fn device_bandwidth(
    device: Device,
    host: &Host,
    worker: Option<&serde_json::Value>,
) -> Option<(f64, String)> {
    if device == Device::Cpu {
        let Some(MemoryBandwidth::Measured(bw)) = &host.memory_bandwidth else {
            return None;
        };
        if bw.read_bytes_per_s <= 0.0 {
            return None;
        }
        return Some((
            bw.read_bytes_per_s,
            format!("host memory read, {} threads", bw.threads),
        ));
    }
    let bw = worker?;
    let bytes_per_s = bw.get("bytes_per_s")?.as_f64().filter(|b| *b > 0.0)?;
    let method = bw
        .get("method")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("measured by the worker");
    Some((bytes_per_s, format!("{device}: {method}")))
}

/// The bandwidth figures of a decode step that reads `weight_bytes` of weights and, where
/// known, `kv` = (bytes per cached position, mean positions attended), at TPOT `tpot_ms`.
fn mbu_figures(
    weight_bytes: u64,
    kv: Option<(u64, f64)>,
    tpot_ms: Option<f64>,
    bandwidth_bytes_per_s: f64,
) -> MbuFigures {
    let kv_bytes_per_step = kv.map(|(per, context)| (per as f64 * context).round() as u64);
    let bytes_per_step = weight_bytes + kv_bytes_per_step.unwrap_or(0);
    MbuFigures {
        bytes_per_step,
        weight_bytes_per_step: weight_bytes,
        kv_bytes_per_step,
        kv_bytes_per_position: kv.map(|(per, _)| per),
        bandwidth_bytes_per_s,
        bandwidth_source: String::new(),
        floor_tpot_ms: crate::bandwidth::floor_tpot_ms(bytes_per_step, bandwidth_bytes_per_s),
        mbu: tpot_ms.and_then(|t| crate::bandwidth::mbu(bytes_per_step, t, bandwidth_bytes_per_s)),
    }
}

/// Mean number of cached positions a decode step attends over, for a request of `prompt`
/// tokens that generates `completion`: the step producing token `j` (2..=n; the first comes
/// from the prefill) attends over `prompt + j - 1` positions, whose mean is
/// `prompt + n / 2`.
pub(crate) fn mean_decode_context(prompt: f64, completion: f64) -> f64 {
    prompt + completion / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bandwidth::Bandwidth;

    #[test]
    fn summaries_written_before_the_rename_still_read() {
        let m: MbuFigures = serde_json::from_value(serde_json::json!({
            "bytes_per_step": 100,
            "read_bytes_per_s": 4e10,
            "floor_tpot_ms": 0.0025,
            "mbu": 0.5,
        }))
        .expect("an older summary's MBU");
        assert!((m.bandwidth_bytes_per_s - 4e10).abs() < 1.0);
        assert!(m.bandwidth_source.is_empty());
    }

    fn host(read_bytes_per_s: Option<f64>) -> Host {
        Host {
            memory_bandwidth: read_bytes_per_s.map(|b| {
                MemoryBandwidth::Measured(Bandwidth {
                    read_bytes_per_s: b,
                    cpu_model: "x".into(),
                    threads: 2,
                    buffer_bytes: 1,
                    passes: 1,
                    build_profile: "release".into(),
                    measured_utc: String::new(),
                })
            }),
            ..Host::default()
        }
    }

    #[test]
    fn bandwidth_is_the_one_of_the_engines_device() {
        let gpu = serde_json::json!({
            "bytes_per_s": 3.0e12,
            "method": "device-to-device copy, bytes read plus written",
        });
        let (bw, source) =
            device_bandwidth(Device::Cpu, &host(Some(40e9)), Some(&gpu)).expect("host figure");
        assert!(
            (bw - 40e9).abs() < 1.0,
            "a CPU engine uses the host's figure"
        );
        assert_eq!(source, "host memory read, 2 threads");
        let (bw, source) =
            device_bandwidth(Device::Cuda(0), &host(Some(40e9)), Some(&gpu)).expect("worker");
        assert!(
            (bw - 3.0e12).abs() < 1.0,
            "a GPU engine uses its worker's figure"
        );
        assert!(
            source.starts_with("cuda:0: device-to-device copy"),
            "{source}"
        );
        assert_eq!(
            device_bandwidth(Device::Cuda(0), &host(Some(40e9)), None),
            None,
            "no host figure stands for a GPU"
        );
        let failed = serde_json::json!({ "unavailable": "too little free GPU memory" });
        assert_eq!(
            device_bandwidth(Device::Cuda(0), &host(None), Some(&failed)),
            None
        );
        assert_eq!(device_bandwidth(Device::Cpu, &host(None), None), None);
        let unmeasured = Host {
            memory_bandwidth: Some(MemoryBandwidth::Unavailable {
                unavailable: "debug".into(),
            }),
            ..Host::default()
        };
        assert_eq!(device_bandwidth(Device::Cpu, &unmeasured, None), None);
    }

    #[test]
    fn decode_context_is_the_mean_over_decode_steps() {
        // A 10-token prompt and 4 generated tokens: steps 2, 3, 4 attend over 11, 12, 13.
        assert!((mean_decode_context(10.0, 4.0) - 12.0).abs() < 1e-12);
    }

    #[test]
    fn mbu_counts_the_kv_cache_read_at_the_mean_context() {
        // SmolLM2-135M in lm-rs: 30 layers, 3 key-value heads of 64, f32 keys and values.
        let per_position = 2 * 30 * 3 * 64 * 4;
        let weights = 96_400_000;
        let bw = 40e9;
        let m = mbu_figures(weights, Some((per_position, 132.0)), Some(10.0), bw);
        assert_eq!(m.kv_bytes_per_position, Some(46_080));
        assert_eq!(m.kv_bytes_per_step, Some(46_080 * 132));
        assert_eq!(m.bytes_per_step, weights + 46_080 * 132);
        let expected = m.bytes_per_step as f64 / 0.010 / bw;
        assert!((m.mbu.expect("tpot given") - expected).abs() < 1e-12);
        assert!(
            (m.floor_tpot_ms.expect("bandwidth given") - m.bytes_per_step as f64 / bw * 1e3).abs()
                < 1e-9
        );
        // Without the worker's figure, weights only, and it says so.
        let w = mbu_figures(weights, None, None, bw);
        assert_eq!(
            (w.bytes_per_step, w.kv_bytes_per_step, w.mbu),
            (weights, None, None)
        );
    }
}
