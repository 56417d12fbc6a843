//! Choosing the next token: greedy when the temperature is 0, otherwise seeded temperature and
//! top-p sampling (candle's `LogitsProcessor`).

use candle_core::Tensor;
use candle_transformers::generation::{LogitsProcessor, Sampling};
use shared_protocol::Sampling as Params;

/// A per-request sampler; its random stream starts from the request's seed.
pub struct Sampler(LogitsProcessor);

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sampler")
    }
}

impl Sampler {
    pub fn new(params: &Params) -> Sampler {
        let temperature = f64::from(params.temperature);
        let top_p = f64::from(params.top_p);
        let sampling = if temperature <= 0.0 {
            Sampling::ArgMax
        } else if top_p > 0.0 && top_p < 1.0 {
            Sampling::TopP {
                p: top_p,
                temperature,
            }
        } else {
            Sampling::All { temperature }
        };
        Sampler(LogitsProcessor::from_sampling(params.seed, sampling))
    }

    /// The next token from logits of shape `[1, vocab]` or `[vocab]`.
    pub fn sample(&mut self, logits: &Tensor) -> candle_core::Result<u32> {
        let logits = if logits.rank() == 2 {
            logits.squeeze(0)?
        } else {
            logits.clone()
        };
        self.0.sample(&logits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn logits() -> Tensor {
        Tensor::new(&[[0.1f32, 2.0, 1.9, -1.0]], &Device::Cpu).expect("tensor")
    }

    #[test]
    fn greedy_takes_the_argmax() {
        let mut s = Sampler::new(&Params {
            temperature: 0.0,
            top_p: 1.0,
            seed: 1,
        });
        assert_eq!(s.sample(&logits()).expect("sample"), 1);
    }

    #[test]
    fn seeded_sampling_repeats_and_varies() {
        let draw = |seed| {
            let mut s = Sampler::new(&Params {
                temperature: 1.5,
                top_p: 1.0,
                seed,
            });
            (0..64)
                .map(|_| s.sample(&logits()).expect("sample"))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        let seq = draw(7);
        assert!(
            seq.iter().any(|t| *t != seq[0]),
            "temperature 1.5 should not always pick one token"
        );
    }
}
