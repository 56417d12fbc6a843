//! Splitting energy between requests that overlap in time.
//!
//! Time is cut at every request start and end; within each slice the energy is shared equally
//! between the requests active in it, so a request's share is proportional to its overlap with
//! the others. Energy in slices where no request runs is left to the run's gross figure.

use serde::{Deserialize, Serialize};

use crate::clock::secs;
use crate::energy::curve::{EnergyCurve, EnergyMethod, EnergyUnavailable};

/// When one request ran (host monotonic, as the worker stamped it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestWindow {
    /// Submission time.
    pub start_ns: u64,
    /// Time of the last token.
    pub end_ns: u64,
}

/// One request's share of the energy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RequestEnergy {
    /// Energy attributed to the request.
    pub energy_j: f64,
    /// The same minus its share of the idle power, when an idle baseline is known.
    pub idle_adjusted_j: Option<f64>,
    /// How the energy was obtained.
    pub method: EnergyMethod,
    /// False when the request is shorter than three counter updates.
    pub resolved: bool,
}

/// Each request's share of the energy on `curve`, in the order given. `idle_power_w` adds the
/// idle-adjusted figure: the idle energy of each slice is shared the same way.
pub fn attribute(
    curve: &EnergyCurve,
    requests: &[RequestWindow],
    idle_power_w: Option<f64>,
) -> Vec<Result<RequestEnergy, EnergyUnavailable>> {
    // Sweep over all boundaries; `per_request[j]` is the energy (and idle time) per active
    // request accumulated up to boundary j, so a request's share is a difference of two entries.
    let mut events: Vec<(u64, i64)> = Vec::with_capacity(requests.len() * 2);
    for r in requests.iter().filter(|r| r.end_ns >= r.start_ns) {
        events.push((r.start_ns, 1));
        events.push((r.end_ns, -1));
    }
    events.sort_unstable();
    let mut bounds: Vec<u64> = events.iter().map(|e| e.0).collect();
    bounds.dedup();

    let mut energy_share = vec![0.0; bounds.len()];
    let mut idle_share_s = vec![0.0; bounds.len()];
    let mut active: i64 = 0;
    let mut event = 0;
    for j in 0..bounds.len() {
        if j > 0 {
            let (a, b) = (bounds[j - 1], bounds[j]);
            let mut e = energy_share[j - 1];
            let mut idle = idle_share_s[j - 1];
            if active > 0 {
                // A slice outside the curve's span lies in no covered request; it adds nothing.
                if let (Some(ea), Some(eb)) = (curve.at(a), curve.at(b)) {
                    e += (eb - ea) / active as f64;
                }
                idle += secs(b - a) / active as f64;
            }
            energy_share[j] = e;
            idle_share_s[j] = idle;
        }
        while event < events.len() && events[event].0 == bounds[j] {
            active += events[event].1;
            event += 1;
        }
    }

    let index = |t: u64| bounds.partition_point(|&b| b < t);
    requests
        .iter()
        .map(|r| {
            let window = curve.window(r.start_ns, r.end_ns)?;
            let (i0, i1) = (index(r.start_ns), index(r.end_ns));
            let energy_j = energy_share[i1] - energy_share[i0];
            Ok(RequestEnergy {
                energy_j,
                idle_adjusted_j: idle_power_w
                    .map(|w| energy_j - w * (idle_share_s[i1] - idle_share_s[i0])),
                method: window.method,
                resolved: window.resolved,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::energy::synthetic::{MS, S, assert_close, counter_channel, power_channel};

    fn req(start_ms: u64, end_ms: u64) -> RequestWindow {
        RequestWindow {
            start_ns: start_ms * MS,
            end_ns: end_ms * MS,
        }
    }

    #[test]
    fn overlapping_requests_share_the_overlap_equally() {
        // 200 W constant: A runs 1-3 s alone then 3-4 s with B; B runs 3-6 s.
        let curve = EnergyCurve::from_channel(&counter_channel(|t| 200.0 * t, 8.0, 50, 100, 0))
            .expect("curve");
        let out = attribute(&curve, &[req(1000, 4000), req(3000, 6000)], Some(50.0));
        let a = out[0].as_ref().expect("a");
        let b = out[1].as_ref().expect("b");
        // A: 2 s alone (400 J) + half of 1 s (100 J); B: half of 1 s (100 J) + 2 s alone (400 J).
        assert_close(a.energy_j, 500.0, 1e-9);
        assert_close(b.energy_j, 500.0, 1e-9);
        // Idle 50 W: A carries 2.5 s of it, B 2.5 s.
        assert_close(a.idle_adjusted_j.expect("idle"), 500.0 - 125.0, 1e-9);
        // The shares add up to the union's energy (1-6 s).
        assert_close(a.energy_j + b.energy_j, 200.0 * 5.0, 1e-9);
    }

    #[test]
    fn shares_follow_a_ramp_and_sum_to_the_window() {
        // p(t) = 10 t, three requests nested and chained.
        let curve =
            EnergyCurve::from_channel(&power_channel(|t| 10.0 * t, 10.0, 20)).expect("curve");
        let reqs = [req(1000, 5000), req(2000, 3000), req(4500, 9000)];
        let out = attribute(&curve, &reqs, None);
        let total: f64 = out.iter().map(|r| r.as_ref().expect("ok").energy_j).sum();
        let union = curve.window(S, 9 * S).expect("union").energy_j;
        assert_close(total, union, 1e-9);
        // The nested request (2-3 s) shares its whole life with the outer one: half of 25 J.
        assert_close(out[1].as_ref().expect("ok").energy_j, 12.5, 1e-6);
        assert!(out[1].as_ref().expect("ok").idle_adjusted_j.is_none());
    }

    #[test]
    fn requests_outside_the_telemetry_are_unavailable() {
        let curve = EnergyCurve::from_channel(&counter_channel(|t| 100.0 * t, 2.0, 50, 100, 0))
            .expect("curve");
        let out = attribute(&curve, &[req(500, 1500), req(1500, 9000)], None);
        assert!(out[0].is_ok());
        assert!(out[1].is_err());
    }
}
