//! Turning prompts into the requests every engine receives, identical across engines.

use shared_protocol::{Request, Sampling};

use crate::plan::WorkloadPlan;

/// One prompt as the dataset gave it, with token ids when the runner tokenized it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub text: String,
    pub token_ids: Option<Vec<u32>>,
    /// A controlled output length (synthetic workloads): the request asks for exactly this many
    /// tokens, ignoring end-of-sequence.
    pub max_tokens: Option<u32>,
}

/// The requests of one repetition: warm-up first, then measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Requests {
    pub warmup: Vec<Request>,
    pub measure: Vec<Request>,
}

/// Pick prompts for `plan` with `seed` (without replacement while the pool lasts) and build
/// requests. Measured requests get ids `0..requests`, warm-up ones the ids after them. A trace's
/// prompts and multi-turn conversations are taken in their order: measured request `i` is the
/// trace's row `i` (sent at that row's time), or the `i`-th turn counting conversation by
/// conversation.
pub fn build(plan: &WorkloadPlan, prompts: &[Prompt], chat: bool, seed: u64) -> Requests {
    let total = (plan.requests + plan.warmup) as usize;
    let picks = if plan.in_source_order() {
        (0..total).map(|i| i % prompts.len().max(1)).collect()
    } else {
        pick(prompts.len(), total, seed)
    };
    let make = |id: u64, index: usize| {
        let p = &prompts[index];
        Request {
            id,
            text: p.text.clone(),
            prompt_token_ids: p.token_ids.clone(),
            chat,
            max_tokens: p.max_tokens.unwrap_or(plan.max_tokens),
            ignore_eos: plan.ignore_eos || p.max_tokens.is_some(),
            sampling: Sampling {
                temperature: 0.0,
                top_p: 1.0,
                seed,
            },
        }
    };
    let measure_n = plan.requests as usize;
    let measure = picks[..measure_n]
        .iter()
        .enumerate()
        .map(|(i, &p)| make(i as u64, p))
        .collect();
    let warmup = picks[measure_n..]
        .iter()
        .enumerate()
        .map(|(i, &p)| make((measure_n + i) as u64, p))
        .collect();
    Requests { warmup, measure }
}

/// `n` indices into a pool of `len`: a seeded shuffle, repeated when `n > len`.
fn pick(len: usize, n: usize, seed: u64) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    let mut state = seed ^ 0xA076_1D64_78BD_642F;
    let mut next = move || shared_protocol::seed::splitmix64(&mut state);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut round: Vec<usize> = (0..len).collect();
        for i in (1..len).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            round.swap(i, j);
        }
        out.extend(round.into_iter().take(n - out.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(requests: u32, warmup: u32) -> WorkloadPlan {
        WorkloadPlan {
            requests,
            warmup,
            max_tokens: 8,
            ignore_eos: false,
            dataset: "x".into(),
            model: None,
            min_prompt_tokens: None,
            max_prompt_tokens: None,
            raw_prompts: false,
            warmup_cv: None,
            stop: crate::plan::StopRule::Count,
        }
    }

    fn prompts(n: usize) -> Vec<Prompt> {
        (0..n)
            .map(|i| Prompt {
                text: format!("prompt {i}"),
                token_ids: Some(vec![i as u32]),
                max_tokens: None,
            })
            .collect()
    }

    #[test]
    fn ids_are_unique_and_prompts_distinct_while_the_pool_lasts() {
        let r = build(&plan(5, 2), &prompts(10), true, 3);
        let ids: Vec<u64> = r.measure.iter().chain(&r.warmup).map(|q| q.id).collect();
        assert_eq!(ids, vec![0, 1, 2, 3, 4, 5, 6]);
        let mut texts: Vec<&str> = r
            .measure
            .iter()
            .chain(&r.warmup)
            .map(|q| q.text.as_str())
            .collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), 7);
        assert!(r.measure.iter().all(|q| q.chat && q.max_tokens == 8));
    }

    #[test]
    fn seeded_and_cycles_small_pools() {
        assert_eq!(
            build(&plan(5, 0), &prompts(3), false, 1),
            build(&plan(5, 0), &prompts(3), false, 1)
        );
        let r = build(&plan(7, 0), &prompts(3), false, 1);
        assert_eq!(r.measure.len(), 7);
    }
}
