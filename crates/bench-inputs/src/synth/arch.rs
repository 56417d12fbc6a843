//! The named architectures a synthetic model can take the shape of.

/// The shape of a llama-family transformer. The vocabulary is not part of it: a synthetic model
/// takes its tokenizer, and so its vocabulary size, from a real model.
#[derive(Debug, Clone, PartialEq)]
pub struct Architecture {
    /// The name it is asked for by (`llama-3.2-1b`).
    pub name: &'static str,
    pub n_embd: u64,
    pub n_layer: u64,
    pub n_head: u64,
    pub n_head_kv: u64,
    pub n_ff: u64,
    pub rope_theta: f32,
    pub context_length: u64,
    pub rms_eps: f32,
    /// Whether the output head reuses the token embeddings (no `output.weight`).
    pub tied_embeddings: bool,
}

impl Architecture {
    /// Width of one attention head.
    pub fn head_dim(&self) -> u64 {
        self.n_embd / self.n_head
    }

    /// Width of the key and value projections.
    pub fn kv_dim(&self) -> u64 {
        self.n_head_kv * self.head_dim()
    }
}

/// Meta's Llama 3 family, as published (vocabulary aside).
pub const ARCHITECTURES: [Architecture; 3] = [
    Architecture {
        name: "llama-3.2-1b",
        n_embd: 2048,
        n_layer: 16,
        n_head: 32,
        n_head_kv: 8,
        n_ff: 8192,
        rope_theta: 500_000.0,
        context_length: 131_072,
        rms_eps: 1e-5,
        tied_embeddings: true,
    },
    Architecture {
        name: "llama-3.2-3b",
        n_embd: 3072,
        n_layer: 28,
        n_head: 24,
        n_head_kv: 8,
        n_ff: 8192,
        rope_theta: 500_000.0,
        context_length: 131_072,
        rms_eps: 1e-5,
        tied_embeddings: true,
    },
    Architecture {
        name: "llama-3.1-8b",
        n_embd: 4096,
        n_layer: 32,
        n_head: 32,
        n_head_kv: 8,
        n_ff: 14_336,
        rope_theta: 500_000.0,
        context_length: 131_072,
        rms_eps: 1e-5,
        tied_embeddings: false,
    },
];

/// The architecture called `name`.
pub fn architecture(name: &str) -> Option<&'static Architecture> {
    ARCHITECTURES.iter().find(|a| a.name == name)
}

/// The known names, comma-separated, for messages.
pub fn known_architectures() -> String {
    ARCHITECTURES
        .iter()
        .map(|a| a.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_shapes() {
        let a = architecture("llama-3.2-1b").expect("known");
        assert_eq!((a.head_dim(), a.kv_dim()), (64, 512));
        let a = architecture("llama-3.2-3b").expect("known");
        assert_eq!((a.head_dim(), a.kv_dim()), (128, 1024));
        let a = architecture("llama-3.1-8b").expect("known");
        assert_eq!((a.head_dim(), a.kv_dim()), (128, 1024));
        assert!(!a.tied_embeddings);
        assert!(architecture("llama-4").is_none());
        assert_eq!(
            known_architectures(),
            "llama-3.2-1b, llama-3.2-3b, llama-3.1-8b"
        );
    }
}
