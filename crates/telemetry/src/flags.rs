//! Validity flags of a run: throttling, moving clocks, other processes on the GPU, energy
//! windows too short to resolve, and a host that was not quiet ([`crate::quiet`]), each with a
//! reason a person can read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::reading::{Domain, Reading};
use crate::series::{Channel, Series};
use crate::throttle;

/// Thresholds for the flags.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagRules {
    /// Clocks "moved" when (max - min) / max of a busy GPU's clock exceeds this percentage.
    pub max_clock_spread_pct: f64,
    /// The benchmark's own processes (the run's worker); any other process on a GPU is flagged.
    /// Empty: the check is skipped.
    pub own_pids: Vec<u32>,
    /// The host's quietness (a CPU run): `None` skips it.
    pub host: Option<crate::quiet::HostRules>,
    /// Whether one of `own_pids` is expected on the GPU (the engine runs on one). NVML reports
    /// the pids of the namespace the driver runs in, which differ from ours inside a container:
    /// when none of the pids NVML lists is ours, a GPU engine's worker cannot be told apart from
    /// the rest, and a GPU is flagged only when more than one process used it.
    pub own_process_on_gpu: bool,
}

impl Default for FlagRules {
    fn default() -> Self {
        Self {
            max_clock_spread_pct: 10.0,
            own_pids: Vec::new(),
            host: None,
            own_process_on_gpu: false,
        }
    }
}

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagKind {
    /// A thermal, power-cap or hardware-slowdown throttle reason was active.
    Throttled,
    /// A busy GPU's clocks moved more than the allowed spread.
    ClocksMoved,
    /// Another process used a GPU.
    ForeignProcess,
    /// Some energy windows were shorter than the counter can resolve.
    EnergyUnresolved,
    /// Other processes took CPU time on the host.
    HostBusy,
    /// The hypervisor stole CPU time.
    Steal,
    /// A CPU frequency governor other than `performance` (a note).
    Governor,
}

/// One reason not to trust a run's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FlagKind,
    /// The details, for people.
    pub reason: String,
}

/// Why a run's figures may not be trusted; empty when nothing was found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// One entry per finding, in the order found.
    pub findings: Vec<Finding>,
}

impl Flags {
    /// Whether nothing was flagged.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// Whether a finding of `kind` was made.
    pub fn has(&self, kind: FlagKind) -> bool {
        self.findings.iter().any(|f| f.kind == kind)
    }

    /// The reasons, one line each.
    pub fn reasons(&self) -> Vec<&str> {
        self.findings.iter().map(|f| f.reason.as_str()).collect()
    }

    pub(crate) fn add(&mut self, kind: FlagKind, reason: String) {
        self.findings.push(Finding { kind, reason });
    }

    /// Record that `unresolved` of `total` energy windows on `channel` were shorter than
    /// `resolution_ns` (see [`crate::energy::EnergyCurve::resolution_ns`]).
    pub fn note_unresolved(
        &mut self,
        channel: &str,
        unresolved: usize,
        total: usize,
        resolution_ns: u64,
    ) {
        if unresolved > 0 {
            self.add(
                FlagKind::EnergyUnresolved,
                format!(
                    "{channel}: {unresolved} of {total} energy windows shorter than {:.0} ms \
                 (three counter updates): their energy is mostly interpolation",
                    resolution_ns as f64 / 1e6
                ),
            );
        }
    }
}

/// Flags for the GPU channels of `series` over `[t0_ns, t1_ns]`, and for the host where
/// `rules.host` asks.
pub fn evaluate(series: &Series, t0_ns: u64, t1_ns: u64, rules: &FlagRules) -> Flags {
    let mut flags = Flags::default();
    let mut processes = Vec::new();
    for channel in series.in_domain(Domain::Gpu) {
        let readings: Vec<&Reading> = channel.within(t0_ns, t1_ns).map(|p| &p.reading).collect();
        check_throttle(channel, &readings, &mut flags);
        check_clocks(channel, &readings, rules, &mut flags);
        processes.push((channel.name.as_str(), processes_seen(&readings)));
    }
    check_processes(&processes, rules, &mut flags);
    if let Some(host) = &rules.host {
        crate::quiet::check(series, t0_ns, t1_ns, host, &mut flags);
    }
    flags
}

