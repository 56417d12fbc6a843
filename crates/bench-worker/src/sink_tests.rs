//! Tests of the timed token sink.

use super::*;
use shared_protocol::Sampling;

fn request(max_tokens: u32) -> Request {
    Request {
        id: 7,
        text: "hi".into(),
        prompt_token_ids: Some(vec![1, 2, 3]),
        chat: false,
        max_tokens,
        ignore_eos: true,
        sampling: Sampling::default(),
    }
}

#[test]
fn stops_at_max_tokens_and_ignores_extra() {
    let mut sink = TokenSink::new(None);
    sink.prepare(3).expect("prepare");
    sink.start();
    assert_eq!(sink.token(10), Flow::Continue);
    assert_eq!(sink.token(11), Flow::Continue);
    assert_eq!(sink.token(12), Flow::Stop);
    assert_eq!(sink.token(13), Flow::Stop);
    assert_eq!(sink.ids(), &[10, 11, 12]);
    assert_eq!(sink.remaining(), 0);
}

#[test]
fn sample_figures_follow_the_stamps() {
    let mut sink = TokenSink::new(None);
    sink.prepare(4).expect("prepare");
    sink.start();
    std::thread::sleep(std::time::Duration::from_millis(3));
    sink.prefill_done();
    let _ = sink.token(1);
    std::thread::sleep(std::time::Duration::from_millis(2));
    let _ = sink.token(2);
    sink.end_of_sequence();
    let end = mono_ns();
    let (s, err) = sink.finish(&request(4), Phase::Measure, end, Outcome::Ok);
    assert!(err.is_none());
    let ttft = s.ttft_ns.expect("ttft");
    assert!(ttft >= 3_000_000, "ttft {ttft}");
    assert!(s.prefill_ns.expect("prefill") <= ttft);
    assert_eq!(s.itl_ns.len(), 1);
    assert!(s.itl_ns[0] >= 2_000_000);
    assert!(s.e2e_ns >= ttft + s.itl_ns[0]);
    assert_eq!(s.completion_tokens, 2);
    assert_eq!(s.prompt_tokens, Some(3));
    assert_eq!(s.finish_reason, Some(FinishReason::Eos));
    assert_eq!(s.output_token_ids.as_deref(), Some(&[1, 2][..]));
    assert!(s.device_clock.is_none());
}

/// A device clock whose events are host clock readings, standing in for CUDA events: the
/// same bookkeeping ([`MarkLog`]) as the CUDA clock.
struct HostEventClock {
    events: Vec<u64>,
    log: crate::clock::MarkLog,
    reserved: usize,
}

impl HostEventClock {
    fn boxed() -> Box<dyn DeviceClock> {
        Box::new(HostEventClock {
            events: Vec::new(),
            log: crate::clock::MarkLog::default(),
            reserved: 0,
        })
    }
}

impl DeviceClock for HostEventClock {
    fn kind(&self) -> DeviceClockKind {
        DeviceClockKind::CudaEvent
    }
    fn prepare(&mut self, max_tokens: u32) -> anyhow::Result<()> {
        let needed = 2 * max_tokens as usize + 2;
        self.events.resize(needed, 0);
        self.log.reset(needed);
        self.reserved = self.log.spare();
        Ok(())
    }
    fn mark(&mut self, mark: Mark) {
        let index = self.log.len();
        if let Some(e) = self.events.get_mut(index) {
            *e = mono_ns();
            self.log.push(mark, index);
        }
    }
    fn read(&mut self) -> anyhow::Result<DeviceTimings> {
        assert_eq!(
            self.log.len() + self.log.spare(),
            self.reserved,
            "mark() reallocated"
        );
        assert!(self.log.len() < self.events.len(), "marks were dropped");
        let events = &self.events;
        self.log.timings(|a, b| Ok(events[b] - events[a]))
    }
}

#[test]
fn device_clock_sees_every_mark_in_order() {
    let mut sink = TokenSink::new(Some(HostEventClock::boxed()));
    sink.prepare(2).expect("prepare");
    sink.start();
    std::thread::sleep(std::time::Duration::from_millis(3));
    sink.prefill_done();
    let _ = sink.token(5);
    std::thread::sleep(std::time::Duration::from_millis(2));
    let _ = sink.token(6);
    let (s, err) = sink.finish(&request(2), Phase::Measure, mono_ns(), Outcome::Ok);
    assert!(err.is_none());
    assert_eq!(s.device_clock, Some(DeviceClockKind::CudaEvent));
    let prefill = s.prefill_device_ns.expect("prefill on the device clock");
    let decode = s.decode_device_ns.clone().expect("decode gaps");
    assert_eq!(
        decode.len(),
        2,
        "one gap per token, the first from the prefill end"
    );
    // The events span what was slept between the marks, and no more than the request.
    assert!((3_000_000..=s.e2e_ns).contains(&prefill), "{s:?}");
    assert!(
        decode[1] >= 2_000_000 && prefill + decode[0] + decode[1] <= s.e2e_ns,
        "{s:?}"
    );
    assert_eq!(s.finish_reason, Some(FinishReason::Length));
}

/// An engine that marks its device work as it queues it (as candle does on CUDA): each
/// token's device figure is its own pass, not the host's turnaround between passes, and the
/// pass that produced end-of-sequence is kept as the last one.
#[test]
fn queued_steps_time_the_passes_not_the_turnarounds() {
    // Far apart, so that a loaded machine oversleeping a pass cannot make it a turnaround.
    let pass = std::time::Duration::from_millis(1);
    let turnaround = std::time::Duration::from_millis(150);
    let mut sink = TokenSink::new(Some(HostEventClock::boxed()));
    sink.prepare(8).expect("prepare");
    sink.start();
    std::thread::sleep(pass); // the prefill pass
    sink.prefill_queued();
    sink.step_queued();
    sink.prefill_done();
    for id in [5, 6, 7] {
        std::thread::sleep(turnaround); // waiting for the token, sampling, the sink
        assert_eq!(sink.token(id), Flow::Continue);
        sink.step_begins();
        std::thread::sleep(pass); // the next pass
        sink.step_queued();
    }
    // That last pass produced end-of-sequence.
    sink.end_of_sequence();
    let (s, err) = sink.finish(&request(8), Phase::Measure, mono_ns(), Outcome::Ok);
    assert!(err.is_none());
    assert_eq!(s.completion_tokens, 3);
    let decode = s.decode_device_ns.clone().expect("device figures");
    assert_eq!(
        decode.len(),
        4,
        "three tokens and the end-of-sequence pass: {s:?}"
    );
    let turnaround_ns = turnaround.as_nanos() as u64;
    for &d in &decode[1..] {
        assert!(
            (1_000_000..turnaround_ns).contains(&d),
            "a pass, not a turnaround: {s:?}"
        );
    }
    assert!(s.itl_ns.iter().all(|&gap| gap >= turnaround_ns), "{s:?}");
    assert_eq!(s.finish_reason, Some(FinishReason::Eos));
}
