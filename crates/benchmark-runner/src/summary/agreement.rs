//! Did the engines do the same work? Prompt token counts and, under greedy decoding, the
//! generated ids of each engine against the reference engine, request by request.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::columns::Columns;
use crate::metrics::Request;
use crate::plan::Plan;

/// One engine's work compared with the reference engine's, over requests both completed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agreement {
    pub engine: String,
    pub reference: String,
    /// Requests compared (same id and repetition, both successful).
    pub requests: u64,
    /// Requests whose prompt token counts differ.
    pub prompt_tokens_differ: u64,
    /// Requests with generated ids on both sides, and how many match exactly.
    pub outputs_compared: u64,
    pub outputs_identical: u64,
    /// Mean length of the common prefix of generated ids, in tokens.
    pub mean_common_prefix: Option<f64>,
    /// The first [`DIVERGENCES_LISTED`] request ids (first repetition, in id order) whose outputs
    /// differ, with the first differing position; `outputs_compared - outputs_identical` counts
    /// them all.
    pub first_divergence: Vec<(u64, usize)>,
}

/// How many differing requests an agreement lists by id, so a summary stays small at any size.
pub const DIVERGENCES_LISTED: usize = 100;

/// Each engine against the first engine of the plan, request by request.
pub fn agreement(plan: &Plan, rows: &Columns) -> Vec<Agreement> {
    let labels = plan.labels();
    let Some((reference, others)) = labels.split_first() else {
        return Vec::new();
    };
    // Each label's requests by (repetition, request id), ascending; a key seen twice keeps its
    // last request.
    let by_key = |label: &str| -> Vec<((u32, u64), &Request)> {
        let mut keyed: Vec<((u32, u64), &Request)> = rows
            .ok_measured(label)
            .into_iter()
            .rev()
            .map(|r| ((r.repetition, r.request_id), r))
            .collect();
        keyed.sort_by_key(|(key, _)| *key);
        keyed.dedup_by_key(|(key, _)| *key);
        keyed
    };
    // Every label's requests keyed on all cores, then each engine compared on all cores.
    let mut keyed: Vec<_> = labels.par_iter().map(|l| by_key(l)).collect();
    let others_keyed = keyed.split_off(1);
    let base = &keyed[0];
    others
        .par_iter()
        .zip(others_keyed)
        .filter_map(|(other, keyed)| against(rows, reference, base, other, keyed))
        .collect()
}

/// `other`'s requests (`keyed`) against the reference's (`base`), both keyed by (repetition,
/// request id) ascending; `None` when no request was completed by both.
fn against(
    rows: &Columns,
    reference: &str,
    base: &[((u32, u64), &Request)],
    other: &str,
    keyed: Vec<((u32, u64), &Request)>,
) -> Option<Agreement> {
    let mut a = Agreement {
        engine: other.to_owned(),
        reference: reference.to_owned(),
        requests: 0,
        prompt_tokens_differ: 0,
        outputs_compared: 0,
        outputs_identical: 0,
        mean_common_prefix: None,
        first_divergence: Vec::new(),
    };
    let mut prefix_sum = 0usize;
    for (key, s) in keyed {
        let Ok(at) = base.binary_search_by_key(&key, |(k, _)| *k) else {
            continue;
        };
        let r = base[at].1;
        a.requests += 1;
        if let (Some(x), Some(y)) = (s.prompt_tokens, r.prompt_tokens) {
            a.prompt_tokens_differ += u64::from(x != y);
        }
        if let (Some(x), Some(y)) = (rows.output_ids(s), rows.output_ids(r)) {
            a.outputs_compared += 1;
            let common = x.iter().zip(y).take_while(|(p, q)| p == q).count();
            prefix_sum += common;
            if x == y {
                a.outputs_identical += 1;
            } else if key.0 == 0 && a.first_divergence.len() < DIVERGENCES_LISTED {
                a.first_divergence.push((key.1, common));
            }
        }
    }
    if a.outputs_compared > 0 {
        a.mean_common_prefix = Some(prefix_sum as f64 / a.outputs_compared as f64);
    }
    (a.requests > 0).then_some(a)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn lists_the_first_divergences_and_counts_them_all() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
        let manifest = crate::manifest::read(&dir).expect("the fixture's manifest");
        let rows = crate::store::read_sample_rows(&dir.join("samples.jsonl")).expect("its rows");
        let labels = manifest.plan.labels();
        assert_eq!(labels.len(), 2);
        let mut many = Vec::new();
        for id in 0..250u64 {
            for (k, label) in labels.iter().enumerate() {
                let mut row = rows
                    .iter()
                    .find(|r| &r.label == label)
                    .expect("a row of each engine")
                    .clone();
                row.repetition = 0;
                row.sample.request_id = id;
                let last = if k == 0 || id % 5 == 0 { 3 } else { 4 };
                row.sample.output_token_ids = Some(vec![1, 2, last]);
                many.push(row);
            }
        }
        let a = &agreement(&manifest.plan, &Columns::from_rows(&many))[0];
        assert_eq!((a.outputs_compared, a.outputs_identical), (250, 50));
        assert_eq!(a.first_divergence.len(), DIVERGENCES_LISTED);
        let expected: Vec<(u64, usize)> = (0..250)
            .filter(|id| id % 5 != 0)
            .take(DIVERGENCES_LISTED)
            .map(|id| (id, 2))
            .collect();
        assert_eq!(a.first_divergence, expected);
    }
}
