//! The CUDA-event device clock (feature `cuda`): events recorded on candle's own stream at each
//! mark, read back after the request. Unverified on GPU hardware: it builds against CUDA 13.0
//! here (scripts/cuda-toolchain.sh) and runs against a stand-in driver (`tests/cuda_layer.rs`);
//! which event stands for which mark, and how events become timings, is
//! `bench_worker::MarkLog`, tested on the CPU.

use std::sync::Arc;

use bench_worker::shared_protocol::DeviceClockKind;
use bench_worker::{DeviceClock, DeviceTimings, Mark, MarkLog};
use candle_core::cuda_backend::cudarc::driver::{CudaEvent, CudaStream, sys};

/// Events on the engine's stream, one per mark, allocated before the timed region. Which mark
/// each event stands for, and how they become timings, is [`MarkLog`]'s (tested on the CPU).
pub struct CudaEventClock {
    stream: Arc<CudaStream>,
    events: Vec<CudaEvent>,
    log: MarkLog,
    error: Option<String>,
}

impl CudaEventClock {
    /// A clock on `stream` (candle's `CudaDevice::cuda_stream()`).
    pub fn new(stream: Arc<CudaStream>) -> Self {
        CudaEventClock {
            stream,
            events: Vec::new(),
            log: MarkLog::default(),
            error: None,
        }
    }
}

fn ns(ms: f32) -> u64 {
    (f64::from(ms) * 1e6).round().max(0.0) as u64
}

impl DeviceClock for CudaEventClock {
    fn kind(&self) -> DeviceClockKind {
        DeviceClockKind::CudaEvent
    }

    fn prepare(&mut self, max_tokens: u32) -> anyhow::Result<()> {
        // Start, prefill end, and per token its mark and its step start.
        let needed = 2 * max_tokens as usize + 2;
        let ctx = self.stream.context().clone();
        while self.events.len() < needed {
            // Timing enabled: the default flags, not cudarc's DISABLE_TIMING default.
            let event = ctx
                .new_event(Some(sys::CUevent_flags::CU_EVENT_DEFAULT))
                .map_err(|e| anyhow::anyhow!("cannot create a CUDA event: {e:?}"))?;
            self.events.push(event);
        }
        self.log.reset(needed);
        self.error = None;
        Ok(())
    }

    fn mark(&mut self, mark: Mark) {
        let index = self.log.len();
        let Some(event) = self.events.get(index) else {
            return;
        };
        match event.record(&self.stream) {
            Ok(()) => self.log.push(mark, index),
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(format!("{e:?}"));
                }
            }
        }
    }

    fn read(&mut self) -> anyhow::Result<DeviceTimings> {
        if let Some(e) = self.error.take() {
            anyhow::bail!("recording a CUDA event failed: {e}");
        }
        let Some(last) = self.log.last_event() else {
            return Ok(DeviceTimings::default());
        };
        self.events[last]
            .synchronize()
            .map_err(|e| anyhow::anyhow!("waiting for CUDA events: {e:?}"))?;
        let events = &self.events;
        self.log.timings(|a, b| {
            events[a]
                .elapsed_ms(&events[b])
                .map(ns)
                .map_err(|e| anyhow::anyhow!("reading CUDA events: {e:?}"))
        })
    }
}
