//! Writing a synthetic model: the tensor list of an architecture, its `llama.*` metadata, a
//! borrowed tokenizer, and the weights streamed from a pool of encoded blocks.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use gguf::{GgmlType, GgufWriter, Metadata};

use super::arch::Architecture;
use super::blocks::{BLOCK, WeightType};
use super::pool::BlockPool;
use crate::error::{Error, Result, io_err};

/// `true` in every synthetic model.
pub const SYNTHETIC_KEY: &str = "general.synthetic";
/// The architecture name a synthetic model was shaped after.
pub const SYNTHETIC_ARCH_KEY: &str = "general.synthetic.architecture";
/// The seed its weights came from.
pub const SYNTHETIC_SEED_KEY: &str = "general.synthetic.seed";

/// Standard deviation of the matrices' values: small enough that activations and logits of a
/// deep stack stay finite (GPT-2's initialisation).
const WEIGHT_STD: f32 = 0.02;

/// Bytes written between two progress reports.
const PROGRESS_STEP_BYTES: u64 = 64 << 20;

/// What to write.
#[derive(Debug, Clone)]
pub struct SynthSpec<'a> {
    pub arch: &'a Architecture,
    pub weights: WeightType,
    pub seed: u64,
    /// `general.source`: what wrote the file.
    pub source: &'a str,
}

enum Kind {
    /// Random values of the spec's weight type.
    Matrix,
    /// `f32` ones (RMS norm weights).
    Ones,
}

struct Planned {
    name: String,
    dims: Vec<u64>,
    kind: Kind,
}

/// Every tensor of `arch` with a vocabulary of `vocab` tokens, in llama.cpp's order.
fn plan(arch: &Architecture, vocab: u64) -> Vec<Planned> {
    let e = arch.n_embd;
    let (q, kv, ff) = (arch.n_head * arch.head_dim(), arch.kv_dim(), arch.n_ff);
    let t = |name: String, dims: Vec<u64>, kind| Planned { name, dims, kind };
    let mut out = vec![t("token_embd.weight".into(), vec![e, vocab], Kind::Matrix)];
    for i in 0..arch.n_layer {
        let n = |s: &str| format!("blk.{i}.{s}.weight");
        out.extend([
            t(n("attn_norm"), vec![e], Kind::Ones),
            t(n("attn_q"), vec![e, q], Kind::Matrix),
            t(n("attn_k"), vec![e, kv], Kind::Matrix),
            t(n("attn_v"), vec![e, kv], Kind::Matrix),
            t(n("attn_output"), vec![q, e], Kind::Matrix),
            t(n("ffn_norm"), vec![e], Kind::Ones),
            t(n("ffn_gate"), vec![e, ff], Kind::Matrix),
            t(n("ffn_up"), vec![e, ff], Kind::Matrix),
            t(n("ffn_down"), vec![ff, e], Kind::Matrix),
        ]);
    }
    out.push(t("output_norm.weight".into(), vec![e], Kind::Ones));
    if !arch.tied_embeddings {
        out.push(t("output.weight".into(), vec![e, vocab], Kind::Matrix));
    }
    out
}

fn metadata(w: &mut GgufWriter<'_>, spec: &SynthSpec<'_>, vocab: u64) {
    let a = spec.arch;
    w.add_metadata("general.architecture", "llama")
        .add_metadata("general.name", format!("synthetic {}", a.name))
        .add_metadata("general.source", spec.source)
        .add_metadata("general.file_type", spec.weights.file_type())
        .add_metadata(SYNTHETIC_KEY, true)
        .add_metadata(SYNTHETIC_ARCH_KEY, a.name)
        .add_metadata(SYNTHETIC_SEED_KEY, spec.seed)
        .add_metadata("llama.vocab_size", vocab as u32)
        .add_metadata("llama.context_length", a.context_length as u32)
        .add_metadata("llama.embedding_length", a.n_embd as u32)
        .add_metadata("llama.block_count", a.n_layer as u32)
        .add_metadata("llama.feed_forward_length", a.n_ff as u32)
        .add_metadata("llama.attention.head_count", a.n_head as u32)
        .add_metadata("llama.attention.head_count_kv", a.n_head_kv as u32)
        .add_metadata("llama.rope.freq_base", a.rope_theta)
        .add_metadata("llama.rope.dimension_count", a.head_dim() as u32)
        .add_metadata("llama.attention.layer_norm_rms_epsilon", a.rms_eps);
}

