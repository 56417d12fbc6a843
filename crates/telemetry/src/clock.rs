//! The host monotonic clock every timestamp in this crate uses, and a seam to replace it in tests.
//!
//! Timestamps are absolute `CLOCK_MONOTONIC` nanoseconds, the clock the engine workers stamp
//! their requests with, so telemetry samples and request windows line up without conversion.

use std::time::Duration;

/// Absolute host monotonic time in nanoseconds: the project's one clock definition.
pub use mono_clock::mono_ns;

/// A source of time that can also wait, so slow procedures (idle baseline) run in tests
/// against simulated time.
pub trait Clock {
    /// Current time in host monotonic nanoseconds.
    fn now_ns(&self) -> u64;
    /// Wait for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The real host clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostClock;

impl Clock for HostClock {
    fn now_ns(&self) -> u64 {
        mono_ns()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Nanoseconds as seconds.
pub(crate) fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_ns_advances_across_a_sleep() {
        let a = HostClock.now_ns();
        HostClock.sleep(Duration::from_millis(2));
        let b = mono_ns();
        assert!(
            b - a >= 2_000_000,
            "slept 2 ms but clock moved {} ns",
            b - a
        );
    }
}
