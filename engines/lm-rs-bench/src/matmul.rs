//! Weight matrices in their quantised form and the threaded matrix products over them.
//!
//! A product splits the weight rows into chunks that the thread pool runs in parallel; each
//! chunk dots its rows with every input token's (quantised) activations, so a weight row is read
//! from memory once per product whatever the batch size.

use std::ops::Range;

use gguf::{GgmlType, GgufFile, TensorInfo};
use rayon::prelude::*;

use crate::error::ModelError;
use crate::quant::{self, ActFormat, Isa, Q8Acts, Q8KActs, Q8KRow, Q8Row, float};

/// A weight matrix of `rows` rows of `cols` elements, stored in the model file.
#[derive(Debug, Clone)]
pub struct QMatrix {
    pub name: String,
    pub ty: GgmlType,
    pub rows: usize,
    pub cols: usize,
    /// Bytes of the whole matrix within the mapped file.
    range: Range<usize>,
    row_bytes: usize,
}

impl QMatrix {
    /// The matrix `name`, which must have shape `[cols, rows]` (ggml order) and a supported type.
    pub fn load(file: &GgufFile, name: &str, cols: usize, rows: usize) -> Result<Self, ModelError> {
        let info = file
            .tensor(name)
            .ok_or_else(|| ModelError::MissingTensor(name.to_owned()))?;
        Self::from_info(file, info, cols, rows)
    }

    fn from_info(
        file: &GgufFile,
        info: &TensorInfo,
        cols: usize,
        rows: usize,
    ) -> Result<Self, ModelError> {
        let expected = [cols as u64, rows as u64];
        if info.dims != expected {
            return Err(ModelError::Shape {
                name: info.name.clone(),
                found: info.dims.clone(),
                expected: expected.to_vec(),
            });
        }
        let format = quant::act_format(info.ggml_type);
        let fits = match format {
            Some(ActFormat::F32) => true,
            Some(ActFormat::Q8) => cols.is_multiple_of(quant::QK),
            Some(ActFormat::Q8K) => cols.is_multiple_of(quant::QK_K),
            None => false,
        };
        if !fits {
            return Err(ModelError::UnsupportedType {
                name: info.name.clone(),
                ty: info.ggml_type,
            });
        }
        let start = (file.data_offset() + info.offset) as usize;
        Ok(QMatrix {
            name: info.name.clone(),
            ty: info.ggml_type,
            rows,
            cols,
            range: start..start + info.n_bytes() as usize,
            row_bytes: info.row_bytes() as usize,
        })
    }

    /// Bytes of the matrix.
    pub fn n_bytes(&self) -> usize {
        self.range.len()
    }

    /// Row `r` dequantised into `out` (`cols` elements).
    pub fn dequantize_row(&self, file: &[u8], r: usize, out: &mut [f32]) {
        let start = self.range.start + r * self.row_bytes;
        quant::dequantize_row(self.ty, &file[start..start + self.row_bytes], out);
    }
}

/// Buffers a product needs besides its output, reused across products.
#[derive(Debug, Default)]
pub struct MatmulScratch {
    q8: Q8Acts,
    q8k: Q8KActs,
    /// Output in `[rows][tokens]` order when the batch has more than one token.
    by_row: Vec<f32>,
}

