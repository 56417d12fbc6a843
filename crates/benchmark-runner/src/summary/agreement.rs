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
        .filter_map(|(other, keyed)| against(rows, reference, base, other, &keyed))
        .collect()
}

/// `other`'s requests (`keyed`) against the reference's (`base`), both keyed by (repetition,
/// request id) ascending; `None` when no request was completed by both.
fn against(
    rows: &Columns,
    reference: &str,
    base: &[((u32, u64), &Request)],
    other: &str,
    keyed: &[((u32, u64), &Request)],
) -> Option<Agreement> {
    // Stretches of `other`'s requests on all cores, each against the reference's from its first
    // key on; their tallies added in order.
    let stretch = keyed
        .len()
        .div_ceil(rayon::current_num_threads() * 4)
        .max(4096);
    let tallies: Vec<Tally> = keyed
        .par_chunks(stretch)
        .map(|keyed| {
            let from = base.partition_point(|(k, _)| *k < keyed[0].0);
            Tally::of(rows, &base[from..], keyed)
        })
        .collect();
    let t = tallies.into_iter().fold(Tally::default(), Tally::then);
    (t.requests > 0).then(|| Agreement {
        engine: other.to_owned(),
        reference: reference.to_owned(),
        requests: t.requests,
        prompt_tokens_differ: t.prompt_tokens_differ,
        outputs_compared: t.outputs_compared,
        outputs_identical: t.outputs_identical,
        mean_common_prefix: (t.outputs_compared > 0)
            .then(|| t.prefix_sum as f64 / t.outputs_compared as f64),
        first_divergence: t.first_divergence,
    })
}

/// The counts of [`Agreement`] over some of the requests.
#[derive(Default)]
struct Tally {
    requests: u64,
    prompt_tokens_differ: u64,
    outputs_compared: u64,
    outputs_identical: u64,
    /// The common prefixes' lengths, summed.
    prefix_sum: usize,
    /// The first [`DIVERGENCES_LISTED`] of these requests that differ.
    first_divergence: Vec<(u64, usize)>,
}

impl Tally {
    /// `keyed` against `base`, both ascending by key, each key once: one merge pairs them.
    fn of(
        rows: &Columns,
        base: &[((u32, u64), &Request)],
        keyed: &[((u32, u64), &Request)],
    ) -> Tally {
        let mut t = Tally::default();
        let mut base = base.iter().peekable();
        for &(key, s) in keyed {
            while base.next_if(|(k, _)| *k < key).is_some() {}
            let Some(&(_, r)) = base.next_if(|(k, _)| *k == key) else {
                continue;
            };
            t.requests += 1;
            if let (Some(x), Some(y)) = (s.prompt_tokens, r.prompt_tokens) {
                t.prompt_tokens_differ += u64::from(x != y);
            }
            if let (Some(x), Some(y)) = (rows.output_ids(s), rows.output_ids(r)) {
                t.outputs_compared += 1;
                if x == y {
                    t.outputs_identical += 1;
                    t.prefix_sum += x.len();
                } else {
                    let common = x.common_prefix(y);
                    t.prefix_sum += common;
                    if key.0 == 0 && t.first_divergence.len() < DIVERGENCES_LISTED {
                        t.first_divergence.push((key.1, common));
                    }
                }
            }
        }
        t
    }

    /// These counts followed by `later`'s (the requests after these).
    fn then(mut self, later: Tally) -> Tally {
        self.requests += later.requests;
        self.prompt_tokens_differ += later.prompt_tokens_differ;
        self.outputs_compared += later.outputs_compared;
        self.outputs_identical += later.outputs_identical;
        self.prefix_sum += later.prefix_sum;
        let room = DIVERGENCES_LISTED - self.first_divergence.len();
        self.first_divergence
            .extend(later.first_divergence.into_iter().take(room));
        self
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The checked-in sim run's manifest and sample rows.
    fn fixture() -> (crate::manifest::Manifest, Vec<crate::store::SampleRow>) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
        let manifest = crate::manifest::read(&dir).expect("the fixture's manifest");
        let rows = crate::store::read_sample_rows(&dir.join("samples.jsonl")).expect("its rows");
        (manifest, rows)
    }

