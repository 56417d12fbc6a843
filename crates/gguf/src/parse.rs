//! The parser of the header, metadata and tensor index, over any byte stream.
//!
//! Every read is bounded by the file length first, so a corrupt count or length is reported as a
//! truncated file instead of turning into a huge allocation.

use std::io::{self, Read};
use std::path::Path;

use crate::error::GgufError;
use crate::ggml_type::GgmlType;
use crate::metadata::Metadata;
use crate::tensor::TensorInfo;
use crate::value::{Value, ValueType};
use crate::{ALIGNMENT_KEY, MAGIC};

/// Deepest nesting of arrays accepted (GGUF files in practice use one level).
const MAX_ARRAY_DEPTH: u32 = 8;

/// A byte stream that knows its position, the file's length and the file's name.
pub(crate) struct Reader<'p, R> {
    inner: R,
    pos: u64,
    len: u64,
    path: &'p Path,
}

/// The header and metadata, and where the tensor index starts.
pub(crate) struct Head {
    pub metadata: Metadata,
    pub n_tensors: u64,
}

impl<'p, R: Read> Reader<'p, R> {
    pub fn new(inner: R, len: u64, path: &'p Path) -> Self {
        Reader {
            inner,
            pos: 0,
            len,
            path,
        }
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    fn truncated(&self, what: &str, needed: u64) -> GgufError {
        GgufError::Truncated {
            path: self.path.to_owned(),
            offset: self.pos,
            what: what.to_owned(),
            needed,
        }
    }

    pub fn invalid(&self, offset: u64, what: &str, reason: String) -> GgufError {
        GgufError::Invalid {
            path: self.path.to_owned(),
            offset,
            what: what.to_owned(),
            reason,
        }
    }

    /// Fail unless `n` more bytes lie before the end of the file.
    fn ensure(&self, n: u64, what: &str) -> Result<(), GgufError> {
        let left = self.len.saturating_sub(self.pos);
        if n > left {
            return Err(self.truncated(what, n - left));
        }
        Ok(())
    }

    fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<(), GgufError> {
        self.ensure(buf.len() as u64, what)?;
        self.inner.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                self.truncated(what, buf.len() as u64)
            } else {
                GgufError::Io {
                    path: self.path.to_owned(),
                    source: e,
                }
            }
        })?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        let mut b = [0u8; N];
        self.fill(&mut b, what)?;
        Ok(b)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// A length-prefixed string. Invalid UTF-8 is replaced rather than rejected: some published
    /// vocabularies hold raw byte tokens.
    pub fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        self.ensure(len, what)?;
        let mut buf = vec![0u8; usize::try_from(len).map_err(|_| self.truncated(what, len))?];
        self.fill(&mut buf, what)?;
        Ok(match String::from_utf8(buf) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    fn value_type(&mut self, what: &str) -> Result<ValueType, GgufError> {
        let at = self.pos;
        let id = self.u32(what)?;
        ValueType::from_id(id)
            .ok_or_else(|| self.invalid(at, what, format!("unknown metadata value type id {id}")))
    }

    fn value(&mut self, ty: ValueType, key: &str, depth: u32) -> Result<Value, GgufError> {
        Ok(match ty {
            ValueType::U8 => Value::U8(u8::from_le_bytes(self.array(key)?)),
            ValueType::I8 => Value::I8(i8::from_le_bytes(self.array(key)?)),
            ValueType::U16 => Value::U16(u16::from_le_bytes(self.array(key)?)),
            ValueType::I16 => Value::I16(i16::from_le_bytes(self.array(key)?)),
            ValueType::U32 => Value::U32(self.u32(key)?),
            ValueType::I32 => Value::I32(i32::from_le_bytes(self.array(key)?)),
            ValueType::U64 => Value::U64(self.u64(key)?),
            ValueType::I64 => Value::I64(i64::from_le_bytes(self.array(key)?)),
            ValueType::F32 => Value::F32(f32::from_le_bytes(self.array(key)?)),
            ValueType::F64 => Value::F64(f64::from_le_bytes(self.array(key)?)),
            ValueType::Bool => {
                let at = self.pos;
                match self.array::<1>(key)?[0] {
                    0 => Value::Bool(false),
                    1 => Value::Bool(true),
                    b => return Err(self.invalid(at, key, format!("bool byte {b}"))),
                }
            }
            ValueType::String => Value::String(self.string(key)?),
            ValueType::Array => {
                let at = self.pos;
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(self.invalid(at, key, "arrays nested too deeply".to_owned()));
                }
                let elem = self.value_type(key)?;
                let count = self.u64(key)?;
                self.ensure(count.saturating_mul(elem.min_size()), key)?;
                let mut items = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
                for _ in 0..count {
                    items.push(self.value(elem, key, depth + 1)?);
                }
                Value::Array(items)
            }
        })
    }

    /// Magic, version, counts and every metadata entry.
    pub fn head(&mut self) -> Result<Head, GgufError> {
        let magic = self.u32("magic")?;
        if magic != MAGIC {
            return Err(GgufError::BadMagic {
                path: self.path.to_owned(),
                found: magic,
            });
        }
        let version = self.u32("version")?;
        if !(2..=3).contains(&version) {
            return Err(GgufError::UnsupportedVersion {
                path: self.path.to_owned(),
                version,
            });
        }
        let n_tensors = self.u64("tensor count")?;
        let n_kv = self.u64("metadata count")?;
        let mut metadata = Metadata::new(version);
        for _ in 0..n_kv {
            let at = self.pos;
            let key = self.string("metadata key")?;
            let ty = self.value_type(&key)?;
            let value = self.value(ty, &key, 0)?;
            if metadata.insert(key.clone(), value).is_some() {
                return Err(self.invalid(at, "metadata key", format!("duplicate key '{key}'")));
            }
        }
        if let Some(v) = metadata.get(ALIGNMENT_KEY) {
            let ok = v.as_u64().is_some_and(|a| a > 0 && a.is_power_of_two());
            if !ok {
                return Err(self.invalid(
                    self.pos,
                    ALIGNMENT_KEY,
                    format!("{v} is not a power of two"),
                ));
            }
        }
        Ok(Head {
            metadata,
            n_tensors,
        })
    }

    /// One tensor index entry.
    fn tensor_info(&mut self) -> Result<TensorInfo, GgufError> {
        let at = self.pos;
        let name = self.string("tensor name")?;
        let n_dims = self.u32("tensor dimension count")?;
        if n_dims > 8 {
            return Err(self.invalid(at, "tensor", format!("'{name}' has {n_dims} dimensions")));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(self.u64("tensor dimension")?);
        }
        let type_at = self.pos;
        let id = self.u32("tensor type")?;
        let ggml_type = GgmlType::from_id(id).ok_or_else(|| GgufError::UnknownType {
            path: self.path.to_owned(),
            offset: type_at,
            tensor: name.clone(),
            id,
        })?;
        let offset = self.u64("tensor offset")?;
        let n = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
        let row = dims.first().copied().unwrap_or(1);
        if n.is_none() || row % ggml_type.block_size() != 0 {
            return Err(self.invalid(
                at,
                "tensor",
                format!(
                    "'{name}' has shape {dims:?}, not a whole number of {ggml_type} blocks per row"
                ),
            ));
        }
        Ok(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
        })
    }

    /// The tensor index and the (aligned) offset of the data section.
    pub fn tensor_index(
        &mut self,
        n_tensors: u64,
        alignment: u64,
    ) -> Result<(Vec<TensorInfo>, u64), GgufError> {
        // Each entry takes at least 8 (name length) + 4 + 4 + 8 bytes.
        self.ensure(n_tensors.saturating_mul(24), "tensor index")?;
        let mut tensors = Vec::with_capacity(usize::try_from(n_tensors).unwrap_or(0));
        for _ in 0..n_tensors {
            tensors.push(self.tensor_info()?);
        }
        Ok((tensors, self.pos.next_multiple_of(alignment)))
    }
}
