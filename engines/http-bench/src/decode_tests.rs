//! Tests of stream decoding, one flavour and shape at a time.

use super::*;
use shared_protocol::FinishReason;

fn run(api: Api, chunks: &[&[u8]]) -> (Recorder, Result<Progress, StreamError>) {
    let mut d = Decoder::new(api);
    let mut rec = Recorder::new(16);
    let mut last = Ok(Progress::More);
    for (i, c) in chunks.iter().enumerate() {
        last = d.feed(c, 10 * (i as u64 + 1), &mut rec);
        if !matches!(last, Ok(Progress::More)) {
            break;
        }
    }
    (rec, last)
}

#[test]
fn chat_latches_on_content_not_the_role_chunk() {
    let (rec, r) = run(
        Api::Chat,
        &[
            b"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
            b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n",
            b"data: {\"choices\":[{\"delta\":{\"content\":\" there\"},\"finish_reason\":\"length\"}]}\n\n",
            b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
        ],
    );
    assert_eq!(r, Ok(Progress::Done));
    assert_eq!(rec.chunks(), 2);
    assert_eq!(
        (rec.server_prompt, rec.server_completion),
        (Some(5), Some(2))
    );
    assert_eq!(rec.finish, Some(FinishReason::Length));
    assert_eq!(rec.done_ns, Some(40));
}

#[test]
fn continuous_usage_gives_tokens_per_chunk() {
    let (rec, _) = run(
        Api::Completions,
        &[
            b"data: {\"choices\":[{\"text\":\"\"}],\"usage\":{\"completion_tokens\":0}}\n\n",
            b"data: {\"choices\":[{\"text\":\"ab\"}],\"usage\":{\"completion_tokens\":3}}\n\n",
            b"data: {\"choices\":[{\"text\":\"c\"}],\"usage\":{\"completion_tokens\":4}}\n\n",
        ],
    );
    let s = rec.into_sample(
        &shared_protocol::Request {
            id: 0,
            text: String::new(),
            prompt_token_ids: None,
            chat: false,
            max_tokens: 4,
            ignore_eos: false,
            sampling: shared_protocol::Sampling::default(),
        },
        shared_protocol::Phase::Measure,
        shared_protocol::Outcome::Ok,
        100,
    );
    assert_eq!(s.tokens_per_chunk, Some(vec![1]));
    assert_eq!(s.completion_tokens, 4);
    assert_eq!(s.output_text.as_deref(), Some("abc"));
}

#[test]
fn malformed_and_error_events_fail() {
    let (_, r) = run(
        Api::Chat,
        &[b"data: {\"choices\":[{\"delta\":{\"content\":\"tru\n\n"],
    );
    assert!(matches!(r, Err(StreamError::Malformed(_))), "{r:?}");
    let (_, r) = run(Api::Chat, &[b"data: not json\n\n"]);
    assert!(matches!(r, Err(StreamError::Malformed(_))), "{r:?}");
    let (_, r) = run(
        Api::Chat,
        &[b"data: {\"error\":{\"message\":\"boom\",\"code\":500}}\n\n"],
    );
    assert_eq!(r, Err(StreamError::Engine("boom".into())));
}

#[test]
fn ollama_final_line_carries_counts_and_durations() {
    let (rec, r) = run(
        Api::OllamaChat,
        &[
            b"{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n",
            b"{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":7,\"eval_count\":1,\"eval_duration\":1000,\"prompt_eval_duration\":500,\"load_duration\":9}\n",
        ],
    );
    assert_eq!(r, Ok(Progress::Done));
    assert_eq!(rec.chunks(), 1);
    assert_eq!(
        (rec.server_prompt, rec.server_completion),
        (Some(7), Some(1))
    );
    assert_eq!(rec.engine_metrics["eval_duration"], 1000);
    assert_eq!(rec.finish, Some(FinishReason::Eos));
}

#[test]
fn tgi_skips_special_tokens_and_ends_on_details() {
    let (rec, r) = run(
        Api::Tgi,
        &[
            b"data:{\"index\":1,\"token\":{\"id\":5,\"text\":\"Hi\",\"special\":false},\"generated_text\":null,\"details\":null}\n\n",
            b"data:{\"index\":2,\"token\":{\"id\":2,\"text\":\"</s>\",\"special\":true},\"generated_text\":\"Hi\",\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":2}}\n\n",
        ],
    );
    assert_eq!(r, Ok(Progress::Done));
    assert_eq!(rec.chunks(), 1);
    assert_eq!(rec.server_completion, Some(2));
    assert_eq!(rec.finish, Some(FinishReason::Eos));
}

