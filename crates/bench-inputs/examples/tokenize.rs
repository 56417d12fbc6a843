//! Print the input ids of a prompt as the runner would send them, as a JSON array.
//!
//! ```text
//! cargo run -p bench-inputs --example tokenize -- MODEL TEXT [--chat]
//! ```
//! `MODEL` is a registry id (looked up in `models/models.toml` under `models/`) or a path.

use std::path::Path;

use bench_inputs::{Registry, Tokenizer, resolve};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(model), Some(text)) = (args.first(), args.get(1)) else {
        return Err("usage: tokenize MODEL TEXT [--chat]".into());
    };
    let chat = args.iter().skip(2).any(|a| a == "--chat");
    let registry = Registry::load(Path::new("models/models.toml"))?;
    let resolved = resolve(model, &registry, Path::new("models"))?;
    let tokenizer = Tokenizer::from_model(&resolved)?;
    let ids = tokenizer.encode_prompt(text, chat)?;
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    println!("[{}]", list.join(","));
    Ok(())
}
