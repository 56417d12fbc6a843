//! Did the engines do the same work? Prompt token counts and, under greedy decoding, the
//! generated ids of each engine against the reference engine, request by request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared_protocol::Phase;

use crate::plan::Plan;
use crate::store::SampleRow;

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
    /// Request ids whose outputs differ, with the first differing position.
    pub first_divergence: Vec<(u64, usize)>,
}

/// Each engine against the first engine of the plan, request by request.
pub fn agreement(plan: &Plan, rows: &[SampleRow]) -> Vec<Agreement> {
    let labels = plan.labels();
    let Some((reference, others)) = labels.split_first() else {
        return Vec::new();
    };
    let by_key = |label: &str| -> BTreeMap<(u32, u64), &shared_protocol::Sample> {
        rows.iter()
            .filter(|r| {
                r.label == label && r.sample.phase == Phase::Measure && r.sample.outcome.is_ok()
            })
            .map(|r| ((r.repetition, r.sample.request_id), &r.sample))
            .collect()
    };
    let base = by_key(reference);
    let mut out = Vec::new();
    for other in others {
        let mut a = Agreement {
            engine: other.clone(),
            reference: reference.clone(),
            requests: 0,
            prompt_tokens_differ: 0,
            outputs_compared: 0,
            outputs_identical: 0,
            mean_common_prefix: None,
            first_divergence: Vec::new(),
        };
        let mut prefix_sum = 0usize;
        for (key, s) in by_key(other) {
            let Some(r) = base.get(&key) else { continue };
            a.requests += 1;
            if let (Some(x), Some(y)) = (s.prompt_tokens, r.prompt_tokens) {
                a.prompt_tokens_differ += u64::from(x != y);
            }
            if let (Some(x), Some(y)) = (&s.output_token_ids, &r.output_token_ids) {
                a.outputs_compared += 1;
                let common = x.iter().zip(y).take_while(|(p, q)| p == q).count();
                prefix_sum += common;
                if x == y {
                    a.outputs_identical += 1;
                } else if key.0 == 0 {
                    a.first_divergence.push((key.1, common));
                }
            }
        }
        if a.outputs_compared > 0 {
            a.mean_common_prefix = Some(prefix_sum as f64 / a.outputs_compared as f64);
        }
        if a.requests > 0 {
            out.push(a);
        }
    }
    out
}
