//! What one request measured as its stream arrived, and the [`Sample`] built from it afterwards.

use serde_json::{Map, Value};
use shared_protocol::{
    FinishReason, Outcome, Phase, Reasoning, Request, Sample, TokenCounts, TokenSource,
};

/// Per-request measurements. Buffers are sized before the request is sent, so recording a chunk
/// is two pushes and a short copy.
#[derive(Debug)]
pub struct Recorder {
    /// Host monotonic time just before the request was written.
    pub start_ns: u64,
    /// Open loop: the intended send time.
    pub scheduled_ns: Option<u64>,
    /// Arrival time of each content chunk (reasoning and answer alike).
    stamps_ns: Vec<u64>,
    /// Arrival time of the first answer chunk (not reasoning).
    first_answer_ns: Option<u64>,
    /// Chunks that carried reasoning only.
    reasoning_chunks: u32,
    /// Reasoning text, still JSON-escaped (empty until a reasoning chunk arrives).
    reasoning_raw: Vec<u8>,
    /// The server's `usage.completion_tokens_details.reasoning_tokens`.
    pub server_reasoning: Option<u32>,
    /// Tokens in each content chunk.
    tokens: Vec<u32>,
    /// Generated text, still JSON-escaped.
    raw_text: Vec<u8>,
    /// The server's cumulative completion count seen last (continuous usage).
    cumulative: Option<u64>,
    pub server_prompt: Option<u32>,
    pub server_completion: Option<u32>,
    pub finish: Option<FinishReason>,
    pub engine_metrics: Map<String, Value>,
    /// Arrival of the stream's terminator.
    pub done_ns: Option<u64>,
}

impl Recorder {
    /// A recorder for a reply of up to `max_tokens` tokens.
    pub fn new(max_tokens: u32) -> Recorder {
        // Bounded so that a huge `max_tokens` does not reserve memory it will never use.
        let cap = (max_tokens as usize).saturating_add(1).min(1 << 16);
        Recorder {
            start_ns: 0,
            scheduled_ns: None,
            stamps_ns: Vec::with_capacity(cap),
            first_answer_ns: None,
            reasoning_chunks: 0,
            reasoning_raw: Vec::new(),
            server_reasoning: None,
            tokens: Vec::with_capacity(cap),
            raw_text: Vec::with_capacity(cap * 6),
            cumulative: None,
            server_prompt: None,
            server_completion: None,
            finish: None,
            engine_metrics: Map::new(),
            done_ns: None,
        }
    }

    /// An answer chunk (content or a tool call) that carries generated text `raw` (escaped),
    /// `tokens` tokens of it.
    #[inline]
    pub fn content(&mut self, stamp_ns: u64, raw: &[u8], tokens: u32) {
        self.first_answer_ns.get_or_insert(stamp_ns);
        self.chunk(stamp_ns, raw, tokens);
    }

    /// A chunk that carries reasoning only: generated tokens like any other, before the answer.
    #[inline]
    pub fn reasoning(&mut self, stamp_ns: u64, raw: &[u8], tokens: u32) {
        self.reasoning_chunks += 1;
        self.reasoning_raw.extend_from_slice(raw);
        self.chunk(stamp_ns, raw, tokens);
    }

    /// Reasoning text that came in an answer chunk (counted with that chunk).
    pub fn reasoning_text(&mut self, raw: &[u8]) {
        self.reasoning_raw.extend_from_slice(raw);
        self.raw_text.extend_from_slice(raw);
    }

    #[inline]
    fn chunk(&mut self, stamp_ns: u64, raw: &[u8], tokens: u32) {
        self.stamps_ns.push(stamp_ns);
        self.tokens.push(tokens);
        self.raw_text.extend_from_slice(raw);
    }

    /// The server's cumulative completion count from a chunk's usage; returns the increase
    /// since the last one (the tokens this chunk carries).
    #[inline]
    pub fn cumulative_completion(&mut self, total: u64) -> Option<u32> {
        let before = self.cumulative.replace(total)?;
        Some(total.saturating_sub(before) as u32)
    }

    /// Content chunks so far.
    pub fn chunks(&self) -> usize {
        self.stamps_ns.len()
    }

