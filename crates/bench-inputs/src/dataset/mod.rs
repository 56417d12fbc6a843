//! Prompts for a run: the bundled dataset, user files, `ShareGPT`, synthetic workloads; then
//! length filtering and seeded sampling ([`select()`]).

mod multiturn;
mod records;
mod select;
mod shared_prefix;
mod spec;
mod synthetic;
mod trace;

use std::path::Path;

pub use multiturn::multiturn_turns;
pub use records::PROMPT_FIELDS;
pub use select::{Selection, TokenizedPrompt, select};
pub use spec::{DEFAULT_SYNTHETIC_REQUESTS, DatasetSpec, LengthDist, SharedPrefix, Synthetic};
pub use trace::{TraceRow, read_trace, trace_offsets_ns};

use crate::error::{Error, Result, io_err};
use crate::hash::sha256_file;
use crate::tokenizer::Tokenizer;

/// The bundled dataset runs use when none is named.
pub const DEFAULT_DATASET: &str = "gsm-symbolic-1000";

/// One prompt of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// Position in the source (row or conversation number, 0-based).
    pub index: usize,
    /// The user's text.
    pub text: String,
    /// The reference answer, where the source has one.
    pub reference: Option<String>,
    /// Output length the workload asks for (synthetic, or a per-row field).
    pub expected_output_tokens: Option<u32>,
    /// The prefix group of a shared-prefix workload's prompt.
    pub group: Option<u32>,
    /// The conversation of a multi-turn workload's prompt (0-based, in file order).
    pub conversation: Option<u32>,
    /// The 0-based user turn within its conversation.
    pub turn: Option<u32>,
}

/// A loaded dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// The spec it was loaded from, as text.
    pub name: String,
    /// Lowercase hex sha256 of the source file (none for synthetic workloads).
    pub sha256: Option<String>,
    pub prompts: Vec<Prompt>,
}

impl Dataset {
    /// Load `spec`. Bundled names are looked up in `datasets_dir` (`configs/datasets`).
    /// Synthetic workloads need `tokenizer`; `ShareGPT` uses it for the replies' lengths.
    pub fn load(
        spec: &DatasetSpec,
        datasets_dir: &Path,
        tokenizer: Option<&Tokenizer>,
    ) -> Result<Dataset> {
        let (prompts, source) = match spec {
            DatasetSpec::Bundled(name) => {
                let path = datasets_dir.join(format!("{name}.jsonl"));
                if !path.is_file() {
                    return Err(Error::Dataset {
                        source_name: name.clone(),
                        message: format!(
                            "no bundled dataset of that name in {} (bundled: {})",
                            datasets_dir.display(),
                            bundled_names(datasets_dir)?.join(", ")
                        ),
                    });
                }
                (records::load_file(&path, Some("problem"))?, Some(path))
            }
            DatasetSpec::File { path, prompt_field } => (
                records::load_file(path, prompt_field.as_deref())?,
                Some(path.clone()),
            ),
            DatasetSpec::ShareGpt(path) => {
                (records::load_sharegpt(path, tokenizer)?, Some(path.clone()))
            }
            DatasetSpec::Synthetic(s) => {
                let tokenizer = tokenizer.ok_or_else(|| Error::Dataset {
                    source_name: "synthetic".to_owned(),
                    message: "synthetic prompts need the model's tokenizer".to_owned(),
                })?;
                (synthetic::generate(s, tokenizer)?, None)
            }
            DatasetSpec::SharedPrefix(s) => {
                let tokenizer = tokenizer.ok_or_else(|| Error::Dataset {
                    source_name: "shared-prefix".to_owned(),
                    message: "shared-prefix prompts need the model's tokenizer".to_owned(),
                })?;
                (shared_prefix::generate(s, tokenizer)?, None)
            }
            DatasetSpec::MultiTurn {
                path, max_turns, ..
            } => {
                let tokenizer = tokenizer.ok_or_else(|| Error::Dataset {
                    source_name: path.display().to_string(),
                    message: "multi-turn prompts need the model's tokenizer and chat template"
                        .to_owned(),
                })?;
                (
                    multiturn::load(path, *max_turns, tokenizer)?,
                    Some(path.clone()),
                )
            }
            DatasetSpec::Trace { path, seed, .. } => {
                let tokenizer = tokenizer.ok_or_else(|| Error::Dataset {
                    source_name: path.display().to_string(),
                    message: "a trace's prompts need the model's tokenizer".to_owned(),
                })?;
                (trace::prompts(path, *seed, tokenizer)?, Some(path.clone()))
            }
        };
        Ok(Dataset {
            name: spec.to_string(),
            sha256: source.as_deref().map(sha256_file).transpose()?,
            prompts,
        })
    }
}

/// Names of the bundled datasets (`*.jsonl` in `datasets_dir`), sorted.
pub fn bundled_names(datasets_dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(datasets_dir)
        .map_err(io_err(datasets_dir))?
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datasets_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/datasets")
    }

    #[test]
    fn the_bundled_dataset_has_1000_problems_with_answers() {
        let ds = Dataset::load(
            &DatasetSpec::Bundled(DEFAULT_DATASET.into()),
            &datasets_dir(),
            None,
        )
        .expect("bundled dataset loads");
        assert!(ds.prompts.len() >= 1000, "{} rows", ds.prompts.len());
        assert!(
            ds.prompts
                .iter()
                .all(|p| !p.text.is_empty() && p.reference.is_some())
        );
        let readme = std::fs::read_to_string(datasets_dir().join("README.md")).expect("README");
        let sha = ds.sha256.expect("hashed");
        assert!(
            readme.contains(&sha),
            "configs/datasets/README.md must state sha256 {sha}"
        );
    }

    #[test]
    fn an_unknown_bundled_name_lists_the_known_ones() {
        let err = Dataset::load(&DatasetSpec::Bundled("nope".into()), &datasets_dir(), None)
            .expect_err("unknown");
        assert!(err.to_string().contains(DEFAULT_DATASET), "{err}");
    }
}
