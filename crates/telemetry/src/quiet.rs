//! Whether the host was quiet over a window: CPU time taken by processes other than the
//! benchmark's own, time stolen by the hypervisor, and the CPU frequency governor, from the
//! [`crate::collectors::host_cpu`] channel.

use crate::flags::{FlagKind, Flags};
use crate::reading::{CpuTicks, Domain};
use crate::series::{Point, Series};

/// Thresholds for a quiet host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostRules {
    /// Other processes may use at most this many CPU cores on average (0.05: 5% of a core).
    pub max_other_cores: f64,
    /// Steal time may be at most this percentage of the host's CPU time.
    pub max_steal_pct: f64,
}

impl Default for HostRules {
    fn default() -> Self {
        Self {
            max_other_cores: 0.05,
            max_steal_pct: 2.0,
        }
    }
}

/// Windows shorter than this are too coarse for clock-tick counters to judge.
const MIN_WINDOW_NS: u64 = 500_000_000;

/// What the host did over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostUse {
    /// CPU cores other processes used on average; `None` when the benchmark's own time is
    /// unknown.
    pub other_cores: Option<f64>,
    /// Percentage of the host's CPU time stolen by the hypervisor.
    pub steal_pct: f64,
}

/// The host's use over `[t0_ns, t1_ns]`: the last reading at or before `t0_ns` against the
/// first at or after `t1_ns` (the nearest inside the window where the channel does not reach
/// past it). `None` when the span is too short to judge.
pub fn host_use(series: &Series, t0_ns: u64, t1_ns: u64) -> Option<HostUse> {
    let channel = series.in_domain(Domain::Host).next()?;
    let points: Vec<(&Point, CpuTicks)> = channel
        .points
        .iter()
        .filter_map(|p| p.reading.cpu_ticks.map(|t| (p, t)))
        .collect();
    let start = points
        .iter()
        .rev()
        .find(|(p, _)| p.t_ns <= t0_ns)
        .or_else(|| points.iter().find(|(p, _)| p.t_ns >= t0_ns))?;
    let end = points
        .iter()
        .find(|(p, _)| p.t_ns >= t1_ns)
        .or_else(|| points.iter().rev().find(|(p, _)| p.t_ns <= t1_ns))?;
    let (a, b) = (start.1, end.1);
    if end.0.t_ns < start.0.t_ns + MIN_WINDOW_NS || b.total <= a.total {
        return None;
    }
    let total = (b.total - a.total) as f64;
    let busy = b.busy.saturating_sub(a.busy) as f64;
    let other_cores = match (a.own, b.own) {
        (Some(x), Some(y)) => {
            Some(((busy - y.saturating_sub(x) as f64) / total * f64::from(b.cpus)).max(0.0))
        }
        _ => None,
    };
    Some(HostUse {
        other_cores,
        steal_pct: b.steal.saturating_sub(a.steal) as f64 / total * 100.0,
    })
}

/// Flag a window in which the host was not quiet, and note a governor that lets clocks follow
/// the load.
pub fn check(series: &Series, t0_ns: u64, t1_ns: u64, rules: &HostRules, flags: &mut Flags) {
    if let Some(u) = host_use(series, t0_ns, t1_ns) {
        if let Some(cores) = u.other_cores
            && cores > rules.max_other_cores
        {
            flags.add(
                FlagKind::HostBusy,
                format!(
                    "host: other processes used {cores:.2} CPU cores on average during the run \
                     (more than {}): CPU timings compete with them",
                    rules.max_other_cores
                ),
            );
        }
        if u.steal_pct > rules.max_steal_pct {
            flags.add(
                FlagKind::Steal,
                format!(
                    "host: the hypervisor stole {:.1}% of CPU time during the run (more than {}%)",
                    u.steal_pct, rules.max_steal_pct
                ),
            );
        }
    }
    let governors: std::collections::BTreeSet<&str> = series
        .in_domain(Domain::Host)
        .flat_map(|c| c.within(t0_ns, t1_ns))
        .flat_map(|p| p.reading.cpu_governors.iter().map(String::as_str))
        .collect();
    let others: Vec<&str> = governors
        .into_iter()
        .filter(|g| *g != "performance")
        .collect();
    if !others.is_empty() {
        flags.add(
            FlagKind::Governor,
            format!(
                "note: CPU frequency governor {} (not performance): clock speed follows the load",
                others.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::Reading;

    /// A host with 2 CPUs sampled every 100 ms for 2 s: `own` and `other` cores busy, `steal`
    /// of the whole host's time stolen. Ticks at 100 Hz.
    fn host(own: f64, other: f64, steal: f64, governor: &str) -> Series {
        let mut s = Series::default();
        for i in 0..=20u64 {
            let t = i as f64 * 0.1;
            let total = (2.0 * 100.0 * t).round() as u64;
            let reading = Reading {
                cpu_ticks: Some(CpuTicks {
                    total,
                    busy: ((own + other) * 100.0 * t).round() as u64,
                    steal: (steal * total as f64).round() as u64,
                    own: Some((own * 100.0 * t).round() as u64),
                    cpus: 2,
                }),
                cpu_governors: vec![governor.to_owned()],
                ..Reading::default()
            };
            s.push("host-cpu", Domain::Host, i * 100_000_000, reading);
        }
        s
    }

    fn flags_of(s: &Series, t0: u64, t1: u64) -> Flags {
        let mut f = Flags::default();
        check(s, t0, t1, &HostRules::default(), &mut f);
        f
    }

    #[test]
    fn another_busy_core_is_flagged_and_a_quiet_host_is_not() {
        let busy = host(1.0, 1.0, 0.0, "performance");
        let u = host_use(&busy, 250_000_000, 1_750_000_000).expect("judged");
        assert!((u.other_cores.expect("known") - 1.0).abs() < 0.02, "{u:?}");
        let f = flags_of(&busy, 250_000_000, 1_750_000_000);
        assert!(f.has(FlagKind::HostBusy), "{f:?}");
        assert!(f.reasons()[0].contains("1.00 CPU cores"), "{f:?}");

        let quiet = host(1.0, 0.01, 0.0, "performance");
        assert!(flags_of(&quiet, 0, 2_000_000_000).is_clean());
    }

    #[test]
    fn steal_and_a_governor_that_follows_load_are_reported() {
        let s = host(1.0, 0.0, 0.05, "powersave");
        let f = flags_of(&s, 0, 2_000_000_000);
        assert!(f.has(FlagKind::Steal), "{f:?}");
        assert!(f.reasons().iter().any(|r| r.contains("5.0%")), "{f:?}");
        assert!(f.has(FlagKind::Governor), "{f:?}");
        assert!(!f.has(FlagKind::HostBusy), "{f:?}");
    }

    #[test]
    fn short_windows_and_unknown_own_time_are_not_judged() {
        let s = host(1.0, 1.0, 0.0, "performance");
        assert_eq!(host_use(&s, 0, 300_000_000), None);
        let mut blind = Series::default();
        for ch in &s.channels {
            for p in &ch.points {
                let mut r = p.reading.clone();
                r.cpu_ticks = r.cpu_ticks.map(|t| CpuTicks { own: None, ..t });
                blind.push("host-cpu", Domain::Host, p.t_ns, r);
            }
        }
        let u = host_use(&blind, 0, 2_000_000_000).expect("judged");
        assert_eq!(u.other_cores, None);
        assert!(flags_of(&blind, 0, 2_000_000_000).is_clean());
    }
}
