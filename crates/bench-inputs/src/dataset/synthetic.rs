//! Synthetic prompts of exact token lengths, built from whole-word vocabulary tokens.
//!
//! A word token such as `" river"` that encodes back to itself alone stays one token when words
//! are concatenated, because the pre-tokenizer splits at every leading space: a prompt of `n`
//! such words is exactly `n` tokens (raw; a chat template adds its own fixed tokens). Each prompt
//! is re-encoded to check this.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::Prompt;
use super::spec::{LengthDist, Synthetic};
use crate::error::{Error, Result};
use crate::tokenizer::Tokenizer;

/// Fewer candidate words than this and the prompts would be too repetitive to mean anything.
const MIN_WORDS: usize = 100;

fn synth_err(message: String) -> Error {
    Error::Dataset {
        source_name: "synthetic".to_owned(),
        message,
    }
}

/// Vocabulary tokens that decode to a space and 2 to 12 lowercase ASCII letters and encode back
/// to themselves alone.
pub(crate) fn word_tokens(tokenizer: &Tokenizer) -> Result<Vec<String>> {
    let mut words = Vec::new();
    for id in 0..tokenizer.vocab_size() as u32 {
        let text = tokenizer.decode(&[id])?;
        let Some(word) = text.strip_prefix(' ') else {
            continue;
        };
        if !(2..=12).contains(&word.len()) || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            continue;
        }
        if tokenizer.encode(&text)? == [id] {
            words.push(text);
        }
    }
    if words.len() < MIN_WORDS {
        return Err(synth_err(format!(
            "the tokenizer has {} whole-word tokens, fewer than the {MIN_WORDS} synthetic prompts need",
            words.len()
        )));
    }
    Ok(words)
}

pub(crate) fn sample(dist: LengthDist, rng: &mut ChaCha8Rng) -> Result<u32> {
    Ok(match dist {
        LengthDist::Fixed(n) => n,
        LengthDist::Uniform { min, max } => rng.random_range(min..=max),
        LengthDist::Normal { mean, sd } => {
            let normal =
                Normal::new(mean, sd).map_err(|e| synth_err(format!("normal {mean}~{sd}: {e}")))?;
            normal.sample(rng).round().clamp(1.0, f64::from(u32::MAX)) as u32
        }
    })
}

/// `spec.requests` prompts with input lengths drawn from `spec.input` (exact in tokens) and
/// expected output lengths from `spec.output`, reproducible from `spec.seed`.
pub(crate) fn generate(spec: &Synthetic, tokenizer: &Tokenizer) -> Result<Vec<Prompt>> {
    let words = word_tokens(tokenizer)?;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut prompts = Vec::with_capacity(spec.requests);
    for index in 0..spec.requests {
        let input = sample(spec.input, &mut rng)?;
        let output = sample(spec.output, &mut rng)?;
        let mut text = String::with_capacity(input as usize * 8);
        for _ in 0..input {
            // `words` is non-empty: `word_tokens` guarantees at least MIN_WORDS.
            text.push_str(words.choose(&mut rng).map_or("", String::as_str));
        }
        let counted = tokenizer.count(&text)?;
        if counted != input as usize {
            return Err(synth_err(format!(
                "a prompt of {input} word tokens encodes to {counted} tokens; this tokenizer merges across words"
            )));
        }
        prompts.push(Prompt {
            index,
            text,
            reference: None,
            expected_output_tokens: Some(output),
            group: None,
            conversation: None,
            turn: None,
        });
    }
    Ok(prompts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_their_distributions() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let u = sample(LengthDist::Uniform { min: 3, max: 5 }, &mut rng).expect("uniform");
            assert!((3..=5).contains(&u));
            assert!(
                sample(
                    LengthDist::Normal {
                        mean: 2.0,
                        sd: 50.0
                    },
                    &mut rng
                )
                .expect("normal")
                    >= 1
            );
        }
        assert_eq!(sample(LengthDist::Fixed(9), &mut rng).expect("fixed"), 9);
        let draws: Vec<u32> = (0..2000)
            .map(|_| {
                sample(
                    LengthDist::Normal {
                        mean: 500.0,
                        sd: 10.0,
                    },
                    &mut rng,
                )
                .expect("normal")
            })
            .collect();
        let mean = f64::from(draws.iter().sum::<u32>()) / draws.len() as f64;
        assert!((mean - 500.0).abs() < 2.0, "mean {mean}");
    }
}
