//! Loads a dataset sets itself: a trace's arrival times, scaled, as the send times of the
//! run's requests (`trace:PATH`); conversations' turns in order with a think time
//! (`multiturn:PATH`).

use bench_inputs::DatasetSpec;
use shared_protocol::LoadPattern;

use crate::error::{Failure, usage};

/// Load points: a label suffix and a load each.
pub(super) type Points = Vec<(Option<String>, LoadPattern)>;

/// The trace-replay load point when `dataset` names a trace, else `None`. Measured requests are
/// the trace's first `requests` rows in arrival order, warm-up ones the `warmup` rows after
/// them, so the trace must hold `requests + warmup` rows.
pub(super) fn trace_load(
    dataset: &str,
    requests: u32,
    warmup: u32,
    max_concurrency: Option<u32>,
) -> Result<Option<LoadPattern>, Failure> {
    let Ok(DatasetSpec::Trace {
        path, time_scale, ..
    }) = dataset.parse::<DatasetSpec>()
    else {
        return Ok(None);
    };
    let rows = bench_inputs::dataset::read_trace(&path).map_err(|e| usage(e.to_string()))?;
    let need = (requests + warmup) as usize;
    if rows.len() < need {
        return Err(usage(format!(
            "--dataset {dataset}: the trace has {} rows, fewer than --requests {requests} plus --warmup {warmup}",
            rows.len()
        )));
    }
    Ok(Some(LoadPattern::Trace {
        offsets_ns: bench_inputs::dataset::trace_offsets_ns(&rows[..need], time_scale),
        time_scale,
        max_concurrency,
    }))
}

/// The multi-turn load points (one per `--concurrency` level, default 1) when `dataset` names
/// conversations, else `None`: the turns of the conversations the measured requests cover.
pub(super) fn multiturn_loads(
    dataset: &str,
    requests: u32,
    concurrency: Option<&[u32]>,
) -> Result<Option<Points>, Failure> {
    let Ok(DatasetSpec::MultiTurn {
        path,
        max_turns,
        think_time_ms,
    }) = dataset.parse::<DatasetSpec>()
    else {
        return Ok(None);
    };
    let all = bench_inputs::dataset::multiturn_turns(&path, max_turns)
        .map_err(|e| usage(e.to_string()))?;
    let mut turns = Vec::new();
    let mut left = requests;
    for t in all {
        if left == 0 {
            break;
        }
        turns.push(t.min(left));
        left -= t.min(left);
    }
    let levels = concurrency.map_or_else(|| vec![1], <[u32]>::to_vec);
    levels
        .iter()
        .map(|&c| {
            if c == 0 {
                return Err(usage("--concurrency must be at least 1"));
            }
            Ok((
                Some(format!("c{c}")),
                LoadPattern::MultiTurn {
                    concurrency: c,
                    think_time_ms,
                    turns: turns.clone(),
                },
            ))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
