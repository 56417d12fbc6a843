//! Tensor element types (ggml's `ggml_type`) with their block geometry.

/// A ggml tensor element type. Quantised types store elements in blocks of
/// [`GgmlType::block_size`] elements taking [`GgmlType::type_size`] bytes each.
#[allow(
    non_camel_case_types,
    reason = "the names ggml and every GGUF tool use"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    Q8_K,
    IQ2_XXS,
    IQ2_XS,
    IQ3_XXS,
    IQ1_S,
    IQ4_NL,
    IQ3_S,
    IQ2_S,
    IQ4_XS,
    I8,
    I16,
    I32,
    I64,
    F64,
    IQ1_M,
    BF16,
    TQ1_0,
    TQ2_0,
    MXFP4,
}

/// `(type, on-disk id, block size in elements, block size in bytes)`.
const TABLE: [(GgmlType, u32, u64, u64); 32] = [
    (GgmlType::F32, 0, 1, 4),
    (GgmlType::F16, 1, 1, 2),
    (GgmlType::Q4_0, 2, 32, 18),
    (GgmlType::Q4_1, 3, 32, 20),
    (GgmlType::Q5_0, 6, 32, 22),
    (GgmlType::Q5_1, 7, 32, 24),
    (GgmlType::Q8_0, 8, 32, 34),
    (GgmlType::Q8_1, 9, 32, 36),
    (GgmlType::Q2_K, 10, 256, 84),
    (GgmlType::Q3_K, 11, 256, 110),
    (GgmlType::Q4_K, 12, 256, 144),
    (GgmlType::Q5_K, 13, 256, 176),
    (GgmlType::Q6_K, 14, 256, 210),
    (GgmlType::Q8_K, 15, 256, 292),
    (GgmlType::IQ2_XXS, 16, 256, 66),
    (GgmlType::IQ2_XS, 17, 256, 74),
    (GgmlType::IQ3_XXS, 18, 256, 98),
    (GgmlType::IQ1_S, 19, 256, 50),
    (GgmlType::IQ4_NL, 20, 32, 18),
    (GgmlType::IQ3_S, 21, 256, 110),
    (GgmlType::IQ2_S, 22, 256, 82),
    (GgmlType::IQ4_XS, 23, 256, 136),
    (GgmlType::I8, 24, 1, 1),
    (GgmlType::I16, 25, 1, 2),
    (GgmlType::I32, 26, 1, 4),
    (GgmlType::I64, 27, 1, 8),
    (GgmlType::F64, 28, 1, 8),
    (GgmlType::IQ1_M, 29, 256, 56),
    (GgmlType::BF16, 30, 1, 2),
    (GgmlType::TQ1_0, 34, 256, 54),
    (GgmlType::TQ2_0, 35, 256, 66),
    (GgmlType::MXFP4, 39, 32, 17),
];

impl GgmlType {
    fn row(self) -> (GgmlType, u32, u64, u64) {
        // Every variant has exactly one row; `all_variants_have_a_row` checks it.
        TABLE
            .into_iter()
            .find(|r| r.0 == self)
            .unwrap_or((self, u32::MAX, 1, 0))
    }

    /// Every type, in on-disk id order.
    pub fn all() -> impl Iterator<Item = GgmlType> {
        TABLE.into_iter().map(|r| r.0)
    }

    /// The type with on-disk id `id`, if ggml defines one.
    pub fn from_id(id: u32) -> Option<GgmlType> {
        TABLE.into_iter().find(|r| r.1 == id).map(|r| r.0)
    }

    /// The on-disk id.
    pub fn id(self) -> u32 {
        self.row().1
    }

    /// Elements per block (1 for plain types).
    pub fn block_size(self) -> u64 {
        self.row().2
    }

    /// Bytes per block.
    pub fn type_size(self) -> u64 {
        self.row().3
    }

    /// ggml's name: `f32`, `q4_1`, `q6_K`, ...
    pub fn name(self) -> &'static str {
        match self {
            GgmlType::F32 => "f32",
            GgmlType::F16 => "f16",
            GgmlType::Q4_0 => "q4_0",
            GgmlType::Q4_1 => "q4_1",
            GgmlType::Q5_0 => "q5_0",
            GgmlType::Q5_1 => "q5_1",
            GgmlType::Q8_0 => "q8_0",
            GgmlType::Q8_1 => "q8_1",
            GgmlType::Q2_K => "q2_K",
            GgmlType::Q3_K => "q3_K",
            GgmlType::Q4_K => "q4_K",
            GgmlType::Q5_K => "q5_K",
            GgmlType::Q6_K => "q6_K",
            GgmlType::Q8_K => "q8_K",
            GgmlType::IQ2_XXS => "iq2_xxs",
            GgmlType::IQ2_XS => "iq2_xs",
            GgmlType::IQ3_XXS => "iq3_xxs",
            GgmlType::IQ1_S => "iq1_s",
            GgmlType::IQ4_NL => "iq4_nl",
            GgmlType::IQ3_S => "iq3_s",
            GgmlType::IQ2_S => "iq2_s",
            GgmlType::IQ4_XS => "iq4_xs",
            GgmlType::I8 => "i8",
            GgmlType::I16 => "i16",
            GgmlType::I32 => "i32",
            GgmlType::I64 => "i64",
            GgmlType::F64 => "f64",
            GgmlType::IQ1_M => "iq1_m",
            GgmlType::BF16 => "bf16",
            GgmlType::TQ1_0 => "tq1_0",
            GgmlType::TQ2_0 => "tq2_0",
            GgmlType::MXFP4 => "mxfp4",
        }
    }

    /// llama.cpp's `general.file_type` for a model whose matrices are all of this type (`None`
    /// for the K-quant and i-quant mixes, whose file types name a recipe rather than one type).
    pub fn file_type(self) -> Option<u32> {
        match self {
            GgmlType::F32 => Some(0),
            GgmlType::F16 => Some(1),
            GgmlType::Q4_0 => Some(2),
            GgmlType::Q4_1 => Some(3),
            GgmlType::Q8_0 => Some(7),
            GgmlType::Q5_0 => Some(8),
            GgmlType::Q5_1 => Some(9),
            GgmlType::BF16 => Some(32),
            _ => None,
        }
    }

    /// Whether elements are stored in quantised blocks.
    pub fn is_quantized(self) -> bool {
        self.block_size() > 1
    }
}

impl std::fmt::Display for GgmlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_variants_have_a_row_and_ids_round_trip() {
        for (t, id, block, size) in TABLE {
            assert_eq!(GgmlType::from_id(id), Some(t));
            assert_eq!(t.id(), id);
            assert_eq!(t.block_size(), block);
            assert_eq!(t.type_size(), size);
        }
        let mut ids: Vec<u32> = TABLE.iter().map(|r| r.1).collect();
        ids.dedup();
        assert_eq!(ids.len(), TABLE.len(), "ids are unique and sorted");
    }

    #[test]
    fn known_geometry() {
        assert_eq!(GgmlType::Q4_1.type_size(), 20);
        assert_eq!(GgmlType::Q6_K.block_size(), 256);
        assert_eq!(GgmlType::Q6_K.type_size(), 210);
        assert_eq!(GgmlType::from_id(4), None, "removed Q4_2");
        assert!(!GgmlType::BF16.is_quantized());
        assert_eq!(GgmlType::Q6_K.to_string(), "q6_K");
    }
}
