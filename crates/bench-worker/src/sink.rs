//! The timed token sink: the only project code that runs inside a timed region.
//!
//! Buffers are sized before the engine is called; each [`TokenSink::token`] call reads the clock
//! once and writes two preallocated slots.

use shared_protocol::{
    DeviceClockKind, FinishReason, Outcome, Phase, Request, Sample, TokenCounts, TokenSource,
};

use crate::clock::{DeviceClock, DeviceTimings, Mark, mono_ns};

/// Whether the engine should produce another token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Flow {
    Continue,
    /// `max_tokens` reached: stop generating.
    Stop,
}

/// Receives an engine's prefill mark and tokens, timestamping each on the host monotonic clock.
pub struct TokenSink {
    max_tokens: u32,
    start_ns: u64,
    prefill_end_ns: Option<u64>,
    stamps_ns: Vec<u64>,
    ids: Vec<u32>,
    eos: bool,
    clock: Option<Box<dyn DeviceClock>>,
    /// The device marked the prefill end when it was queued ([`TokenSink::prefill_queued`]).
    prefill_queued: bool,
    /// Tokens whose forward pass the device marked when it was queued
    /// ([`TokenSink::step_queued`]).
    steps_queued: u32,
    /// Chunked mode ([`TokenSink::chunk_arrived`]): the stamps are per chunk, and this holds how
    /// many tokens each chunk carried once [`TokenSink::chunk_ids`] has told.
    tokens_per_chunk: Option<Vec<u32>>,
    /// What the engine reports about the request besides its tokens, put in the sample.
    engine_metrics: serde_json::Map<String, serde_json::Value>,
}

impl TokenSink {
    /// A sink with an optional device clock. The worker loop owns one; tests and benchmarks may
    /// build their own.
    pub fn new(clock: Option<Box<dyn DeviceClock>>) -> Self {
        TokenSink {
            max_tokens: 0,
            start_ns: 0,
            prefill_end_ns: None,
            stamps_ns: Vec::new(),
            ids: Vec::new(),
            eos: false,
            clock,
            prefill_queued: false,
            steps_queued: 0,
            tokens_per_chunk: None,
            engine_metrics: serde_json::Map::new(),
        }
    }

    /// Prepare for a request of at most `max_tokens` tokens. Allocates; call outside timing.
    pub fn prepare(&mut self, max_tokens: u32) -> anyhow::Result<()> {
        self.max_tokens = max_tokens;
        self.prefill_end_ns = None;
        self.prefill_queued = false;
        self.steps_queued = 0;
        self.eos = false;
        self.stamps_ns.clear();
        self.ids.clear();
        self.tokens_per_chunk = None;
        self.engine_metrics.clear();
        self.stamps_ns.reserve(max_tokens as usize);
        self.ids.reserve(max_tokens as usize);
        if let Some(clock) = self.clock.as_mut() {
            clock.prepare(max_tokens)?;
        }
        Ok(())
    }

    /// Mark submission: the host reading first, then the device mark.
    #[inline]
    pub fn start(&mut self) {
        self.start_ns = mono_ns();
        if let Some(clock) = self.clock.as_mut() {
            clock.mark(Mark::Start);
        }
    }

    /// The engine has queued its prefill forward pass on the device and not yet waited for it.
    /// The device clock marks the prefill's end here, on the device's own timeline (an event
    /// completes when the work queued before it does), instead of in
    /// [`TokenSink::prefill_done`], after the host waited. Optional; a no-op without a device
    /// clock.
    #[inline]
    pub fn prefill_queued(&mut self) {
        if let Some(clock) = self.clock.as_mut() {
            clock.mark(Mark::PrefillEnd);
            self.prefill_queued = true;
        }
    }

