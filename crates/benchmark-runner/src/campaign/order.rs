//! The order of a campaign's runs: which experiment runs in which cycle, one after another.

use serde::{Deserialize, Serialize};
use shared_protocol::seed::splitmix64;

use super::Order;

/// One run of the campaign: an experiment (by its index among those given) in a cycle (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub experiment: usize,
    pub cycle: u32,
}

/// The runs of `experiments` experiments over `cycles` cycles in `order`:
/// - interleaved: every cycle runs each experiment, odd cycles in grid order and even ones
///   reversed (A B C, C B A, ...), so slow drift affects every experiment alike;
/// - shuffled: every cycle a permutation drawn from `seed` (Fisher-Yates over a splitmix64
///   stream continued from cycle to cycle), the same for the same seed;
/// - grouped: each experiment's cycles back to back.
pub fn schedule(order: Order, experiments: usize, cycles: u32, seed: u64) -> Vec<Turn> {
    let mut state = seed;
    let mut out = Vec::with_capacity(experiments * cycles as usize);
    match order {
        Order::Grouped => {
            for experiment in 0..experiments {
                out.extend((1..=cycles).map(|cycle| Turn { experiment, cycle }));
            }
        }
        Order::Interleaved | Order::Shuffled => {
            for cycle in 1..=cycles {
                let mut this: Vec<usize> = (0..experiments).collect();
                if order == Order::Shuffled {
                    for i in (1..this.len()).rev() {
                        let j =
                            usize::try_from(splitmix64(&mut state) % (i as u64 + 1)).unwrap_or(i);
                        this.swap(i, j);
                    }
                } else if cycle % 2 == 0 {
                    this.reverse();
                }
                out.extend(
                    this.into_iter()
                        .map(|experiment| Turn { experiment, cycle }),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(turns: &[Turn]) -> Vec<(usize, u32)> {
        turns.iter().map(|t| (t.experiment, t.cycle)).collect()
    }

    #[test]
    fn interleaved_alternates_direction_between_cycles() {
        assert_eq!(
            pairs(&schedule(Order::Interleaved, 3, 3, 0)),
            [
                (0, 1),
                (1, 1),
                (2, 1),
                (2, 2),
                (1, 2),
                (0, 2),
                (0, 3),
                (1, 3),
                (2, 3)
            ]
        );
    }

    #[test]
    fn grouped_runs_each_experiments_cycles_back_to_back() {
        assert_eq!(
            pairs(&schedule(Order::Grouped, 2, 3, 0)),
            [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
        );
    }

    #[test]
    fn shuffled_is_a_permutation_per_cycle_reproducible_from_the_seed() {
        let a = schedule(Order::Shuffled, 6, 3, 7);
        assert_eq!(
            a,
            schedule(Order::Shuffled, 6, 3, 7),
            "same seed, same order"
        );
        assert_ne!(
            a,
            schedule(Order::Shuffled, 6, 3, 8),
            "another seed, another order"
        );
        for cycle in 1..=3 {
            let mut this: Vec<usize> = a
                .iter()
                .filter(|t| t.cycle == cycle)
                .map(|t| t.experiment)
                .collect();
            this.sort_unstable();
            assert_eq!(
                this,
                (0..6).collect::<Vec<_>>(),
                "cycle {cycle} runs each once"
            );
        }
        let cycles: Vec<Vec<usize>> = (1..=3)
            .map(|c| {
                a.iter()
                    .filter(|t| t.cycle == c)
                    .map(|t| t.experiment)
                    .collect()
            })
            .collect();
        assert!(
            cycles[0] != cycles[1] || cycles[1] != cycles[2],
            "cycles draw their own permutations: {cycles:?}"
        );
    }
}
