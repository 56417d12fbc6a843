//! The host monotonic clock, and the seam for a device clock.
//!
//! Host timestamps are absolute `CLOCK_MONOTONIC` nanoseconds on unix, the clock behind
//! `std::time::Instant` there, read through the vDSO (tens of nanoseconds). Every process on a
//! host reads the same clock, so worker, runner and telemetry timestamps line up.

use shared_protocol::DeviceClockKind;

/// Absolute host monotonic time in nanoseconds.
#[cfg(unix)]
#[inline]
pub fn mono_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on unix.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    debug_assert_eq!(rc, 0, "clock_gettime(CLOCK_MONOTONIC) cannot fail");
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

/// Absolute host monotonic time in nanoseconds (non-unix: relative to the first call).
#[cfg(not(unix))]
#[inline]
pub fn mono_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

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
    /// Token number `n` (0-based) was produced.
    Token(u32),
}

/// Device-side figures of one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceTimings {
    /// `Start` to `PrefillEnd` (or to the first token when the engine marks no prefill end).
    pub prefill_ns: Option<u64>,
    /// Gaps between successive token marks, the first one measured from the prefill end.
    pub decode_ns: Vec<u64>,
}

/// A clock on the device that runs the engine (CUDA events on the engine's stream).
///
/// [`Mark`]s are recorded from inside the timed region, so `mark` must be cheap and must not
/// synchronise; `prepare` (before) and `read` (after) do the expensive work.
pub trait DeviceClock {
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
