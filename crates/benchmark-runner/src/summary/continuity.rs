//! Whether the run went in one piece: an interruption, planned slots that never finished, each
//! resume and where it continued, torn last lines set aside while reading.

use serde::{Deserialize, Serialize};

use crate::columns::Columns;
use crate::manifest::Manifest;
use crate::manifest::continuity::{Interruption, Resumption};
use crate::store::EngineRun;

/// A run that was interrupted, left slots unfinished, was resumed, or had a torn last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuity {
    /// `false` when the run was interrupted or a planned slot has no record in `runs.jsonl`:
    /// the figures are made from what exists.
    pub complete: bool,
    /// The signal that stopped the run, when the runner could say so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<Interruption>,
    /// Planned slots (`REPETITION:LABEL`) that never finished.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_slots: Vec<String>,
    /// Each `compare --resume`, in order, and where it continued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resumed: Vec<Resumption>,
    /// Files whose torn last line (a writer killed mid-line) was set aside, not read as data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub torn_lines: Vec<String>,
}

/// The run's continuity, or `None` when it ran in one piece with every slot finished.
pub fn continuity(manifest: &Manifest, runs: &[EngineRun], rows: &Columns) -> Option<Continuity> {
    let missing_slots: Vec<String> = manifest
        .plan
        .order
        .iter()
        .filter(|slot| {
            !runs
                .iter()
                .any(|r| r.label == slot.label && r.repetition == slot.repetition)
        })
        .map(|slot| format!("{}:{}", slot.repetition, slot.label))
        .collect();
    let c = Continuity {
        complete: manifest.interrupted.is_none() && missing_slots.is_empty(),
        interrupted: manifest.interrupted.clone(),
        missing_slots,
        resumed: manifest.resumes.clone(),
        torn_lines: rows.torn_lines.clone(),
    };
    let plain = c.complete && c.resumed.is_empty() && c.torn_lines.is_empty();
    (!plain).then_some(c)
}
