//! One request through mistral.rs: sent to its scheduler as token ids, its streamed chunks
//! stamped on arrival, then its ids and the chunk each token came in.

use std::sync::Arc;

use anyhow::bail;
use bench_worker::TokenSink;
use mistralrs::{Constraint, Model, NormalRequest, RequestMessage, Response, SamplingParams};
use serde_json::Value;
use shared_protocol::Request;
use tokio::sync::mpsc;

use crate::recorder::TokenRecorder;

/// What one request needs from the loaded engine.
#[derive(Debug, Clone, Copy)]
pub struct Limits<'a> {
    pub eos_ids: &'a [u32],
    pub vocab: usize,
    /// Most positions the model holds (prompt plus output).
    pub max_seq_len: usize,
}

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// An end-of-sequence (or stop) token.
    Stop,
    /// `max_tokens`, or the model's length.
    Length,
}

/// Refuse a request mistral.rs would have to truncate or cannot take.
pub fn check(request: &Request, ctx: &Limits<'_>) -> anyhow::Result<()> {
    bench_worker::inputs::prompt_ids(
        request,
        "mistral-rs-bench",
        ctx.max_seq_len,
        "the model's positions",
    )?;
    if request.max_tokens == 0 {
        bail!("max_tokens must be at least 1");
    }
    Ok(())
}

/// Run `request` on `model`, stamping each streamed chunk in `sink` (already started), then
/// giving the sink the ids and chunk sizes and the recorder's time. The caller reads the clock
/// when this returns.
pub async fn run(
    model: &Model,
    request: &Request,
    ctx: &Limits<'_>,
    sink: &mut TokenSink,
) -> anyhow::Result<()> {
    check(request, ctx)?;
    let recorder = Arc::new(TokenRecorder::new(request, ctx.eos_ids, ctx.vocab));
    run_recorded(model, request, sink, recorder).await
}

/// [`run`] with a recorder of the caller's (one that keeps the first logits, say); the request
/// must have passed [`check`].
pub async fn run_recorded(
    model: &Model,
    request: &Request,
    sink: &mut TokenSink,
    recorder: Arc<TokenRecorder>,
) -> anyhow::Result<()> {
    let prompt = request.prompt_token_ids.clone().unwrap_or_default();
    // Room for every chunk: mistral.rs's engine never waits for this task to read one.
    let (tx, mut rx) = mpsc::channel(request.max_tokens as usize + 2);
    let sampling_params = SamplingParams {
        max_len: Some(request.max_tokens as usize),
        ..SamplingParams::deterministic()
    };
    let processor: Arc<dyn mistralrs::CustomLogitsProcessor> = recorder.clone();
    let normal = NormalRequest {
        messages: RequestMessage::CompletionTokens(prompt),
        sampling_params,
        response: tx,
        return_logprobs: false,
        is_streaming: true,
        id: 0,
        constraint: Constraint::None,
        suffix: None,
        tools: None,
        tool_choice: None,
        logits_processors: Some(vec![processor]),
        return_raw_logits: false,
        web_search_options: None,
        model_id: None,
        truncate_sequence: false,
    };
    model
        .inner()
        .get_sender(None)
        .map_err(|e| anyhow::anyhow!("mistral.rs takes no request: {e}"))?
        .send(mistralrs::Request::Normal(Box::new(normal)))
        .await
        .map_err(|_| anyhow::anyhow!("mistral.rs's engine has stopped"))?;
    let end = receive(&mut rx, sink).await?;
    drop(rx);
    let ids = recorder.ids();
    finish(model, sink, ids, end).await?;
    sink.set_engine_metric("recorder_ns", Value::from(recorder.busy_ns()));
    Ok(())
}

/// Stamp each chunk as it arrives until the one that says the sequence is done.
async fn receive(rx: &mut mpsc::Receiver<Response>, sink: &mut TokenSink) -> anyhow::Result<End> {
    while let Some(response) = rx.recv().await {
        match response {
            Response::CompletionChunk(chunk) => {
                let _ = sink.chunk_arrived();
                if let Some(reason) = chunk
                    .choices
                    .first()
                    .and_then(|c| c.finish_reason.as_deref())
                {
                    return Ok(if reason == "stop" {
                        End::Stop
                    } else {
                        End::Length
                    });
                }
            }
            Response::CompletionDone(done) => {
                let reason = done.choices.first().map(|c| c.finish_reason.as_str());
                return Ok(if reason == Some("stop") {
                    End::Stop
                } else {
                    End::Length
                });
            }
            Response::InternalError(e) => bail!("mistral.rs failed: {e}"),
            Response::ValidationError(e) => bail!("mistral.rs refused the request: {e}"),
            Response::CompletionModelError(msg, _) | Response::ModelError(msg, _) => {
                bail!("mistral.rs's model failed: {msg}")
            }
            other => bail!(
                "mistral.rs answered a completion request with {}",
                response_kind(&other)
            ),
        }
    }
    bail!("mistral.rs closed the stream without finishing the sequence")
}

