//! Offered against achieved request rate of a run with send times (open loop, trace replay):
//! how fast requests were meant to go out and how fast they did.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metrics::Request;

/// Offered and achieved send rates over measured requests that carry an intended send time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ArrivalRates {
    /// Requests the figures cover.
    pub requests: usize,
    /// `Σ_r (n_r - 1) / Σ_r (max scheduled - min scheduled)` over repetitions `r`, in requests
    /// per second: the rate the schedule asked for.
    pub offered_rps: f64,
    /// `Σ_r (n_r - 1) / Σ_r (max start - min start)`: the rate requests actually went out at.
    /// Below `offered_rps` when the client fell behind (see `schedule_lag_ms`).
    pub achieved_rps: f64,
}

/// The rates of `rows` (measured requests of one engine, any outcome), or `None` when fewer
/// than two per repetition carry a send time or the schedule spans no time.
pub fn arrival_rates(rows: &[&Request]) -> Option<ArrivalRates> {
    // Per repetition: (count, min and max scheduled, min and max start).
    let mut reps: BTreeMap<u32, (usize, u64, u64, u64, u64)> = BTreeMap::new();
    for r in rows {
        let Some(at) = r.scheduled_mono_ns else {
            continue;
        };
        let e = reps
            .entry(r.repetition)
            .or_insert((0, u64::MAX, 0, u64::MAX, 0));
        e.0 += 1;
        e.1 = e.1.min(at);
        e.2 = e.2.max(at);
        e.3 = e.3.min(r.start_mono_ns);
        e.4 = e.4.max(r.start_mono_ns);
    }
    let (mut gaps, mut scheduled_ns, mut started_ns, mut requests) = (0usize, 0u64, 0u64, 0usize);
    for (n, s0, s1, a0, a1) in reps.into_values().filter(|v| v.0 >= 2) {
        requests += n;
        gaps += n - 1;
        scheduled_ns += s1 - s0;
        started_ns += a1 - a0;
    }
    if scheduled_ns == 0 || started_ns == 0 {
        return None;
    }
    let per_s = |ns: u64| gaps as f64 / (ns as f64 / 1e9);
    Some(ArrivalRates {
        requests,
        offered_rps: per_s(scheduled_ns),
        achieved_rps: per_s(started_ns),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_protocol::EngineId;

    fn row(repetition: u32, scheduled_ms: Option<u64>, start_ms: u64) -> Request {
        let mut s = crate::summary::tests::sample(1, 10, 2);
        s.scheduled_mono_ns = scheduled_ms.map(|m| m * 1_000_000);
        s.start_mono_ns = start_ms * 1_000_000;
        Request::of(0, EngineId::Sim, repetition, &s)
    }

    #[test]
    fn offered_and_achieved_rates_by_hand() {
        // Repetition 0: scheduled 0, 100, 200 ms, started 0, 150, 400 ms.
        // Repetition 1: scheduled 1000, 1300 ms, started 1000, 1300 ms.
        // Offered: (2 + 1) / (0.2 + 0.3) s = 6 rps; achieved: 3 / (0.4 + 0.3) s = 4.2857 rps.
        let rows = [
            row(0, Some(0), 0),
            row(0, Some(100), 150),
            row(0, Some(200), 400),
            row(1, Some(1000), 1000),
            row(1, Some(1300), 1300),
            row(1, None, 5000),
        ];
        let refs: Vec<&Request> = rows.iter().collect();
        let r = arrival_rates(&refs).expect("rates");
        assert_eq!(r.requests, 5);
        assert!((r.offered_rps - 6.0).abs() < 1e-9, "{r:?}");
        assert!((r.achieved_rps - 3.0 / 0.7).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn closed_loops_and_single_requests_have_none() {
        let rows = [row(0, None, 0), row(0, None, 100), row(1, Some(5), 5)];
        let refs: Vec<&Request> = rows.iter().collect();
        assert_eq!(arrival_rates(&refs), None);
    }
}
