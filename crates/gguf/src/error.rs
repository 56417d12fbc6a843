//! Errors of reading and writing GGUF files; each read error names the file and the offset.

use std::io;
use std::path::PathBuf;

/// Something wrong with a GGUF file, or with what was asked of the writer.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: not a GGUF file: bad magic {found:#010x} at offset 0 (expected \"GGUF\")", path.display())]
    BadMagic { path: PathBuf, found: u32 },
    #[error("{}: unsupported GGUF version {version} at offset 4 (supported: 2, 3)", path.display())]
    UnsupportedVersion { path: PathBuf, version: u32 },
    #[error("{}: truncated at offset {offset}: {what} needs {needed} more bytes", path.display())]
    Truncated {
        path: PathBuf,
        offset: u64,
        what: String,
        needed: u64,
    },
    #[error("{}: unknown ggml type id {id} for tensor '{tensor}' at offset {offset}", path.display())]
    UnknownType {
        path: PathBuf,
        offset: u64,
        tensor: String,
        id: u32,
    },
    #[error("{}: invalid {what} at offset {offset}: {reason}", path.display())]
    Invalid {
        path: PathBuf,
        offset: u64,
        what: String,
        reason: String,
    },
    #[error("{}: tensor '{tensor}': {source}", path.display())]
    Dequantize {
        path: PathBuf,
        tensor: String,
        #[source]
        source: crate::quant::QuantError,
    },
    #[error("cannot write GGUF: {0}")]
    Write(#[source] io::Error),
    #[error("cannot write GGUF: {0}")]
    WriterInput(String),
}
