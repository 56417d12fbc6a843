//! Print a GGUF file's metadata and tensor index: `cargo run -p gguf --example dump -- FILE`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use gguf::GgufFile;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: dump FILE.gguf");
        return ExitCode::from(2);
    };
    let file = match GgufFile::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let m = file.metadata();
    println!(
        "version {}, {} metadata entries, {} tensors, data at {}",
        m.version,
        m.len(),
        file.tensors().len(),
        file.data_offset()
    );
    for (k, v) in m.iter() {
        println!("  {k} = {v}");
    }
    let mut by_type: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for t in file.tensors() {
        println!("  {:<40} {:>6} {:?}", t.name, t.ggml_type.name(), t.dims);
        let e = by_type.entry(t.ggml_type.name().to_owned()).or_default();
        e.0 += 1;
        e.1 += t.n_bytes();
    }
    for (ty, (n, bytes)) in by_type {
        println!("{ty}: {n} tensors, {bytes} bytes");
    }
    ExitCode::SUCCESS
}
