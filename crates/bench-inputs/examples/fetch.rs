//! Fetch a registry model into a models directory, printing progress to stderr.
//!
//! ```text
//! cargo run -p bench-inputs --example fetch -- [ID] [MODELS_DIR]
//! ```
//! Defaults: the registry's default model, `models/`. The registry is `models/models.toml`.

use std::path::Path;

use bench_inputs::{FetchProgress, Registry, fetch};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let registry = Registry::load(Path::new("models/models.toml"))?;
    let id = args.first().map_or(registry.default_id(), String::as_str);
    let models_dir = Path::new(args.get(1).map_or("models", String::as_str));
    let entry = registry
        .get(id)
        .ok_or_else(|| format!("unknown model '{id}' (known: {})", registry.known_ids()))?;
    let mut last_mb = u64::MAX;
    let path = fetch(entry, models_dir, &mut |event| match event {
        FetchProgress::Bytes {
            file,
            done_bytes,
            total_bytes,
        } => {
            let mb = done_bytes >> 24;
            if mb != last_mb {
                last_mb = mb;
                eprintln!(
                    "{file}: {} / {} MiB",
                    done_bytes >> 20,
                    total_bytes.map_or(0, |t| t >> 20)
                );
            }
        }
        other => eprintln!("{other:?}"),
    })?;
    println!("{}", path.display());
    Ok(())
}
