//! The host monotonic clock, and the seam for a device clock.
//!
//! Host timestamps are absolute `CLOCK_MONOTONIC` nanoseconds on unix, the clock behind
//! `std::time::Instant` there, read through the vDSO (tens of nanoseconds). Every process on a
//! host reads the same clock, so worker, runner and telemetry timestamps line up.

use shared_protocol::DeviceClockKind;

/// Absolute host monotonic time in nanoseconds: the project's one clock definition.
pub use mono_clock::mono_ns;

/// Below this much remaining time [`sleep_until`] spins instead of sleeping: Linux wakes a
/// sleeping thread tens of microseconds late.
const SPIN_NS: u64 = 100_000;

/// Block until the host monotonic clock reads at least `target_ns` and return that reading:
/// sleep most of the way, then (with `spin`) spin the last stretch for microsecond accuracy.
pub fn sleep_until(target_ns: u64, spin: bool) -> u64 {
    loop {
        let now = mono_ns();
        if now >= target_ns {
            return now;
        }
        let left = target_ns - now;
        if !spin {
            std::thread::sleep(std::time::Duration::from_nanos(left));
        } else if left > SPIN_NS {
            std::thread::sleep(std::time::Duration::from_nanos(left - SPIN_NS));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// A point in a request at which the device clock records an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Just before the engine is called.
    Start,
    /// The engine finished its prefill forward pass.
    PrefillEnd,
    /// Token number `n` (0-based) was produced; on a device clock, where the engine says so
    /// ([`crate::TokenSink::step_queued`]), the forward pass producing it was queued.
    Token(u32),
    /// The forward pass producing token `n` is about to be launched
    /// ([`crate::TokenSink::step_begins`]).
    StepStart(u32),
}

/// Device-side figures of one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceTimings {
    /// `Start` to `PrefillEnd` (or to the first token when the engine marks no prefill end).
    pub prefill_ns: Option<u64>,
    /// One entry per token mark. The first runs from the prefill end (or the start). Each
    /// later one runs from the step-start mark of the same token where there is one, which is
    /// the device time of that token's forward pass. Otherwise it runs from the previous token's
    /// mark.
    pub decode_ns: Vec<u64>,
}

/// The marks of one request in recording order, each with the index of the device event
/// recorded for it, and how they become [`DeviceTimings`]. A device clock resets one before each
/// request (allocating), pushes to it from `mark` (within the capacity it reserved: no
/// allocation in the timed region), and turns it into timings in `read`, given the elapsed
/// time between two of its events. The bookkeeping lives here, away from any device API, so
/// that it is tested on the CPU.
#[derive(Debug, Default)]
pub struct MarkLog {
    marks: Vec<(Mark, usize)>,
}

impl MarkLog {
    /// Forget the last request's marks and make room for `capacity` without reallocating.
    pub fn reset(&mut self, capacity: usize) {
        self.marks.clear();
        self.marks.reserve(capacity);
    }

    /// Marks recorded so far; also the index of the next event to record.
    pub fn len(&self) -> usize {
        self.marks.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    /// Room left before pushing would allocate.
    pub fn spare(&self) -> usize {
        self.marks.capacity() - self.marks.len()
    }

    /// Record that `event` was recorded for `mark`.
    #[inline]
    pub fn push(&mut self, mark: Mark, event: usize) {
        self.marks.push((mark, event));
    }

    /// The event of the last mark: once it completed, every earlier one has.
    pub fn last_event(&self) -> Option<usize> {
        self.marks.last().map(|&(_, e)| e)
    }

    fn first(&self, wanted: impl Fn(Mark) -> bool) -> Option<usize> {
        self.marks.iter().find(|(m, _)| wanted(*m)).map(|&(_, e)| e)
    }

    /// The timings of the recorded marks, `elapsed_ns(a, b)` being the device time from event
    /// `a` to event `b`: prefill from `Start` to `PrefillEnd` (to the first token when no
    /// prefill end was marked); one decode figure per token mark, from that token's
    /// `StepStart` where it has one, else from the previous token (the first token from
    /// `PrefillEnd`, or `Start`). No marks: no timings.
    pub fn timings(
        &self,
        mut elapsed_ns: impl FnMut(usize, usize) -> anyhow::Result<u64>,
    ) -> anyhow::Result<DeviceTimings> {
        let start = self.first(|m| m == Mark::Start);
        let prefill_end = self.first(|m| m == Mark::PrefillEnd);
        let first_token = self.first(|m| matches!(m, Mark::Token(_)));
        let prefill_ns = match (start, prefill_end.or(first_token)) {
            (Some(s), Some(e)) => Some(elapsed_ns(s, e)?),
            _ => None,
        };
        let mut decode_ns = Vec::new();
        let mut previous = prefill_end.or(start);
        let mut step_start: Option<(u32, usize)> = None;
        for &(m, e) in &self.marks {
            match m {
                Mark::StepStart(n) => step_start = Some((n, e)),
                Mark::Token(n) => {
                    let from = match step_start.take() {
                        Some((k, s)) if k == n => Some(s),
                        _ => previous,
                    };
                    if let Some(f) = from {
                        decode_ns.push(elapsed_ns(f, e)?);
                    }
                    previous = Some(e);
                }
                Mark::Start | Mark::PrefillEnd => {}
            }
        }
        Ok(DeviceTimings {
            prefill_ns,
            decode_ns,
        })
    }
}

/// A clock on the device that runs the engine (CUDA events on the engine's stream).
///
/// [`Mark`]s are recorded from inside the timed region, so `mark` must be cheap and must not
/// synchronise; `prepare` (before) and `read` (after) do the expensive work. `Send`, so that a
/// sink can move with the task that drives its request.
pub trait DeviceClock: Send {
    /// Which clock this is, named in every sample it contributes to.
    fn kind(&self) -> DeviceClockKind;
    /// Get ready for a request of up to `max_tokens` tokens (allocate events, reset state).
    fn prepare(&mut self, max_tokens: u32) -> anyhow::Result<()>;
    /// Record `mark` on the device; asynchronous.
    fn mark(&mut self, mark: Mark);
    /// Wait for the recorded marks and turn them into durations.
    fn read(&mut self) -> anyhow::Result<DeviceTimings>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events at these device times (ns), one per mark in order.
    fn timings(marks: &[Mark], at_ns: &[u64]) -> DeviceTimings {
        let mut log = MarkLog::default();
        log.reset(marks.len());
        for (i, &m) in marks.iter().enumerate() {
            log.push(m, i);
        }
        log.timings(|a, b| Ok(at_ns[b] - at_ns[a]))
            .expect("timings")
    }

    #[test]
    fn marks_become_prefill_and_decode_gaps() {
        use Mark::{PrefillEnd, Start, StepStart, Token};
        // Prefill end marked: prefill 0 -> 80; first token 5 after it; then gaps of 10 and 12.
        let t = timings(
            &[Start, PrefillEnd, Token(0), Token(1), Token(2)],
            &[0, 80, 85, 95, 107],
        );
        assert_eq!(t.prefill_ns, Some(80));
        assert_eq!(t.decode_ns, vec![5, 10, 12]);
        // None marked: prefill and the first gap both run from the start to the first token.
        let t = timings(&[Start, Token(0), Token(1)], &[0, 85, 95]);
        assert_eq!(t.prefill_ns, Some(85));
        assert_eq!(t.decode_ns, vec![85, 10]);
        // Step marks: each later token's figure is its own forward pass, not the gap.
        let t = timings(
            &[
                Start,
                PrefillEnd,
                Token(0),
                StepStart(1),
                Token(1),
                StepStart(2),
                Token(2),
            ],
            &[0, 80, 81, 90, 96, 104, 110],
        );
        assert_eq!(t.prefill_ns, Some(80));
        assert_eq!(t.decode_ns, vec![1, 6, 6]);
        // A step start that does not belong to the token falls back to the gap.
        let t = timings(&[Start, Token(0), StepStart(5), Token(1)], &[0, 10, 12, 20]);
        assert_eq!(t.decode_ns, vec![10, 10]);
        // A failed request that produced nothing: a prefill, no gaps.
        let t = timings(&[Start, PrefillEnd], &[0, 80]);
        assert_eq!((t.prefill_ns, t.decode_ns.len()), (Some(80), 0));
        assert_eq!(timings(&[], &[]), DeviceTimings::default());
    }

    #[test]
    fn reading_errors_are_passed_on_and_room_is_reserved() {
        let mut log = MarkLog::default();
        log.reset(4);
        assert!(log.spare() >= 4);
        log.push(Mark::Start, 0);
        log.push(Mark::Token(0), 1);
        assert_eq!((log.len(), log.last_event()), (2, Some(1)));
        let err = log
            .timings(|_, _| anyhow::bail!("event not ready"))
            .expect_err("the error comes back");
        assert!(err.to_string().contains("not ready"));
        log.reset(4);
        assert!(log.is_empty() && log.last_event().is_none());
    }

    #[test]
    fn sleep_until_never_returns_early() {
        for spin in [true, false] {
            for delay in [0, 50_000, 300_000, 2_000_000] {
                let target = mono_ns() + delay;
                assert!(sleep_until(target, spin) >= target);
                assert!(mono_ns() >= target);
            }
        }
    }

    #[test]
    fn mono_ns_is_monotonic_and_advances() {
        let a = mono_ns();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = mono_ns();
        assert!(b > a);
        assert!(
            b - a >= 2_000_000,
            "slept 2 ms but clock moved {} ns",
            b - a
        );
    }
}
