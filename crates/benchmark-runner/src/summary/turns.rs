//! Prefix-cache figures: time to first token by turn index of multi-turn conversations (later
//! turns' prompts open with the earlier turns), and by visit of shared-prefix groups (the first
//! request of a group computes its prefix, later ones can reuse it); so a server's prefix
//! cache shows as later TTFT against the first.

use bench_stats::Summary;
use serde::{Deserialize, Serialize};
use shared_protocol::LoadPattern;

use crate::metrics::{Request, ttft_ms};

/// TTFT of the successful measured requests at one turn index (multi-turn) or visit of their
/// prefix group (shared prefix).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnFigures {
    /// 0-based turn within its conversation, or visit of its prefix group: request `i` of a
    /// shared-prefix run of `G` groups is visit `i / G` of group `i % G`.
    pub turn: u32,
    /// Prompt tokens, mean over the requests with a count.
    pub prompt_tokens_mean: Option<f64>,
    pub ttft_ms: Summary,
}

/// The turn index of each measured request id under a multi-turn load: conversation `c` is
/// the next `turns[c]` ids (as `bench_load` runs them), any ids after the listed
/// conversations are first turns.
pub fn turn_of_request(load: &LoadPattern, n: usize) -> Option<Vec<u32>> {
    let LoadPattern::MultiTurn { turns, .. } = load else {
        return None;
    };
    let mut out = Vec::with_capacity(n);
    for &t in turns {
        out.extend(0..t.max(1));
    }
    out.resize(n.max(out.len()), 0);
    out.truncate(n);
    Some(out)
}

/// TTFT by turn index over `ok` (successful measured requests), turns in order; by visit of
/// the prefix group when `prefix_groups` is given; empty otherwise.
pub fn turn_figures(
    load: Option<&LoadPattern>,
    prefix_groups: Option<u32>,
    ok: &[&Request],
) -> Vec<TurnFigures> {
    let n = ok
        .iter()
        .map(|r| r.request_id as usize + 1)
        .max()
        .unwrap_or(0);
    let turn_of = match prefix_groups {
        Some(g) => Some((0..n).map(|i| (i / g.max(1) as usize) as u32).collect()),
        None => load.and_then(|l| turn_of_request(l, n)),
    };
    let Some(turn_of) = turn_of else {
        return Vec::new();
    };
    let max_turn = turn_of.iter().copied().max().unwrap_or(0);
    (0..=max_turn)
        .filter_map(|turn| {
            let at: Vec<&&Request> = ok
                .iter()
                .filter(|r| turn_of[r.request_id as usize] == turn)
                .collect();
            let ttft: Vec<f64> = at.iter().filter_map(|r| ttft_ms(r)).collect();
            let prompts: Vec<f64> = at
                .iter()
                .filter_map(|r| r.prompt_tokens.map(f64::from))
                .collect();
            Some(TurnFigures {
                turn,
                prompt_tokens_mean: (!prompts.is_empty())
                    .then(|| prompts.iter().sum::<f64>() / prompts.len() as f64),
                ttft_ms: super::stat(ttft)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_protocol::EngineId;

    fn row(id: u64, ttft_ms: u64, prompt: u32) -> Request {
        let mut s = crate::summary::tests::sample(ttft_ms, ttft_ms + 10, 4);
        s.request_id = id;
        s.prompt_tokens = Some(prompt);
        Request::of(0, EngineId::Sim, 0, &s)
    }

    #[test]
    fn turn_indices_follow_the_conversations() {
        let load = LoadPattern::MultiTurn {
            concurrency: 2,
            think_time_ms: 0,
            turns: vec![3, 1, 2],
        };
        assert_eq!(turn_of_request(&load, 6), Some(vec![0, 1, 2, 0, 0, 1]));
        assert_eq!(
            turn_of_request(&load, 8),
            Some(vec![0, 1, 2, 0, 0, 1, 0, 0])
        );
        assert_eq!(
            turn_of_request(&LoadPattern::Closed { concurrency: 1 }, 3),
            None
        );
    }

    #[test]
    fn ttft_by_turn_worked_by_hand() {
        let load = LoadPattern::MultiTurn {
            concurrency: 2,
            think_time_ms: 0,
            turns: vec![3, 1, 2],
        };
        // Turn 0: ids 0, 3, 4 with TTFT 100, 120, 140 ms (mean 120, median 120; prompts 10, 12, 14).
        // Turn 1: ids 1, 5 with 30 and 50 ms (mean 40); turn 2: id 2 with 20 ms.
        let rows = [
            row(0, 100, 10),
            row(1, 30, 40),
            row(2, 20, 80),
            row(3, 120, 12),
            row(4, 140, 14),
            row(5, 50, 30),
        ];
        let ok: Vec<&Request> = rows.iter().collect();
        let t = turn_figures(Some(&load), None, &ok);
        assert_eq!(t.iter().map(|f| f.turn).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(t[0].ttft_ms.n, 3);
        assert!((t[0].ttft_ms.mean - 120.0).abs() < 1e-9);
        assert!((t[0].ttft_ms.p50 - 120.0).abs() < 1e-9);
        assert_eq!(t[0].prompt_tokens_mean, Some(12.0));
        assert!((t[1].ttft_ms.mean - 40.0).abs() < 1e-9);
        assert_eq!(t[1].prompt_tokens_mean, Some(35.0));
        assert_eq!(t[2].ttft_ms.n, 1);
        assert!((t[2].ttft_ms.mean - 20.0).abs() < 1e-9);
        assert!(turn_figures(None, None, &ok).is_empty());
        // Two prefix groups: ids 0, 1 are first visits (100, 30 ms), 2, 3 second (20, 120),
        // 4, 5 third (140, 50).
        let g = turn_figures(None, Some(2), &ok);
        let means: Vec<f64> = g.iter().map(|f| f.ttft_ms.mean).collect();
        assert_eq!(means, [65.0, 70.0, 95.0]);
    }
}
