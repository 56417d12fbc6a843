//! Waiting until an absolute host-monotonic deadline: sleep most of the way, spin the rest, so
//! the time spent matches the configured truth to within microseconds.

use std::time::Duration;

use bench_worker::mono_ns;

/// Below this much remaining time the wait spins instead of sleeping (sleep overshoots by tens
/// of microseconds on a loaded host).
const SPIN_NS: u64 = 200_000;

/// Wait until `deadline_ns` on the host monotonic clock.
pub fn until(deadline_ns: u64, spin: bool) {
    loop {
        let now = mono_ns();
        if now >= deadline_ns {
            return;
        }
        let left = deadline_ns - now;
        if !spin {
            std::thread::sleep(Duration::from_nanos(left));
            return;
        }
        if left > SPIN_NS {
            std::thread::sleep(Duration::from_nanos(left - SPIN_NS));
        } else {
            std::hint::spin_loop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_returns_early() {
        for spin in [true, false] {
            let deadline = mono_ns() + 1_500_000;
            until(deadline, spin);
            assert!(mono_ns() >= deadline);
        }
    }
}