    /// The engine has queued the forward pass that produces the next token and not yet waited
    /// for it: the device clock marks that token here rather than in [`TokenSink::token`]. If
    /// the pass produces end-of-sequence, its mark stays as the end of the request's device
    /// work (the host's end-to-end time includes that pass too). Optional; a no-op without a
    /// device clock.
    #[inline]
    pub fn step_queued(&mut self) {
        let n = self.steps_queued;
        if n < self.max_tokens
            && let Some(clock) = self.clock.as_mut()
        {
            clock.mark(Mark::Token(n));
            self.steps_queued = n + 1;
        }
    }

    /// The engine is about to launch the forward pass that produces the next token (after the
    /// first, which the prefill produces): the device clock marks where that pass starts on the
    /// device's timeline, so that the token's device figure is the pass itself, not the time
    /// the device waited for the host in between. Pair with [`TokenSink::step_queued`].
    /// Optional; a no-op without a device clock.
    #[inline]
    pub fn step_begins(&mut self) {
        let n = self.steps_queued;
        if n < self.max_tokens
            && let Some(clock) = self.clock.as_mut()
        {
            clock.mark(Mark::StepStart(n));
        }
    }

    /// The engine finished its prefill forward pass.
    #[inline]
    pub fn prefill_done(&mut self) {
        self.prefill_end_ns = Some(mono_ns());
        if !self.prefill_queued
            && let Some(clock) = self.clock.as_mut()
        {
            clock.mark(Mark::PrefillEnd);
        }
    }

