//! Served engines: where each completion-token count came from and whether the sources agree,
//! and the change of the server's own metrics.

use std::collections::BTreeMap;

use crate::metrics::Request;
use serde::{Deserialize, Serialize};

use crate::store::EngineRun;

/// Completion-token counts from several sources, side by side.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TokenCountCheck {
    /// Source of the `completion_tokens` figures, by number of requests.
    pub sources: BTreeMap<String, u64>,
    /// Requests with both a server count and a tokenizer count, and how many of those differ.
    pub server_vs_tokenizer: (u64, u64),
    /// Requests with both a server count and a chunk count, and how many of those differ.
    pub server_vs_chunks: (u64, u64),
}

/// Compare the token counts a worker reported from different sources (served engines).
pub fn token_count_check(ok: &[&Request]) -> Option<TokenCountCheck> {
    let mut check = TokenCountCheck::default();
    let mut any = false;
    for s in ok {
        let c = &s.token_counts;
        if c.server_completion.is_none() && c.chunks.is_none() && c.tokenizer_completion.is_none() {
            continue;
        }
        any = true;
        let source = serde_json::to_value(s.completion_tokens_source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        *check.sources.entry(source).or_default() += 1;
        if let (Some(a), Some(b)) = (c.server_completion, c.tokenizer_completion) {
            check.server_vs_tokenizer.0 += 1;
            check.server_vs_tokenizer.1 += u64::from(a != b);
        }
        if let (Some(a), Some(b)) = (c.server_completion, c.chunks) {
            check.server_vs_chunks.0 += 1;
            check.server_vs_chunks.1 += u64::from(a != b);
        }
    }
    any.then_some(check)
}

/// The server-metric deltas of every repetition, summed series by series.
pub fn server_metrics(runs: &[&EngineRun]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    let mut any = false;
    for m in runs.iter().filter_map(|r| r.server_metrics.as_ref()) {
        any = true;
        for (k, v) in m {
            *sums.entry(k).or_default() += v.as_f64().unwrap_or(0.0);
        }
    }
    any.then(|| {
        sums.into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
            .collect()
    })
}
