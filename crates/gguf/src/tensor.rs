//! One entry of the tensor index.

use crate::ggml_type::GgmlType;

/// A tensor as the index describes it. `dims[0]` varies fastest (the row length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Offset of the tensor's data from the start of the data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Total number of elements.
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Bytes of data.
    pub fn n_bytes(&self) -> u64 {
        self.n_elements() / self.ggml_type.block_size() * self.ggml_type.type_size()
    }

    /// Elements per row (`dims[0]`; 1 for a scalar).
    pub fn row_len(&self) -> u64 {
        self.dims.first().copied().unwrap_or(1)
    }

    /// Number of rows (the product of every dimension but the first).
    pub fn n_rows(&self) -> u64 {
        self.dims.iter().skip(1).product()
    }

    /// Bytes per row.
    pub fn row_bytes(&self) -> u64 {
        self.row_len() / self.ggml_type.block_size() * self.ggml_type.type_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let t = TensorInfo {
            name: "w".into(),
            dims: vec![64, 3],
            ggml_type: GgmlType::Q4_1,
            offset: 0,
        };
        assert_eq!(t.n_elements(), 192);
        assert_eq!(t.n_bytes(), 6 * 20);
        assert_eq!(t.row_bytes(), 40);
        assert_eq!(t.n_rows(), 3);
    }
}
