//! A tiny detokeniser for byte-level BPE vocabularies (`tokenizer.ggml.model = "gpt2"`), for
//! reading generated tokens in tests and examples: each token string maps its characters back
//! through GPT-2's byte-to-unicode table.

use std::collections::HashMap;

use gguf::Metadata;

/// Token strings and the reverse of GPT-2's byte-to-unicode map.
pub struct Detok {
    tokens: Vec<String>,
    /// Token types (`3`: control tokens such as `<|im_end|>`, written as they are).
    types: Vec<i32>,
    byte_of: HashMap<char, u8>,
}

impl Detok {
    /// From a GGUF file's metadata; `None` unless it holds a `gpt2` vocabulary.
    pub fn from_metadata(m: &Metadata) -> Option<Detok> {
        if m.get_str("tokenizer.ggml.model") != Some("gpt2") {
            return None;
        }
        let tokens = m
            .get_str_array("tokenizer.ggml.tokens")?
            .into_iter()
            .map(str::to_owned)
            .collect();
        let types = m
            .get_i32_array("tokenizer.ggml.token_type")
            .unwrap_or_default();
        // GPT-2 keeps printable bytes as their own code points and moves the rest to 256 + n.
        let mut byte_of = HashMap::new();
        let mut next = 256u32;
        for b in 0u8..=255 {
            let printable = matches!(b, 33..=126 | 161..=172 | 174..=255);
            let c = if printable {
                char::from(b)
            } else {
                next += 1;
                char::from_u32(next - 1).unwrap_or('?')
            };
            byte_of.insert(c, b);
        }
        Some(Detok {
            tokens,
            types,
            byte_of,
        })
    }

    /// The text of `ids`, invalid UTF-8 replaced.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            let Some(tok) = self.tokens.get(id as usize) else {
                bytes.extend_from_slice(format!("<{id}?>").as_bytes());
                continue;
            };
            if self.types.get(id as usize) == Some(&3) {
                bytes.extend_from_slice(tok.as_bytes());
                continue;
            }
            for c in tok.chars() {
                match self.byte_of.get(&c) {
                    Some(&b) => bytes.push(b),
                    None => bytes.extend_from_slice(c.to_string().as_bytes()),
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
