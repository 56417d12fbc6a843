//! Shared-prefix prompts: `groups` synthetic system prompts of exactly `prefix` tokens, each
//! opening every prompt of its group, followed by a per-prompt suffix; for measuring a server's
//! prefix cache.
//!
//! Built from the same whole-word tokens as the synthetic prompts ([`super::synthetic`]), so a
//! prompt is exactly `prefix + suffix` tokens (raw) and the first `prefix` ids of every prompt
//! of a group are the same. Group `g`'s prefix is drawn from its own stream (seed and `g`), so
//! it does not change when `requests` or the suffix lengths do.

use rand::SeedableRng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::Prompt;
use super::spec::SharedPrefix;
use super::synthetic::{sample, word_tokens};
use crate::error::{Error, Result};
use crate::tokenizer::Tokenizer;

fn words_text(words: &[String], n: u32, rng: &mut ChaCha8Rng) -> String {
    let mut text = String::with_capacity(n as usize * 8);
    for _ in 0..n {
        // `words` is non-empty: `word_tokens` guarantees a minimum.
        text.push_str(words.choose(rng).map_or("", String::as_str));
    }
    text
}

/// `spec.requests` prompts; request `i` belongs to group `i % spec.groups` and carries it in
/// [`Prompt::group`].
pub(crate) fn generate(spec: &SharedPrefix, tokenizer: &Tokenizer) -> Result<Vec<Prompt>> {
    let words = word_tokens(tokenizer)?;
    let prefixes: Vec<String> = (0..spec.groups)
        .map(|g| {
            let mut rng = ChaCha8Rng::seed_from_u64(
                spec.seed ^ (u64::from(g) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            words_text(&words, spec.prefix, &mut rng)
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut prompts = Vec::with_capacity(spec.requests);
    for index in 0..spec.requests {
        let group = (index % spec.groups as usize) as u32;
        let suffix = sample(spec.suffix, &mut rng)?;
        let output = sample(spec.output, &mut rng)?;
        let mut text = prefixes[group as usize].clone();
        text.push_str(&words_text(&words, suffix, &mut rng));
        let want = spec.prefix as usize + suffix as usize;
        let counted = tokenizer.count(&text)?;
        if counted != want {
            return Err(Error::Dataset {
                source_name: "shared-prefix".to_owned(),
                message: format!(
                    "a prompt of {want} word tokens encodes to {counted} tokens; this tokenizer merges across words"
                ),
            });
        }
        prompts.push(Prompt {
            index,
            text,
            reference: None,
            expected_output_tokens: Some(output),
            group: Some(group),
            conversation: None,
            turn: None,
        });
    }
    Ok(prompts)
}
