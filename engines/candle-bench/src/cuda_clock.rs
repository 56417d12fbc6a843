//! The CUDA-event device clock (feature `cuda`): events recorded on candle's own stream at each
//! mark, read back after the request. Unverified on GPU hardware: it builds against CUDA 13.0
//! here (scripts/cuda-toolchain.sh) and its bookkeeping follows the seam that
//! `bench_worker::TokenSink` tests on the CPU.

use std::sync::Arc;

use bench_worker::shared_protocol::DeviceClockKind;
use bench_worker::{DeviceClock, DeviceTimings, Mark};
use candle_core::cuda_backend::cudarc::driver::{CudaEvent, CudaStream, sys};

/// Events on the engine's stream, one per mark, allocated before the timed region.
pub struct CudaEventClock {
    stream: Arc<CudaStream>,
    events: Vec<CudaEvent>,
    /// `(mark, event index)` in recording order; preallocated in `prepare`.
    marks: Vec<(Mark, usize)>,
    error: Option<String>,
}

impl CudaEventClock {
    /// A clock on `stream` (candle's `CudaDevice::cuda_stream()`).
    pub fn new(stream: Arc<CudaStream>) -> Self {
        CudaEventClock {
            stream,
            events: Vec::new(),
            marks: Vec::new(),
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
        let needed = max_tokens as usize + 2;
        let ctx = self.stream.context().clone();
        while self.events.len() < needed {
            // Timing enabled: the default flags, not cudarc's DISABLE_TIMING default.
            let event = ctx
                .new_event(Some(sys::CUevent_flags::CU_EVENT_DEFAULT))
                .map_err(|e| anyhow::anyhow!("cannot create a CUDA event: {e:?}"))?;
            self.events.push(event);
        }
        self.marks.clear();
        self.marks.reserve(needed);
        self.error = None;
        Ok(())
    }

    fn mark(&mut self, mark: Mark) {
        let index = self.marks.len();
        let Some(event) = self.events.get(index) else {
            return;
        };
        match event.record(&self.stream) {
            Ok(()) => self.marks.push((mark, index)),
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
        let Some(&(_, last)) = self.marks.last() else {
            return Ok(DeviceTimings::default());
        };
        self.events[last]
            .synchronize()
            .map_err(|e| anyhow::anyhow!("waiting for CUDA events: {e:?}"))?;
        let elapsed = |a: usize, b: usize| -> anyhow::Result<u64> {
            self.events[a]
                .elapsed_ms(&self.events[b])
                .map(ns)
                .map_err(|e| anyhow::anyhow!("reading CUDA events: {e:?}"))
        };
        let start = self
            .marks
            .iter()
            .find(|(m, _)| *m == Mark::Start)
            .map(|&(_, i)| i);
        let prefill_end = self
            .marks
            .iter()
            .find(|(m, _)| *m == Mark::PrefillEnd)
            .map(|&(_, i)| i);
        let tokens: Vec<usize> = self
            .marks
            .iter()
            .filter(|(m, _)| matches!(m, Mark::Token(_)))
            .map(|&(_, i)| i)
            .collect();
        let prefill_ns = match (start, prefill_end.or_else(|| tokens.first().copied())) {
            (Some(s), Some(e)) => Some(elapsed(s, e)?),
            _ => None,
        };
        let mut decode_ns = Vec::with_capacity(tokens.len());
        let mut previous = prefill_end.or(start);
        for &t in &tokens {
            if let Some(p) = previous {
                decode_ns.push(elapsed(p, t)?);
            }
            previous = Some(t);
        }
        Ok(DeviceTimings {
            prefill_ns,
            decode_ns,
        })
    }
}