    /// Requests only one side completed, ids of different lengths and prompts that differ: the
    /// counts are those of pairing every request of one side with the other's by hand.
    #[test]
    fn pairs_each_request_with_the_reference_one_of_its_key() {
        let (manifest, rows) = fixture();
        let labels = manifest.plan.labels();
        let mut state = 11;
        let mut next = move || shared_protocol::seed::splitmix64(&mut state);
        let mut many = Vec::new();
        for (k, label) in labels.iter().enumerate() {
            let template = rows.iter().find(|r| &r.label == label).expect("a row");
            for repetition in 0..2 {
                for id in 0..300u64 {
                    // Each side leaves out about a third of the keys, not the same ones.
                    if next() % 3 == 0 {
                        continue;
                    }
                    let mut row = template.clone();
                    row.repetition = repetition;
                    row.sample.request_id = id;
                    row.sample.prompt_tokens = Some(10 + u32::from(k == 1 && id % 7 == 0));
                    let len = 1 + (id % 5) as usize;
                    let mut ids: Vec<u32> = (0..len as u32).collect();
                    if k == 1 && next() % 2 == 0 {
                        let at = (next() % len as u64) as usize;
                        ids[at] += 100;
                    }
                    if k == 1 && id % 11 == 0 {
                        ids.push(7);
                    }
                    row.sample.output_token_ids = Some(ids);
                    many.push(row);
                }
            }
        }
        let columns = Columns::from_rows(&many);
        let a = &agreement(&manifest.plan, &columns)[0];
        let side =
            |label: &String| -> std::collections::BTreeMap<(u32, u64), &crate::store::SampleRow> {
                many.iter()
                    .filter(|r| &r.label == label)
                    .map(|r| ((r.repetition, r.sample.request_id), r))
                    .collect()
            };
        let (reference, other) = (side(&labels[0]), side(&labels[1]));
        let (mut requests, mut differ, mut identical, mut prefix) = (0, 0, 0, 0);
        let mut first = Vec::new();
        for (key, s) in &other {
            let Some(r) = reference.get(key) else {
                continue;
            };
            requests += 1;
            differ += u64::from(s.sample.prompt_tokens != r.sample.prompt_tokens);
            let (x, y) = (
                s.sample.output_token_ids.as_ref().expect("ids"),
                r.sample.output_token_ids.as_ref().expect("ids"),
            );
            let common = x.iter().zip(y).take_while(|(p, q)| p == q).count();
            prefix += common;
            if x == y {
                identical += 1;
            } else if key.0 == 0 && first.len() < DIVERGENCES_LISTED {
                first.push((key.1, common));
            }
        }
        assert!(requests > 100 && identical > 10 && requests - identical > 10);
        assert_eq!(
            (
                a.requests,
                a.prompt_tokens_differ,
                a.outputs_compared,
                a.outputs_identical
            ),
            (requests, differ, requests, identical)
        );
        assert_eq!(a.mean_common_prefix, Some(prefix as f64 / requests as f64));
        assert_eq!(a.first_divergence, first);
    }

    /// Requests `0..n` of each of `labels` (from a row of each in `rows`), generating ids
    /// `[1, 2, 3]`, except that the second label's last id is 4 where `differs`.
    fn ending_apart(
        rows: &[crate::store::SampleRow],
        labels: &[String],
        n: u64,
        differs: impl Fn(u64) -> bool,
    ) -> Vec<crate::store::SampleRow> {
        let mut many = Vec::new();
        for id in 0..n {
            for (k, label) in labels.iter().enumerate() {
                let mut row = rows
                    .iter()
                    .find(|r| &r.label == label)
                    .expect("a row of each engine")
                    .clone();
                row.repetition = 0;
                row.sample.request_id = id;
                let last = if k == 1 && differs(id) { 4 } else { 3 };
                row.sample.output_token_ids = Some(vec![1, 2, last]);
                many.push(row);
            }
        }
        many
    }

    /// Enough requests to be paired a stretch at a time on several cores, the differing ones
    /// starting near the end of the first stretch: the counts and the listed divergences are
    /// those of one merge.
    #[test]
    fn stretches_paired_apart_add_up_to_one_merge() {
        let (manifest, rows) = fixture();
        let labels = manifest.plan.labels();
        let differs = |id: u64| !id.is_multiple_of(5) && id >= 4_090;
        let many = ending_apart(&rows, &labels, 10_000, differs);
        let a = &agreement(&manifest.plan, &Columns::from_rows(&many))[0];
        let differing = (0..10_000).filter(|&id| differs(id)).count() as u64;
        assert_eq!(
            (a.requests, a.outputs_compared, a.outputs_identical),
            (10_000, 10_000, 10_000 - differing)
        );
        let prefix = 3 * (10_000 - differing) + 2 * differing;
        assert_eq!(a.mean_common_prefix, Some(prefix as f64 / 10_000.0));
        let expected: Vec<(u64, usize)> = (0..10_000)
            .filter(|&id| differs(id))
            .take(DIVERGENCES_LISTED)
            .map(|id| (id, 2))
            .collect();
        assert_eq!(a.first_divergence, expected);
    }

    #[test]
    fn lists_the_first_divergences_and_counts_them_all() {
        let (manifest, rows) = fixture();
        let labels = manifest.plan.labels();
        assert_eq!(labels.len(), 2);
        let many = ending_apart(&rows, &labels, 250, |id| id % 5 != 0);
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
