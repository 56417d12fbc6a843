//! A derived model: its base fetched (or found) first, then written here by the `gguf` crate
//! and checked against the derived entry's pinned sha256 before it takes its name.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::{FetchProgress, check_hash, fetch, fetch_err};
use crate::error::{Result, io_err};
use crate::hash::sha256_file;
use crate::registry::{DeriveMethod, ModelEntry, derived_type};

/// What to derive from what.
pub(super) struct Recipe<'a> {
    pub base: &'a ModelEntry,
    pub method: DeriveMethod,
    pub to: &'a str,
}

/// Write `entry` at `dest` from its base (fetched into `models_dir` when missing).
pub(super) fn derive(
    entry: &ModelEntry,
    recipe: &Recipe<'_>,
    models_dir: &Path,
    dest: &Path,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<()> {
    let to = derived_type(recipe.to)
        .ok_or_else(|| fetch_err(entry, format!("cannot derive as '{}'", recipe.to)))?;
    progress(FetchProgress::Deriving {
        base: recipe.base.id.clone(),
        method: format!("{} to {}", recipe.method.name(), to.name()),
    });
    // The base's download is news; that it is already in place, or now is, is not.
    let base_path = fetch(recipe.base, models_dir, &mut |p| match p {
        FetchProgress::AlreadyPresent { .. } | FetchProgress::Done { .. } => {}
        other => progress(other),
    })?;
    let file = gguf::GgufFile::open(&base_path)?;
    let writer = match recipe.method {
        DeriveMethod::Requantize => gguf::requantize(&file, to)?,
    };
    let parent = dest.parent().unwrap_or(models_dir);
    let tmp = tempfile::Builder::new()
        .prefix(".derive-")
        .tempfile_in(parent)
        .map_err(io_err(parent))?;
    let mut out = BufWriter::new(tmp.as_file());
    writer.write(&mut out)?;
    out.flush().map_err(io_err(tmp.path()))?;
    drop(out);
    super::readable_by_all(tmp.as_file()).map_err(io_err(tmp.path()))?;
    let actual = sha256_file(tmp.path())?;
    check_hash(dest, &entry.file, actual, entry.sha256.as_ref(), progress)?;
    tmp.persist(dest).map_err(|e| io_err(dest)(e.error))?;
    Ok(())
}
