use super::*;

/// `s` as a request.
fn r(s: &Sample) -> Request {
    Request::of(0, EngineId::Sim, 0, s)
}

fn sample(ttft_ms: u64, e2e_ms: u64, tokens: u32) -> Sample {
    Sample {
        ttft_ns: Some(ttft_ms * 1_000_000),
        prompt_tokens: Some(100),
        prompt_tokens_source: Some(TokenSource::Engine),
        completion_tokens: tokens,
        ..Sample::new(0, Phase::Measure, Outcome::Ok, 1_000, e2e_ms * 1_000_000)
    }
}

#[test]
fn tpot_excludes_the_first_token() {
    // 20 ms to the first token, then 10 more tokens over 50 ms.
    let s = sample(20, 70, 11);
    assert_eq!(tpot_ms(&r(&s)), Some(5.0));
    assert_eq!(decode_tok_s(&r(&s)), Some(200.0));
    assert_eq!(ttft_ms(&r(&s)), Some(20.0));
    // 100 prompt tokens in 20 ms.
    assert_eq!(prefill_tok_s(&r(&s)), Some(5000.0));
}

#[test]
fn device_figures_span_what_the_host_figures_span() {
    // Prefill end marked: 8 ms of prefill, 1 ms to the first token, then 3 gaps of 2 ms.
    let mut s = sample(10, 16, 4);
    s.prefill_ns = Some(8_000_000);
    s.prefill_device_ns = Some(8_000_000);
    s.decode_device_ns = Some(vec![1_000_000, 2_000_000, 2_000_000, 2_000_000]);
    assert_eq!(device_ttft_ms(&r(&s)), Some(9.0));
    assert_eq!(device_tpot_ms(&r(&s)), Some(2.0));
    assert_eq!(device_prefill_ms(&r(&s)), Some(8.0));
    // No prefill end marked: prefill and the first gap both span start to first token.
    s.prefill_ns = None;
    s.prefill_device_ns = Some(9_000_000);
    s.decode_device_ns = Some(vec![9_000_000, 2_000_000, 2_000_000, 2_000_000]);
    assert_eq!(device_ttft_ms(&r(&s)), Some(9.0));
    assert_eq!(device_tpot_ms(&r(&s)), Some(2.0));
    // The pass that produced end-of-sequence counts, as it does in the host's e2e.
    s.completion_tokens = 3;
    s.decode_device_ns = Some(vec![9_000_000, 2_000_000, 2_000_000, 2_000_000]);
    assert_eq!(device_tpot_ms(&r(&s)), Some(3.0));
    // One token: a TTFT, no TPOT; no device clock: nothing.
    s.decode_device_ns = Some(vec![9_000_000]);
    assert_eq!(device_tpot_ms(&r(&s)), None);
    assert_eq!(device_ttft_ms(&r(&s)), Some(9.0));
    let host_only = sample(10, 16, 4);
    assert_eq!(
        (
            device_ttft_ms(&r(&host_only)),
            device_tpot_ms(&r(&host_only))
        ),
        (None, None)
    );
}

#[test]
fn first_answer_is_ttft_unless_the_reply_reasoned() {
    // 20 ms to the first (reasoning) token; the answer began at 45 ms.
    let mut s = sample(20, 70, 11);
    assert_eq!(time_to_first_answer_ms(&r(&s)), Some(20.0));
    s.reasoning = Some(shared_protocol::Reasoning {
        first_answer_ns: Some(45_000_000),
        chunks: 4,
        ..shared_protocol::Reasoning::default()
    });
    assert_eq!(ttft_ms(&r(&s)), Some(20.0));
    assert_eq!(time_to_first_answer_ms(&r(&s)), Some(45.0));
    // Reasoned and never answered: no time to the first answer.
    s.reasoning = Some(shared_protocol::Reasoning::default());
    assert_eq!(time_to_first_answer_ms(&r(&s)), None);
}

#[test]
fn one_token_has_no_tpot() {
    let s = sample(20, 20, 1);
    assert_eq!(tpot_ms(&r(&s)), None);
    assert_eq!(decode_tok_s(&r(&s)), None);
}

#[test]
fn prefill_prefers_the_engine_mark() {
    let mut s = sample(20, 70, 11);
    s.prefill_ns = Some(10_000_000);
    assert_eq!(prefill_tok_s(&r(&s)), Some(10_000.0));
}

#[test]
fn failures_and_device_figures_are_held_apart_and_given_back_as_recorded() {
    use shared_protocol::{DeviceClockKind, FailureKind};
    let plain = r(&sample(10, 16, 4));
    assert_eq!(plain.outcome(), &Outcome::Ok);
    assert!(plain.is_ok_measured());
    assert_eq!(
        (
            plain.device_clock(),
            plain.prefill_device_ns(),
            plain.decode_device()
        ),
        (None, None, None)
    );
    // Nothing held apart for what most requests lack.
    assert!(plain.failure.is_none() && plain.device.is_none());

    let failed = Outcome::Failed {
        kind: FailureKind::HttpStatus,
        message: "busy".to_owned(),
        http_status: Some(503),
    };
    let mut s = sample(10, 16, 4);
    s.outcome = failed.clone();
    s.device_clock = Some(DeviceClockKind::CudaEvent);
    s.prefill_device_ns = Some(7);
    s.decode_device_ns = Some(vec![3, 4, 5]);
    let request = r(&s);
    assert_eq!(request.outcome(), &failed);
    assert!(!request.is_ok_measured());
    assert_eq!(request.device_clock(), Some(DeviceClockKind::CudaEvent));
    assert_eq!(request.prefill_device_ns(), Some(7));
    assert_eq!(request.decode_device(), Some(DecodeDevice::of(&[3, 4, 5])));

    // One device figure alone is kept, and an outcome set back to ok frees the failure.
    let mut one = r(&sample(10, 16, 4));
    one.set_device(RequestDevice {
        prefill_ns: Some(9),
        ..RequestDevice::default()
    });
    assert_eq!(
        (one.device_clock(), one.prefill_device_ns()),
        (None, Some(9))
    );
    let mut healed = request.clone();
    healed.set_outcome(Outcome::Ok);
    assert!(healed.failure.is_none() && healed.is_ok_measured());
}
