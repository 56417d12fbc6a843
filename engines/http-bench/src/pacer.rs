//! High-resolution waiting for open-loop send times: sleep until about 100 µs before the
//! target, then spin. Runs on the pacing thread, never on the client runtime.

use std::time::Duration;

use bench_worker::mono_ns;

/// How long before the target the pacer stops sleeping and spins. Linux wakes a sleeping
/// thread some tens of microseconds late; spinning covers that.
const SPIN_NS: u64 = 100_000;

/// Block until the host monotonic clock reads at least `target_ns`; returns the reading.
pub fn wait_until(target_ns: u64) -> u64 {
    loop {
        let now = mono_ns();
        if now >= target_ns {
            return now;
        }
        let left = target_ns - now;
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
        for delay in [0, 50_000, 300_000, 2_000_000] {
            let target = mono_ns() + delay;
            assert!(wait_until(target) >= target);
        }
    }
}
