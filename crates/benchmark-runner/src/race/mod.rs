//! `race`: engines generating the same prompt, shown side by side. A race is a demonstration,
//! never a measurement: one request per engine, replayed at the speed the worker timed it.
//!
//! - [`mode`]: whether the engines may run at once (a pure decision over what each is timed on);
//! - [`run`]: one request per engine through the usual workers, reported as [`Event`]s;
//! - [`replay`]: a finished request as a timeline of revealed tokens;
//! - [`summary`]: the plain summary printed without a terminal; [`view`]: the terminal view.

pub mod mode;
pub mod replay;
pub mod run;
pub mod summary;
pub mod view;

use shared_protocol::{EngineId, Outcome, Sample};

use replay::Timeline;

/// What every race says of its figures.
pub const BANNER: &str = "race: a demonstration, not a measurement";

/// A change in one engine's race, by its index in the plan.
#[derive(Debug, Clone)]
pub enum Event {
    /// The engine's worker is starting (loading, then generating).
    Started(usize),
    /// Its request finished (the sample, failed or not), or its worker failed.
    Finished(usize, Result<Box<Sample>, String>),
}

/// Where one engine's race stands.
#[derive(Debug, Clone, PartialEq)]
pub enum LaneState {
    Waiting,
    Running,
    Finished(Box<Timeline>),
    Failed(String),
}

/// One engine in the race.
#[derive(Debug, Clone)]
pub struct Lane {
    pub label: String,
    pub engine: EngineId,
    pub state: LaneState,
    /// The finished request as the worker returned it.
    pub sample: Option<Sample>,
}

impl Lane {
    /// A lane not started yet.
    pub fn new(label: String, engine: EngineId) -> Lane {
        Lane {
            label,
            engine,
            state: LaneState::Waiting,
            sample: None,
        }
    }

    /// Whether the engine is done, one way or the other.
    pub fn is_done(&self) -> bool {
        matches!(self.state, LaneState::Finished(_) | LaneState::Failed(_))
    }

    /// Its replay, when it finished successfully.
    pub fn timeline(&self) -> Option<&Timeline> {
        match &self.state {
            LaneState::Finished(t) => Some(t),
            _ => None,
        }
    }
}

/// Apply `event` to `lanes`; `decode` turns generated ids into text.
pub fn apply(lanes: &mut [Lane], event: Event, decode: &dyn Fn(&[u32]) -> Option<String>) {
    match event {
        Event::Started(i) => {
            if let Some(lane) = lanes.get_mut(i) {
                lane.state = LaneState::Running;
            }
        }
        Event::Finished(i, result) => {
            let Some(lane) = lanes.get_mut(i) else {
                return;
            };
            lane.state = match &result {
                Ok(sample) => match &sample.outcome {
                    Outcome::Ok => LaneState::Finished(Box::new(replay::timeline(sample, decode))),
                    Outcome::Failed { message, .. } => LaneState::Failed(message.clone()),
                },
                Err(message) => LaneState::Failed(message.clone()),
            };
            lane.sample = result.ok().map(|s| *s);
        }
    }
}

/// Finish order over `lanes` (indices, first to finish first).
pub fn finish_order(lanes: &[Lane]) -> Vec<usize> {
    let lines: Vec<Option<&Timeline>> = lanes.iter().map(Lane::timeline).collect();
    replay::finish_order(&lines)
}

/// Nanoseconds until the last engine has finished its replay.
pub fn replay_end_ns(lanes: &[Lane]) -> u64 {
    lanes
        .iter()
        .filter_map(Lane::timeline)
        .map(|t| t.end_ns)
        .max()
        .unwrap_or(0)
}