/// Each pid seen in `readings`, with the most GPU memory it held.
fn processes_seen(readings: &[&Reading]) -> BTreeMap<u32, Option<u64>> {
    let mut seen: BTreeMap<u32, Option<u64>> = BTreeMap::new();
    for p in readings.iter().flat_map(|r| &r.processes) {
        let peak = seen.entry(p.pid).or_default();
        *peak = (*peak).max(p.used_bytes);
    }
    seen
}

fn check_throttle(channel: &Channel, readings: &[&Reading], flags: &mut Flags) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in readings {
        for reason in r.throttle_reasons.iter().map(String::as_str) {
            if throttle::is_performance_limiting(reason) {
                *counts.entry(reason).or_default() += 1;
            }
        }
    }
    for (reason, count) in counts {
        flags.add(
            FlagKind::Throttled,
            format!(
                "{}: {reason} throttling active in {count} of {} samples",
                channel.name,
                readings.len()
            ),
        );
    }
}

/// A reading of a GPU doing work (an idle GPU lowers its clocks by design).
fn busy(r: &Reading) -> bool {
    !r.throttle_reasons.iter().any(|t| t == throttle::GPU_IDLE)
        && r.gpu_util_pct.is_none_or(|u| u > 0.0)
}

fn check_clocks(channel: &Channel, readings: &[&Reading], rules: &FlagRules, flags: &mut Flags) {
    type ClockField = fn(&Reading) -> Option<u32>;
    let clocks: [(&str, ClockField); 2] =
        [("SM", |r| r.sm_clock_mhz), ("memory", |r| r.mem_clock_mhz)];
    for (label, field) in clocks {
        let values: Vec<u32> = readings
            .iter()
            .filter(|r| busy(r))
            .filter_map(|r| field(r))
            .collect();
        let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
            continue;
        };
        let spread_pct = if max > 0 {
            f64::from(max - min) / f64::from(max) * 100.0
        } else {
            0.0
        };
        if spread_pct > rules.max_clock_spread_pct {
            flags.add(
                FlagKind::ClocksMoved,
                format!(
                    "{}: {label} clock ranged {min}-{max} MHz while busy ({spread_pct:.1}% > {}%)",
                    channel.name, rules.max_clock_spread_pct
                ),
            );
        }
    }
}

