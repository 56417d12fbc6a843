//! Seeded random weights, streamed: a pool of independently sampled, encoded blocks from which
//! each tensor draws its blocks at random.
//!
//! Sampling and quantising every one of a few billion values would make writing an 8B model
//! take minutes; drawing whole encoded blocks from a pool of 65,536 keeps the values' distribution
//! (each block is a proper encoding of normal samples) at the cost of a copy per block.

use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::blocks::{BLOCK, WeightType};

/// Blocks in a pool (a power of two, so a random `u32` masks to an index).
const POOL_BLOCKS: usize = 1 << 16;

/// Bytes assembled before each write.
const CHUNK_BYTES: usize = 1 << 16;

/// Encoded blocks of normal samples, all of one type.
pub struct BlockPool {
    ty: WeightType,
    bytes: Vec<u8>,
}

impl BlockPool {
    /// `POOL_BLOCKS` blocks of samples from `N(0, std²)`, encoded as `ty`, from stream 0 of
    /// `seed`.
    pub fn new(ty: WeightType, std: f32, seed: u64) -> BlockPool {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut bytes = Vec::with_capacity(POOL_BLOCKS * ty.block_bytes());
        for _ in 0..POOL_BLOCKS {
            let x: [f32; BLOCK] =
                std::array::from_fn(|_| std * rng.sample::<f32, _>(StandardNormal));
            ty.encode(&x, &mut bytes);
        }
        BlockPool { ty, bytes }
    }

    /// Write `n_blocks` blocks drawn from the pool by stream `stream` (not 0) of `seed`.
    pub fn write_blocks(
        &self,
        n_blocks: u64,
        seed: u64,
        stream: u64,
        w: &mut dyn Write,
    ) -> io::Result<()> {
        let size = self.ty.block_bytes();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        let mut buf = Vec::with_capacity(CHUNK_BYTES + size);
        for _ in 0..n_blocks {
            let i = (rng.random::<u32>() as usize) & (POOL_BLOCKS - 1);
            buf.extend_from_slice(&self.bytes[i * size..(i + 1) * size]);
            if buf.len() >= CHUNK_BYTES {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let pool = BlockPool::new(WeightType::Q4_0, 0.02, 1);
        let write = |seed, stream| {
            let mut out = Vec::new();
            pool.write_blocks(5000, seed, stream, &mut out)
                .expect("in memory");
            out
        };
        let a = write(7, 1);
        assert_eq!(a.len(), 5000 * 18);
        assert_eq!(a, write(7, 1));
        assert_ne!(a, write(8, 1));
        assert_ne!(a, write(7, 2));
        let other = BlockPool::new(WeightType::Q4_0, 0.02, 2);
        assert_ne!(pool.bytes, other.bytes);
    }

    #[test]
    fn samples_have_the_asked_spread() {
        let pool = BlockPool::new(WeightType::F16, 0.02, 3);
        let values = gguf::dequantize(gguf::GgmlType::F16, &pool.bytes, pool.bytes.len() / 2)
            .expect("whole f16 values");
        let n = values.len() as f32;
        let mean = values.iter().sum::<f32>() / n;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt();
        assert!(mean.abs() < 1e-3, "mean {mean}");
        assert!((std - 0.02).abs() < 1e-3, "std {std}");
    }
}
