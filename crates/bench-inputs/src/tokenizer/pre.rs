//! llama.cpp's pre-tokenizer types (`tokenizer.ggml.pre`) as regex splits.
//!
//! llama.cpp splits text with a list of regexes, one after another, each keeping what it does
//! not match; the tables below are copied from its `llm_tokenizer_bpe`. Only `smollm` is
//! checked against llama.cpp by this crate's tests; the others follow the same tables.

/// GPT-2's word regex (`\s+(?!\S)` keeps the last space of a run for the next word).
const GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";

const LLAMA3: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

const QWEN2: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// How a pre-tokenizer type splits text before BPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PreSplit {
    /// Regexes applied in order; each match and each gap between matches becomes a piece.
    pub regexes: &'static [&'static str],
    /// Look a whole piece up in the vocabulary before merging (llama 3's tokenizer does).
    pub ignore_merges: bool,
}

/// The splits of a `tokenizer.ggml.pre` value, `None` when this crate does not know it.
pub(crate) fn pre_split(pre: &str) -> Option<PreSplit> {
    let (regexes, ignore_merges): (&'static [&'static str], bool) = match pre {
        "default" => (
            &[r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", "[0-9][0-9][0-9]"],
            false,
        ),
        "gpt-2" | "mpt" | "olmo" | "jais" => (&[GPT2], false),
        "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone" | "minerva" => {
            (&[r"\p{N}", GPT2], false)
        }
        "llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "pixtral" => (&[LLAMA3], true),
        "qwen2" | "stablelm2" | "deepseek-r1-qwen" => (&[QWEN2], false),
        _ => return None,
    };
    Some(PreSplit {
        regexes,
        ignore_merges,
    })
}

/// Names [`pre_split`] accepts, for messages.
pub(crate) const KNOWN: &str =
    "default, gpt-2, smollm, starcoder, llama-bpe, qwen2 and their aliases";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smollm_splits_digits_first() {
        let s = pre_split("smollm").expect("known");
        assert_eq!(s.regexes[0], r"\p{N}");
        assert!(!s.ignore_merges);
        assert!(pre_split("llama-bpe").expect("known").ignore_merges);
        assert!(pre_split("klingon").is_none());
    }
}
