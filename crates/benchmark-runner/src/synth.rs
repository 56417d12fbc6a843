//! `models synth`: write a synthetic model (seeded random weights, a named architecture's shapes,
//! the default model's tokenizer) and say how far it got on stderr.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bench_inputs::synth::{self, SynthSpec, WeightType};

use crate::error::{Failure, usage};
use crate::inputs;

/// `general.source` of the files this writes.
pub const SOURCE: &str = "benchmark-runner models synth";

/// Where `models synth` writes by default: `models/synthetic-<arch>-<quant>.gguf`.
pub fn default_path(arch: &str, weights: WeightType) -> PathBuf {
    inputs::models_dir().join(format!("synthetic-{arch}-{}.gguf", weights.name()))
}

/// Write the synthetic model `arch` with `weights` to `out` (default: [`default_path`]).
pub fn run(arch: &str, weights: WeightType, out: Option<&Path>, seed: u64) -> Result<(), Failure> {
    let arch = synth::architecture(arch).ok_or_else(|| {
        usage(format!(
            "unknown architecture '{arch}' (known: {})",
            synth::known_architectures()
        ))
    })?;
    let out = out.map_or_else(|| default_path(arch.name, weights), Path::to_path_buf);

    // The tokenizer, and with it the vocabulary, come from the registry's default model.
    let registry = inputs::registry()?;
    let dir = inputs::models_dir();
    let source = bench_inputs::resolve(registry.default_id(), &registry, &dir)
        .map_err(|e| usage(e.to_string()))?;
    inputs::ensure_fetched(&source)?;
    let tokenizer = synth::read_metadata(&source.path)
        .with_context(|| format!("reading the tokenizer of {}", source.id))?;

    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    eprintln!(
        "synth: {} {} (seed {seed}, tokenizer of {}) -> {}",
        arch.name,
        weights.name(),
        source.id,
        out.display()
    );
    let spec = SynthSpec {
        arch,
        weights,
        seed,
        source: SOURCE,
    };
    let mut next_pct = 10;
    let bytes = synth::write_synthetic(&spec, &tokenizer, &out, &mut |done, total| {
        let pct = done.saturating_mul(100) / total.max(1);
        if pct >= next_pct && done < total {
            eprintln!("synth: {} of {} written", mib(done), mib(total));
            next_pct = pct / 10 * 10 + 10;
        }
    })
    .with_context(|| format!("writing {}", out.display()))?;
    eprintln!("synth: wrote {} ({})", out.display(), mib(bytes));
    Ok(())
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / f64::from(1 << 20))
}
