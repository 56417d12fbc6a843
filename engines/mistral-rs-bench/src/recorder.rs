//! The logits processor that records each step's token inside mistral.rs's sampler.
//!
//! mistral.rs streams text, not token ids. Each request carries a [`TokenRecorder`] as its last
//! logits processor: mistral.rs calls it once per step with that step's final logits (f32, on
//! the host, after its own penalties), just before its sampler picks. The recorder
//!
//! - greedy (`temperature == 0`): reads the pick with mistral.rs's own argmax rule (the last
//!   index among equal maxima, [`argmax_as_mistral_rs`]) and returns the logits unchanged;
//! - sampled: draws the token with the project's host sampler ([`bench_worker::sampler`], seeded
//!   from the request, as every in-process engine draws) and returns logits that leave mistral.rs's
//!   greedy pick no other choice;
//! - `ignore_eos`: where an end-of-sequence token would be picked, masks those tokens and picks
//!   again (mistral.rs can only disable stopping for a whole engine), as llama.cpp's server does.
//!
//! Its own time is summed ([`TokenRecorder::busy_ns`]) and reported with each sample: it is spent
//! inside mistral.rs's step, so it is part of the measured time.

use std::sync::Mutex;

use bench_worker::mono_ns;
use bench_worker::sampler::Sampler;
use candle_core::{Device, Storage, Tensor};
use shared_protocol::Request;

/// mistral.rs's greedy rule, written as its sampler writes it: `max_by` over `partial_cmp`
/// keeps the last of equal maxima (and treats NaN as equal).
pub fn argmax_as_mistral_rs(values: &[f32]) -> u32 {
    values
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal))
        .map_or(0, |(i, _)| i as u32)
}

/// Records (or, when sampling, draws) the token of each step of one request.
#[derive(Debug)]
pub struct TokenRecorder {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    ids: Vec<u32>,
    /// Tokens never picked (end-of-sequence under `ignore_eos`).
    masked: Vec<u32>,
    /// The host sampler, for requests with a temperature.
    sampler: Option<Sampler>,
    scratch: Vec<f32>,
    busy_ns: u64,
    /// The first step's logits, kept when asked ([`TokenRecorder::keeping_first_logits`]).
    first_logits: Option<Vec<f32>>,
    keep_first: bool,
}

impl TokenRecorder {
    /// A recorder for `request`, on a vocabulary of `vocab` tokens whose end-of-sequence ids
    /// are `eos_ids`. Allocates its buffers here, before the request is sent.
    pub fn new(request: &Request, eos_ids: &[u32], vocab: usize) -> TokenRecorder {
        let s = &request.sampling;
        let sampled = s.temperature > 0.0 && s.temperature.is_finite();
        let masked = if request.ignore_eos {
            eos_ids.to_vec()
        } else {
            Vec::new()
        };
        TokenRecorder {
            state: Mutex::new(State {
                ids: Vec::with_capacity(request.max_tokens as usize + 1),
                sampler: sampled.then(|| Sampler::new(s.temperature, s.top_p, s.seed, vocab)),
                scratch: Vec::with_capacity(if sampled || !masked.is_empty() {
                    vocab
                } else {
                    0
                }),
                masked,
                busy_ns: 0,
                first_logits: None,
                keep_first: false,
            }),
        }
    }

    /// Also keep the first step's logits (for parity checks; it allocates inside the step).
    #[must_use]
    pub fn keeping_first_logits(self) -> TokenRecorder {
        self.lock().keep_first = true;
        self
    }

    /// The first step's logits, when kept.
    pub fn first_logits(&self) -> Option<Vec<f32>> {
        self.lock().first_logits.clone()
    }

    /// The tokens picked so far, in order (an end-of-sequence pick included).
    pub fn ids(&self) -> Vec<u32> {
        self.lock().ids.clone()
    }

