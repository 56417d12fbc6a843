//! The same requests on the device clock, where the worker recorded one (CUDA events), beside
//! the host's.

use bench_stats::Summary;
use serde::{Deserialize, Serialize};

use super::stat;
use crate::metrics::{self, Request};

/// TTFT, TPOT and prefill on the device clock, and how much longer the host saw each request
/// (host minus device, paired request by request): the time outside the device's forward
/// passes (waiting for each token, host-side sampling, the harness).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceClockFigures {
    pub clock: shared_protocol::DeviceClockKind,
    /// Successful measured requests that carry device timings.
    pub requests: u64,
    pub ttft_ms: Option<Summary>,
    pub tpot_ms: Option<Summary>,
    pub prefill_ms: Option<Summary>,
    pub host_minus_device_ttft_ms: Option<Summary>,
    pub host_minus_device_tpot_ms: Option<Summary>,
}

/// A per-request figure of a sample, as `metrics` defines them.
type Figure = fn(&Request) -> Option<f64>;

/// The device-clock figures of `ok` (successful measured samples), when any carries them.
pub fn device_clock_figures(ok: &[&Request]) -> Option<DeviceClockFigures> {
    let timed: Vec<&Request> = ok
        .iter()
        .copied()
        .filter(|s| s.device_clock().is_some())
        .collect();
    let clock = timed.first()?.device_clock()?;
    let over = |f: Figure| stat(timed.iter().filter_map(|s| f(s)).collect());
    let paired = |host: Figure, device: Figure| {
        stat(
            timed
                .iter()
                .filter_map(|s| Some(host(s)? - device(s)?))
                .collect(),
        )
    };
    Some(DeviceClockFigures {
        clock,
        requests: timed.len() as u64,
        ttft_ms: over(metrics::device_ttft_ms),
        tpot_ms: over(metrics::device_tpot_ms),
        prefill_ms: over(metrics::device_prefill_ms),
        host_minus_device_ttft_ms: paired(metrics::ttft_ms, metrics::device_ttft_ms),
        host_minus_device_tpot_ms: paired(metrics::tpot_ms, metrics::device_tpot_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::sample;

    #[test]
    fn device_clock_figures_pair_host_and_device_request_by_request() {
        let mut timed = Vec::new();
        for (host_ttft, device_first) in [(10, 9), (12, 10)] {
            // 5 tokens; host: 4 gaps over 10 ms (2.5 ms); device: 4 gaps of 2 ms.
            let mut s = sample(host_ttft, host_ttft + 10, 5);
            s.device_clock = Some(shared_protocol::DeviceClockKind::CudaEvent);
            s.prefill_device_ns = Some(device_first * 1_000_000);
            s.decode_device_ns = Some(vec![
                device_first * 1_000_000,
                2_000_000,
                2_000_000,
                2_000_000,
                2_000_000,
            ]);
            timed.push(s);
        }
        let host_only = sample(50, 60, 5);
        let requests: Vec<Request> = timed
            .iter()
            .chain([&host_only])
            .map(|s| Request::of(0, shared_protocol::EngineId::Sim, 0, s))
            .collect();
        let ok: Vec<&Request> = requests.iter().collect();
        let d = device_clock_figures(&ok).expect("two requests carry device timings");
        assert_eq!(d.requests, 2);
        let p50 = |s: &Option<Summary>| s.as_ref().expect("figures").p50;
        assert!((p50(&d.ttft_ms) - 9.5).abs() < 1e-9);
        assert!((p50(&d.tpot_ms) - 2.0).abs() < 1e-9);
        assert!(
            (p50(&d.host_minus_device_ttft_ms) - 1.5).abs() < 1e-9,
            "(1 + 2) / 2"
        );
        assert!((p50(&d.host_minus_device_tpot_ms) - 0.5).abs() < 1e-9);
        assert!(
            device_clock_figures(&[&requests[2]]).is_none(),
            "host clock only"
        );
    }
}
