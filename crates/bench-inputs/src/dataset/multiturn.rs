//! Multi-turn conversations from a `ShareGPT`-style file, one prompt per user turn.
//!
//! Turn `k` of a conversation is sent with the history of turns `0..k`: each earlier user
//! message followed by the answer *recorded in the dataset* (not the answer the engine
//! generated), rendered with the model's chat template and ending in the generation prompt. So
//! every engine receives identical input ids, and turn `k`'s prompt begins with turn `k - 1`'s
//! prompt and its recorded answer: a server's prefix cache can reuse it.

use std::path::Path;

use serde_json::Value;

use super::Prompt;
use super::records::read_rows;
use crate::error::{Error, Result};
use crate::tokenizer::Tokenizer;

fn data_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Dataset {
        source_name: path.display().to_string(),
        message: message.into(),
    }
}

/// `(role, text)` of a `ShareGPT` or OpenAI-style message, roles mapped to `system`, `user`,
/// `assistant`; other speakers are dropped.
fn message(v: &Value) -> Option<(&'static str, &str)> {
    let speaker = v.get("from").or_else(|| v.get("role"))?.as_str()?;
    let text = v.get("value").or_else(|| v.get("content"))?.as_str()?;
    let role = match speaker {
        "system" => "system",
        "human" | "user" => "user",
        "gpt" | "assistant" | "chatgpt" | "bard" | "bing" => "assistant",
        _ => return None,
    };
    Some((role, text))
}

/// How many user turns each kept conversation contributes (at most `max_turns`), in file
/// order: the shape of the multi-turn dataset's prompts without rendering them.
pub fn multiturn_turns(path: &Path, max_turns: Option<u32>) -> Result<Vec<u32>> {
    let rows = read_rows(path)?;
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let users = messages_of(path, i, row)?
            .iter()
            .filter(|(r, _)| *r == "user")
            .count() as u32;
        let turns = max_turns.map_or(users, |m| users.min(m));
        if turns > 0 {
            out.push(turns);
        }
    }
    Ok(out)
}

fn messages_of<'a>(
    path: &Path,
    i: usize,
    row: &'a serde_json::Map<String, Value>,
) -> Result<Vec<(&'static str, &'a str)>> {
    let Some(Value::Array(turns)) = row.get("conversations").or_else(|| row.get("conversation"))
    else {
        return Err(data_err(
            path,
            format!("record {}: no 'conversations' array", i + 1),
        ));
    };
    Ok(turns.iter().filter_map(message).collect())
}

/// One prompt per user turn, conversations in file order and turns in order, at most
/// `max_turns` user turns per conversation. [`Prompt::conversation`] is the conversation's
/// position among those kept, [`Prompt::turn`] the 0-based turn; the expected output length is
/// the recorded answer's token count.
pub(crate) fn load(
    path: &Path,
    max_turns: Option<u32>,
    tokenizer: &Tokenizer,
) -> Result<Vec<Prompt>> {
    let rows = read_rows(path)?;
    let mut prompts = Vec::new();
    let mut conversation = 0u32;
    for (i, row) in rows.iter().enumerate() {
        let messages = messages_of(path, i, row)?;
        let mut history: Vec<(&str, &str)> = Vec::new();
        let mut turn = 0u32;
        for (j, &(role, text)) in messages.iter().enumerate() {
            if role != "user" {
                // System messages and recorded answers join the history; an answer that does
                // not follow a user turn (a conversation opening with the assistant) is dropped.
                if role == "system" || history.last().is_some_and(|(r, _)| *r == "user") {
                    history.push((role, text));
                }
                continue;
            }
            if max_turns.is_some_and(|m| turn >= m) {
                break;
            }
            history.push((role, text));
            let rendered = tokenizer.apply_chat_template_messages(&history)?;
            let answer = messages
                .get(j + 1)
                .filter(|(r, _)| *r == "assistant")
                .map(|(_, t)| *t);
            prompts.push(Prompt {
                index: prompts.len(),
                text: rendered,
                reference: answer.map(str::to_owned),
                expected_output_tokens: answer
                    .map(|a| tokenizer.count(a).map(|n| n.max(1) as u32))
                    .transpose()?,
                group: None,
                conversation: Some(conversation),
                turn: Some(turn),
            });
            turn += 1;
        }
        if turn > 0 {
            conversation += 1;
        }
    }
    if prompts.is_empty() {
        return Err(data_err(path, "no conversation has a user turn"));
    }
    Ok(prompts)
}
