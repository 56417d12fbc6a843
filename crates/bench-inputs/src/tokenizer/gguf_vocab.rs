//! Build a byte-level BPE tokenizer from GGUF metadata (`tokenizer.ggml.*`), as llama.cpp does.

use std::path::Path;

use gguf::{GgufFile, Metadata};
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, SplitDelimiterBehavior};

use super::pre::{KNOWN, pre_split};
use super::{Specials, tok_err};
use crate::error::{Error, Result};

/// `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
const TYPE_CONTROL: i32 = 3;
const TYPE_USER_DEFINED: i32 = 4;

/// What a GGUF file says about its tokenizer.
pub(crate) struct GgufTokenizer {
    pub inner: tokenizers::Tokenizer,
    pub specials: Specials,
    pub chat_template: Option<String>,
}

/// Read `path`'s metadata and build its tokenizer.
pub(crate) fn load(path: &Path) -> Result<GgufTokenizer> {
    let metadata = GgufFile::read_metadata(path)?;
    build(&metadata)
}

fn missing(key: &str) -> Error {
    Error::Tokenizer(format!("GGUF metadata has no usable '{key}'"))
}

/// Build from parsed metadata (only the `gpt2` byte-level BPE model is supported).
pub(crate) fn build(md: &Metadata) -> Result<GgufTokenizer> {
    let model = md
        .get_str("tokenizer.ggml.model")
        .ok_or_else(|| missing("tokenizer.ggml.model"))?;
    if model != "gpt2" {
        return Err(Error::Tokenizer(format!(
            "GGUF tokenizer model '{model}' is not supported (only 'gpt2', byte-level BPE); put a tokenizer.json beside the model"
        )));
    }
    let pre_name = md.get_str("tokenizer.ggml.pre").unwrap_or("default");
    let split = pre_split(pre_name).ok_or_else(|| {
        Error::Tokenizer(format!(
            "GGUF pre-tokenizer '{pre_name}' is not supported (known: {KNOWN})"
        ))
    })?;
    let tokens = md
        .get_str_array("tokenizer.ggml.tokens")
        .ok_or_else(|| missing("tokenizer.ggml.tokens"))?;
    let merges = md
        .get_str_array("tokenizer.ggml.merges")
        .ok_or_else(|| missing("tokenizer.ggml.merges"))?;
    let types = md.get_i32_array("tokenizer.ggml.token_type");

    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| ((*t).to_owned(), i as u32))
        .collect();
    let merges = merges
        .iter()
        .map(|m| split_merge(m))
        .collect::<Result<Vec<_>>>()?;
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .ignore_merges(split.ignore_merges)
        .build()
        .map_err(tok_err)?;

    let mut pieces = Vec::with_capacity(split.regexes.len() + 1);
    for re in split.regexes {
        let s = Split::new(
            SplitPattern::Regex((*re).to_owned()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(tok_err)?;
        pieces.push(PreTokenizerWrapper::Split(s));
    }
    pieces.push(PreTokenizerWrapper::ByteLevel(ByteLevel::new(
        false, false, false,
    )));

    let mut inner = tokenizers::Tokenizer::new(bpe);
    inner.with_pre_tokenizer(Some(Sequence::new(pieces)));
    inner.with_decoder(Some(ByteLevelDecoder::default()));
    let (special, user): (Vec<AddedToken>, Vec<AddedToken>) = match &types {
        Some(types) => {
            let pick = |kind: i32| {
                tokens
                    .iter()
                    .zip(types)
                    .filter(|(_, t)| **t == kind)
                    .map(|(tok, _)| AddedToken::from((*tok).to_owned(), kind == TYPE_CONTROL))
                    .collect::<Vec<_>>()
            };
            (pick(TYPE_CONTROL), pick(TYPE_USER_DEFINED))
        }
        None => (Vec::new(), Vec::new()),
    };
    inner.add_special_tokens(&special);
    inner.add_tokens(&user);

    let id = |key: &str| md.get_u32(key).filter(|i| (*i as usize) < tokens.len());
    let bos_id = id("tokenizer.ggml.bos_token_id");
    let eos_id = id("tokenizer.ggml.eos_token_id");
    let specials = Specials {
        bos_token: bos_id.map(|i| tokens[i as usize].to_owned()),
        eos_token: eos_id.map(|i| tokens[i as usize].to_owned()),
        bos_id,
        eos_id,
        add_bos: md.get_bool("tokenizer.ggml.add_bos_token").unwrap_or(false),
        vocab_size: tokens.len(),
    };
    Ok(GgufTokenizer {
        inner,
        specials,
        chat_template: md.get_str("tokenizer.chat_template").map(str::to_owned),
    })
}

/// `"a b"` -> `("a", "b")`, splitting at the first space after the first character as llama.cpp
/// does.
fn split_merge(merge: &str) -> Result<(String, String)> {
    let skip = merge.chars().next().map_or(0, char::len_utf8);
    match merge[skip..].find(' ') {
        Some(i) => Ok((
            merge[..skip + i].to_owned(),
            merge[skip + i + 1..].to_owned(),
        )),
        None => Err(Error::Tokenizer(format!(
            "GGUF merge '{merge}' has no space"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_split_at_the_first_inner_space() {
        assert_eq!(split_merge("Ġ t").expect("ok"), ("Ġ".into(), "t".into()));
        assert_eq!(
            split_merge("ab cd").expect("ok"),
            ("ab".into(), "cd".into())
        );
        assert!(split_merge("abc").is_err());
    }
}
