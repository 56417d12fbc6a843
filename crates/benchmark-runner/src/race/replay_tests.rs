//! Replay timelines worked by hand from small samples.

use shared_protocol::{Outcome, Phase, Sample};

use super::*;

const MS: u64 = 1_000_000;

fn sample(ttft_ms: u64, itl_ms: &[u64], e2e_ms: u64, completion_tokens: u32) -> Sample {
    Sample {
        ttft_ns: Some(ttft_ms * MS),
        itl_ns: itl_ms.iter().map(|m| m * MS).collect(),
        completion_tokens,
        ..Sample::new(0, Phase::Measure, Outcome::Ok, 0, e2e_ms * MS)
    }
}

/// Token id n decodes to the letter n of the alphabet (1 = a).
fn letters(ids: &[u32]) -> Option<String> {
    ids.iter()
        .map(|&i| char::from_u32(u32::from('a') + i - 1))
        .collect()
}

#[test]
fn tokens_are_revealed_at_ttft_plus_the_gaps_before_them() {
    let mut s = sample(100, &[20, 30, 10], 165, 4);
    s.output_token_ids = Some(vec![1, 2, 3, 4]);
    let line = timeline(&s, &letters);
    let at: Vec<(u64, u32, &str)> = line
        .reveals
        .iter()
        .map(|r| (r.at_ns / MS, r.tokens, r.text.as_str()))
        .collect();
    // 100; 100 + 20 = 120; 120 + 30 = 150; 150 + 10 = 160.
    assert_eq!(
        at,
        vec![
            (100, 1, "a"),
            (120, 2, "ab"),
            (150, 3, "abc"),
            (160, 4, "abcd")
        ]
    );

    let before = line.at(99 * MS);
    assert_eq!((before.tokens, before.text, before.ttft_ns), (0, "", None));

    // At 130 ms: two tokens out, one gap of 20 ms after the first: 1 / 0.020 s = 50 tok/s.
    let mid = line.at(130 * MS);
    assert_eq!((mid.tokens, mid.text), (2, "ab"));
    assert_eq!(mid.ttft_ns, Some(100 * MS));
    assert!(!mid.finished);
    assert!((mid.tok_s.expect("rate") - 50.0).abs() < 1e-9);

    // Finished at e2e = 165 ms: decode tok/s = (4 - 1) / (0.165 - 0.100) s = 46.15...
    let end = line.at(165 * MS);
    assert!(end.finished);
    assert_eq!(end.tokens, 4);
    assert!((end.tok_s.expect("rate") - 3.0 / 0.065).abs() < 1e-9);
}

#[test]
fn chunks_without_ids_spread_the_returned_text() {
    // First chunk at 50 ms, two more 10 ms apart carrying 2 and 3 tokens; 6 tokens in all, so
    // the first chunk carried 6 - 5 = 1.
    let mut s = sample(50, &[10, 10], 70, 6);
    s.tokens_per_chunk = Some(vec![2, 3]);
    s.output_text = Some("abcdefghijkl".to_owned());
    let line = timeline(&s, &|_| None);
    let at: Vec<(u64, u32, &str)> = line
        .reveals
        .iter()
        .map(|r| (r.at_ns / MS, r.tokens, r.text.as_str()))
        .collect();
    // 12 characters over 6 tokens: 2 characters a token.
    assert_eq!(
        at,
        vec![(50, 1, "ab"), (60, 3, "abcdef"), (70, 6, "abcdefghijkl")]
    );
    // Live at 65 ms: 3 - 1 tokens after the first chunk over 10 ms = 200 tok/s.
    assert!((line.at(65 * MS).tok_s.expect("rate") - 200.0).abs() < 1e-9);
}

#[test]
fn finish_order_ranks_successes_by_end_and_leaves_failures_out() {
    let fast = timeline(&sample(10, &[5], 15, 2), &|_| None);
    let slow = timeline(&sample(10, &[50], 60, 2), &|_| None);
    let mut failed_sample = sample(1, &[1], 2, 2);
    failed_sample.outcome = Outcome::Failed {
        kind: shared_protocol::FailureKind::EngineError,
        message: "boom".into(),
        http_status: None,
    };
    let failed = timeline(&failed_sample, &|_| None);
    assert_eq!(
        finish_order(&[Some(&slow), None, Some(&failed), Some(&fast)]),
        vec![3, 0]
    );
}
