//! Peak dense arithmetic throughput of the device an engine ran on, MFU's denominator: NVIDIA's
//! published figures per GPU and data type, matched on the GPU's name, or the host's measured
//! f32 matrix-multiply throughput for a CPU.

use serde::{Deserialize, Serialize};

use crate::manifest::{ComputePeak, Host};
use crate::plan::Device;

/// A data type a peak is given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Plain f32 on the CUDA cores (or the CPU's vector units).
    Fp32,
    /// TF32 (19-bit floats) on tensor cores.
    Tf32,
    Bf16,
    Fp16,
    Fp8,
}

impl Precision {
    /// The precision a worker's `dtype` detail names (`bf16`, `f16`, `f32`, ...), if any.
    pub fn of_dtype(dtype: &str) -> Option<Precision> {
        match dtype.to_ascii_lowercase().as_str() {
            "bf16" | "bfloat16" => Some(Precision::Bf16),
            "f16" | "fp16" | "float16" | "half" => Some(Precision::Fp16),
            "f32" | "fp32" | "float32" | "float" => Some(Precision::Fp32),
            "tf32" => Some(Precision::Tf32),
            "f8" | "fp8" | "f8e4m3" | "fp8_e4m3" => Some(Precision::Fp8),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "FP32",
            Precision::Tf32 => "TF32",
            Precision::Bf16 => "BF16",
            Precision::Fp16 => "FP16",
            Precision::Fp8 => "FP8",
        }
    }
}

/// One GPU's published peaks, dense (the datasheets' figures "with sparsity" halved), in
/// TFLOP/s. Tensor-core figures accumulate in f32 where the datasheet distinguishes.
struct GpuPeaks {
    /// Shown in the peak's source.
    model: &'static str,
    /// Lower-case words that must all appear, as whole words, in the device name.
    words: &'static [&'static str],
    fp32: f64,
    tf32: f64,
    bf16: f64,
    fp16: f64,
    /// `None` where the GPU has no FP8 tensor cores.
    fp8: Option<f64>,
    source: &'static str,
}

const H100: &str = "https://www.nvidia.com/en-us/data-center/h100/";
const H200: &str = "https://www.nvidia.com/en-us/data-center/h200/";
const A100: &str = "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf";
const ADA: &str =
    "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf";

/// Most specific first: the first row whose words all appear in the name is taken.
static GPUS: [GpuPeaks; 9] = [
    GpuPeaks {
        model: "H200 NVL",
        words: &["h200", "nvl"],
        fp32: 60.0,
        tf32: 417.5,
        bf16: 835.5,
        fp16: 835.5,
        fp8: Some(1670.5),
        source: H200,
    },
    GpuPeaks {
        model: "H200 SXM",
        words: &["h200"],
        fp32: 67.0,
        tf32: 494.5,
        bf16: 989.5,
        fp16: 989.5,
        fp8: Some(1979.0),
        source: H200,
    },
    GpuPeaks {
        model: "H100 NVL",
        words: &["h100", "nvl"],
        fp32: 60.0,
        tf32: 417.5,
        bf16: 835.5,
        fp16: 835.5,
        fp8: Some(1670.5),
        source: H100,
    },
    GpuPeaks {
        model: "H100 PCIe",
        words: &["h100", "pcie"],
        fp32: 51.0,
        tf32: 378.0,
        bf16: 756.5,
        fp16: 756.5,
        fp8: Some(1513.0),
        source: H100,
    },
    GpuPeaks {
        // NVML names the SXM part "NVIDIA H100 80GB HBM3".
        model: "H100 SXM",
        words: &["h100"],
        fp32: 67.0,
        tf32: 494.5,
        bf16: 989.5,
        fp16: 989.5,
        fp8: Some(1979.0),
        source: H100,
    },
    GpuPeaks {
        model: "A100",
        words: &["a100"],
        fp32: 19.5,
        tf32: 156.0,
        bf16: 312.0,
        fp16: 312.0,
        fp8: None,
        source: A100,
    },
    GpuPeaks {
        model: "L40S",
        words: &["l40s"],
        fp32: 91.6,
        tf32: 183.0,
        bf16: 362.05,
        fp16: 362.05,
        fp8: Some(733.0),
        source: "https://www.nvidia.com/en-us/data-center/l40s/",
    },
    GpuPeaks {
        model: "L4",
        words: &["l4"],
        fp32: 30.3,
        tf32: 60.0,
        bf16: 121.0,
        fp16: 121.0,
        fp8: Some(242.5),
        source: "https://www.nvidia.com/en-us/data-center/l4/",
    },
    GpuPeaks {
        model: "GeForce RTX 4090",
        words: &["rtx", "4090"],
        fp32: 82.6,
        tf32: 82.6,
        bf16: 165.2,
        fp16: 165.2,
        fp8: Some(330.3),
        source: ADA,
    },
];

