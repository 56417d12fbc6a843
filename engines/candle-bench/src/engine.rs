//! [`Candle`]: the engine behind the worker loop.

use std::path::Path;

use anyhow::bail;
use bench_worker::{Description, Engine, Loaded, TokenSink, parse_options};
use candle_core::{DType, Device};
use shared_protocol::{Capabilities, DeviceKind, EngineId, LoadRequest, ModelFormat, Request};

use crate::CANDLE_VERSION;
use crate::generate::{Limits, generate};
use crate::load::{LoadedModel, load_gguf, load_safetensors};
use crate::model::Model;
use crate::options::{CandleOptions, DeviceSpec};

/// candle-transformers' llama family on CPU or CUDA.
#[derive(Debug)]
pub struct Candle {
    model: Model,
    device: Device,
    eos_ids: Vec<u32>,
    max_seq_len: usize,
}

/// Everything `check` validates, reused by `load`.
struct Checked<'a> {
    options: CandleOptions,
    device: DeviceSpec,
    path: &'a Path,
    format: ModelFormat,
}

fn checked(request: &LoadRequest) -> anyhow::Result<Checked<'_>> {
    let options: CandleOptions = parse_options(&request.options)?;
    options.validate()?;
    let device = DeviceSpec::parse(&request.device)?;
    let (path, format) = bench_worker::inputs::local_model(request, "candle-bench")?;
    if format == ModelFormat::Gguf && options.dtype.is_some() {
        bail!(
            "invalid engine option: dtype applies to safetensors models; GGUF weights keep their quantisation"
        );
    }
    Ok(Checked {
        options,
        device,
        path,
        format,
    })
}

impl Engine for Candle {
    fn describe() -> Description {
        Description {
            engine: EngineId::Candle,
            engine_version: CANDLE_VERSION.to_owned(),
            default_device: "cpu".to_owned(),
            capabilities: Capabilities {
                devices: vec![DeviceKind::Cpu, DeviceKind::Cuda],
                token_ids_input: true,
                device_clock: cfg!(feature = "cuda"),
                workload: false,
                ignore_eos: true,
            },
        }
    }

    fn check(request: &LoadRequest) -> anyhow::Result<()> {
        checked(request).map(|_| ())
    }

    fn load(request: &LoadRequest) -> anyhow::Result<Loaded<Self>> {
        let c = checked(request)?;
        let threads = bench_worker::cpu::set_rayon_threads(c.options.threads)?;
        let device = c.device.open()?;
        // Before the weights take their memory.
        #[cfg(feature = "cuda")]
        let device_bandwidth = match &device {
            Device::Cuda(cuda) => Some(
                crate::cuda_bandwidth::measure(&cuda.cuda_stream())
                    .unwrap_or_else(|e| serde_json::json!({ "unavailable": format!("{e:#}") })),
            ),
            _ => None,
        };
        let LoadedModel {
            model,
            eos_ids,
            max_seq_len,
            model_bytes,
            mut details,
        } = match c.format {
            ModelFormat::Gguf => load_gguf(c.path, &device)?,
            ModelFormat::Safetensors => {
                let dtype = c.options.dtype.map_or(
                    if device.is_cuda() {
                        DType::BF16
                    } else {
                        DType::F32
                    },
                    DType::from,
                );
                load_safetensors(c.path, &device, dtype)?
            }
        };
        details.insert("device".into(), request.device.clone().into());
        details.insert("threads".into(), threads.into());
        details.insert(
            "cpu_features".into(),
            bench_worker::cpu::compiled_cpu_features().into(),
        );
        details.insert("eos_ids".into(), eos_ids.clone().into());
        #[cfg(feature = "cuda")]
        if let Some(b) = device_bandwidth {
            details.insert("device_bandwidth".into(), b);
        }
        let mut loaded = Loaded::new(Candle {
            model,
            device,
            eos_ids,
            max_seq_len,
        });
        loaded.model_bytes = Some(model_bytes);
        loaded.details = details;
        #[cfg(feature = "cuda")]
        if let Device::Cuda(cuda) = &loaded.engine.device {
            loaded.device_clock = Some(Box::new(crate::cuda_clock::CudaEventClock::new(
                cuda.cuda_stream(),
            )));
        }
        Ok(loaded)
    }

    fn generate(&mut self, request: &Request, sink: &mut TokenSink) -> anyhow::Result<()> {
        let limits = Limits {
            eos_ids: &self.eos_ids,
            max_seq_len: self.max_seq_len,
        };
        generate(&mut self.model, &self.device, &limits, request, sink)
    }
}

impl Candle {
    /// The loaded model, its device and limits, for benchmarks that drive the model directly.
    pub fn parts(&mut self) -> (&mut Model, &Device, Limits<'_>) {
        (
            &mut self.model,
            &self.device,
            Limits {
                eos_ids: &self.eos_ids,
                max_seq_len: self.max_seq_len,
            },
        )
    }
}
