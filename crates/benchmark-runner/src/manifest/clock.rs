//! Where a run's monotonic timestamps sit on the wall clock ([`ClockAnchor`]), and what a merged
//! run records of each shard it joins ([`MergedShard`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The wall clock (UTC) and the host's monotonic clock read back to back when the run started:
/// a sample's `*_mono_ns` is at `utc_ns + (mono - mono_ns)` on the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockAnchor {
    /// Nanoseconds since the Unix epoch, UTC.
    pub utc_ns: i64,
    /// The host monotonic clock (`CLOCK_MONOTONIC`, as samples are timed) at that instant: the
    /// midpoint of two readings taken either side of the wall-clock reading.
    pub mono_ns: u64,
    /// The time between those two monotonic readings: how closely the two clocks are tied.
    pub read_ns: u64,
}

impl ClockAnchor {
    /// Read both clocks now.
    pub fn now() -> ClockAnchor {
        let before = telemetry::mono_ns();
        let utc = jiff::Timestamp::now().as_nanosecond();
        let after = telemetry::mono_ns();
        ClockAnchor {
            utc_ns: i64::try_from(utc).unwrap_or(i64::MAX),
            mono_ns: before + (after - before) / 2,
            read_ns: after - before,
        }
    }

    /// The wall clock minus the monotonic clock, in nanoseconds.
    pub fn wall_minus_mono_ns(&self) -> i64 {
        self.utc_ns
            .saturating_sub(i64::try_from(self.mono_ns).unwrap_or(i64::MAX))
    }
}

/// One shard joined into a merged run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedShard {
    /// The shard's results directory, as given to `merge`.
    pub dir: PathBuf,
    /// The shard's host name, where known.
    pub host: Option<String>,
    pub index: u32,
    /// Added to the shard's monotonic timestamps to put them on the merged run's axis (shard
    /// 0's monotonic clock), from the two shards' clock anchors: exact only as far as the
    /// hosts' wall clocks agree (NTP).
    pub clock_offset_ns: i64,
    /// How late the shard started measuring after `--start-at`, where it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_ns: Option<u64>,
}
