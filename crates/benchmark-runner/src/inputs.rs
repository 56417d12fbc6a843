//! The inputs of a comparison: the model (resolved, fetched when an engine needs it), its
//! tokenizer, and the prompts, tokenized once so every in-process engine gets identical ids.

use std::path::PathBuf;

use bench_inputs::{
    Dataset, DatasetSpec, Derivation, FetchProgress, ModelShape, Registry, ResolvedModel,
    Selection, SyntheticInfo, Tokenizer,
};
use shared_protocol::{ModelFormat, ModelSpec};

use crate::error::{Failure, usage};
use crate::manifest::{DatasetRecord, InputsRecord, ModelRecord};
use crate::plan::Plan;
use crate::workload::Prompt;

/// Model and prompts, resolved and tokenized once for every engine.
pub struct Inputs {
    /// The model's tokenizer, when the model is present: counts served engines' output text.
    pub tokenizer: Option<Tokenizer>,
    pub model: Option<ModelSpec>,
    pub prompts: Vec<Prompt>,
    pub chat: bool,
    /// Dataset name and sha256, for the manifest.
    pub dataset: DatasetRecord,
    /// What the model's metadata says when it is synthetic (`models synth`): its weights are
    /// random, only its costs mean anything.
    pub synthetic: Option<SyntheticInfo>,
    /// Where a derived registry model comes from.
    pub derivation: Option<Derivation>,
    /// The model's sizes from its GGUF metadata.
    pub shape: Option<ModelShape>,
}

impl Inputs {
    /// The model and dataset for the manifest; a synthetic model's record carries the
    /// architecture and seed it was written from.
    pub fn record(&self) -> InputsRecord {
        InputsRecord {
            model: self.model.as_ref().map(|spec| ModelRecord {
                spec: spec.clone(),
                synthetic: self.synthetic.is_some(),
                synthetic_architecture: self
                    .synthetic
                    .as_ref()
                    .and_then(|i| i.architecture.clone()),
                synthetic_seed: self.synthetic.as_ref().and_then(|i| i.seed),
                derived_from: self.derivation.clone(),
                shape: self.shape.clone(),
            }),
            dataset: self.dataset.clone(),
        }
    }
}

/// Whether the model at hand is a synthetic GGUF (unreadable files are left to the engines to
/// report).
fn synthetic_info(model: &ResolvedModel) -> Option<SyntheticInfo> {
    if !model.present || model.format != ModelFormat::Gguf {
        return None;
    }
    bench_inputs::synth::read_synthetic_info(&model.path)
        .ok()
        .flatten()
}

/// The sizes in the model's GGUF metadata (none for other formats or unreadable files).
fn model_shape(model: &ResolvedModel) -> Option<ModelShape> {
    if !model.present || model.format != ModelFormat::Gguf {
        return None;
    }
    ModelShape::read(&model.path).ok().flatten()
}

/// Where the model registry and fetched weights live: `models/` of the workspace, else of the
/// current directory.
pub fn models_dir() -> PathBuf {
    let local = PathBuf::from("models");
    if local.join("models.toml").is_file() {
        return local;
    }
    crate::locate::workspace_root().map_or(local, |ws| ws.join("models"))
}

/// Bundled datasets: `configs/datasets` of the current directory, else of the workspace.
pub fn datasets_dir() -> PathBuf {
    let local = PathBuf::from("configs/datasets");
    if local.is_dir() {
        return local;
    }
    crate::locate::workspace_root().map_or(local, |ws| ws.join("configs/datasets"))
}

/// Load the registry.
pub fn registry() -> Result<Registry, Failure> {
    let path = models_dir().join("models.toml");
    Registry::load(&path).map_err(|e| usage(e.to_string()))
}

/// Fetch a registry model if it is missing, saying what happens on stderr.
pub fn ensure_fetched(model: &ResolvedModel) -> Result<(), Failure> {
    let Some(entry) = &model.entry else {
        return Ok(());
    };
    let mut last_pct = None;
    bench_inputs::fetch(entry, &models_dir(), &mut |p| match p {
        FetchProgress::AlreadyPresent { path } => {
            eprintln!("model {}: present at {}", entry.id, path.display());
        }
        FetchProgress::Downloading { source } => {
            eprintln!("model {}: fetching from {source}", entry.id);
        }
        FetchProgress::Deriving { base, method } => {
            eprintln!("model {}: writing it from {base} ({method})", entry.id);
        }
        FetchProgress::Bytes {
            done_bytes,
            total_bytes: Some(total),
            ..
        } if total > 0 => {
            let pct = done_bytes * 100 / total;
            if last_pct.is_none_or(|l: u64| pct >= l + 25) {
                eprintln!("model {}: {pct}%", entry.id);
                last_pct = Some(pct);
            }
        }
        FetchProgress::Bytes { .. } => {}
        FetchProgress::Verified { file, sha256 } => {
            eprintln!("model {}: {file} verified (sha256 {sha256})", entry.id);
        }
        FetchProgress::Done { path } => {
            eprintln!("model {}: ready at {}", entry.id, path.display());
        }
    })
    .map(|_| ())
    .map_err(|e| Failure::Run(anyhow::anyhow!("{e}")))
}

