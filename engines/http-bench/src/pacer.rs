//! High-resolution waiting for open-loop send times: sleep until about 100 µs before the
//! target, then spin ([`bench_worker::sleep_until`]). Runs on the pacing thread, never on the client runtime.

/// Block until the host monotonic clock reads at least `target_ns`; returns the reading.
pub fn wait_until(target_ns: u64) -> u64 {
    bench_worker::sleep_until(target_ns, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bench_worker::mono_ns;

    #[test]
    fn never_returns_early() {
        for delay in [0, 50_000, 300_000, 2_000_000] {
            let target = mono_ns() + delay;
            assert!(wait_until(target) >= target);
        }
    }
}
