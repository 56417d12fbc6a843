//! A finished request replayed at true speed: each token revealed at TTFT plus the inter-token
//! gaps before it, as the worker timed them. The race view draws from this, never from live
//! timings, so streaming to the terminal stays out of every timed region.

use shared_protocol::Sample;

use crate::metrics;

/// The stream as it stood after one chunk (in-process engines: one token).
#[derive(Debug, Clone, PartialEq)]
pub struct Reveal {
    /// Since submission.
    pub at_ns: u64,
    /// Tokens generated so far.
    pub tokens: u32,
    /// Text generated so far.
    pub text: String,
}

/// One engine's request as a replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub reveals: Vec<Reveal>,
    pub ttft_ns: Option<u64>,
    /// Submission to the last token (or the failure): where the engine finishes.
    pub end_ns: u64,
    pub ok: bool,
    /// The request's decode rate as `docs/metrics.md` defines it ([`metrics::decode_tok_s`]).
    pub decode_tok_s: Option<f64>,
}

/// The replay of `sample`. Token text comes from `decode` over the generated ids where the
/// worker gave ids and `decode` reads them, else from the returned text spread over the
/// tokens in proportion, else there is none.
pub fn timeline(sample: &Sample, decode: &dyn Fn(&[u32]) -> Option<String>) -> Timeline {
    let request = metrics::Request::of(0, shared_protocol::EngineId::Sim, 0, sample);
    let mut line = Timeline {
        reveals: Vec::new(),
        ttft_ns: sample.ttft_ns,
        end_ns: sample.e2e_ns,
        ok: sample.outcome.is_ok(),
        decode_tok_s: metrics::decode_tok_s(&request),
    };
    let Some(ttft) = sample.ttft_ns else {
        return line;
    };
    // Tokens per chunk: HTTP chunks after the first carry `tokens_per_chunk`; the first carries
    // the rest of the count. In-process: one token each.
    let counts: Vec<u32> = match &sample.tokens_per_chunk {
        Some(after) if after.len() == sample.itl_ns.len() => {
            let rest: u32 = after.iter().sum();
            std::iter::once(sample.completion_tokens.saturating_sub(rest).max(1))
                .chain(after.iter().copied())
                .collect()
        }
        _ => vec![1; sample.itl_ns.len() + 1],
    };
    let total: u32 = counts.iter().sum();
    let ids = sample
        .output_token_ids
        .as_deref()
        .filter(|ids| !ids.is_empty() && decode(ids).is_some());
    let text_after = |tokens: u32| -> String {
        if let Some(ids) = ids {
            let n = (tokens as usize).min(ids.len());
            return decode(&ids[..n]).unwrap_or_default();
        }
        let Some(text) = sample.output_text.as_deref() else {
            return String::new();
        };
        let chars = text.chars().count() as u64;
        let shown = if tokens >= total {
            chars
        } else {
            chars * u64::from(tokens) / u64::from(total.max(1))
        };
        text.chars().take(shown as usize).collect()
    };
    let mut at_ns = ttft;
    let mut tokens = 0;
    for (i, count) in counts.iter().enumerate() {
        if i > 0 {
            at_ns += sample.itl_ns[i - 1];
        }
        tokens += count;
        line.reveals.push(Reveal {
            at_ns,
            tokens,
            text: text_after(tokens),
        });
    }
    line
}

/// How one engine stands `t_ns` into the replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing<'a> {
    pub tokens: u32,
    pub text: &'a str,
    /// Shown once the first token is out.
    pub ttft_ns: Option<u64>,
    pub finished: bool,
    /// Tokens after the first chunk over the time since it, up to the latest token; once
    /// finished, the request's decode tok/s.
    pub tok_s: Option<f64>,
}

impl Timeline {
    /// The stream as it stood `t_ns` after submission.
    pub fn at(&self, t_ns: u64) -> Standing<'_> {
        let shown = self.reveals.partition_point(|r| r.at_ns <= t_ns);
        let finished = t_ns >= self.end_ns;
        let latest = shown.checked_sub(1).map(|i| &self.reveals[i]);
        let live_rate = latest.and_then(|last| {
            let first = &self.reveals[0];
            let span_ns = last.at_ns.checked_sub(first.at_ns).filter(|&s| s > 0)?;
            Some(f64::from(last.tokens - first.tokens) / (span_ns as f64 / 1e9))
        });
        Standing {
            tokens: latest.map_or(0, |r| r.tokens),
            text: latest.map_or("", |r| r.text.as_str()),
            ttft_ns: self.ttft_ns.filter(|&t| t <= t_ns),
            finished,
            tok_s: if finished && self.ok {
                self.decode_tok_s
            } else {
                live_rate
            },
        }
    }
}

/// Indices of the engines that finished successfully, first to finish first (ties by index);
/// a failed engine has no place.
pub fn finish_order(lines: &[Option<&Timeline>]) -> Vec<usize> {
    let mut done: Vec<(u64, usize)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.filter(|l| l.ok).map(|l| (l.end_ns, i)))
        .collect();
    done.sort_unstable();
    done.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
