//! [`Burn`]: the engine behind the worker loop.

use std::path::Path;

use anyhow::bail;
use bench_worker::{Description, Engine, Loaded, TokenSink, parse_options};
use shared_protocol::{Capabilities, DeviceKind, EngineId, LoadRequest, ModelFormat, Request};

use crate::BURN_VERSION;
use crate::generate::generate;
use crate::load::{ReadModel, read_gguf};
use crate::model::Llama;
use crate::options::{BurnOptions, DeviceSpec};

/// A llama-family model written on burn, on burn-flex (CPU), wgpu or CUDA.
#[derive(Debug)]
pub struct Burn {
    model: Llama,
    eos_ids: Vec<u32>,
}

/// Everything `check` validates, reused by `load`.
struct Checked<'a> {
    options: BurnOptions,
    device: DeviceSpec,
    path: &'a Path,
    format: ModelFormat,
}

fn checked(request: &LoadRequest) -> anyhow::Result<Checked<'_>> {
    let options: BurnOptions = parse_options(&request.options)?;
    options.validate()?;
    let device = DeviceSpec::parse(&request.device)?;
    if options.threads.is_some() && device != DeviceSpec::Cpu {
        bail!("invalid engine option: threads applies to the cpu device only");
    }
    let (path, format) = bench_worker::inputs::local_model(request, "burn-bench")?;
    Ok(Checked {
        options,
        device,
        path,
        format,
    })
}

impl Engine for Burn {
    fn describe() -> Description {
        let mut devices = vec![DeviceKind::Cpu];
        if cfg!(feature = "wgpu") {
            devices.push(DeviceKind::Wgpu);
        }
        if cfg!(feature = "cuda") {
            devices.push(DeviceKind::Cuda);
        }
        Description {
            engine: EngineId::Burn,
            engine_version: BURN_VERSION.to_owned(),
            default_device: "cpu".to_owned(),
            capabilities: Capabilities {
                devices,
                token_ids_input: true,
                // burn exposes no per-pass device timestamps: timings are host timings.
                device_clock: false,
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
        let device = c.device.open()?;
        let ReadModel {
            config,
            weights,
            eos_ids,
            file_bytes,
            mut details,
        } = match c.format {
            ModelFormat::Gguf => read_gguf(c.path, c.options.max_seq_len)?,
            ModelFormat::Safetensors => crate::hf::read_dir(c.path, c.options.max_seq_len)?,
        };
        // The f32 weights each decode step reads: the MBU's numerator.
        let model_bytes = weights.bytes_per_step();
        details.insert("file_bytes".into(), file_bytes.into());
        if c.device == DeviceSpec::Cpu {
            details.insert(
                "threads".into(),
                bench_worker::cpu::set_rayon_threads(c.options.threads)?.into(),
            );
        }
        let model = Llama::new(config, weights, &device);
        // Wait for the uploads, so the load time covers them and the first request does not.
        device
            .sync()
            .map_err(|e| anyhow::anyhow!("{}: the device failed: {e:?}", request.device))?;
        details.insert("device".into(), request.device.clone().into());
        details.insert("backend".into(), c.device.backend().into());
        if let Some(adapter) = crate::options::adapter_name(&device) {
            details.insert("adapter".into(), adapter.into());
        }
        details.insert(
            "timing".into(),
            if c.device.queues_work() {
                "host clock; each pass ends when its logits are read back, which waits for the device"
            } else {
                "host clock"
            }
            .into(),
        );
        details.insert("eos_ids".into(), eos_ids.clone().into());
        let mut loaded = Loaded::new(Burn { model, eos_ids });
        loaded.model_bytes = Some(model_bytes);
        loaded.details = details;
        Ok(loaded)
    }

    fn generate(&mut self, request: &Request, sink: &mut TokenSink) -> anyhow::Result<()> {
        generate(&mut self.model, &self.eos_ids, request, sink)
    }
}
