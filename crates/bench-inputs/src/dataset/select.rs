//! Choosing the prompts of a run: tokenize, filter by prompt length, sample with a seed.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::Prompt;
use crate::error::{Error, Result};
use crate::tokenizer::Tokenizer;

/// Which prompts a run uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// How many; `None` takes every prompt that passes the filter, in source order. More than
    /// pass cycles through them again, reshuffled each pass.
    pub count: Option<usize>,
    /// Keep prompts of at least this many tokens (template included when `chat`).
    pub min_prompt_tokens: Option<u32>,
    /// Keep prompts of at most this many tokens.
    pub max_prompt_tokens: Option<u32>,
    /// Seed of the shuffle.
    pub seed: u64,
    /// Apply the chat template.
    pub chat: bool,
}

/// A chosen prompt with its input ids (chat template applied when the selection says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizedPrompt {
    pub prompt: Prompt,
    pub token_ids: Vec<u32>,
}

/// Tokenize `prompts` once each, keep those within the length bounds and pick `count` of them
/// in an order fixed by `seed`.
pub fn select(
    prompts: &[Prompt],
    tokenizer: &Tokenizer,
    selection: &Selection,
) -> Result<Vec<TokenizedPrompt>> {
    if selection.count == Some(0) {
        return Ok(Vec::new());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(selection.seed);
    let mut order: Vec<usize> = (0..prompts.len()).collect();
    if selection.count.is_some() {
        order.shuffle(&mut rng);
    }
    let min = selection.min_prompt_tokens.unwrap_or(0) as usize;
    let max = selection
        .max_prompt_tokens
        .map_or(usize::MAX, |m| m as usize);
    let want = selection.count.unwrap_or(usize::MAX);
    let mut kept = Vec::new();
    let (mut shortest, mut longest) = (usize::MAX, 0);
    for i in order {
        if kept.len() >= want {
            break;
        }
        let ids = tokenizer.encode_prompt(&prompts[i].text, selection.chat)?;
        shortest = shortest.min(ids.len());
        longest = longest.max(ids.len());
        if (min..=max).contains(&ids.len()) {
            kept.push(TokenizedPrompt {
                prompt: prompts[i].clone(),
                token_ids: ids,
            });
        }
    }
    if kept.is_empty() {
        return Err(Error::Dataset {
            source_name: "selection".to_owned(),
            message: if prompts.is_empty() {
                "the dataset has no prompts".to_owned()
            } else {
                format!(
                    "no prompt has between {min} and {} tokens (shortest {shortest}, longest {longest})",
                    selection
                        .max_prompt_tokens
                        .map_or_else(|| "any".to_owned(), |m| m.to_string())
                )
            },
        });
    }
    let Some(count) = selection.count else {
        return Ok(kept);
    };
    let base = kept.clone();
    while kept.len() < count {
        let mut pass = base.clone();
        pass.shuffle(&mut rng);
        kept.extend(pass.into_iter().take(count - kept.len()));
    }
    Ok(kept)
}