/// Prompt length filters on a dataset sent whole and in its order (a trace, conversations,
/// shared-prefix groups) would break its schedule, turns or groups: refused.
fn refuse_length_filters_in_order(w: &crate::plan::WorkloadPlan) -> Result<(), Failure> {
    if w.in_source_order() && (w.min_prompt_tokens.is_some() || w.max_prompt_tokens.is_some()) {
        return Err(usage(format!(
            "--min-prompt-tokens and --max-prompt-tokens do not apply to --dataset {}: a trace, \
             conversations and shared-prefix groups are sent whole and in their order (set their \
             lengths in the dataset instead)",
            w.dataset
        )));
    }
    Ok(())
}

/// Resolve the plan's model and dataset; fetch the model when an engine needs it; tokenize.
pub fn prepare(plan: &Plan, needs_model: bool) -> Result<Inputs, Failure> {
    let w = &plan.workload;
    let registry = registry()?;
    let spec = w
        .model
        .clone()
        .unwrap_or_else(|| registry.default_id().to_owned());
    let mut model =
        bench_inputs::resolve(&spec, &registry, &models_dir()).map_err(|e| usage(e.to_string()))?;
    let want_tokenizer = needs_model || w.model.is_some() || model.present;
    if needs_model && !model.present {
        if model.entry.is_none() {
            return Err(usage(format!("model {spec} is not present")));
        }
        ensure_fetched(&model)?;
        model = bench_inputs::resolve(&spec, &registry, &models_dir())
            .map_err(|e| usage(e.to_string()))?;
    }
    let tokenizer = if want_tokenizer && model.present {
        Some(Tokenizer::from_model(&model).map_err(|e| Failure::Run(anyhow::anyhow!("{e}")))?)
    } else {
        None
    };

    let dataset_spec: DatasetSpec = w
        .dataset
        .parse()
        .map_err(|e: bench_inputs::Error| usage(e.to_string()))?;
    // Synthetic text (synthetic, shared-prefix, trace) is sent raw: its lengths are exact;
    // multi-turn prompts are already rendered with the chat template.
    let chat = !w.raw_prompts
        && !matches!(
            dataset_spec,
            DatasetSpec::Synthetic(_)
                | DatasetSpec::SharedPrefix(_)
                | DatasetSpec::Trace { .. }
                | DatasetSpec::MultiTurn { .. }
        );
    refuse_length_filters_in_order(w)?;
    let dataset = Dataset::load(&dataset_spec, &datasets_dir(), tokenizer.as_ref())
        .map_err(|e| usage(e.to_string()))?;
    let count = (w.requests + w.warmup) as usize;
    let prompts: Vec<Prompt> = if let Some(tok) = &tokenizer {
        let selection = Selection {
            // A trace or conversations keep their order (see `workload::build`).
            count: (!w.in_source_order()).then_some(count),
            min_prompt_tokens: w.min_prompt_tokens,
            max_prompt_tokens: w.max_prompt_tokens,
            seed: plan.seed,
            chat,
        };
        bench_inputs::select(&dataset.prompts, tok, &selection)
            .map_err(|e| usage(e.to_string()))?
            .into_iter()
            .map(|t| Prompt {
                text: t.prompt.text,
                token_ids: Some(t.token_ids),
                max_tokens: t.prompt.expected_output_tokens,
            })
            .collect()
    } else {
        if w.min_prompt_tokens.is_some() || w.max_prompt_tokens.is_some() {
            return Err(usage(
                "a prompt length filter needs the model's tokenizer: give --model or fetch the default model (benchmark-runner models fetch)",
            ));
        }
        dataset
            .prompts
            .iter()
            .map(|p| Prompt {
                text: p.text.clone(),
                token_ids: None,
                max_tokens: p.expected_output_tokens,
            })
            .collect()
    };
    if prompts.is_empty() {
        return Err(usage(format!("dataset {} has no prompts", dataset.name)));
    }
    let dataset_info = DatasetRecord {
        name: dataset.name.clone(),
        sha256: dataset.sha256.clone().unwrap_or_default(),
        prompts: dataset.prompts.len(),
        tokenized: tokenizer.is_some(),
        chat_template: chat && tokenizer.as_ref().is_some_and(Tokenizer::has_chat_template),
    };
    let uses_model = needs_model || w.model.is_some();
    Ok(Inputs {
        tokenizer,
        dataset: dataset_info,
        synthetic: uses_model.then(|| synthetic_info(&model)).flatten(),
        shape: uses_model.then(|| model_shape(&model)).flatten(),
        derivation: uses_model
            .then(|| {
                model
                    .entry
                    .as_ref()
                    .and_then(bench_inputs::ModelEntry::derivation)
            })
            .flatten(),
        model: uses_model.then(|| model.to_spec()),
        prompts,
        chat,
    })
}