    /// A generated token. Returns [`Flow::Stop`] once `max_tokens` tokens have been received;
    /// tokens past that are ignored.
    #[inline]
    pub fn token(&mut self, id: u32) -> Flow {
        let now = mono_ns();
        let n = self.ids.len() as u32;
        if n >= self.max_tokens {
            return Flow::Stop;
        }
        self.stamps_ns.push(now);
        self.ids.push(id);
        if n >= self.steps_queued
            && let Some(clock) = self.clock.as_mut()
        {
            clock.mark(Mark::Token(n));
        }
        if n + 1 >= self.max_tokens {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// A streamed chunk of generated tokens arrived, whose ids and count the engine learns only
    /// when the stream ends (an engine that streams text, like a server): stamps the arrival.
    /// Give the ids with [`TokenSink::chunk_ids`] after the stream. Do not mix with
    /// [`TokenSink::token`] in one request. Returns [`Flow::Stop`] once `max_tokens` chunks have
    /// arrived (a chunk carries at least one token); arrivals past that are ignored.
    #[inline]
    pub fn chunk_arrived(&mut self) -> Flow {
        let now = mono_ns();
        let n = self.stamps_ns.len() as u32;
        if n >= self.max_tokens {
            return Flow::Stop;
        }
        self.stamps_ns.push(now);
        if n + 1 >= self.max_tokens {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// After a stream stamped by [`TokenSink::chunk_arrived`]: the generated ids (without an
    /// end-of-sequence token) and how many of them each stamped chunk carried, in order. The
    /// sample's inter-token latencies are then the gaps between chunks, with
    /// `tokens_per_chunk`, as for a served engine. Call outside timing (it allocates).
    pub fn chunk_ids(&mut self, ids: &[u32], tokens_per_chunk: &[u32]) -> anyhow::Result<()> {
        let chunks = self.stamps_ns.len();
        if tokens_per_chunk.len() != chunks {
            anyhow::bail!(
                "{} chunk sizes for {chunks} stamped chunks",
                tokens_per_chunk.len()
            );
        }
        if tokens_per_chunk.contains(&0) {
            anyhow::bail!("a stamped chunk carried no token");
        }
        let total: u64 = tokens_per_chunk.iter().map(|&n| u64::from(n)).sum();
        if total != ids.len() as u64 {
            anyhow::bail!(
                "chunks carry {total} tokens but {} ids were given",
                ids.len()
            );
        }
        if ids.len() > self.max_tokens as usize {
            anyhow::bail!("{} tokens exceed max_tokens {}", ids.len(), self.max_tokens);
        }
        self.ids.clear();
        self.ids.extend_from_slice(ids);
        self.tokens_per_chunk = Some(tokens_per_chunk.to_vec());
        Ok(())
    }

    /// Forget the stamp of the last chunk (one that carried only the end-of-sequence token,
    /// which is not a generated token); returns whether there was one.
    pub fn drop_last_chunk(&mut self) -> bool {
        self.stamps_ns.pop().is_some()
    }

    /// Something the engine reports about this request (its own counters, say), recorded in
    /// the sample's `engine_metrics`. Call outside timing (it allocates).
    pub fn set_engine_metric(&mut self, key: &str, value: serde_json::Value) {
        self.engine_metrics.insert(key.to_owned(), value);
    }

    /// Chunks stamped so far by [`TokenSink::chunk_arrived`].
    pub fn chunks(&self) -> usize {
        self.stamps_ns.len()
    }

    /// The engine stopped at its end-of-sequence token (not counted as a completion token).
    pub fn end_of_sequence(&mut self) {
        self.eos = true;
    }

    /// Tokens still allowed.
    pub fn remaining(&self) -> u32 {
        self.max_tokens.saturating_sub(self.ids.len() as u32)
    }

    /// Tokens received so far.
    pub fn produced(&self) -> u32 {
        self.ids.len() as u32
    }

    /// The ids received so far.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Turn what was recorded into a sample. `end_ns` is the host reading taken when the engine
    /// returned; `outcome` says whether it succeeded. Reads the device clock (synchronising).
    pub fn finish(
        &mut self,
        request: &Request,
        phase: Phase,
        end_ns: u64,
        outcome: Outcome,
    ) -> (Sample, Option<anyhow::Error>) {
        let start = self.start_ns;
        let ttft_ns = self.stamps_ns.first().map(|t| t - start);
        let itl_ns = self.stamps_ns.windows(2).map(|w| w[1] - w[0]).collect();
        let (device_clock, device, device_err) = self.read_device();
        let finish_reason = match (&outcome, self.eos) {
            (Outcome::Failed { .. }, _) => None,
            (Outcome::Ok, true) => Some(FinishReason::Eos),
            (Outcome::Ok, false) => Some(FinishReason::Length),
        };
        let sample = Sample {
            request_id: request.id,
            phase,
            outcome,
            start_mono_ns: start,
            scheduled_mono_ns: None,
            prefill_ns: self.prefill_end_ns.map(|t| t - start),
            ttft_ns,
            e2e_ns: end_ns.saturating_sub(start),
            itl_ns,
            tokens_per_chunk: self.tokens_per_chunk.clone(),
            prompt_tokens: request
                .prompt_token_ids
                .as_ref()
                .map(|ids| ids.len() as u32),
            prompt_tokens_source: request
                .prompt_token_ids
                .as_ref()
                .map(|_| TokenSource::Tokenizer),
            completion_tokens: self.ids.len() as u32,
            completion_tokens_source: TokenSource::Engine,
            token_counts: TokenCounts::default(),
            device_clock,
            prefill_device_ns: device.as_ref().and_then(|d| d.prefill_ns),
            decode_device_ns: device.map(|d| d.decode_ns),
            finish_reason,
            output_token_ids: Some(self.ids.clone()),
            output_text: None,
            engine_metrics: std::mem::take(&mut self.engine_metrics),
            reasoning: None,
            retry: 0,
        };
        (sample, device_err)
    }

    fn read_device(
        &mut self,
    ) -> (
        Option<DeviceClockKind>,
        Option<DeviceTimings>,
        Option<anyhow::Error>,
    ) {
        let Some(clock) = self.clock.as_mut() else {
            return (None, None, None);
        };
        match clock.read() {
            Ok(t) => (Some(clock.kind()), Some(t), None),
            Err(e) => (None, None, Some(e)),
        }
    }
}

#[cfg(test)]
#[path = "sink_tests.rs"]
mod tests;