/// Other processes on the GPUs (`per_gpu`: channel name, pids seen). When NVML lists none of
/// our pids although the engine runs on a GPU, its pids are another namespace's: the worker is
/// there under a pid we cannot know, so one process across all GPUs is taken to be it and only
/// more than one is flagged.
fn check_processes(
    per_gpu: &[(&str, BTreeMap<u32, Option<u64>>)],
    rules: &FlagRules,
    flags: &mut Flags,
) {
    let own = &rules.own_pids;
    if own.is_empty() {
        return;
    }
    let ours_listed = per_gpu
        .iter()
        .any(|(_, seen)| seen.keys().any(|pid| own.contains(pid)));
    let blind = rules.own_process_on_gpu && !ours_listed;
    if blind {
        let distinct: std::collections::BTreeSet<u32> = per_gpu
            .iter()
            .flat_map(|(_, seen)| seen.keys().copied())
            .collect();
        if distinct.len() <= 1 {
            return;
        }
    }
    let note = if blind {
        " (one process was expected across the GPUs, the worker's; NVML's pids are not this \
         namespace's, so it cannot be told apart)"
    } else {
        ""
    };
    for (name, seen) in per_gpu {
        let list: Vec<String> = seen
            .iter()
            .filter(|(pid, _)| blind || !own.contains(pid))
            .map(|(pid, bytes)| match bytes {
                Some(b) => format!("pid {pid} ({:.1} GiB)", *b as f64 / f64::from(1u32 << 30)),
                None => format!("pid {pid}"),
            })
            .collect();
        if !list.is_empty() {
            flags.add(
                FlagKind::ForeignProcess,
                format!(
                    "{name}: other processes used the GPU: {}{note}",
                    list.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ProcessUse;

    fn series(readings: Vec<Reading>) -> Series {
        let mut s = Series::default();
        for (i, r) in readings.into_iter().enumerate() {
            s.push("nvml:0", Domain::Gpu, i as u64 * 10, r);
        }
        s
    }

    fn busy_at(sm: u32) -> Reading {
        Reading {
            sm_clock_mhz: Some(sm),
            gpu_util_pct: Some(95.0),
            ..Reading::default()
        }
    }

    #[test]
    fn a_steady_run_is_clean() {
        let s = series(vec![busy_at(1980), busy_at(1965), busy_at(1980)]);
        let f = evaluate(&s, 0, 100, &FlagRules::default());
        assert!(f.is_clean(), "{:?}", f.reasons());
    }

    #[test]
    fn power_cap_and_moving_clocks_are_flagged_but_idle_dips_are_not() {
        let mut capped = busy_at(1410);
        capped.throttle_reasons = vec![throttle::SW_POWER_CAP.to_owned()];
        let mut idle = busy_at(345);
        idle.throttle_reasons = vec![throttle::GPU_IDLE.to_owned()];
        let s = series(vec![busy_at(1980), capped, idle]);
        let f = evaluate(&s, 0, 100, &FlagRules::default());
        assert!(f.has(FlagKind::Throttled) && f.has(FlagKind::ClocksMoved));
        assert!(!f.has(FlagKind::ForeignProcess));
        assert_eq!(
            f.reasons(),
            vec![
                "nvml:0: sw_power_cap throttling active in 1 of 3 samples",
                "nvml:0: SM clock ranged 1410-1980 MHz while busy (28.8% > 10%)",
            ]
        );
        // Outside the window nothing counts.
        assert!(evaluate(&s, 0, 5, &FlagRules::default()).is_clean());
    }

    #[test]
    fn other_processes_are_flagged_when_own_pids_are_known() {
        let mut r = busy_at(1980);
        r.processes = vec![
            ProcessUse {
                pid: 10,
                used_bytes: Some(1 << 30),
            },
            ProcessUse {
                pid: 99,
                used_bytes: Some(3 << 29),
            },
        ];
        let s = series(vec![r]);
        assert!(evaluate(&s, 0, 100, &FlagRules::default()).is_clean());
        let rules = FlagRules {
            own_pids: vec![10],
            ..FlagRules::default()
        };
        let f = evaluate(&s, 0, 100, &rules);
        assert!(f.has(FlagKind::ForeignProcess));
        assert_eq!(
            f.reasons(),
            vec!["nvml:0: other processes used the GPU: pid 99 (1.5 GiB)"]
        );
    }

    #[test]
    fn pids_of_another_namespace_flag_a_gpu_only_when_more_than_the_worker_used_it() {
        let process = |pid| ProcessUse {
            pid,
            used_bytes: Some(1 << 30),
        };
        let mut one = busy_at(1980);
        one.processes = vec![process(4321)];
        let mut two = busy_at(1980);
        two.processes = vec![process(4321), process(4400)];
        let gpu_engine = FlagRules {
            own_pids: vec![10],
            own_process_on_gpu: true,
            ..FlagRules::default()
        };
        assert!(
            evaluate(&series(vec![one.clone()]), 0, 100, &gpu_engine).is_clean(),
            "one process on the engine's GPU: the worker, seen under another pid"
        );
        let f = evaluate(&series(vec![two]), 0, 100, &gpu_engine);
        assert!(f.has(FlagKind::ForeignProcess), "{f:?}");
        assert!(
            f.reasons()[0].contains("pid 4321 (1.0 GiB), pid 4400 (1.0 GiB) (one process was"),
            "{f:?}"
        );
        // One process on each of two GPUs: one of them is not the worker.
        let mut two_gpus = series(vec![one.clone()]);
        let mut other = busy_at(1980);
        other.processes = vec![process(5000)];
        two_gpus.push("nvml:1", Domain::Gpu, 0, other);
        let f = evaluate(&two_gpus, 0, 100, &gpu_engine);
        assert_eq!(f.findings.len(), 2, "{f:?}");
        assert!(f.reasons()[1].starts_with("nvml:1: other processes used the GPU: pid 5000"));
        let cpu_engine = FlagRules {
            own_process_on_gpu: false,
            ..gpu_engine
        };
        assert!(
            evaluate(&series(vec![one]), 0, 100, &cpu_engine).has(FlagKind::ForeignProcess),
            "a CPU engine's run has no process of its own on the GPU"
        );
    }

    #[test]
    fn unresolved_windows_are_noted_only_when_present() {
        let mut f = Flags::default();
        f.note_unresolved("nvml:0", 0, 10, 300_000_000);
        assert!(f.is_clean());
        f.note_unresolved("nvml:0", 4, 10, 300_000_000);
        assert!(f.has(FlagKind::EnergyUnresolved));
        assert!(f.reasons()[0].starts_with("nvml:0: 4 of 10 energy windows shorter than 300 ms"));
    }
}
