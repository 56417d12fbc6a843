//! The monitor's clock on the runner's: an offset measured once at connection.
//!
//! Each probe records the local monotonic time a `Time` call was sent (`sent_ns`), the local time
//! its reply arrived (`received_ns`) and the remote time it carried (`remote_ns`). Assuming the
//! reply was read halfway through the round trip, the offset is
//! `sent_ns + (received_ns - sent_ns) / 2 - remote_ns`; the probe with the shortest round trip
//! bounds the error best (at most half its round trip), so it is the one used.

/// One `Time` round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Local monotonic time the request was sent.
    pub sent_ns: u64,
    /// Local monotonic time the reply arrived.
    pub received_ns: u64,
    /// Remote monotonic time in the reply.
    pub remote_ns: u64,
}

/// Local minus remote time, from the probe with the shortest round trip; `None` without probes.
pub fn best_offset(probes: &[Probe]) -> Option<i128> {
    let best = probes
        .iter()
        .min_by_key(|p| p.received_ns.saturating_sub(p.sent_ns))?;
    let round_trip = best.received_ns.saturating_sub(best.sent_ns);
    Some(i128::from(best.sent_ns + round_trip / 2) - i128::from(best.remote_ns))
}

/// A remote time on the local clock; `None` when it would fall before the local clock's zero.
pub fn to_local(remote_ns: u64, offset_ns: i128) -> Option<u64> {
    u64::try_from(i128::from(remote_ns) + offset_ns).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortest_round_trip_sets_the_offset() {
        let probes = [
            // Round trip 400: midpoint 1_200, offset 1_200 - 500 = 700 (not used).
            Probe {
                sent_ns: 1_000,
                received_ns: 1_400,
                remote_ns: 500,
            },
            // Round trip 100: midpoint 2_050, offset 2_050 - 50_000 = -47_950.
            Probe {
                sent_ns: 2_000,
                received_ns: 2_100,
                remote_ns: 50_000,
            },
            // Round trip 300: midpoint 3_150, offset 3_150 - 900 = 2_250 (not used).
            Probe {
                sent_ns: 3_000,
                received_ns: 3_300,
                remote_ns: 900,
            },
        ];
        assert_eq!(best_offset(&probes), Some(-47_950));
        assert_eq!(best_offset(&[]), None);
        // A remote sample at 60_000 ns happened at 60_000 - 47_950 = 12_050 ns locally.
        assert_eq!(to_local(60_000, -47_950), Some(12_050));
        // A remote host whose clock runs behind: a positive offset moves samples later.
        assert_eq!(to_local(100, 2_250), Some(2_350));
        // Before the local clock's zero there is no local time.
        assert_eq!(to_local(10_000, -47_950), None);
    }
}
