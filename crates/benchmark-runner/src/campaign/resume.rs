//! What a resume checks: the campaign file given now against the one the directory records,
//! the difference named by hash and by the first experiment that differs.

use serde_json::json;

use super::Campaign;
use super::grid::Experiment;
use super::record::{CampaignManifest, record_of};
use crate::manifest::continuity::{first_difference, plan_difference};

/// Why `now` (expanded into `now_experiments`) cannot continue the campaign `m` records, whose
/// file expands into `recorded_experiments`; `None` when it is the same file.
pub fn difference(
    m: &CampaignManifest,
    recorded_experiments: &[Experiment],
    now: &Campaign,
    now_experiments: &[Experiment],
) -> Option<String> {
    if m.campaign_sha256 == now.sha256 {
        return None;
    }
    let hashes = format!(
        "the campaign file changed (sha256 {} recorded, {} now)",
        short(&m.campaign_sha256),
        short(&now.sha256)
    );
    let first = recorded_experiments
        .iter()
        .map(Some)
        .chain(std::iter::repeat(None))
        .zip(
            now_experiments
                .iter()
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .take(recorded_experiments.len().max(now_experiments.len()))
        .find_map(|pair| match pair {
            (Some(a), Some(b)) => experiment_difference(a, b),
            (Some(a), None) => Some(format!("experiment {} is gone", a.id)),
            (None, Some(b)) => Some(format!("experiment {} is new", b.id)),
            (None, None) => None,
        });
    let detail = first.unwrap_or_else(|| {
        let recorded = Campaign::parse(&m.campaign_text).ok();
        let outline = |c: &Campaign| {
            json!({
                "order": c.file.order,
                "cycles": c.file.cycles,
                "seed": c.file.seed,
                "cooldown": c.cooldown,
            })
        };
        recorded
            .and_then(|r| first_difference("campaign", &outline(&r), &outline(now)))
            .unwrap_or_else(|| "no experiment differs (comments or layout changed)".to_owned())
    });
    Some(format!("{hashes}: {detail}"))
}

/// The first difference between two experiments at the same place of the grid.
fn experiment_difference(a: &Experiment, b: &Experiment) -> Option<String> {
    let (ra, rb) = (record_of(a), record_of(b));
    if ra == rb
        && let (Some(pa), Some(pb)) = (&a.plan, &b.plan)
    {
        return plan_difference(pa, pb)
            .map(|d| format!("first differing experiment {}: {d}", a.id));
    }
    let va = serde_json::to_value(&ra).unwrap_or_default();
    let vb = serde_json::to_value(&rb).unwrap_or_default();
    first_difference("experiment", &va, &vb)
        .map(|d| format!("first differing experiment {}: {d}", a.id))
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
