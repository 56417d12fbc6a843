//! One shard of a run split across machines (`--shard I/N`, `--start-at`): which measured
//! requests it runs, the share of a served engine's load it offers, when it starts measuring,
//! and how late it started.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared_protocol::{LoadPattern, Request};

use super::EnginePlan;
use crate::catalog;
use crate::error::{Failure, usage};
use crate::settings::Settings;

/// Shard `index` of `count`: it measures the requests whose id % `count` == `index` (the same
/// ids and prompts as the unsharded run, so the shards together are exactly its requests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardPlan {
    pub index: u32,
    pub count: u32,
    /// When measuring starts (RFC 3339, UTC), after loading and warming up; `None`: at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    /// The load this shard offers, by engine label, where it differs from the plan's: a share
    /// of a served engine's users, or of its rate with an arrival stream of its own seed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub loads: BTreeMap<String, LoadPattern>,
}

impl ShardPlan {
    /// Whether measured request `id` belongs to this shard.
    pub fn takes(&self, id: u64) -> bool {
        id % u64::from(self.count) == u64::from(self.index)
    }

    /// This shard's share of `requests`, in their order.
    pub fn select(&self, requests: Vec<Request>) -> Vec<Request> {
        requests.into_iter().filter(|r| self.takes(r.id)).collect()
    }

    /// How many of `requests` measured requests (ids 0..requests) this shard runs.
    pub fn share_of(&self, requests: u32) -> u32 {
        let (whole, rest) = (requests / self.count, requests % self.count);
        whole + u32::from(self.index < rest)
    }

    /// The start instant, parsed.
    pub fn start_at(&self) -> Option<jiff::Timestamp> {
        self.start_at.as_deref().and_then(|s| s.parse().ok())
    }
}

/// The shard of the settings, checked against the plan's engines and dataset; `None` when the
/// run is not sharded.
pub fn shard_plan(
    s: &Settings,
    engines: &[EnginePlan],
    dataset: &str,
) -> Result<Option<ShardPlan>, Failure> {
    let Some(spec) = s.shard else {
        if s.start_at.is_some() {
            return Err(usage(
                "--start-at synchronises shards: give --shard I/N with it",
            ));
        }
        return Ok(None);
    };
    let ordered = matches!(
        dataset.parse::<bench_inputs::DatasetSpec>(),
        Ok(bench_inputs::DatasetSpec::Trace { .. } | bench_inputs::DatasetSpec::MultiTurn { .. })
    );
    if ordered && spec.count > 1 {
        return Err(usage(
            "a request trace or multi-turn conversations cannot be sharded: their requests depend on each other's order",
        ));
    }
    let mut loads = BTreeMap::new();
    for e in engines.iter().filter(|e| catalog::entry(e.id).is_served()) {
        // Served engines share one server between shards: each shard offers its share of the
        // load. Other engines run in each shard's own worker, with the whole load each.
        let load = share_load(&e.load, spec.index, spec.count)
            .map_err(|why| usage(format!("engine {}: {why}", e.label)))?;
        if load != e.load {
            loads.insert(e.label.clone(), load);
        }
    }
    Ok(Some(ShardPlan {
        index: spec.index,
        count: spec.count,
        start_at: s.start_at.map(|t| t.0.to_string()),
        loads,
    }))
}

/// Shard `index` of `count`'s share of `load`: closed-loop users split as evenly as possible
/// (the first `users % count` shards one more), an open-loop rate divided by `count` with an
/// arrival seed of the shard's own (a cap on requests in flight divided like users).
pub fn share_load(load: &LoadPattern, index: u32, count: u32) -> Result<LoadPattern, String> {
    if count == 1 {
        return Ok(load.clone());
    }
    let users = |c: u32, what: &str| {
        if c < count {
            Err(format!(
                "{what} {c} cannot be split among {count} shards (each needs at least one); raise it or use fewer shards"
            ))
        } else {
            Ok(c / count + u32::from(index < c % count))
        }
    };
    Ok(match load {
        LoadPattern::Closed { concurrency } => LoadPattern::Closed {
            concurrency: users(*concurrency, "--concurrency")?,
        },
        LoadPattern::Open {
            rate_rps,
            arrival,
            max_concurrency,
            seed,
            ramp_up_s,
        } => LoadPattern::Open {
            rate_rps: rate_rps / f64::from(count),
            arrival: *arrival,
            max_concurrency: max_concurrency
                .map(|m| users(m, "--max-concurrency"))
                .transpose()?,
            seed: shard_seed(*seed, index),
            ramp_up_s: *ramp_up_s,
        },
        LoadPattern::MultiTurn { .. } | LoadPattern::Trace { .. } => {
            return Err("a trace or multi-turn load cannot be sharded".to_owned());
        }
    })
}

/// The arrival seed of shard `index`: the run's seed and the index mixed, so shards draw
/// independent arrival streams that the same seed reproduces.
pub fn shard_seed(seed: u64, index: u32) -> u64 {
    let mut state = seed ^ u64::from(index).wrapping_mul(0xD1B5_4A32_D192_ED03);
    shared_protocol::seed::splitmix64(&mut state)
}

