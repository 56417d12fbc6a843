use shared_protocol::EngineId;

use super::*;
use crate::metrics::{Metric, MetricSamples};

/// A request whose first content chunk arrives `ttft_ms` after submission, followed by chunks
/// `gaps_ms` apart carrying `tokens_per_chunk` tokens (the first chunk's count first), the
/// stream ending at `e2e_ms`; with its gaps in milliseconds, as the run's pool holds them.
fn request(
    ttft_ms: u64,
    gaps_ms: &[u64],
    tokens_per_chunk: &[u32],
    e2e_ms: u64,
) -> (Request, Vec<f64>) {
    assert_eq!(gaps_ms.len() + 1, tokens_per_chunk.len());
    let mut s = crate::summary::tests::sample(ttft_ms, e2e_ms, tokens_per_chunk.iter().sum());
    s.itl_ns = gaps_ms.iter().map(|g| g * 1_000_000).collect();
    s.tokens_per_chunk = Some(tokens_per_chunk.to_vec());
    let gaps = s
        .itl_ns
        .iter()
        .map(|&g| crate::metrics::gap_ms(g))
        .collect();
    (Request::of(0, EngineId::Sim, 0, &s), gaps)
}

/// Every definition of `requests`, the project's own made as the summary makes them.
fn definitions(requests: &[(Request, Vec<f64>)]) -> Vec<ItlDefinition> {
    let ok: Vec<&Request> = requests.iter().map(|(r, _)| r).collect();
    let pooled: Vec<f64> = requests.iter().flat_map(|(_, g)| g.clone()).collect();
    let samples = MetricSamples::of(&ok, pooled);
    let itl = samples.get(Metric::ItlMs).map(summarize);
    let tpot = samples.get(Metric::TpotMs).map(summarize);
    itl_definitions(&ok, itl.as_ref(), tpot.as_ref()).expect("gaps, so definitions")
}

fn find<'a>(defs: &'a [ItlDefinition], tool: &str, metric: &str) -> &'a Summary {
    &defs
        .iter()
        .find(|d| d.tool == tool && d.metric == metric)
        .unwrap_or_else(|| panic!("{tool} {metric}"))
        .ms
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn multi_token_chunks_part_the_definitions() {
    // Request A: chunks of 1, 3 and 2 tokens (6 tokens) arriving at 10, 16 and 20 ms; the
    // stream ends at 22 ms. Request B: chunks of 1 and 1 token at 20 and 28 ms, end at 30 ms.
    let requests = [
        request(10, &[6, 4], &[1, 3, 2], 22),
        request(20, &[8], &[1, 1], 30),
    ];
    let defs = definitions(&requests);
    assert_eq!(defs.len(), 8);

    // Pooled gaps (this project's itl_ms, vLLM's itl, `aiperf`'s inter_chunk_latency):
    // [6, 4, 8]: n 3, mean 6, median 6.
    for (tool, metric) in [
        ("this project", "itl_ms"),
        ("vllm bench serve", "itl"),
        ("aiperf", "inter_chunk_latency"),
    ] {
        let s = find(&defs, tool, metric);
        assert_eq!(s.n, 3, "{tool} {metric}");
        assert!(
            close(s.mean, 6.0) && close(s.p50, 6.0),
            "{tool} {metric}: {s:?}"
        );
    }

    // This project's tpot_ms, to the end of the stream: A (22 - 10) / 5 = 2.4,
    // B (30 - 20) / 1 = 10; mean and median (two values, interpolated) 6.2.
    let s = find(&defs, "this project", "tpot_ms");
    assert!(close(s.mean, 6.2) && close(s.p50, 6.2), "{s:?}");

    // vLLM's tpot and `aiperf`'s inter_token_latency, to the last content chunk:
    // A (20 - 10) / 5 = 2, B (28 - 20) / 1 = 8; mean and median 5.
    for (tool, metric) in [
        ("vllm bench serve", "tpot"),
        ("aiperf", "inter_token_latency"),
    ] {
        let s = find(&defs, tool, metric);
        assert_eq!(s.n, 2);
        assert!(
            close(s.mean, 5.0) && close(s.p50, 5.0),
            "{tool} {metric}: {s:?}"
        );
        assert!(close(s.min, 2.0) && close(s.max, 8.0));
    }

    // `guidellm`'s inter_token_latency_ms: A 2 with weight 5, B 8 with weight 1. n = 6 tokens;
    // mean (5 * 2 + 8) / 6 = 3; p50: cumulative weight 5 reaches 0.5 * 6 = 3 at A, so 2; p90:
    // 0.9 * 6 = 5.4 is reached only at B, so 8; sd = sqrt((5 * 1 + 1 * 25) / 5) = sqrt(6).
    let s = find(&defs, "guidellm", "inter_token_latency_ms");
    assert_eq!(s.n, 6);
    assert!(
        close(s.mean, 3.0) && close(s.p50, 2.0) && close(s.p90, 8.0),
        "{s:?}"
    );
    assert!(close(s.sd.expect("sd"), 6.0_f64.sqrt()));
    assert_eq!(s.ci95, None);

    // `guidellm`'s time_per_output_token_ms, the first token included: A 20 / 6 = 3.333 with
    // weight 6, B 28 / 2 = 14 with weight 2. n = 8; mean (20 + 28) / 8 = 6; p50: 0.5 * 8 = 4
    // is reached at A (6), so 3.333; p90: 7.2 only at B, so 14.
    let s = find(&defs, "guidellm", "time_per_output_token_ms");
    assert_eq!(s.n, 8);
    assert!(
        close(s.mean, 6.0) && close(s.p50, 20.0 / 6.0) && close(s.p90, 14.0),
        "{s:?}"
    );
}

