//! Rewrite a GGUF file with its matrices re-encoded as another type (dequantise, then quantise),
//! keeping every metadata entry and the 1-D tensors (norms):
//! `cargo run --release -p gguf --example requant -- IN.gguf OUT.gguf q8_0`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gguf::{GgmlType, GgufFile, can_quantize};

fn run(input: &Path, output: &Path, to: GgmlType) -> Result<(), gguf::GgufError> {
    let file = GgufFile::open(input)?;
    let bytes = gguf::requantize(&file, to)?.write_file(output)?;
    let changed = GgufFile::open(output)?
        .tensors()
        .iter()
        .zip(file.tensors())
        .filter(|(new, old)| new.ggml_type != old.ggml_type)
        .count();
    println!(
        "{}: {} tensors, {changed} re-encoded as {to}, {bytes} bytes (from {})",
        output.display(),
        file.tensors().len(),
        file.file_bytes()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, to] = args.as_slice() else {
        eprintln!("usage: requant IN.gguf OUT.gguf TYPE   (TYPE: f16, q8_0, ...)");
        return ExitCode::from(2);
    };
    let Some(to) = GgmlType::all().find(|t| t.name().eq_ignore_ascii_case(to) && can_quantize(*t))
    else {
        let known: Vec<&str> = GgmlType::all()
            .filter(|&t| can_quantize(t))
            .map(GgmlType::name)
            .collect();
        eprintln!("requant: cannot write {to} (known: {})", known.join(", "));
        return ExitCode::from(2);
    };
    match run(&PathBuf::from(input), &PathBuf::from(output), to) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("requant: {e}");
            ExitCode::from(1)
        }
    }
}