fn response_kind(r: &Response) -> &'static str {
    match r {
        Response::Done(_) | Response::Chunk(_) => "a chat response",
        Response::ImageGeneration(_) => "an image",
        Response::Speech { .. } => "speech",
        Response::Raw { .. } => "raw logits",
        Response::Embeddings { .. } => "embeddings",
        _ => "an unexpected response",
    }
}

/// Give the sink the ids (without an end-of-sequence token) and each chunk's token count.
async fn finish(
    model: &Model,
    sink: &mut TokenSink,
    mut ids: Vec<u32>,
    end: End,
) -> anyhow::Result<()> {
    let chunks = sink.chunks();
    let (mut sizes, exact) = if chunks == ids.len() {
        (vec![1; chunks], true)
    } else {
        let emits = held_back(model, &ids).await?;
        fit(&sizes_from_emits(&emits), chunks)
    };
    if !exact {
        sink.set_engine_metric("chunk_sizes_approximate", Value::Bool(true));
    }
    if end == End::Stop {
        // The end-of-sequence token came in the last chunk (mistral.rs streams it as text,
        // empty): it is not a generated token.
        ids.pop();
        sink.end_of_sequence();
        match sizes.last_mut() {
            Some(1) => {
                sizes.pop();
                sink.drop_last_chunk();
            }
            Some(n) => *n -= 1,
            None => {}
        }
    }
    sink.chunk_ids(&ids, &sizes)
}

/// For each token, whether mistral.rs sent a chunk after it: it holds a token back while the
/// text since its last chunk ends in an incomplete UTF-8 sequence (decoded lossily, U+FFFD).
async fn held_back(model: &Model, ids: &[u32]) -> anyhow::Result<Vec<bool>> {
    let mut emits = Vec::with_capacity(ids.len());
    let mut from = 0;
    for k in 0..ids.len() {
        let text = model
            .detokenize(ids[from..=k].to_vec(), true)
            .await
            .map_err(|e| anyhow::anyhow!("mistral.rs cannot decode its tokens: {e}"))?;
        let emit = !text.ends_with('\u{FFFD}');
        if emit {
            from = k + 1;
        }
        emits.push(emit);
    }
    Ok(emits)
}

/// Chunk sizes from which tokens ended a chunk; tokens after the last that did join it.
pub fn sizes_from_emits(emits: &[bool]) -> Vec<u32> {
    let mut sizes = Vec::new();
    let mut run = 0u32;
    for &e in emits {
        run += 1;
        if e {
            sizes.push(run);
            run = 0;
        }
    }
    if run > 0 {
        match sizes.last_mut() {
            Some(last) => *last += run,
            None => sizes.push(run),
        }
    }
    sizes
}

/// `sizes` when they match the `chunks` stamped (exact); otherwise sizes that do, every chunk
/// one token and the rest on the last, flagged as approximate. `chunks` must not exceed the
/// tokens.
pub fn fit(sizes: &[u32], chunks: usize) -> (Vec<u32>, bool) {
    if sizes.len() == chunks {
        return (sizes.to_vec(), true);
    }
    let total: u32 = sizes.iter().sum();
    let mut out = vec![1; chunks];
    if let Some(last) = out.last_mut() {
        *last = total.saturating_sub(chunks as u32 - 1).max(1);
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_tokens_join_the_next_chunk() {
        assert_eq!(sizes_from_emits(&[true, true, true]), vec![1, 1, 1]);
        assert_eq!(
            sizes_from_emits(&[true, false, false, true, true]),
            vec![1, 3, 1]
        );
        // Trailing held tokens join the last chunk.
        assert_eq!(sizes_from_emits(&[true, true, false]), vec![1, 2]);
        assert_eq!(sizes_from_emits(&[false, false]), vec![2]);
        assert!(sizes_from_emits(&[]).is_empty());
    }

    #[test]
    fn sizes_that_disagree_with_the_stamps_are_flagged() {
        assert_eq!(fit(&[1, 3, 1], 3), (vec![1, 3, 1], true));
        assert_eq!(fit(&[1, 3, 1], 2), (vec![1, 4], false));
        assert_eq!(fit(&[1, 1], 1), (vec![2], false));
    }
}