/// A weight-row dot product against token `t`'s activations.
enum Kernel {
    F32(fn(&[u8], &[f32]) -> f32),
    Q8(fn(&[u8], Q8Row<'_>) -> f32),
    Q8K(fn(&[u8], Q8KRow<'_>) -> f32),
}

#[cfg(target_arch = "x86_64")]
mod simd {
    //! Safe entry points to the x86-64 kernels. Each is only ever selected for the [`Isa`] that
    //! [`Isa::detect`] found on this CPU, which has every feature the kernel is compiled for.

    use crate::quant::{Isa, Q8Row, avx2};

    macro_rules! entry {
        ($($name:ident => $kernel:ident),*) => {$(
            pub fn $name(row: &[u8], a: Q8Row<'_>) -> f32 {
                // SAFETY: see the module comment.
                unsafe { avx2::$kernel(row, a) }
            }
        )*};
    }

    entry!(q4_0 => dot_q4_0, q4_1 => dot_q4_1, q8_0 => dot_q8_0);

    /// The kernel for `ty` on `isa`, where there is one.
    pub fn kernel(ty: gguf::GgmlType, isa: Isa) -> Option<super::Kernel> {
        use gguf::GgmlType::{Q4_0, Q4_1, Q8_0};
        let f: fn(&[u8], Q8Row<'_>) -> f32 = match (isa, ty) {
            (Isa::Avx2, Q4_0) => q4_0,
            (Isa::Avx2, Q4_1) => q4_1,
            (Isa::Avx2, Q8_0) => q8_0,
            _ => return None,
        };
        Some(super::Kernel::Q8(f))
    }
}

fn kernel(ty: GgmlType, isa: Isa) -> Kernel {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = simd::kernel(ty, isa) {
        return k;
    }
    let _ = isa;
    match ty {
        GgmlType::F32 => Kernel::F32(float::dot_f32),
        GgmlType::F16 => Kernel::F32(float::dot_f16),
        GgmlType::BF16 => Kernel::F32(float::dot_bf16),
        GgmlType::Q4_0 => Kernel::Q8(quant::q4_0::dot),
        GgmlType::Q4_1 => Kernel::Q8(quant::q4_1::dot),
        GgmlType::Q8_0 => Kernel::Q8(quant::q8_0::dot),
        GgmlType::Q4_K => Kernel::Q8K(quant::q4_k::dot),
        GgmlType::Q6_K => Kernel::Q8K(quant::q6_k::dot),
        other => unreachable!("weight type {other} is refused when the matrix loads"),
    }
}

/// What every product needs: the mapped file, the kernels' instruction set and the thread count
/// (products run on the rayon pool they are called from).
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub file: &'a [u8],
    pub isa: Isa,
    pub threads: usize,
}

/// `out[t] = w · x[t]` for the `x.len() / w.cols` tokens in `x`; `out` is `[tokens][w.rows]`.
pub fn matmul(ctx: Ctx<'_>, w: &QMatrix, x: &[f32], scratch: &mut MatmulScratch, out: &mut [f32]) {
    let n_tok = x.len() / w.cols;
    debug_assert_eq!(x.len(), n_tok * w.cols);
    debug_assert_eq!(out.len(), n_tok * w.rows);
    let data = &ctx.file[w.range.clone()];
    // Enough chunks for the pool to balance load, few enough that scheduling costs little.
    let chunk_rows = w.rows.div_ceil(ctx.threads * 4).max(16);
    let by_row: &mut [f32] = if n_tok == 1 {
        out
    } else {
        scratch.by_row.resize(n_tok * w.rows, 0.0);
        &mut scratch.by_row
    };
    let (cols, row_bytes) = (w.cols, w.row_bytes);
    match kernel(w.ty, ctx.isa) {
        Kernel::F32(dot) => for_rows(data, row_bytes, n_tok, chunk_rows, by_row, |row, t| {
            dot(row, &x[t * cols..(t + 1) * cols])
        }),
        Kernel::Q8(dot) => {
            scratch.q8.quantize(x, cols);
            let acts = &scratch.q8;
            for_rows(data, row_bytes, n_tok, chunk_rows, by_row, |row, t| {
                dot(row, acts.row(t))
            });
        }
        Kernel::Q8K(dot) => {
            scratch.q8k.quantize(x, cols);
            let acts = &scratch.q8k;
            for_rows(data, row_bytes, n_tok, chunk_rows, by_row, |row, t| {
                dot(row, acts.row(t))
            });
        }
    }
    if n_tok > 1 {
        for (r, vals) in scratch.by_row.chunks_exact(n_tok).enumerate() {
            for (t, &v) in vals.iter().enumerate() {
                out[t * w.rows + r] = v;
            }
        }
    }
}

/// Run `dot(row, token)` for every weight row and token, rows split across the pool;
/// `by_row` is `[rows][tokens]`.
fn for_rows(
    data: &[u8],
    row_bytes: usize,
    n_tok: usize,
    chunk_rows: usize,
    by_row: &mut [f32],
    dot: impl Fn(&[u8], usize) -> f32 + Sync,
) {
    by_row
        .par_chunks_mut(chunk_rows * n_tok)
        .zip(data.par_chunks(chunk_rows * row_bytes))
        .for_each(|(out, rows)| {
            for (row, o) in rows
                .chunks_exact(row_bytes)
                .zip(out.chunks_exact_mut(n_tok))
            {
                for (t, v) in o.iter_mut().enumerate() {
                    *v = dot(row, t);
                }
            }
        });
}