/// Write a GGUF file at `out` with `spec`'s shapes, seeded random weights and every
/// `tokenizer.*` entry of `tokenizer` (whose token list sets the vocabulary). The file appears
/// at `out` only once complete. `progress(written_bytes, tensor_bytes)` is called every 64 MiB
/// and at the end (`tensor_bytes` leaves out the header). Returns the file's size.
pub fn write_synthetic(
    spec: &SynthSpec<'_>,
    tokenizer: &Metadata,
    out: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let vocab = tokenizer
        .get("tokenizer.ggml.tokens")
        .and_then(gguf::Value::as_array)
        .map(<[gguf::Value]>::len)
        .ok_or_else(|| {
            Error::Tokenizer("the tokenizer source has no tokenizer.ggml.tokens".into())
        })? as u64;
    let pool = BlockPool::new(spec.weights, WEIGHT_STD, spec.seed);
    let mut w = GgufWriter::new();
    metadata(&mut w, spec, vocab);
    for (key, value) in tokenizer
        .iter()
        .filter(|(k, _)| k.starts_with("tokenizer."))
    {
        w.add_metadata(key, value.clone());
    }
    let mut total = 0u64;
    for (i, t) in plan(spec.arch, vocab).into_iter().enumerate() {
        let n: u64 = t.dims.iter().product();
        let (pool, seed, stream) = (&pool, spec.seed, i as u64 + 1);
        match t.kind {
            Kind::Matrix => {
                total += n / BLOCK as u64 * spec.weights.block_bytes() as u64;
                w.add_tensor_with(t.name, &t.dims, spec.weights.ggml(), move |out| {
                    pool.write_blocks(n / BLOCK as u64, seed, stream, out)
                })?;
            }
            Kind::Ones => {
                total += 4 * n;
                let ones: Vec<u8> = (0..n).flat_map(|_| 1f32.to_le_bytes()).collect();
                w.add_tensor(t.name, &t.dims, GgmlType::F32, ones)?;
            }
        }
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".synth-").suffix(".partial");
    // Readable by all like any model file, not private like a temporary one.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder.tempfile_in(dir).map_err(io_err(dir))?;
    let mut counting = ProgressWriter {
        inner: BufWriter::with_capacity(1 << 20, tmp.as_file_mut()),
        written: 0,
        reported: 0,
        total,
        report: progress,
    };
    let bytes = w.write(&mut counting)?;
    (counting.report)(bytes, total);
    drop(counting);
    tmp.persist(out).map_err(|e| Error::Io {
        path: out.to_owned(),
        source: e.error,
    })?;
    Ok(bytes)
}

/// A writer that reports progress every [`PROGRESS_STEP_BYTES`].
struct ProgressWriter<'p, W> {
    inner: W,
    written: u64,
    reported: u64,
    total: u64,
    report: &'p mut dyn FnMut(u64, u64),
}

impl<W: Write> Write for ProgressWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.written += k as u64;
        if self.written >= self.reported + PROGRESS_STEP_BYTES {
            self.reported = self.written;
            (self.report)(self.written, self.total);
        }
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What a synthetic model's metadata says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticInfo {
    pub architecture: Option<String>,
    pub seed: Option<u64>,
}

/// `Some` when `metadata` marks its file synthetic.
pub fn synthetic_info(metadata: &Metadata) -> Option<SyntheticInfo> {
    (metadata.get_bool(SYNTHETIC_KEY) == Some(true)).then(|| SyntheticInfo {
        architecture: metadata.get_str(SYNTHETIC_ARCH_KEY).map(str::to_owned),
        seed: metadata.get_u64(SYNTHETIC_SEED_KEY),
    })
}

/// Read only the metadata of the GGUF file at `path` and say whether it is synthetic.
pub fn read_synthetic_info(path: &Path) -> Result<Option<SyntheticInfo>> {
    Ok(synthetic_info(&gguf::GgufFile::read_metadata(path)?))
}

/// The metadata of the GGUF file at `path` (a tokenizer source for [`write_synthetic`]).
pub fn read_metadata(path: &Path) -> Result<Metadata> {
    Ok(gguf::GgufFile::read_metadata(path)?)
}
