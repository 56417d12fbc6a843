//! The race as plain text: the banner, how the engines ran, one row per engine in finish order
//! (TTFT, tokens, decode tok/s, end to end), the winner, and the start of each engine's text.

use std::fmt::Write;

use super::mode::Decision;
use super::{BANNER, Lane, LaneState};

/// Characters of each engine's text the summary shows.
const TEXT_CHARS: usize = 72;

/// `text` on one line, at most `max` characters (an ellipsis marks a cut).
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.chars().count() <= max {
        flat.to_owned()
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The plain summary of a finished (or abandoned) race.
pub fn plain(lanes: &[Lane], decision: &Decision, prompt: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{BANNER} (one request per engine; nothing written to results unless --out is given)"
    );
    let _ = writeln!(out, "mode: {}", decision.line());
    let _ = writeln!(out, "prompt: {}", one_line(prompt, TEXT_CHARS));
    let _ = writeln!(out);
    let width = lanes
        .iter()
        .map(|l| l.label.chars().count())
        .max()
        .unwrap_or(0)
        .max("engine".len());
    let _ = writeln!(
        out,
        "{:<5}  {:<width$}  {:>9}  {:>6}  {:>8}  {:>9}",
        "place", "engine", "TTFT ms", "tokens", "tok/s", "total ms"
    );
    let order = super::finish_order(lanes);
    let unplaced = (0..lanes.len()).filter(|i| !order.contains(i));
    for i in order.iter().copied().chain(unplaced) {
        let lane = &lanes[i];
        let place = order
            .iter()
            .position(|&o| o == i)
            .map_or_else(|| "-".to_owned(), |p| (p + 1).to_string());
        let figures = match &lane.state {
            LaneState::Finished(t) => {
                let end = t.at(t.end_ns);
                format!(
                    "{:>9}  {:>6}  {:>8}  {:>9.1}",
                    t.ttft_ns
                        .map_or_else(|| "-".to_owned(), |n| format!("{:.1}", n as f64 / 1e6)),
                    end.tokens,
                    t.decode_tok_s
                        .map_or_else(|| "-".to_owned(), |r| format!("{r:.1}")),
                    t.end_ns as f64 / 1e6
                )
            }
            LaneState::Failed(message) => format!("failed: {}", one_line(message, TEXT_CHARS)),
            LaneState::Waiting | LaneState::Running => "did not finish".to_owned(),
        };
        let _ = writeln!(out, "{place:<5}  {:<width$}  {figures}", lane.label);
    }
    let _ = writeln!(out);
    match order.first() {
        Some(&w) => {
            let _ = writeln!(out, "winner: {}", lanes[w].label);
        }
        None => {
            let _ = writeln!(out, "winner: none (no engine finished)");
        }
    }
    for lane in lanes {
        if let Some(t) = lane.timeline() {
            let text = t.reveals.last().map_or("", |r| r.text.as_str());
            let _ = writeln!(out, "{}: {}", lane.label, one_line(text, TEXT_CHARS));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use shared_protocol::{EngineId, Outcome, Phase, Sample};

    use super::*;
    use crate::race::mode::Mode;
    use crate::race::{Event, apply};

    const MS: u64 = 1_000_000;

    fn sample(ttft_ms: u64, itl_ms: &[u64], e2e_ms: u64, ids: Vec<u32>) -> Sample {
        Sample {
            ttft_ns: Some(ttft_ms * MS),
            itl_ns: itl_ms.iter().map(|m| m * MS).collect(),
            completion_tokens: ids.len() as u32,
            output_token_ids: Some(ids),
            ..Sample::new(0, Phase::Measure, Outcome::Ok, 0, e2e_ms * MS)
        }
    }

    /// Token id n decodes to "w{n} ".
    fn words(ids: &[u32]) -> Option<String> {
        let text = ids.iter().fold(String::new(), |mut s, i| {
            let _ = write!(s, "w{i} ");
            s
        });
        (!text.is_empty()).then_some(text)
    }

    #[test]
    fn rows_follow_the_finish_order_with_figures_worked_by_hand() {
        let mut lanes = vec![
            Lane::new("lm-rs".into(), EngineId::LmRs),
            Lane::new("sim".into(), EngineId::Sim),
            Lane::new("candle".into(), EngineId::Candle),
        ];
        // lm-rs: TTFT 120 ms, 3 tokens, e2e 200 ms: (3 - 1) / 0.080 s = 25 tok/s.
        apply(
            &mut lanes,
            Event::Finished(0, Ok(Box::new(sample(120, &[40, 40], 200, vec![1, 2, 3])))),
            &words,
        );
        // sim: TTFT 20 ms, 2 tokens, e2e 30 ms: (2 - 1) / 0.010 s = 100 tok/s; finishes first.
        apply(
            &mut lanes,
            Event::Finished(1, Ok(Box::new(sample(20, &[10], 30, vec![7, 8])))),
            &words,
        );
        apply(
            &mut lanes,
            Event::Finished(2, Err("worker candle-bench died".into())),
            &words,
        );
        let decision = Decision {
            mode: Mode::OneAfterAnother,
            reason: "lm-rs and candle are both timed on this host's CPU cores".into(),
        };
        let text = plain(&lanes, &decision, "What is\n2 + 2?");
        let expected = "\
race: a demonstration, not a measurement (one request per engine; nothing written to results unless --out is given)
mode: ran one after another, replayed side by side at true speed: lm-rs and candle are both timed on this host's CPU cores
prompt: What is 2 + 2?

place  engine    TTFT ms  tokens     tok/s   total ms
1      sim          20.0       2     100.0       30.0
2      lm-rs       120.0       3      25.0      200.0
-      candle  failed: worker candle-bench died

winner: sim
lm-rs: w1 w2 w3
sim: w7 w8
";
        assert_eq!(text, expected);
    }

    #[test]
    fn long_text_is_cut_on_one_line() {
        assert_eq!(one_line("ab\ncd  ", 10), "ab cd");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
    }
}
