//! The engines the runner knows, and the one place that knows them: worker binary, cargo
//! package, how the engine is driven, and each device it runs on with the cargo features that
//! device needs, and whether a CPU build of it on this machine targets the host's instruction set.

use shared_protocol::{DeviceKind, EngineId};

use crate::settings::Device;
use crate::worker_build::Flavour;

/// The label variant (`candle@generic`) that runs the generic build of an engine that is
/// otherwise built for the host's CPU: the two side by side show what the instruction set gives.
pub const GENERIC_VARIANT: &str = "generic";

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

/// A device an engine runs on, and the cargo features its worker needs for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceSupport {
    pub kind: DeviceKind,
    pub features: &'static [&'static str],
}

/// What the runner knows about an engine before spawning anything.
#[derive(Debug, Clone, Copy)]
pub struct EngineEntry {
    pub id: EngineId,
    pub worker: &'static str,
    pub kind: EngineKind,
    pub devices: &'static [DeviceSupport],
    /// Cargo package that builds the worker; `None` while this workspace has none.
    pub package: Option<&'static str>,
    /// Its CPU kernels are chosen when it is compiled (candle's `target_feature` gates), so
    /// the runner builds it for the host's CPU (`-C target-cpu=native`) when it runs on `cpu`.
    /// Engines that detect the instruction set at run time (lm-rs; burn, whose CPU backend's
    /// matrix products (gemm) and vector kernels (macerator) dispatch at run time) or run
    /// Python (pytorch) gain nothing from it.
    pub native_cpu: bool,
    /// An in-process engine that also runs whole workloads under its own scheduler (it batches
    /// concurrent requests itself): `--concurrency` and `--rate` apply to it as to a served
    /// engine. Others run one request at a time.
    pub schedules_load: bool,
}

const fn on(kind: DeviceKind) -> DeviceSupport {
    DeviceSupport {
        kind,
        features: &[],
    }
}

const CPU: DeviceSupport = on(DeviceKind::Cpu);
const CUDA: DeviceSupport = on(DeviceKind::Cuda);
const REMOTE: DeviceSupport = on(DeviceKind::Remote);
const NOWHERE: DeviceSupport = on(DeviceKind::None);
const CUDA_FEATURE: DeviceSupport = DeviceSupport {
    kind: DeviceKind::Cuda,
    features: &["cuda"],
};

/// The catalogue entry for `id`.
pub fn entry(id: EngineId) -> EngineEntry {
    let (worker, kind, devices, has_package): (&str, EngineKind, &[DeviceSupport], bool) = match id
    {
        EngineId::Candle => (
            "candle-bench",
            EngineKind::InProcess,
            &[CPU, CUDA_FEATURE],
            true,
        ),
        EngineId::Burn => (
            "burn-bench",
            EngineKind::InProcess,
            &[
                CPU,
                CUDA_FEATURE,
                DeviceSupport {
                    kind: DeviceKind::Wgpu,
                    features: &["wgpu"],
                },
            ],
            true,
        ),
        EngineId::MistralRs => (
            "mistral-rs-bench",
            EngineKind::InProcess,
            &[CPU, CUDA_FEATURE],
            true,
        ),
        EngineId::LmRs => ("lm-rs-bench", EngineKind::InProcess, &[CPU], true),
        // The CUDA path is torch's own: the worker needs no feature for it.
        EngineId::Pytorch => (
            "pytorch-baseline",
            EngineKind::InProcess,
            &[CPU, CUDA],
            true,
        ),
        EngineId::Vllm
        | EngineId::Sglang
        | EngineId::Mlx
        | EngineId::Llamacpp
        | EngineId::Tgi
        | EngineId::Ollama
        | EngineId::Trtllm
        | EngineId::Litellm
        | EngineId::Openai => ("http-bench", EngineKind::Served, &[REMOTE], true),
        EngineId::Sim => ("sim-bench", EngineKind::Synthetic, &[NOWHERE], true),
    };
    EngineEntry {
        id,
        worker,
        kind,
        devices,
        package: has_package.then_some(worker),
        native_cpu: matches!(id, EngineId::Candle | EngineId::MistralRs),
        schedules_load: matches!(id, EngineId::MistralRs),
    }
}

impl EngineEntry {
    /// Whether this workspace can build the engine's worker.
    pub fn has_package(&self) -> bool {
        self.package.is_some()
    }

