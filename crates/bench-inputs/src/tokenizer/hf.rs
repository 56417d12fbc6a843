//! A Hugging Face model directory's tokenizer: `tokenizer.json` plus `tokenizer_config.json`
//! (chat template, special tokens) and `config.json` (end-of-sequence id).

use std::path::Path;

use serde_json::Value;

use super::{Specials, tok_err};
use crate::error::{Error, Result, io_err};

pub(crate) struct HfTokenizer {
    pub inner: tokenizers::Tokenizer,
    pub specials: Specials,
    pub chat_template: Option<String>,
}

fn read_json(path: &Path) -> Result<Option<Value>> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))
}

/// A special token given as `"<s>"` or `{"content": "<s>", ...}`.
fn token_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// A template given as a string, or as `[{"name": "default", "template": ...}, ...]`.
fn template_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(list) => list
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some("default"))
            .and_then(|t| t.get("template")?.as_str().map(str::to_owned)),
        _ => None,
    }
}

/// The first id of `eos_token_id` (a number or a list of numbers).
fn first_id(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::Array(a) => first_id(a.first()),
        _ => None,
    }
}

pub(crate) fn load(dir: &Path) -> Result<HfTokenizer> {
    let path = dir.join("tokenizer.json");
    let inner = tokenizers::Tokenizer::from_file(&path)
        .map_err(|e| Error::Tokenizer(format!("{}: {}", path.display(), tok_err(e))))?;
    let config = read_json(&dir.join("tokenizer_config.json"))?.unwrap_or(Value::Null);
    let model_config = read_json(&dir.join("config.json"))?.unwrap_or(Value::Null);
    let bos_token = token_text(config.get("bos_token"));
    let eos_token = token_text(config.get("eos_token"));
    let bos_id = bos_token.as_deref().and_then(|t| inner.token_to_id(t));
    let eos_id = eos_token
        .as_deref()
        .and_then(|t| inner.token_to_id(t))
        .or_else(|| first_id(model_config.get("eos_token_id")));
    let specials = Specials {
        bos_token,
        eos_token,
        bos_id,
        eos_id,
        add_bos: config
            .get("add_bos_token")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        vocab_size: inner.get_vocab_size(true),
    };
    Ok(HfTokenizer {
        inner,
        specials,
        chat_template: template_text(config.get("chat_template")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_spellings_of_tokens_and_templates() {
        assert_eq!(token_text(Some(&json!("<s>"))).as_deref(), Some("<s>"));
        assert_eq!(
            token_text(Some(&json!({"content": "</s>"}))).as_deref(),
            Some("</s>")
        );
        assert_eq!(
            template_text(Some(&json!("{{x}}"))).as_deref(),
            Some("{{x}}")
        );
        let list =
            json!([{"name": "tool_use", "template": "a"}, {"name": "default", "template": "b"}]);
        assert_eq!(template_text(Some(&list)).as_deref(), Some("b"));
        assert_eq!(first_id(Some(&json!([2, 7]))), Some(2));
        assert_eq!(first_id(Some(&json!(5))), Some(5));
    }
}