impl GpuPeaks {
    fn tflops(&self, p: Precision) -> Option<f64> {
        match p {
            Precision::Fp32 => Some(self.fp32),
            Precision::Tf32 => Some(self.tf32),
            Precision::Bf16 => Some(self.bf16),
            Precision::Fp16 => Some(self.fp16),
            Precision::Fp8 => self.fp8,
        }
    }
}

/// The row of the GPU called `name` (as NVML gives it: "NVIDIA H100 80GB HBM3",
/// "NVIDIA A100-SXM4-80GB"), matched on whole words, case-insensitively.
fn gpu_row(name: &str) -> Option<&'static GpuPeaks> {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    GPUS.iter()
        .find(|g| g.words.iter().all(|w| words.contains(w)))
}

/// A peak and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Peak {
    pub flops_per_s: f64,
    pub source: String,
}

/// The published dense peak of the GPU called `name` at `precision` (BF16 when the engine does
/// not say: the usual denominator of MFU, and what a quantised model's matmuls run at once
/// dequantised on tensor cores).
pub fn gpu_peak(name: &str, precision: Option<Precision>) -> Option<Peak> {
    let row = gpu_row(name)?;
    let p = precision.unwrap_or(Precision::Bf16);
    let tflops = row.tflops(p)?;
    let assumed = if precision.is_none() {
        ", the engine's data type not given"
    } else {
        ""
    };
    Some(Peak {
        flops_per_s: tflops * 1e12,
        source: format!(
            "{} {} dense, {tflops} TFLOP/s, NVIDIA's published figure ({}){assumed}",
            row.model,
            p.name(),
            row.source
        ),
    })
}

/// The peak behind MFU on `device`: the host's measured f32 GEMM throughput for `cpu` (none
/// unless measured), the published peak of the GPU the telemetry names for `cuda:N` (none when
/// it names none, or one not in the table), none for other devices. `dtype` is the worker's
/// `dtype` detail.
pub fn device_peak(device: Device, host: &Host, dtype: Option<&str>) -> Option<Peak> {
    match device {
        Device::Cpu => {
            let Some(ComputePeak::Measured(g)) = &host.compute_peak else {
                return None;
            };
            (g.flops_per_s > 0.0).then(|| Peak {
                flops_per_s: g.flops_per_s,
                source: format!("{}, {} threads", g.method, g.threads),
            })
        }
        Device::Cuda(ordinal) => gpu_peak(
            gpu_name(host, ordinal as usize)?,
            dtype.and_then(Precision::of_dtype),
        ),
        _ => None,
    }
}

/// The name of the GPU with CUDA ordinal `ordinal`: the telemetry's GPUs in the order it lists
/// them, or the one name all of them share.
fn gpu_name(host: &Host, ordinal: usize) -> Option<&str> {
    let names: Vec<&str> = host
        .local
        .devices
        .iter()
        .filter(|d| d.domain == telemetry::Domain::Gpu)
        .filter_map(|d| d.info.device_name.as_deref())
        .collect();
    let first = names.first().copied()?;
    names
        .get(ordinal)
        .copied()
        .or_else(|| names.iter().all(|n| *n == first).then_some(first))
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "table figures are compared as written")]
mod tests {
    use super::*;

    fn tflops(name: &str, p: Option<Precision>) -> Option<f64> {
        gpu_peak(name, p).map(|p| p.flops_per_s / 1e12)
    }