    pub fn is_served(&self) -> bool {
        self.kind == EngineKind::Served
    }

    /// Whether load patterns (`--concurrency`, `--rate`) apply to this engine: served engines,
    /// and in-process engines that schedule concurrent requests themselves.
    pub fn takes_load(&self) -> bool {
        self.is_served() || self.schedules_load
    }

    /// The device this engine runs on when in-process engines are asked for `requested`:
    /// served engines run on their server, synthetic ones nowhere.
    pub fn device_for(&self, requested: Device) -> Device {
        match self.kind {
            EngineKind::InProcess => requested,
            EngineKind::Served => Device::Remote,
            EngineKind::Synthetic => Device::None,
        }
    }

    /// The cargo features the worker needs to run on `device` (`None`: it cannot).
    pub fn features_for(&self, device: Device) -> Option<&'static [&'static str]> {
        self.devices
            .iter()
            .find(|d| d.kind == device.kind())
            .map(|d| d.features)
    }

    /// The build an engine run on `device` under `label` uses: native for a CPU run of an engine
    /// that selects its kernels at compile time, unless the label's variant is
    /// [`GENERIC_VARIANT`].
    pub fn flavour_for(&self, device: Device, label: &str) -> Flavour {
        let generic = label
            .split_once('@')
            .is_some_and(|(_, v)| v == GENERIC_VARIANT);
        if self.native_cpu && device == Device::Cpu && !generic {
            Flavour::Native
        } else {
            Flavour::Generic
        }
    }

    /// The kinds of device the engine runs on.
    pub fn device_kinds(&self) -> Vec<DeviceKind> {
        self.devices.iter().map(|d| d.kind).collect()
    }
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
            assert!(entry(id).is_served());
            assert_eq!(entry(id).device_for(Device::Cuda(0)), Device::Remote);
        }
        assert_eq!(entry(EngineId::Candle).worker, "candle-bench");
        assert_eq!(entry(EngineId::Sim).kind, EngineKind::Synthetic);
    }

    #[test]
    fn load_patterns_apply_to_served_engines_and_to_mistral_rs_scheduler_only() {
        for id in EngineId::ALL {
            let e = entry(id);
            assert_eq!(
                e.takes_load(),
                e.is_served() || id == EngineId::MistralRs,
                "{id}"
            );
        }
    }

    #[test]
    fn the_protocols_served_engines_are_the_catalogues() {
        for id in EngineId::ALL {
            assert_eq!(entry(id).is_served(), id.is_served(), "{id}");
        }
    }

    #[test]
    fn devices_name_the_features_their_build_needs() {
        let candle = entry(EngineId::Candle);
        assert_eq!(candle.features_for(Device::Cpu), Some(&[][..]));
        assert_eq!(candle.features_for(Device::Cuda(1)), Some(&["cuda"][..]));
        assert_eq!(candle.features_for(Device::Metal), None);
        assert_eq!(entry(EngineId::LmRs).features_for(Device::Cuda(0)), None);
        let mistral = entry(EngineId::MistralRs);
        assert_eq!(mistral.package, Some("mistral-rs-bench"));
        assert_eq!(mistral.features_for(Device::Cuda(0)), Some(&["cuda"][..]));
        let burn = entry(EngineId::Burn);
        assert_eq!(burn.package, Some("burn-bench"));
        assert_eq!(burn.features_for(Device::Wgpu(0)), Some(&["wgpu"][..]));
        assert_eq!(burn.features_for(Device::Cuda(0)), Some(&["cuda"][..]));
    }

    #[test]
    fn cpu_builds_of_compile_time_kernels_target_the_host() {
        let candle = entry(EngineId::Candle);
        assert_eq!(candle.flavour_for(Device::Cpu, "candle"), Flavour::Native);
        assert_eq!(
            candle.flavour_for(Device::Cpu, "candle@t1"),
            Flavour::Native
        );
        assert_eq!(
            candle.flavour_for(Device::Cpu, "candle@generic"),
            Flavour::Generic
        );
        assert_eq!(
            candle.flavour_for(Device::Cuda(0), "candle"),
            Flavour::Generic
        );
        let lm = entry(EngineId::LmRs);
        assert_eq!(lm.flavour_for(Device::Cpu, "lm-rs"), Flavour::Generic);
        let sim = entry(EngineId::Sim);
        assert_eq!(sim.flavour_for(Device::None, "sim"), Flavour::Generic);
    }
}
