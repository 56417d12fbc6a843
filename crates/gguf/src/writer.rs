//! [`GgufWriter`]: writes GGUF v3 files from metadata and tensors, aligning tensor data.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::GgufError;
use crate::ggml_type::GgmlType;
use crate::tensor::TensorInfo;
use crate::value::{Value, ValueType};
use crate::{ALIGNMENT_KEY, DEFAULT_ALIGNMENT, MAGIC};

/// Where a tensor's bytes come from when the file is written.
pub enum TensorSource<'a> {
    /// Bytes held in memory.
    Bytes(Vec<u8>),
    /// A function that writes exactly the tensor's bytes when called, so large synthetic models
    /// need not sit in memory.
    Generate(Generator<'a>),
}

/// Writes one tensor's bytes.
pub type Generator<'a> = Box<dyn FnMut(&mut dyn Write) -> io::Result<()> + 'a>;

/// Builds a GGUF v3 file. Tensor data is aligned to `general.alignment` when that key is set,
/// otherwise to 32 bytes.
#[derive(Default)]
pub struct GgufWriter<'a> {
    metadata: Vec<(String, Value)>,
    tensors: Vec<(TensorInfo, TensorSource<'a>)>,
}

impl std::fmt::Debug for GgufWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufWriter")
            .field("metadata", &self.metadata.len())
            .field("tensors", &self.tensors.len())
            .finish()
    }
}

fn input(msg: String) -> GgufError {
    GgufError::WriterInput(msg)
}

impl<'a> GgufWriter<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `key` (replacing an earlier value, keeping its position).
    pub fn add_metadata(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        let key = key.into();
        let value = value.into();
        match self.metadata.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.metadata.push((key, value)),
        }
        self
    }

    /// Align tensor data to `alignment` bytes (a power of two), recorded as `general.alignment`.
    pub fn set_alignment(&mut self, alignment: u32) -> Result<&mut Self, GgufError> {
        if !alignment.is_power_of_two() {
            return Err(input(format!(
                "alignment {alignment} is not a power of two"
            )));
        }
        Ok(self.add_metadata(ALIGNMENT_KEY, alignment))
    }

    /// Add a tensor whose bytes are in memory; `dims[0]` varies fastest.
    pub fn add_tensor(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        ggml_type: GgmlType,
        data: Vec<u8>,
    ) -> Result<&mut Self, GgufError> {
        let info = self.check_tensor(name.into(), dims, ggml_type)?;
        if data.len() as u64 != info.n_bytes() {
            return Err(input(format!(
                "tensor '{}' of shape {dims:?} and type {ggml_type} needs {} bytes, got {}",
                info.name,
                info.n_bytes(),
                data.len()
            )));
        }
        self.tensors.push((info, TensorSource::Bytes(data)));
        Ok(self)
    }

    /// Add a tensor whose bytes `generate` writes when the file is written.
    pub fn add_tensor_with(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        ggml_type: GgmlType,
        generate: impl FnMut(&mut dyn Write) -> io::Result<()> + 'a,
    ) -> Result<&mut Self, GgufError> {
        let info = self.check_tensor(name.into(), dims, ggml_type)?;
        self.tensors
            .push((info, TensorSource::Generate(Box::new(generate))));
        Ok(self)
    }

    fn check_tensor(
        &self,
        name: String,
        dims: &[u64],
        ggml_type: GgmlType,
    ) -> Result<TensorInfo, GgufError> {
        if self.tensors.iter().any(|(t, _)| t.name == name) {
            return Err(input(format!("duplicate tensor '{name}'")));
        }
        if dims.is_empty() || dims.len() > 4 {
            return Err(input(format!(
                "tensor '{name}' has {} dimensions",
                dims.len()
            )));
        }
        if !dims[0].is_multiple_of(ggml_type.block_size()) {
            return Err(input(format!(
                "tensor '{name}': row length {} is not a multiple of the {ggml_type} block size {}",
                dims[0],
                ggml_type.block_size()
            )));
        }
        Ok(TensorInfo {
            name,
            dims: dims.to_vec(),
            ggml_type,
            offset: 0,
        })
    }

    fn alignment(&self) -> Result<u64, GgufError> {
        match self.metadata.iter().find(|(k, _)| k == ALIGNMENT_KEY) {
            None => Ok(DEFAULT_ALIGNMENT),
            Some((_, v)) => match v.as_u64() {
                Some(a) if a.is_power_of_two() => Ok(a),
                _ => Err(input(format!(
                    "{ALIGNMENT_KEY} = {v} is not a power of two"
                ))),
            },
        }
    }

    /// Write the file to `out`; returns the number of bytes written.
    pub fn write(self, out: impl Write) -> Result<u64, GgufError> {
        let alignment = self.alignment()?;
        let mut w = Counting { inner: out, n: 0 };
        let mut offset = 0u64;
        let mut infos = Vec::with_capacity(self.tensors.len());
        for (info, _) in &self.tensors {
            infos.push(TensorInfo {
                offset,
                ..info.clone()
            });
            offset = (offset + info.n_bytes()).next_multiple_of(alignment);
        }
        let head = (|| -> io::Result<()> {
            w.write_all(&MAGIC.to_le_bytes())?;
            w.write_all(&3u32.to_le_bytes())?;
            w.write_all(&(self.tensors.len() as u64).to_le_bytes())?;
            w.write_all(&(self.metadata.len() as u64).to_le_bytes())?;
            Ok(())
        })();
        head.map_err(GgufError::Write)?;
        for (key, value) in &self.metadata {
            write_string(&mut w, key).map_err(GgufError::Write)?;
            write_typed(&mut w, key, value)?;
        }
        for info in &infos {
            write_info(&mut w, info).map_err(GgufError::Write)?;
        }
        pad(&mut w, alignment).map_err(GgufError::Write)?;
        for ((_, source), info) in self.tensors.into_iter().zip(&infos) {
            let start = w.n;
            match source {
                TensorSource::Bytes(data) => w.write_all(&data),
                TensorSource::Generate(mut f) => f(&mut w),
            }
            .map_err(GgufError::Write)?;
            let written = w.n - start;
            if written != info.n_bytes() {
                return Err(input(format!(
                    "the generator of tensor '{}' wrote {written} bytes, expected {}",
                    info.name,
                    info.n_bytes()
                )));
            }
            pad(&mut w, alignment).map_err(GgufError::Write)?;
        }
        w.flush().map_err(GgufError::Write)?;
        Ok(w.n)
    }

    /// Write the file to `path` (created or truncated); returns the number of bytes written.
    pub fn write_file(self, path: &Path) -> Result<u64, GgufError> {
        let file = File::create(path).map_err(|source| GgufError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.write(BufWriter::with_capacity(1 << 20, file))
    }
}

