//! The tokenizer of a model, with its chat template: the runner tokenizes every prompt once,
//! so every in-process engine gets identical input ids.
//!
//! A Hugging Face directory's `tokenizer.json` is loaded as it is; a GGUF file's tokenizer is
//! built from its metadata the way llama.cpp builds it (`gguf_vocab`).

mod chat;
mod gguf_vocab;
mod hf;
mod pre;

use std::path::Path;

use shared_protocol::ModelFormat;

pub use chat::ChatTemplate;

use crate::error::{Error, Result};
use crate::resolve::ResolvedModel;

/// Special tokens and flags that sit beside the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Specials {
    pub bos_token: Option<String>,
    pub eos_token: Option<String>,
    pub bos_id: Option<u32>,
    pub eos_id: Option<u32>,
    /// Prepend the BOS token to every prompt.
    pub add_bos: bool,
    pub vocab_size: usize,
}

pub(crate) fn tok_err(e: impl std::fmt::Display) -> Error {
    Error::Tokenizer(e.to_string())
}

/// A model's tokenizer and chat template.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    specials: Specials,
    template: Option<ChatTemplate>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("specials", &self.specials)
            .field("chat_template", &self.template.is_some())
            .finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// The tokenizer of a resolved model: a directory's `tokenizer.json`, or a GGUF file's
    /// metadata.
    pub fn from_model(model: &ResolvedModel) -> Result<Tokenizer> {
        match model.format {
            ModelFormat::Safetensors => Tokenizer::from_dir(&model.path),
            ModelFormat::Gguf => Tokenizer::from_gguf(&model.path),
        }
    }

    /// Build from a GGUF file's `tokenizer.ggml.*` metadata and `tokenizer.chat_template`.
    pub fn from_gguf(path: &Path) -> Result<Tokenizer> {
        let t = gguf_vocab::load(path)?;
        Tokenizer::assemble(t.inner, t.specials, t.chat_template)
    }

    /// Load a Hugging Face directory's `tokenizer.json` and `tokenizer_config.json`.
    pub fn from_dir(dir: &Path) -> Result<Tokenizer> {
        let t = hf::load(dir)?;
        Tokenizer::assemble(t.inner, t.specials, t.chat_template)
    }

    fn assemble(
        inner: tokenizers::Tokenizer,
        specials: Specials,
        template: Option<String>,
    ) -> Result<Tokenizer> {
        Ok(Tokenizer {
            inner,
            specials,
            template: template.map(ChatTemplate::new).transpose()?,
        })
    }

    /// The input ids of a prompt: the chat template applied to `text` as one user turn when
    /// `chat`, the text as it is otherwise; the BOS token prepended when the model asks for it
    /// and the template did not already write it.
    pub fn encode_prompt(&self, text: &str, chat: bool) -> Result<Vec<u32>> {
        let mut ids = if chat {
            self.encode(&self.apply_chat_template(text)?)?
        } else {
            self.encode(text)?
        };
        if let (true, Some(bos)) = (self.specials.add_bos, self.specials.bos_id)
            && ids.first() != Some(&bos)
        {
            ids.insert(0, bos);
        }
        Ok(ids)
    }

    /// `text` as one user turn in the model's chat template, with the generation prompt.
    pub fn apply_chat_template(&self, text: &str) -> Result<String> {
        let template = self.template.as_ref().ok_or_else(|| {
            Error::Template(
                "the model has no chat template; use a raw (non-chat) workload".to_owned(),
            )
        })?;
        template.render_user(
            text,
            self.specials.bos_token.as_deref().unwrap_or(""),
            self.specials.eos_token.as_deref().unwrap_or(""),
        )
    }

    /// A conversation (`(role, content)` messages, the last one the user's) in the model's chat
    /// template, with the generation prompt.
    pub fn apply_chat_template_messages(&self, messages: &[(&str, &str)]) -> Result<String> {
        let template = self.template.as_ref().ok_or_else(|| {
            Error::Template(
                "the model has no chat template; multi-turn prompts need one".to_owned(),
            )
        })?;
        template.render_messages(
            messages,
            self.specials.bos_token.as_deref().unwrap_or(""),
            self.specials.eos_token.as_deref().unwrap_or(""),
        )
    }

    /// Ids of `text` with special-token strings (`<|im_start|>`) parsed as special tokens and no
    /// BOS added: llama.cpp's `tokenize(text, add_special = false, parse_special = true)`.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self.inner.encode_fast(text, false).map_err(tok_err)?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Number of tokens of `text` as [`Tokenizer::encode`] splits it.
    pub fn count(&self, text: &str) -> Result<usize> {
        self.encode(text).map(|ids| ids.len())
    }

    /// Text of `ids`, special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner.decode(ids, true).map_err(tok_err)
    }

    /// The string of one token id as the vocabulary stores it.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// End-of-sequence id, when the model names one.
    pub fn eos_id(&self) -> Option<u32> {
        self.specials.eos_id
    }

    /// Beginning-of-sequence id, when the model names one.
    pub fn bos_id(&self) -> Option<u32> {
        self.specials.bos_id
    }

    /// Number of ids, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.specials.vocab_size
    }

    /// Whether the model has a chat template.
    pub fn has_chat_template(&self) -> bool {
        self.template.is_some()
    }
}