    #[test]
    fn nvml_names_find_their_rows() {
        let row = |n: &str| gpu_row(n).map(|g| g.model);
        assert_eq!(row("NVIDIA H100 80GB HBM3"), Some("H100 SXM"));
        assert_eq!(row("NVIDIA H100 PCIe"), Some("H100 PCIe"));
        assert_eq!(row("NVIDIA H100 NVL"), Some("H100 NVL"));
        assert_eq!(row("NVIDIA H200"), Some("H200 SXM"));
        assert_eq!(row("NVIDIA H200 NVL"), Some("H200 NVL"));
        assert_eq!(row("NVIDIA A100-SXM4-80GB"), Some("A100"));
        assert_eq!(row("NVIDIA A100 80GB PCIe"), Some("A100"));
        assert_eq!(row("NVIDIA L40S"), Some("L40S"));
        assert_eq!(row("NVIDIA L4"), Some("L4"));
        assert_eq!(row("NVIDIA L40"), None, "L40 is neither L4 nor L40S");
        assert_eq!(row("NVIDIA GeForce RTX 4090"), Some("GeForce RTX 4090"));
        assert_eq!(row("NVIDIA GeForce RTX 4080"), None);
    }

    #[test]
    fn dense_peaks_by_precision() {
        // H100 SXM: 1,979 TFLOP/s BF16 with sparsity on the datasheet, half of it dense.
        assert_eq!(tflops("NVIDIA H100 80GB HBM3", None), Some(989.5));
        assert_eq!(
            tflops("NVIDIA H100 80GB HBM3", Some(Precision::Fp8)),
            Some(1979.0)
        );
        assert_eq!(
            tflops("NVIDIA A100-SXM4-40GB", Some(Precision::Fp32)),
            Some(19.5)
        );
        assert_eq!(
            tflops("NVIDIA A100-SXM4-40GB", Some(Precision::Fp8)),
            None,
            "no FP8 on Ampere"
        );
        let p = gpu_peak("NVIDIA L4", None).expect("in the table");
        assert!(
            p.source.contains("L4 BF16 dense, 121 TFLOP/s"),
            "{}",
            p.source
        );
        assert!(p.source.contains("not given"), "{}", p.source);
        assert_eq!(Precision::of_dtype("BF16"), Some(Precision::Bf16));
        assert_eq!(Precision::of_dtype("q4_1"), None);
    }

    #[test]
    fn a_cpu_uses_the_measured_figure_only() {
        let gemm = crate::compute::Gemm {
            flops_per_s: 2e11,
            method: "f32 sgemm (matrixmultiply), measured".into(),
            cpu_model: "x".into(),
            threads: 4,
            size: 512,
            products: 8,
            passes: 5,
            build_profile: "release".into(),
            measured_utc: String::new(),
        };
        let mut host = Host {
            compute_peak: Some(ComputePeak::Measured(gemm)),
            ..Host::default()
        };
        for name in ["NVIDIA H100 PCIe", "NVIDIA L4"] {
            host.local.devices.push(telemetry::DeviceInfo {
                collector: "nvml".into(),
                domain: telemetry::Domain::Gpu,
                info: telemetry::StaticInfo {
                    device_name: Some(name.into()),
                    ..telemetry::StaticInfo::default()
                },
            });
        }
        let p = device_peak(Device::Cpu, &host, None).expect("measured");
        assert_eq!(p.flops_per_s, 2e11);
        assert_eq!(p.source, "f32 sgemm (matrixmultiply), measured, 4 threads");
        assert_eq!(device_peak(Device::Cpu, &Host::default(), None), None);
        let g = device_peak(Device::Cuda(0), &host, Some("f32")).expect("in the table");
        assert_eq!(g.flops_per_s, 51e12, "a GPU never takes the host's figure");
        let g = device_peak(Device::Cuda(1), &host, Some("bf16")).expect("in the table");
        assert_eq!(g.flops_per_s, 121e12, "the second GPU listed");
        assert_eq!(
            device_peak(Device::Cuda(2), &host, None),
            None,
            "no third GPU, and the two differ"
        );
        assert_eq!(device_peak(Device::Cuda(0), &Host::default(), None), None);
        assert_eq!(device_peak(Device::Remote, &host, None), None);
    }
}
