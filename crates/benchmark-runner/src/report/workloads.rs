//! `report.md` lines of the workload kinds: offered against achieved send rate (open loop,
//! trace replay) and TTFT by turn of multi-turn conversations or visit of shared-prefix groups.

use std::fmt::Write;

use crate::summary::RunSummary;

/// One line per engine with send times, then a TTFT-by-turn table per engine of a multi-turn
/// or shared-prefix run.
pub(super) fn workload_sections(out: &mut String, summary: &RunSummary) {
    for (label, e) in &summary.engines {
        let Some(r) = &e.arrival_rates else {
            continue;
        };
        let lag = e.schedule_lag_ms.as_ref().map_or_else(String::new, |s| {
            format!("; schedule lag p50 {:.1} ms, p99 {:.1} ms", s.p50, s.p99)
        });
        let _ = writeln!(
            out,
            "Send rate of {label}: offered {:.3} req/s, achieved {:.3} req/s over {} requests{lag}.\n",
            r.offered_rps, r.achieved_rps, r.requests
        );
    }
    let groups =
        summary.engines.values().next().is_some_and(|e| {
            !matches!(e.load, Some(shared_protocol::LoadPattern::MultiTurn { .. }))
        });
    let (title, column, note) = if groups {
        (
            "TTFT by visit of the prefix group",
            "Visit",
            "Request i of G groups is visit i / G of group i % G; visit 0 computes the group's prefix, later visits can reuse it from a prefix cache.",
        )
    } else {
        (
            "TTFT by turn",
            "Turn",
            "Turn k is sent with turns 0..k and their answers as recorded in the dataset; with a prefix cache its prompt's opening is already computed.",
        )
    };
    for (label, e) in summary.engines.iter().filter(|(_, e)| !e.turns.is_empty()) {
        let _ = writeln!(
            out,
            "## {title}: {label}\n\n| {column} | Requests | Prompt tokens mean | TTFT p50 ms | TTFT mean ms | TTFT p90 ms | p50 / first p50 |\n|---|---|---|---|---|---|---|"
        );
        let first = e.turns[0].ttft_ms.p50;
        for t in &e.turns {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {} |",
                t.turn,
                t.ttft_ms.n,
                t.prompt_tokens_mean
                    .map_or_else(|| "-".to_owned(), |p| format!("{p:.0}")),
                t.ttft_ms.p50,
                t.ttft_ms.mean,
                t.ttft_ms.p90,
                if first > 0.0 {
                    format!("{:.2}", t.ttft_ms.p50 / first)
                } else {
                    "-".to_owned()
                },
            );
        }
        let _ = writeln!(out, "\n{note}\n");
    }
}