    /// Nanoseconds spent inside the recorder so far (host clock).
    pub fn busy_ns(&self) -> u64 {
        self.lock().busy_ns
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic inside `pick` leaves nothing half-written that matters: keep going.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One step: record the pick and return the logits mistral.rs's sampler should see.
    pub fn pick(&self, logits: &Tensor) -> candle_core::Result<Tensor> {
        let t0 = mono_ns();
        let mut st = self.lock();
        let out = st.pick(logits);
        st.busy_ns += mono_ns() - t0;
        out
    }
}

impl State {
    fn pick(&mut self, logits: &Tensor) -> candle_core::Result<Tensor> {
        let (storage, layout) = logits.storage_and_layout();
        let Storage::Cpu(cpu) = &*storage else {
            candle_core::bail!("mistral.rs gave the logits processor logits off the host");
        };
        let Some((from, to)) = layout.contiguous_offsets() else {
            candle_core::bail!("mistral.rs gave the logits processor non-contiguous logits");
        };
        let values = &cpu.as_slice::<f32>()?[from..to];
        if self.keep_first && self.ids.is_empty() && self.first_logits.is_none() {
            self.first_logits = Some(values.to_vec());
        }
        if self.sampler.is_none() {
            let id = argmax_as_mistral_rs(values);
            if !self.masked.contains(&id) {
                self.ids.push(id);
                return Ok(logits.clone());
            }
            // An end-of-sequence token would win under ignore_eos: the best other token.
            self.scratch.clear();
            self.scratch.extend_from_slice(values);
            mask(&mut self.scratch, &self.masked);
            let id = argmax_as_mistral_rs(&self.scratch);
            self.ids.push(id);
            return Tensor::from_slice(&self.scratch, self.scratch.len(), &Device::Cpu);
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(values);
        mask(&mut self.scratch, &self.masked);
        let id = self
            .sampler
            .as_mut()
            .map_or(0, |s| s.sample(&mut self.scratch));
        self.ids.push(id);
        // Only the drawn token can win mistral.rs's greedy pick.
        self.scratch.fill(f32::NEG_INFINITY);
        if let Some(v) = self.scratch.get_mut(id as usize) {
            *v = 0.0;
        }
        Tensor::from_slice(&self.scratch, self.scratch.len(), &Device::Cpu)
    }
}

fn mask(values: &mut [f32], ids: &[u32]) {
    for &m in ids {
        if let Some(v) = values.get_mut(m as usize) {
            *v = f32::NEG_INFINITY;
        }
    }
}

impl mistralrs::CustomLogitsProcessor for TokenRecorder {
    fn apply(&self, logits: &Tensor, _context: &[u32]) -> candle_core::Result<Tensor> {
        self.pick(logits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_protocol::Sampling;

    fn request(temperature: f32, ignore_eos: bool) -> Request {
        Request {
            id: 1,
            text: String::new(),
            prompt_token_ids: Some(vec![1, 2]),
            chat: false,
            max_tokens: 4,
            ignore_eos,
            sampling: Sampling {
                temperature,
                top_p: 1.0,
                seed: 9,
            },
        }
    }

    fn tensor(v: &[f32]) -> Tensor {
        Tensor::from_slice(v, v.len(), &Device::Cpu).expect("tensor")
    }

    fn values(t: &Tensor) -> Vec<f32> {
        t.to_vec1::<f32>().expect("f32")
    }

    #[test]
    fn greedy_reads_mistral_rs_pick_and_changes_nothing() {
        let r = TokenRecorder::new(&request(0.0, false), &[3], 5);
        let logits = [0.1, 2.0, -1.0, 5.0, 2.0];
        let out = r.pick(&tensor(&logits)).expect("pick");
        assert_eq!(values(&out), logits);
        // Ties go to the last maximum, as mistral.rs's argmax does.
        let _ = r.pick(&tensor(&[1.0, 4.0, 4.0, 0.0, 4.0])).expect("pick");
        assert_eq!(r.ids(), vec![3, 4]);
        assert_eq!(argmax_as_mistral_rs(&[1.0, 4.0, 4.0]), 2);
        assert_eq!(argmax_as_mistral_rs(&[]), 0);
    }

    #[test]
    fn ignore_eos_masks_end_of_sequence_only_when_it_would_win() {
        let r = TokenRecorder::new(&request(0.0, true), &[3], 5);
        let out = r.pick(&tensor(&[0.1, 2.0, -1.0, 5.0, 1.0])).expect("pick");
        assert_eq!(argmax_as_mistral_rs(&values(&out)), 1);
        assert!(values(&out)[3].is_infinite() && values(&out)[3] < 0.0);
        let _ = r.pick(&tensor(&[0.1, 2.0, -1.0, 0.0, 7.0])).expect("pick");
        assert_eq!(r.ids(), vec![1, 4]);
    }

    #[test]
    fn sampling_draws_with_the_host_sampler_and_forces_mistral_rs_to_agree() {
        let logits = [0.5f32, 0.4, 0.3, 0.2, 0.1, 0.0];
        let r = TokenRecorder::new(&request(1.0, false), &[], logits.len());
        let mut reference = Sampler::new(1.0, 1.0, 9, logits.len());
        for _ in 0..20 {
            let out = r.pick(&tensor(&logits)).expect("pick");
            let want = reference.sample(&mut logits.clone());
            assert_eq!(*r.ids().last().expect("id"), want);
            // mistral.rs's greedy pick over what the recorder returned is the drawn token.
            assert_eq!(argmax_as_mistral_rs(&values(&out)), want);
        }
        let distinct: std::collections::BTreeSet<u32> = r.ids().into_iter().collect();
        assert!(distinct.len() > 2, "{distinct:?}");
        assert!(r.busy_ns() > 0);
    }
}
