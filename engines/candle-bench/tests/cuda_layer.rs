//! The CUDA layer (`--features cuda`) through cudarc against a stand-in driver library
//! (`tests/fake_libcuda.c`: events read the host clock when recorded, device memory is host
//! memory). `scripts/check-cuda-build.sh` builds that library and runs these tests with it
//! (`FAKE_LIBCUDA=1`); elsewhere they skip. This checks what the CPU can: the calls, their
//! order, events created with timing on, the event-to-mark bookkeeping, and the bandwidth
//! arithmetic. Real kernels and real device timings need a GPU.
#![cfg(feature = "cuda")]

use std::time::Duration;

use bench_worker::shared_protocol::{DeviceClockKind, Outcome, Phase, Request, Sampling};
use bench_worker::{Flow, TokenSink, mono_ns};
use candle_bench::cuda_clock::CudaEventClock;
use candle_core::cuda_backend::cudarc::driver::{CudaContext, CudaStream};

fn fake_stream() -> Option<std::sync::Arc<CudaStream>> {
    if std::env::var_os("FAKE_LIBCUDA").is_none() {
        eprintln!("skipping: runs against the stand-in driver (scripts/check-cuda-build.sh)");
        return None;
    }
    let ctx = CudaContext::new(0).expect("a context on the stand-in driver");
    Some(ctx.new_stream().expect("a stream"))
}

fn request(max_tokens: u32) -> Request {
    Request {
        id: 1,
        text: String::new(),
        prompt_token_ids: Some(vec![1, 2, 3]),
        chat: false,
        max_tokens,
        ignore_eos: false,
        sampling: Sampling::default(),
    }
}

/// Passes marked as candle marks them: each later token's device figure is its own pass (the
/// time between its step-start and step-end events), not the host's turnaround.
#[test]
fn cuda_events_time_the_passes() {
    let Some(stream) = fake_stream() else { return };
    let pass = Duration::from_millis(1);
    let turnaround = Duration::from_millis(30);
    let mut sink = TokenSink::new(Some(Box::new(CudaEventClock::new(stream))));
    for _ in 0..2 {
        // Twice: events are reused across requests.
        sink.prepare(8).expect("events created");
        sink.start();
        std::thread::sleep(pass);
        sink.prefill_queued();
        sink.step_queued();
        sink.prefill_done();
        for id in [5, 6, 7] {
            std::thread::sleep(turnaround);
            assert_eq!(sink.token(id), Flow::Continue);
            sink.step_begins();
            std::thread::sleep(pass);
            sink.step_queued();
        }
        sink.end_of_sequence();
        let (s, err) = sink.finish(&request(8), Phase::Measure, mono_ns(), Outcome::Ok);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(s.device_clock, Some(DeviceClockKind::CudaEvent));
        let prefill = s.prefill_device_ns.expect("device prefill");
        assert!(prefill >= 1_000_000 && prefill <= s.e2e_ns, "{s:?}");
        let decode = s.decode_device_ns.clone().expect("device figures");
        assert_eq!(
            decode.len(),
            4,
            "three tokens and the end-of-sequence pass: {s:?}"
        );
        for &d in &decode[1..] {
            assert!((1_000_000..30_000_000).contains(&d), "a pass: {s:?}");
        }
    }
}

/// The copy bandwidth: bytes read plus written over the fastest pass, with buffers sized from
/// the free memory the driver reports (1 GiB here: an eighth of it each).
#[test]
fn copy_bandwidth_counts_both_directions() {
    let Some(stream) = fake_stream() else { return };
    let b = candle_bench::cuda_bandwidth::measure(&stream).expect("measured");
    assert_eq!(b["buffer_bytes"], 1u64 << 27, "{b}");
    assert_eq!(b["clock"], "cuda_event");
    let best_ms = b["best_ms"].as_f64().expect("best_ms");
    let bytes_per_s = b["bytes_per_s"].as_f64().expect("bytes_per_s");
    assert!(best_ms > 0.0, "{b}");
    let expected = 2.0 * f64::from(1u32 << 27) / (best_ms / 1e3);
    assert!((bytes_per_s - expected).abs() / expected < 1e-6, "{b}");
}