/// When a shard started measuring against the instant it was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRecord {
    /// The instant asked for (RFC 3339, UTC).
    pub start_at: String,
    /// How long the shard waited after its warm-up (0: the instant had already passed).
    pub waited_ns: u64,
    /// How long after the instant measuring started.
    pub late_ns: u64,
}

/// Starting this much after the instant is reported as late.
pub const LATE_AFTER: Duration = Duration::from_millis(100);

impl StartRecord {
    /// A reader's warning when the shard started late, `None` when it started on time.
    pub fn warning(&self) -> Option<String> {
        (self.late_ns > LATE_AFTER.as_nanos() as u64).then(|| {
            format!(
                "measuring started {:.3} s after --start-at {}{}",
                self.late_ns as f64 / 1e9,
                self.start_at,
                if self.waited_ns == 0 {
                    " (it had passed when loading and warm-up finished)"
                } else {
                    ""
                }
            )
        })
    }
}

/// Wait until `at` on the wall clock (outside any timed region: after the warm-up, before the
/// first measured request), and say how long it waited and how late it woke.
pub async fn wait_until(at: jiff::Timestamp) -> StartRecord {
    let ahead = at.duration_since(jiff::Timestamp::now());
    let mut waited_ns = 0;
    if ahead.is_positive() {
        let ahead = Duration::try_from(ahead).unwrap_or_default();
        // Sleep to just before the instant, then poll the wall clock: a timer on the
        // monotonic clock would miss a wall-clock step (NTP) made while waiting.
        let started = std::time::Instant::now();
        if let Some(coarse) = ahead.checked_sub(Duration::from_millis(20)) {
            tokio::time::sleep(coarse).await;
        }
        while jiff::Timestamp::now() < at {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        waited_ns = started.elapsed().as_nanos() as u64;
    }
    let late = jiff::Timestamp::now().duration_since(at);
    StartRecord {
        start_at: at.to_string(),
        waited_ns,
        late_ns: Duration::try_from(late).map_or(0, |d| d.as_nanos() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_protocol::Arrival;

    fn shard(index: u32, count: u32) -> ShardPlan {
        ShardPlan {
            index,
            count,
            start_at: None,
            loads: BTreeMap::new(),
        }
    }

    #[test]
    fn shards_split_request_ids_by_remainder() {
        // 7 requests, ids 0..7, over 3 shards: 0 3 6 | 1 4 | 2 5.
        let ids = |s: &ShardPlan| (0..7).filter(|&i| s.takes(i)).collect::<Vec<u64>>();
        assert_eq!(ids(&shard(0, 3)), [0, 3, 6]);
        assert_eq!(ids(&shard(1, 3)), [1, 4]);
        assert_eq!(ids(&shard(2, 3)), [2, 5]);
        assert_eq!(
            (0..3).map(|i| shard(i, 3).share_of(7)).collect::<Vec<_>>(),
            [3, 2, 2]
        );
        assert_eq!(
            ids(&shard(0, 1)),
            (0..7).collect::<Vec<_>>(),
            "0/1 is the whole run"
        );
    }

    #[test]
    fn users_split_as_evenly_as_possible_and_never_to_zero() {
        let closed = LoadPattern::Closed { concurrency: 10 };
        let users: Vec<u32> = (0..4)
            .map(|i| match share_load(&closed, i, 4) {
                Ok(LoadPattern::Closed { concurrency }) => concurrency,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(users, [3, 3, 2, 2]);
        let e = share_load(&LoadPattern::Closed { concurrency: 3 }, 0, 4).expect_err("3 < 4");
        assert!(
            e.contains("--concurrency 3 cannot be split among 4 shards"),
            "{e}"
        );
        assert_eq!(share_load(&closed, 0, 1), Ok(closed.clone()));
    }

    #[test]
    fn an_open_loop_shard_sends_its_share_of_the_rate_on_its_own_stream() {
        let open = LoadPattern::Open {
            rate_rps: 8.0,
            arrival: Arrival::Poisson,
            max_concurrency: None,
            seed: 5,
            ramp_up_s: 0.0,
        };
        let of = |i| match share_load(&open, i, 2) {
            Ok(LoadPattern::Open { rate_rps, seed, .. }) => (rate_rps, seed),
            other => panic!("{other:?}"),
        };
        let ((r0, s0), (r1, s1)) = (of(0), of(1));
        assert!((r0 - 4.0).abs() < 1e-12 && (r1 - 4.0).abs() < 1e-12);
        assert_ne!(s0, s1, "each shard draws its own arrivals");
        assert_ne!(s0, 5);
        assert_eq!(of(0), (r0, shard_seed(5, 0)), "reproducible");
    }

    #[test]
    fn a_late_start_is_a_warning_and_a_timely_one_is_not() {
        let on_time = StartRecord {
            start_at: "2026-05-01T12:00:00Z".to_owned(),
            waited_ns: 2_000_000_000,
            late_ns: 1_000_000,
        };
        assert_eq!(on_time.warning(), None);
        let late = StartRecord {
            waited_ns: 0,
            late_ns: 2_500_000_000,
            ..on_time
        };
        assert_eq!(
            late.warning().as_deref(),
            Some(
                "measuring started 2.500 s after --start-at 2026-05-01T12:00:00Z (it had passed when loading and warm-up finished)"
            )
        );
    }
}