/// A writer that counts the bytes passed through it.
struct Counting<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn pad<W: Write>(w: &mut Counting<W>, alignment: u64) -> io::Result<()> {
    let zeros = [0u8; 64];
    let mut left = w.n.next_multiple_of(alignment) - w.n;
    while left > 0 {
        let k = left.min(zeros.len() as u64);
        w.write_all(&zeros[..k as usize])?;
        left -= k;
    }
    Ok(())
}

fn write_string(w: &mut impl Write, s: &str) -> io::Result<()> {
    w.write_all(&(s.len() as u64).to_le_bytes())?;
    w.write_all(s.as_bytes())
}

fn write_info(w: &mut impl Write, info: &TensorInfo) -> io::Result<()> {
    write_string(w, &info.name)?;
    w.write_all(&(info.dims.len() as u32).to_le_bytes())?;
    for d in &info.dims {
        w.write_all(&d.to_le_bytes())?;
    }
    w.write_all(&info.ggml_type.id().to_le_bytes())?;
    w.write_all(&info.offset.to_le_bytes())
}

/// The value's type id, then the value.
fn write_typed(w: &mut impl Write, key: &str, value: &Value) -> Result<(), GgufError> {
    w.write_all(&value.value_type().id().to_le_bytes())
        .map_err(GgufError::Write)?;
    write_value(w, key, value)
}

fn write_value(w: &mut impl Write, key: &str, value: &Value) -> Result<(), GgufError> {
    let r = match value {
        Value::U8(v) => w.write_all(&v.to_le_bytes()),
        Value::I8(v) => w.write_all(&v.to_le_bytes()),
        Value::U16(v) => w.write_all(&v.to_le_bytes()),
        Value::I16(v) => w.write_all(&v.to_le_bytes()),
        Value::U32(v) => w.write_all(&v.to_le_bytes()),
        Value::I32(v) => w.write_all(&v.to_le_bytes()),
        Value::U64(v) => w.write_all(&v.to_le_bytes()),
        Value::I64(v) => w.write_all(&v.to_le_bytes()),
        Value::F32(v) => w.write_all(&v.to_le_bytes()),
        Value::F64(v) => w.write_all(&v.to_le_bytes()),
        Value::Bool(v) => w.write_all(&[u8::from(*v)]),
        Value::String(s) => write_string(w, s),
        Value::Array(items) => {
            // An empty array has no element to take a type from; u8 is as good as any.
            let elem = items.first().map_or(ValueType::U8, Value::value_type);
            if let Some(odd) = items.iter().find(|v| v.value_type() != elem) {
                return Err(input(format!(
                    "metadata array '{key}' mixes {elem:?} and {:?} elements",
                    odd.value_type()
                )));
            }
            w.write_all(&elem.id().to_le_bytes())
                .and_then(|()| w.write_all(&(items.len() as u64).to_le_bytes()))
                .map_err(GgufError::Write)?;
            for item in items {
                write_value(w, key, item)?;
            }
            Ok(())
        }
    };
    r.map_err(GgufError::Write)
}
