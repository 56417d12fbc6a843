//! [`GgufFile`]: a memory-mapped GGUF file with its metadata and tensor index.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::GgufError;
use crate::metadata::Metadata;
use crate::parse::Reader;
use crate::tensor::TensorInfo;

/// A GGUF file, memory-mapped. Tensor data is read straight from the mapping.
pub struct GgufFile {
    path: PathBuf,
    mmap: Mmap,
    metadata: Metadata,
    tensors: Vec<TensorInfo>,
    by_name: HashMap<String, usize>,
    data_offset: u64,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("bytes", &self.mmap.len())
            .field("version", &self.metadata.version)
            .field("metadata_entries", &self.metadata.len())
            .field("tensors", &self.tensors.len())
            .finish_non_exhaustive()
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> GgufError + '_ {
    move |source| GgufError::Io {
        path: path.to_owned(),
        source,
    }
}

impl GgufFile {
    /// Map `path` and parse its header, metadata and tensor index, checking that every tensor
    /// lies inside the file.
    pub fn open(path: &Path) -> Result<GgufFile, GgufError> {
        let file = File::open(path).map_err(io_err(path))?;
        // SAFETY: the mapping is read-only and private to this value. Another process truncating
        // or rewriting the file while it is mapped is outside what this reader defends against,
        // as for every memory-mapped model loader.
        let mmap = unsafe { Mmap::map(&file) }.map_err(io_err(path))?;
        let len = mmap.len() as u64;
        let mut reader = Reader::new(&mmap[..], len, path);
        let head = reader.head()?;
        let alignment = head.metadata.alignment();
        let index_at = reader.pos();
        let (tensors, data_offset) = reader.tensor_index(head.n_tensors, alignment)?;
        let mut by_name = HashMap::with_capacity(tensors.len());
        let data_len = len.saturating_sub(data_offset);
        for (i, t) in tensors.iter().enumerate() {
            if by_name.insert(t.name.clone(), i).is_some() {
                return Err(reader.invalid(
                    index_at,
                    "tensor index",
                    format!("duplicate tensor '{}'", t.name),
                ));
            }
            if t.offset % alignment != 0 {
                return Err(reader.invalid(
                    data_offset + t.offset,
                    "tensor data",
                    format!(
                        "'{}' starts at {} which is not a multiple of the alignment {alignment}",
                        t.name, t.offset
                    ),
                ));
            }
            let end = t.offset.saturating_add(t.n_bytes());
            if end > data_len {
                return Err(GgufError::Truncated {
                    path: path.to_owned(),
                    offset: len,
                    what: format!("data of tensor '{}'", t.name),
                    needed: end - data_len,
                });
            }
        }
        Ok(GgufFile {
            path: path.to_owned(),
            mmap,
            metadata: head.metadata,
            tensors,
            by_name,
            data_offset,
        })
    }

    /// Parse only the header and metadata of `path`, reading it as a stream (nothing mapped,
    /// the tensor index and data are not read).
    pub fn read_metadata(path: &Path) -> Result<Metadata, GgufError> {
        let file = File::open(path).map_err(io_err(path))?;
        let len = file.metadata().map_err(io_err(path))?.len();
        let mut reader = Reader::new(BufReader::with_capacity(1 << 16, file), len, path);
        Ok(reader.head()?.metadata)
    }

    /// The file this was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The tensor index, in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.by_name.get(name).map(|&i| &self.tensors[i])
    }

    /// Absolute file offset of the data section.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// Size of the whole file in bytes.
    pub fn file_bytes(&self) -> u64 {
        self.mmap.len() as u64
    }

    /// Bytes of tensor data, summed over the index.
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(TensorInfo::n_bytes).sum()
    }

    /// The data of `info`, which must come from this file's index (checked at open).
    ///
    /// # Panics
    ///
    /// If `info` describes a range outside this file (an info from another file).
    pub fn tensor_data(&self, info: &TensorInfo) -> &[u8] {
        let start = (self.data_offset + info.offset) as usize;
        &self.mmap[start..start + info.n_bytes() as usize]
    }

    /// The values of `info` (from this file's index) as `f32`, dequantised.
    pub fn tensor_f32(&self, info: &TensorInfo) -> Result<Vec<f32>, GgufError> {
        let mut out = vec![0f32; info.n_elements() as usize];
        self.tensor_f32_into(info, &mut out)?;
        Ok(out)
    }

    /// Dequantise `info` (from this file's index) into `out`, which holds its element count.
    pub fn tensor_f32_into(&self, info: &TensorInfo, out: &mut [f32]) -> Result<(), GgufError> {
        crate::quant::dequantize_into(info.ggml_type, self.tensor_data(info), out).map_err(
            |source| GgufError::Dequantize {
                path: self.path.clone(),
                tensor: info.name.clone(),
                source,
            },
        )
    }

    /// The whole mapped file.
    pub fn bytes(&self) -> &[u8] {
        &self.mmap
    }
}
