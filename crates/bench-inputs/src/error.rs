//! The one error type of this crate; each variant names what failed and where.

use std::io;
use std::path::PathBuf;

/// Something went wrong resolving, fetching or reading a model, a tokenizer or a dataset.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("model registry {}: {message}", path.display())]
    Registry { path: PathBuf, message: String },
    #[error(
        "unknown model '{spec}': not a registry id (known: {known}) nor an existing .gguf file or Hugging Face model directory"
    )]
    UnknownModel { spec: String, known: String },
    #[error("{}: {message}", path.display())]
    BadModelPath { path: PathBuf, message: String },
    #[error("fetching model '{id}': {message}")]
    Fetch { id: String, message: String },
    #[error("{}: sha256 is {actual}, expected {expected}; the file is not what the registry names", path.display())]
    HashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error(transparent)]
    Gguf(#[from] gguf::GgufError),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("chat template: {0}")]
    Template(String),
    #[error("dataset {source_name}: {message}")]
    Dataset {
        source_name: String,
        message: String,
    },
    #[error("invalid dataset spec '{spec}': {message}")]
    DatasetSpec { spec: String, message: String },
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attach `path` to an I/O error.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
