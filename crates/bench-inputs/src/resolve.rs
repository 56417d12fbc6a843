//! Turn what a user typed (a registry id, a `.gguf` path, a model directory) into a model.

use std::path::{Path, PathBuf};

use shared_protocol::{ModelFormat, ModelSpec};

use crate::error::{Error, Result};
use crate::hash::sha256_file;
use crate::registry::{ModelEntry, Registry};

/// A model as a benchmark will use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// Registry id, or the file stem / directory name of a local path.
    pub id: String,
    /// The `.gguf` file or the model directory.
    pub path: PathBuf,
    pub format: ModelFormat,
    /// Expected lowercase hex sha256 (registry models with a pinned hash).
    pub sha256: Option<String>,
    /// Whether the weights are on disk; a registry model that is not must be fetched first.
    pub present: bool,
    /// The registry entry, for registry models.
    pub entry: Option<ModelEntry>,
}

impl ResolvedModel {
    /// The model as the runner sends it to workers (`sha256:<hex>` when known).
    pub fn to_spec(&self) -> ModelSpec {
        ModelSpec {
            id: self.id.clone(),
            path: Some(self.path.to_string_lossy().into_owned()),
            format: Some(self.format),
            served_name: None,
            sha256: self.sha256.as_ref().map(|h| format!("sha256:{h}")),
        }
    }

    /// Hash the weights file now (single-file models): the pinned hash when it matches, an error
    /// when it does not, the computed one for local files without a pin.
    pub fn verify_sha256(&self) -> Result<Option<String>> {
        if self.format != ModelFormat::Gguf || !self.path.is_file() {
            return Ok(self.sha256.clone());
        }
        let actual = sha256_file(&self.path)?;
        match &self.sha256 {
            Some(expected) if *expected != actual => Err(Error::HashMismatch {
                path: self.path.clone(),
                expected: expected.clone(),
                actual,
            }),
            _ => Ok(Some(actual)),
        }
    }
}

/// Resolve `spec`: a registry id first, otherwise an existing `.gguf` file or a Hugging Face
/// layout directory (`config.json`, `*.safetensors`, `tokenizer.json`).
pub fn resolve(spec: &str, registry: &Registry, models_dir: &Path) -> Result<ResolvedModel> {
    if let Some(entry) = registry.get(spec) {
        let path = entry.local_path(models_dir);
        let present = match entry.format {
            ModelFormat::Gguf => path.is_file(),
            ModelFormat::Safetensors => path.join("config.json").is_file(),
        };
        return Ok(ResolvedModel {
            id: entry.id.clone(),
            path,
            format: entry.format,
            sha256: entry.sha256.clone(),
            present,
            entry: Some(entry.clone()),
        });
    }
    let path = Path::new(spec);
    if path.is_file() {
        return resolve_file(path);
    }
    if path.is_dir() {
        return resolve_dir(path);
    }
    Err(Error::UnknownModel {
        spec: spec.to_owned(),
        known: registry.known_ids(),
    })
}

fn resolve_file(path: &Path) -> Result<ResolvedModel> {
    if path.extension().and_then(|e| e.to_str()) != Some("gguf") {
        return Err(Error::BadModelPath {
            path: path.to_owned(),
            message: "a model file must be a .gguf file".to_owned(),
        });
    }
    Ok(ResolvedModel {
        id: stem(path),
        path: path.to_owned(),
        format: ModelFormat::Gguf,
        sha256: None,
        present: true,
        entry: None,
    })
}

fn resolve_dir(path: &Path) -> Result<ResolvedModel> {
    let missing = |what: &str| Error::BadModelPath {
        path: path.to_owned(),
        message: format!("not a Hugging Face model directory: no {what}"),
    };
    if !path.join("config.json").is_file() {
        return Err(missing("config.json"));
    }
    if !path.join("tokenizer.json").is_file() {
        return Err(missing("tokenizer.json"));
    }
    let has_weights = std::fs::read_dir(path)
        .map_err(crate::error::io_err(path))?
        .filter_map(std::result::Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "safetensors"));
    if !has_weights {
        return Err(missing("*.safetensors"));
    }
    Ok(ResolvedModel {
        id: stem(path),
        path: path.to_owned(),
        format: ModelFormat::Safetensors,
        sha256: None,
        present: true,
        entry: None,
    })
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "model".to_owned(), |s| s.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::parse(
            r#"
[[model]]
id = "m"
architecture = "llama"
format = "gguf"
license = "MIT"
file = "m.gguf"
sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
source = { kind = "pypi", package = "p", version = "1", member = "p/m.gguf" }
"#,
        )
        .expect("valid")
    }

    #[test]
    fn registry_ids_resolve_under_the_models_dir_and_report_presence() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = resolve("m", &registry(), dir.path()).expect("resolves");
        assert_eq!(r.path, dir.path().join("m.gguf"));
        assert!(!r.present);
        std::fs::write(dir.path().join("m.gguf"), b"abc").expect("write");
        let r = resolve("m", &registry(), dir.path()).expect("resolves");
        assert!(r.present);
        assert_eq!(
            r.to_spec().sha256.as_deref(),
            Some("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            r.verify_sha256().expect("matches").as_deref(),
            r.sha256.as_deref()
        );
        std::fs::write(dir.path().join("m.gguf"), b"abd").expect("write");
        assert!(matches!(r.verify_sha256(), Err(Error::HashMismatch { .. })));
    }

    #[test]
    fn paths_resolve_by_shape() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gguf = dir.path().join("x.gguf");
        std::fs::write(&gguf, b"g").expect("write");
        let r = resolve(gguf.to_str().expect("utf-8"), &registry(), dir.path()).expect("gguf");
        assert_eq!(
            (r.id.as_str(), r.format, r.sha256.clone()),
            ("x", ModelFormat::Gguf, None)
        );

        let hf = dir.path().join("hf-model");
        std::fs::create_dir(&hf).expect("mkdir");
        std::fs::write(hf.join("config.json"), b"{}").expect("write");
        let err = resolve(hf.to_str().expect("utf-8"), &registry(), dir.path())
            .expect_err("no tokenizer");
        assert!(err.to_string().contains("tokenizer.json"), "{err}");
        std::fs::write(hf.join("tokenizer.json"), b"{}").expect("write");
        let err =
            resolve(hf.to_str().expect("utf-8"), &registry(), dir.path()).expect_err("no weights");
        assert!(err.to_string().contains("safetensors"), "{err}");
        std::fs::write(hf.join("model.safetensors"), b"").expect("write");
        let r = resolve(hf.to_str().expect("utf-8"), &registry(), dir.path()).expect("dir");
        assert_eq!(
            (r.id.as_str(), r.format),
            ("hf-model", ModelFormat::Safetensors)
        );

        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, b"").expect("write");
        assert!(resolve(txt.to_str().expect("utf-8"), &registry(), dir.path()).is_err());
        let err = resolve("nope", &registry(), dir.path()).expect_err("unknown");
        assert!(err.to_string().contains("known: m"), "{err}");
    }
}
