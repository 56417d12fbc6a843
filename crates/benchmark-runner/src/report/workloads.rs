//! The workload kinds' report lines and tables, for `report.md` and `report.html` alike:
//! offered against achieved send rate (open loop, trace replay) and TTFT by turn of multi-turn
//! conversations or visit of shared-prefix groups.

use std::fmt::Write;

use crate::summary::RunSummary;

/// One engine's TTFT-by-turn (or by-visit) table.
pub(super) struct TurnTable {
    /// "TTFT by turn: LABEL" or "TTFT by visit of the prefix group: LABEL".
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// What a turn (or visit) is.
    pub note: &'static str,
}

/// One line per engine with send times: offered and achieved rate, schedule lag.
pub(super) fn send_rate_lines(summary: &RunSummary) -> Vec<String> {
    summary
        .engines
        .iter()
        .filter_map(|(label, e)| {
            let r = e.arrival_rates.as_ref()?;
            let lag = e.schedule_lag_ms.as_ref().map_or_else(String::new, |s| {
                format!("; schedule lag p50 {:.1} ms, p99 {:.1} ms", s.p50, s.p99)
            });
            Some(format!(
                "Send rate of {label}: offered {:.3} req/s, achieved {:.3} req/s over {} requests{lag}.",
                r.offered_rps, r.achieved_rps, r.requests
            ))
        })
        .collect()
}

/// A TTFT-by-turn table per engine of a multi-turn or shared-prefix run.
pub(super) fn turn_tables(summary: &RunSummary) -> Vec<TurnTable> {
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
    let headers = [
        column,
        "Requests",
        "Prompt tokens mean",
        "TTFT p50 ms",
        "TTFT mean ms",
        "TTFT p90 ms",
        "p50 / first p50",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect::<Vec<_>>();
    summary
        .engines
        .iter()
        .filter(|(_, e)| !e.turns.is_empty())
        .map(|(label, e)| {
            let first = e.turns[0].ttft_ms.p50;
            let rows = e
                .turns
                .iter()
                .map(|t| {
                    vec![
                        t.turn.to_string(),
                        t.ttft_ms.n.to_string(),
                        t.prompt_tokens_mean
                            .map_or_else(|| "-".to_owned(), |p| format!("{p:.0}")),
                        format!("{:.1}", t.ttft_ms.p50),
                        format!("{:.1}", t.ttft_ms.mean),
                        format!("{:.1}", t.ttft_ms.p90),
                        if first > 0.0 {
                            format!("{:.2}", t.ttft_ms.p50 / first)
                        } else {
                            "-".to_owned()
                        },
                    ]
                })
                .collect();
            TurnTable {
                title: format!("{title}: {label}"),
                headers: headers.clone(),
                rows,
                note,
            }
        })
        .collect()
}

/// The send-rate lines, then each engine's TTFT-by-turn table, as markdown.
pub(super) fn workload_sections(out: &mut String, summary: &RunSummary) {
    for line in send_rate_lines(summary) {
        let _ = writeln!(out, "{line}\n");
    }
    for t in turn_tables(summary) {
        let _ = writeln!(
            out,
            "## {}\n\n| {} |\n|{}",
            t.title,
            t.headers.join(" | "),
            "---|".repeat(t.headers.len())
        );
        for row in &t.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        let _ = writeln!(out, "\n{}\n", t.note);
    }
}