fn request(max_tokens: u32) -> shared_protocol::Request {
    shared_protocol::Request {
        id: 0,
        text: String::new(),
        prompt_token_ids: None,
        chat: true,
        max_tokens,
        ignore_eos: false,
        sampling: shared_protocol::Sampling::default(),
    }
}

fn sample(rec: Recorder) -> shared_protocol::Sample {
    rec.into_sample(
        &request(16),
        shared_protocol::Phase::Measure,
        shared_protocol::Outcome::Ok,
        1_000,
    )
}

/// Chat events, one write each (arriving at 10, 20, ... ns), then the terminator.
fn run_chat(events: &[&str]) -> (Recorder, Result<Progress, StreamError>) {
    let mut writes: Vec<Vec<u8>> = events
        .iter()
        .map(|e| format!("data: {e}\n\n").into_bytes())
        .collect();
    writes.push(b"data: [DONE]\n\n".to_vec());
    let writes: Vec<&[u8]> = writes.iter().map(Vec::as_slice).collect();
    run(Api::Chat, &writes)
}

#[test]
fn reasoning_chunks_are_tokens_before_the_answer() {
    // Role at 10 ns, reasoning at 20 and 30, the answer at 40 and 50, usage at 60.
    let (rec, r) = run_chat(&[
        r#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#,
        r#"{"choices":[{"delta":{"reasoning_content":"Let"}}]}"#,
        r#"{"choices":[{"delta":{"reasoning":" me"}}]}"#,
        r#"{"choices":[{"delta":{"content":"Hi","reasoning_content":null}}]}"#,
        r#"{"choices":[{"delta":{"content":"!"},"finish_reason":"stop"}]}"#,
        r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"completion_tokens_details":{"reasoning_tokens":2}}}"#,
    ]);
    assert_eq!(r, Ok(Progress::Done));
    let s = sample(rec);
    // TTFT is the first reasoning chunk; ITL spans every chunk after it, reasoning or answer.
    assert_eq!(s.ttft_ns, Some(20));
    assert_eq!(s.itl_ns, vec![10, 10, 10]);
    assert_eq!(s.token_counts.chunks, Some(4));
    assert_eq!(s.output_text.as_deref(), Some("Let meHi!"));
    let reasoning = s.reasoning.expect("reasoning recorded");
    assert_eq!(reasoning.first_answer_ns, Some(40));
    assert_eq!(reasoning.chunks, 2);
    assert_eq!(
        (reasoning.tokens, reasoning.tokens_source),
        (Some(2), Some(shared_protocol::TokenSource::ServerUsage))
    );
    assert_eq!(reasoning.text.as_deref(), Some("Let me"));
}

#[test]
fn tool_call_fragments_are_answer_chunks() {
    let (rec, r) = run_chat(&[
        r#"{"choices":[{"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"weather","arguments":""}}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":" \"Paris\"}"}}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[ ]},"finish_reason":"tool_calls"}]}"#,
    ]);
    assert_eq!(r, Ok(Progress::Done));
    assert_eq!(rec.chunks(), 3, "the empty tool_calls array is no chunk");
    let s = sample(rec);
    assert_eq!(s.ttft_ns, Some(10));
    assert_eq!(s.itl_ns, vec![10, 10]);
    assert_eq!(s.output_text.as_deref(), Some(r#"{"city": "Paris"}"#));
    assert_eq!(s.finish_reason, Some(FinishReason::Stop));
    assert!(s.reasoning.is_none(), "no reasoning in the stream");
}

#[test]
fn reasoning_then_tool_call_latches_the_answer_on_the_call() {
    let (rec, _) = run_chat(&[
        r#"{"choices":[{"delta":{"reasoning_content":"hmm"}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f"}}]}}]}"#,
    ]);
    let s = sample(rec);
    assert_eq!(s.ttft_ns, Some(10));
    assert_eq!(s.itl_ns, vec![10]);
    let mut reasoning = s.reasoning.expect("reasoning recorded");
    assert_eq!(reasoning.first_answer_ns, Some(20));
    assert_eq!((reasoning.tokens, reasoning.tokens_source), (None, None));
    // Without the server's count, the tokenizer's stands (here one token a character).
    reasoning.count_with(|t| u32::try_from(t.chars().count()).ok());
    assert_eq!(
        (reasoning.tokens, reasoning.tokens_source),
        (Some(3), Some(shared_protocol::TokenSource::Tokenizer))
    );
}
