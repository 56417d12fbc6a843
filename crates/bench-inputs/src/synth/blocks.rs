//! Weight types of synthetic models; their blocks are encoded by the `gguf` crate (ggml's
//! reference quantisers, bit for bit).

use gguf::GgmlType;

/// Elements per encoded block; every type here is written in blocks of this many values.
pub const BLOCK: usize = 32;

/// The element type of a synthetic model's matrices (norms stay `f32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightType {
    F16,
    Q8_0,
    Q4_0,
}

impl WeightType {
    pub const ALL: [WeightType; 3] = [WeightType::F16, WeightType::Q8_0, WeightType::Q4_0];

    /// The spelling on the command line and in file names: `f16`, `q8_0`, `q4_0`.
    pub fn name(self) -> &'static str {
        self.ggml().name()
    }

    /// The type with that spelling.
    pub fn from_name(name: &str) -> Option<WeightType> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// The known spellings, comma-separated, for messages.
    pub fn known() -> String {
        Self::ALL.map(WeightType::name).join(", ")
    }

    pub fn ggml(self) -> GgmlType {
        match self {
            WeightType::F16 => GgmlType::F16,
            WeightType::Q8_0 => GgmlType::Q8_0,
            WeightType::Q4_0 => GgmlType::Q4_0,
        }
    }

    /// llama.cpp's `general.file_type` for a model whose matrices are all of this type.
    pub fn file_type(self) -> u32 {
        match self {
            WeightType::F16 => 1,
            WeightType::Q4_0 => 2,
            WeightType::Q8_0 => 7,
        }
    }

    /// Bytes of one encoded block of [`BLOCK`] values.
    pub fn block_bytes(self) -> usize {
        match self {
            WeightType::F16 => 2 * BLOCK,
            WeightType::Q8_0 => 2 + BLOCK,
            WeightType::Q4_0 => 2 + BLOCK / 2,
        }
    }

    /// Append the encoding of `x` to `out`.
    pub fn encode(self, x: &[f32; BLOCK], out: &mut Vec<u8>) {
        // Every weight type has an encoder and `BLOCK` values are whole blocks of each (the
        // round-trip test below encodes every type).
        if let Err(e) = gguf::quantize_into(self.ggml(), x, out) {
            unreachable!("{self:?} encodes blocks of {BLOCK}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(f: impl Fn(usize) -> f32) -> [f32; BLOCK] {
        std::array::from_fn(f)
    }

    fn decode(t: WeightType, b: &[u8]) -> Vec<f32> {
        gguf::dequantize(t.ggml(), b, BLOCK).expect("one block")
    }

    #[test]
    fn encodings_round_trip_within_their_step() {
        let x = block(|i| (i as f32 - 13.0) * 0.003);
        for (t, tol) in [
            (WeightType::F16, 1e-4),
            (WeightType::Q8_0, 0.06 / 127.0),
            (WeightType::Q4_0, 0.06 / 8.0),
        ] {
            let mut out = Vec::new();
            t.encode(&x, &mut out);
            assert_eq!(out.len(), t.block_bytes(), "{t:?}");
            let g = t.ggml();
            assert_eq!(
                out.len() as u64,
                BLOCK as u64 / g.block_size() * g.type_size(),
                "{t:?}"
            );
            for (a, b) in x.iter().zip(decode(t, &out)) {
                assert!((a - b).abs() <= tol, "{t:?}: {a} decoded as {b}");
            }
        }
    }

    #[test]
    fn zero_block_and_names() {
        let mut out = Vec::new();
        WeightType::Q4_0.encode(&[0.0; BLOCK], &mut out);
        assert_eq!(&out[2..], &[0x88; 16]);
        assert_eq!(WeightType::from_name("Q8_0"), Some(WeightType::Q8_0));
        assert_eq!(WeightType::from_name("q4_k"), None);
        assert_eq!(WeightType::known(), "f16, q8_0, q4_0");
    }
}
