//! The order engines run in: a seeded permutation, reversed on odd repetitions.

use shared_protocol::seed::splitmix64;

use super::Slot;

/// Engine order per repetition: a seeded permutation, reversed on odd repetitions (A B, B A,
/// ...), so slow drift over the run affects every engine alike.
pub fn interleave(labels: &[String], repetitions: u32, seed: u64) -> Vec<Slot> {
    let mut base: Vec<String> = labels.to_vec();
    // Fisher-Yates with a splitmix64 stream: the order is reproducible from the seed alone.
    let mut state = seed;
    for i in (1..base.len()).rev() {
        let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
        base.swap(i, j);
    }
    (0..repetitions)
        .flat_map(|r| {
            let mut order = base.clone();
            if r % 2 == 1 {
                order.reverse();
            }
            order.into_iter().map(move |label| Slot {
                repetition: r,
                label,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_alternates_between_repetitions_and_is_seeded() {
        let ids = ["sim".to_owned(), "lm-rs".to_owned(), "candle".to_owned()];
        let order = interleave(&ids, 2, 7);
        let first: Vec<_> = order[..3].iter().map(|s| s.label.clone()).collect();
        let second: Vec<_> = order[3..].iter().map(|s| s.label.clone()).collect();
        let mut reversed = first.clone();
        reversed.reverse();
        assert_eq!(second, reversed);
        assert_eq!(interleave(&ids, 2, 7), order);
        let mut sorted = first.clone();
        sorted.sort();
        let mut all = ids.to_vec();
        all.sort();
        assert_eq!(sorted, all, "each engine once per repetition");
    }
}
