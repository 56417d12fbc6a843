//! [`requantize`]: a GGUF file with its matrices re-encoded as another type.

use std::io;

use crate::error::GgufError;
use crate::file::GgufFile;
use crate::ggml_type::GgmlType;
use crate::quant::quantize;
use crate::writer::GgufWriter;

/// A writer for `file` with every matrix (two or more dimensions, rows of whole `to` blocks)
/// dequantised and quantised as `to`, and everything else kept: metadata (with
/// `general.file_type` updated where `to` has one), 1-D tensors, tensors already of type `to`.
/// Matrices are converted one at a time as the writer writes them.
pub fn requantize(file: &GgufFile, to: GgmlType) -> Result<GgufWriter<'_>, GgufError> {
    // Zero values are whole blocks of any type: this only asks whether `to` has an encoder.
    quantize(to, &[]).map_err(|e| GgufError::WriterInput(e.to_string()))?;
    let mut writer = GgufWriter::new();
    for (key, value) in file.metadata().iter() {
        writer.add_metadata(key, value.clone());
    }
    if let Some(file_type) = to.file_type() {
        writer.add_metadata("general.file_type", file_type);
    }
    for t in file.tensors() {
        let re_encode =
            t.ggml_type != to && t.dims.len() >= 2 && t.dims[0].is_multiple_of(to.block_size());
        let ty = if re_encode { to } else { t.ggml_type };
        writer.add_tensor_with(&t.name, &t.dims, ty, move |w| {
            if !re_encode {
                return w.write_all(file.tensor_data(t));
            }
            let values = file.tensor_f32(t).map_err(io::Error::other)?;
            w.write_all(&quantize(to, &values).map_err(io::Error::other)?)
        })?;
    }
    Ok(writer)
}
