//! The `hf-hub` source: download a model repository's files at a revision with the hf-hub crate
//! into a staging directory, verify pinned hashes, then rename the directory into place.

use std::collections::BTreeMap;
use std::path::Path;

use hf_hub::api::sync::ApiBuilder;
use hf_hub::{Cache, Repo, RepoType};

use super::{FetchProgress, check_hash, fetch_err};
use crate::error::{Result, io_err};
use crate::hash::sha256_file;
use crate::registry::ModelEntry;

pub(super) const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// A hub repository as a registry entry names it.
pub(super) struct HubSource<'a> {
    pub endpoint: &'a str,
    pub repo: &'a str,
    pub revision: &'a str,
    pub files: &'a [String],
    pub sha256: &'a BTreeMap<String, String>,
}

/// Forwards hf-hub's byte counts to the caller's progress callback.
struct Relay<'a> {
    file: String,
    done: u64,
    total: Option<u64>,
    progress: &'a mut dyn FnMut(FetchProgress),
}

impl hf_hub::api::Progress for Relay<'_> {
    fn init(&mut self, size: usize, _filename: &str) {
        self.total = Some(size as u64);
    }

    fn update(&mut self, size: usize) {
        self.done += size as u64;
        (self.progress)(FetchProgress::Bytes {
            file: self.file.clone(),
            done_bytes: self.done,
            total_bytes: self.total,
        });
    }

    fn finish(&mut self) {}
}

pub(super) fn fetch(
    entry: &ModelEntry,
    source: &HubSource<'_>,
    dest: &Path,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{}.staging-", entry.file))
        .tempdir_in(dir)
        .map_err(io_err(dir))?;
    let cache_dir = staging.path().join("cache");
    let out = staging.path().join("model");
    std::fs::create_dir_all(&out).map_err(io_err(&out))?;
    let api = ApiBuilder::from_cache(Cache::new(cache_dir))
        .with_endpoint(source.endpoint.trim_end_matches('/').to_owned())
        .with_token(std::env::var("HF_TOKEN").ok().filter(|t| !t.is_empty()))
        .with_progress(false)
        .build()
        .map_err(|e| fetch_err(entry, format!("cannot set up the hub client: {e}")))?;
    let repo = api.repo(Repo::with_revision(
        source.repo.to_owned(),
        RepoType::Model,
        source.revision.to_owned(),
    ));
    progress(FetchProgress::Downloading {
        source: format!(
            "hf-hub {}@{} from {}",
            source.repo, source.revision, source.endpoint
        ),
    });
    for file in source.files {
        let relay = Relay {
            file: file.clone(),
            done: 0,
            total: None,
            progress: &mut *progress,
        };
        let cached = repo
            .download_with_progress(file, relay)
            .map_err(|e| fetch_err(entry, format!("{}: {file}: {e}", repo.url(file))))?;
        // The cache entry is a link to a blob in the same staging directory: move the blob.
        let blob = std::fs::canonicalize(&cached).map_err(io_err(&cached))?;
        let target = out.join(file);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        std::fs::rename(&blob, &target).map_err(io_err(&target))?;
        let actual = sha256_file(&target)?;
        check_hash(
            &dest.join(file),
            file,
            actual,
            source.sha256.get(file),
            progress,
        )?;
    }
    if dest.exists() {
        // An earlier copy that failed its hashes; the verified one replaces it.
        std::fs::remove_dir_all(dest).map_err(io_err(dest))?;
    }
    std::fs::rename(&out, dest).map_err(io_err(dest))?;
    Ok(())
}
