//! Token selection on the host for engines that bring logits back: greedy (`temperature == 0`),
//! or seeded sampling with temperature and top-p. Outside every timed region's bookkeeping, but
//! inside the engine's own step, as sampling is part of producing a token.

/// A small, fast, seedable generator (xoshiro256**, seeded through splitmix64).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed;
        let mut next = || shared_protocol::seed::splitmix64(&mut z);
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Chooses the next token from logits.
#[derive(Debug)]
pub struct Sampler {
    temperature: f32,
    top_p: f32,
    rng: Rng,
    /// `(probability, token)` candidates; allocated once for the vocabulary.
    candidates: Vec<(f32, u32)>,
}

impl Sampler {
    /// A sampler for a vocabulary of `vocab` tokens. `temperature <= 0` is greedy.
    pub fn new(temperature: f32, top_p: f32, seed: u64, vocab: usize) -> Sampler {
        Sampler {
            temperature,
            top_p,
            rng: Rng::new(seed),
            candidates: Vec::with_capacity(if temperature > 0.0 { vocab } else { 0 }),
        }
    }

    /// The next token. Modifies `logits` (temperature and softmax applied in place).
    pub fn sample(&mut self, logits: &mut [f32]) -> u32 {
        if self.temperature <= 0.0 || !self.temperature.is_finite() {
            return argmax(logits);
        }
        let inv_t = 1.0 / self.temperature;
        for l in logits.iter_mut() {
            *l *= inv_t;
        }
        softmax(logits);
        let r = self.rng.next_f32();
        if self.top_p <= 0.0 || self.top_p >= 1.0 {
            return pick(logits.iter().copied().zip(0u32..), r, 1.0);
        }
        // Tokens below this probability cannot be in the nucleus (the rest would already
        // exceed top_p without them).
        let cutoff = (1.0 - self.top_p) / (logits.len().max(2) - 1) as f32;
        self.candidates.clear();
        self.candidates.extend(
            logits
                .iter()
                .copied()
                .zip(0u32..)
                .filter(|&(p, _)| p >= cutoff),
        );
        self.candidates
            .sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut mass = 0f32;
        let mut keep = self.candidates.len();
        for (i, &(p, _)) in self.candidates.iter().enumerate() {
            mass += p;
            if mass >= self.top_p {
                keep = i + 1;
                break;
            }
        }
        pick(self.candidates[..keep].iter().copied(), r, mass)
    }
}

/// In-place softmax (sums in f64).
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f64;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += f64::from(*v);
    }
    let inv = (1.0 / sum) as f32;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// The index of the largest logit (the first on ties).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = i;
        }
    }
    best as u32
}

/// Walk `(probability, token)` pairs until their running sum passes `r * total`.
fn pick(items: impl Iterator<Item = (f32, u32)>, r: f32, total: f32) -> u32 {
    let target = r * total;
    let mut acc = 0f32;
    let mut last = 0;
    for (p, id) in items {
        acc += p;
        last = id;
        if acc > target {
            return id;
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_first_maximum() {
        let mut s = Sampler::new(0.0, 1.0, 0, 4);
        assert_eq!(s.sample(&mut [0.1, 3.0, 3.0, -1.0]), 1);
    }

    #[test]
    fn same_seed_same_tokens_and_frequencies_follow_probabilities() {
        let logits = [0.0f32, (3f32).ln(), f32::NEG_INFINITY];
        let draw = |seed| {
            let mut s = Sampler::new(1.0, 1.0, seed, 3);
            (0..4000)
                .map(|_| s.sample(&mut logits.clone()))
                .collect::<Vec<_>>()
        };
        let a = draw(7);
        assert_eq!(a, draw(7));
        assert_ne!(a, draw(8));
        let ones = a.iter().filter(|&&t| t == 1).count() as f32 / a.len() as f32;
        assert!((ones - 0.75).abs() < 0.03, "token 1 drawn {ones}");
        assert!(!a.contains(&2));
    }

    #[test]
    fn top_p_keeps_only_the_nucleus() {
        // Probabilities 0.5, 0.3, 0.2: top_p 0.6 keeps the first two.
        let logits = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
        let mut s = Sampler::new(1.0, 0.6, 1, 3);
        let draws: Vec<u32> = (0..2000).map(|_| s.sample(&mut logits.clone())).collect();
        assert!(!draws.contains(&2));
        let zeros = draws.iter().filter(|&&t| t == 0).count() as f32 / 2000.0;
        assert!((zeros - 0.625).abs() < 0.04, "token 0 drawn {zeros}");
    }
}