#[test]
fn one_token_chunks_make_the_definitions_agree() {
    // Every chunk one token. A: first at 10 ms, gaps 2 and 4 (3 tokens), stream ends with the
    // last chunk at 16 ms. B: first at 12 ms, gaps 3, 3 and 6 (4 tokens), ends at 24 ms.
    let requests = [
        request(10, &[2, 4], &[1, 1, 1], 16),
        request(12, &[3, 3, 6], &[1, 1, 1, 1], 24),
    ];
    let defs = definitions(&requests);

    // Pooled gaps [2, 4, 3, 3, 6]: n 5, mean 18 / 5 = 3.6.
    let pooled = find(&defs, "vllm bench serve", "itl");
    assert_eq!(pooled.n, 5);
    assert!(close(pooled.mean, 3.6));
    // `guidellm`'s token-weighted ITL counts the same tokens and, one token a gap, has the
    // pooled mean: A 3 (weight 2), B 4 (weight 3), (6 + 12) / 5 = 3.6.
    let guidellm = find(&defs, "guidellm", "inter_token_latency_ms");
    assert_eq!(guidellm.n, pooled.n);
    assert!(close(guidellm.mean, pooled.mean), "{guidellm:?}");

    // Per request, with the stream ending at the last chunk, this project's TPOT, vLLM's and
    // `aiperf`'s ITL are one figure: A 6 / 2 = 3, B 12 / 3 = 4; mean and median 3.5.
    for (tool, metric) in [
        ("this project", "tpot_ms"),
        ("vllm bench serve", "tpot"),
        ("aiperf", "inter_token_latency"),
    ] {
        let s = find(&defs, tool, metric);
        assert_eq!(s.n, 2);
        assert!(
            close(s.mean, 3.5) && close(s.p50, 3.5),
            "{tool} {metric}: {s:?}"
        );
    }

    // `guidellm`'s TPOT keeps the first token: A (10 + 6) / 3 with weight 3, B (12 + 12) / 4 =
    // 6 with weight 4; mean (16 + 24) / 7.
    let s = find(&defs, "guidellm", "time_per_output_token_ms");
    assert_eq!(s.n, 7);
    assert!(close(s.mean, 40.0 / 7.0), "{s:?}");
}

#[test]
fn no_gaps_no_definitions_and_one_token_no_itl() {
    let (r, _) = request(10, &[], &[1], 12);
    assert_eq!(itl_definitions(&[&r], None, None), None);
    assert_eq!(vllm_tpot_ms(&r), None);
    assert_eq!(guidellm_itl_ms(&r), None);
    // One token: `guidellm`'s TPOT is its TTFT, 10 ms, with weight 1.
    assert_eq!(guidellm_tpot_ms(&r), Some((10.0, 1)));
    assert_eq!(weighted_summary(vec![(3.0, 0)]), None);
}

/// The weighted statistics are those of the pairs in a stable sort by value: equal values keep
/// their order, so their terms are summed as before and every figure is the same to the bit.
#[test]
fn weighted_statistics_are_those_of_a_stable_comparison_sort() {
    let mut state = 11;
    let mut next = move || shared_protocol::seed::splitmix64(&mut state);
    // Few distinct values (many ties, each with its own weight), both zeros, and a long tail.
    let values: Vec<(f64, u64)> = (0..5_000)
        .map(|i| {
            let v = match i % 7 {
                0 => -0.0,
                1 => 0.0,
                2 => ((next() % 1_000) as f64).sqrt() * 1e3,
                _ => ((next() % 40) as f64).sqrt(),
            };
            (v, next() % 1_000)
        })
        .collect();
    let reference = |mut values: Vec<(f64, u64)>| {
        values.retain(|&(v, w)| w > 0 && v.is_finite());
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Already sorted: the summary keeps this order.
        weighted_summary(values)
    };
    let got = weighted_summary(values.clone()).expect("positive weight");
    let expected = reference(values).expect("positive weight");
    assert_eq!(got.mean.to_bits(), expected.mean.to_bits());
    assert_eq!(got.sd.map(f64::to_bits), expected.sd.map(f64::to_bits));
    assert_eq!(got, expected);
}
