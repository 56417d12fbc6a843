//! Memory bandwidth of the GPU the engine runs on (feature `cuda`): a device-to-device copy on
//! candle's own stream, timed with CUDA events, counting bytes read plus bytes written, best of
//! [`PASSES`]. Measured once per load, before the weights are loaded, with buffers that are freed
//! again before the model takes its memory; a copy of a few GiB takes milliseconds on a GPU.
//! Unverified on GPU hardware: it builds against CUDA 13.0 here (scripts/cuda-toolchain.sh) and
//! runs against a stand-in driver (`tests/cuda_layer.rs`).

use std::sync::Arc;

use candle_core::cuda_backend::cudarc::driver::{CudaStream, sys};
use serde_json::{Value, json};

/// Bytes per buffer at most (two buffers: source and destination).
pub const MAX_BUFFER_BYTES: usize = 1 << 30;
/// Timed passes after one untimed warm-up pass; the fastest counts.
pub const PASSES: u32 = 10;

/// The measurement as the worker reports it in its load details (`device_bandwidth`), which the
/// runner uses as the denominator of MBU for an engine on this device.
pub fn measure(stream: &Arc<CudaStream>) -> anyhow::Result<Value> {
    let cuda = |what: &'static str| move |e| anyhow::anyhow!("{what}: {e:?}");
    let ctx = stream.context().clone();
    let (free, _total) = ctx
        .mem_get_info()
        .map_err(cuda("reading free GPU memory"))?;
    // Leave most of the free memory to the model: a quarter at most for both buffers.
    let bytes = (free / 8).min(MAX_BUFFER_BYTES) & !0xfff;
    anyhow::ensure!(
        bytes >= 1 << 24,
        "too little free GPU memory ({free} bytes)"
    );
    let src = stream
        .alloc_zeros::<u8>(bytes)
        .map_err(cuda("allocating the copy source"))?;
    let mut dst = stream
        .alloc_zeros::<u8>(bytes)
        .map_err(cuda("allocating the copy destination"))?;
    let event = || {
        ctx.new_event(Some(sys::CUevent_flags::CU_EVENT_DEFAULT))
            .map_err(cuda("creating a CUDA event"))
    };
    let (start, end) = (event()?, event()?);
    stream
        .memcpy_dtod(&src, &mut dst)
        .map_err(cuda("warm-up copy"))?;
    let mut best_ms = f32::MAX;
    for _ in 0..PASSES {
        start.record(stream).map_err(cuda("recording an event"))?;
        stream
            .memcpy_dtod(&src, &mut dst)
            .map_err(cuda("device-to-device copy"))?;
        end.record(stream).map_err(cuda("recording an event"))?;
        end.synchronize().map_err(cuda("waiting for the copy"))?;
        let ms = start.elapsed_ms(&end).map_err(cuda("reading events"))?;
        best_ms = best_ms.min(ms);
    }
    drop((src, dst));
    stream.synchronize().map_err(cuda("freeing the buffers"))?;
    anyhow::ensure!(best_ms > 0.0, "CUDA events measured no time for the copy");
    let moved = 2.0 * bytes as f64;
    Ok(json!({
        "bytes_per_s": moved / (f64::from(best_ms) / 1e3),
        "method": "device-to-device copy, bytes read plus written",
        "clock": "cuda_event",
        "buffer_bytes": bytes,
        "passes": PASSES,
        "best_ms": best_ms,
    }))
}