    /// Turn the measurements into a sample; `end_ns` is when the request finished or failed.
    pub fn into_sample(
        self,
        request: &Request,
        phase: Phase,
        outcome: Outcome,
        end_ns: u64,
    ) -> Sample {
        let start = self.start_ns;
        let end = self.done_ns.unwrap_or(end_ns);
        let chunk_tokens: u32 = self.tokens.iter().sum();
        let (completion_tokens, completion_source) = match self.server_completion {
            Some(n) => (n, TokenSource::ServerUsage),
            None => (chunk_tokens, TokenSource::ChunkCount),
        };
        let (prompt_tokens, prompt_source) = match (self.server_prompt, &request.prompt_token_ids) {
            (Some(n), _) => (Some(n), Some(TokenSource::ServerUsage)),
            (None, Some(ids)) => (Some(ids.len() as u32), Some(TokenSource::Tokenizer)),
            (None, None) => (None, None),
        };
        let finish_reason = if outcome.is_ok() { self.finish } else { None };
        let reasoning = (self.reasoning_chunks > 0 || self.server_reasoning.is_some_and(|n| n > 0))
            .then(|| Reasoning {
                first_answer_ns: self.first_answer_ns.map(|t| t.saturating_sub(start)),
                chunks: self.reasoning_chunks,
                tokens: self.server_reasoning,
                tokens_source: self.server_reasoning.map(|_| TokenSource::ServerUsage),
                server_tokens: self.server_reasoning,
                tokenizer_tokens: None,
                text: crate::scan::unescape(&self.reasoning_raw),
            });
        Sample {
            request_id: request.id,
            phase,
            outcome,
            start_mono_ns: start,
            scheduled_mono_ns: self.scheduled_ns,
            prefill_ns: None,
            ttft_ns: self.stamps_ns.first().map(|t| t.saturating_sub(start)),
            e2e_ns: end.saturating_sub(start),
            itl_ns: self.stamps_ns.windows(2).map(|w| w[1] - w[0]).collect(),
            tokens_per_chunk: Some(self.tokens.get(1..).unwrap_or_default().to_vec()),
            prompt_tokens,
            prompt_tokens_source: prompt_source,
            completion_tokens,
            completion_tokens_source: completion_source,
            token_counts: TokenCounts {
                server_prompt: self.server_prompt,
                server_completion: self.server_completion,
                tokenizer_completion: None,
                chunks: Some(self.stamps_ns.len() as u32),
            },
            device_clock: None,
            prefill_device_ns: None,
            decode_device_ns: None,
            finish_reason,
            output_token_ids: None,
            output_text: crate::scan::unescape(&self.raw_text),
            engine_metrics: self.engine_metrics,
            reasoning,
            retry: 0,
        }
    }
}

/// A server's finish reason in the project's terms. `OpenAI`'s `stop` means end-of-sequence
/// here, since the workloads send no stop sequences.
pub fn finish_reason(raw: &[u8]) -> FinishReason {
    match raw {
        b"length" | b"max_tokens" => FinishReason::Length,
        b"stop" | b"eos" | b"eos_token" | b"end_turn" => FinishReason::Eos,
        _ => FinishReason::Stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_protocol::Sampling;

    #[test]
    fn sample_from_chunks() {
        let request = Request {
            id: 3,
            text: "x".into(),
            prompt_token_ids: Some(vec![1, 2]),
            chat: true,
            max_tokens: 8,
            ignore_eos: false,
            sampling: Sampling::default(),
        };
        let mut r = Recorder::new(8);
        r.start_ns = 1_000;
        r.content(1_500, b"a", 1);
        r.content(1_700, b"\\u00e9", 2);
        r.content(2_000, b"c", 1);
        r.done_ns = Some(2_100);
        r.finish = Some(FinishReason::Length);
        let s = r.into_sample(&request, Phase::Measure, Outcome::Ok, 9_999);
        assert_eq!(s.ttft_ns, Some(500));
        assert_eq!(s.itl_ns, vec![200, 300]);
        assert_eq!(s.tokens_per_chunk, Some(vec![2, 1]));
        assert_eq!(s.e2e_ns, 1_100);
        assert_eq!(
            (s.completion_tokens, s.completion_tokens_source),
            (4, TokenSource::ChunkCount)
        );
        assert_eq!(
            (s.prompt_tokens, s.prompt_tokens_source),
            (Some(2), Some(TokenSource::Tokenizer))
        );
        assert_eq!(s.token_counts.chunks, Some(3));
        assert_eq!(s.output_text.as_deref(), Some("aéc"));
        assert_eq!(s.finish_reason, Some(FinishReason::Length));
    }
}
