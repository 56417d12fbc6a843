//! The host monotonic clock every `*_mono_ns` timestamp of the project is read from: workers,
//! the runner and its telemetry sampler all call [`mono_ns`], so their timestamps share one time
//! base without conversion.
//!
//! On unix it is `CLOCK_MONOTONIC`, the clock behind `std::time::Instant` there, read through the
//! vDSO (tens of nanoseconds).

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

#[cfg(test)]
mod tests {
    #[test]
    fn never_goes_back_and_agrees_with_instant() {
        let start = std::time::Instant::now();
        let a = super::mono_ns();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = super::mono_ns();
        let elapsed = start.elapsed().as_nanos() as u64;
        assert!(b >= a + 5_000_000, "{a} -> {b}");
        assert!(
            b - a <= elapsed + 1_000_000,
            "{} ns vs Instant's {elapsed}",
            b - a
        );
    }
}
