//! Prompts from files: JSONL / JSON / CSV with a prompt field, and `ShareGPT` conversations.

use std::path::Path;

use serde_json::{Map, Value};

use super::Prompt;
use crate::error::{Error, Result, io_err};
use crate::tokenizer::Tokenizer;

/// Fields tried, in order, when no prompt field is named.
pub const PROMPT_FIELDS: [&str; 6] = [
    "prompt",
    "problem",
    "question",
    "text",
    "input",
    "instruction",
];
/// Fields read as the expected output length in tokens.
const OUTPUT_FIELDS: [&str; 3] = ["expected_output_tokens", "output_tokens", "max_tokens"];
/// Fields read as the reference answer.
const REFERENCE_FIELDS: [&str; 2] = ["answer", "reference"];

fn data_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Dataset {
        source_name: path.display().to_string(),
        message: message.into(),
    }
}

/// Rows of a JSONL file, a JSON array of objects, or a CSV file with a header, as JSON objects.
pub(crate) fn read_rows(path: &Path) -> Result<Vec<Map<String, Value>>> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "csv" {
        return read_csv(path);
    }
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let values: Vec<(usize, Value)> = if text.trim_start().starts_with('[') {
        match serde_json::from_str(&text).map_err(|e| data_err(path, e.to_string()))? {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i + 1, v))
                .collect(),
            _ => return Err(data_err(path, "expected a JSON array")),
        }
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map(|v| (i + 1, v))
                    .map_err(|e| data_err(path, format!("line {}: {e}", i + 1)))
            })
            .collect::<Result<_>>()?
    };
    values
        .into_iter()
        .map(|(n, v)| match v {
            Value::Object(o) => Ok(o),
            _ => Err(data_err(path, format!("record {n} is not an object"))),
        })
        .collect()
}

fn read_csv(path: &Path) -> Result<Vec<Map<String, Value>>> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| data_err(path, e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| data_err(path, e.to_string()))?
        .clone();
    reader
        .records()
        .map(|r| {
            let r = r.map_err(|e| data_err(path, e.to_string()))?;
            Ok(headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), Value::String(v.to_owned())))
                .collect())
        })
        .collect()
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn as_count(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Prompts from a JSONL / JSON / CSV file: `field`, or the first of [`PROMPT_FIELDS`] present
/// in the first row.
pub(crate) fn load_file(path: &Path, field: Option<&str>) -> Result<Vec<Prompt>> {
    let rows = read_rows(path)?;
    let first = rows.first().ok_or_else(|| data_err(path, "no rows"))?;
    let field = match field {
        Some(f) => f.to_owned(),
        None => PROMPT_FIELDS
            .iter()
            .find(|f| first.contains_key(**f))
            .map(|f| (*f).to_owned())
            .ok_or_else(|| {
                data_err(
                    path,
                    format!("no prompt field among {PROMPT_FIELDS:?}; name one with PATH#FIELD"),
                )
            })?,
    };
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let text = row.get(&field).and_then(as_text).ok_or_else(|| {
                data_err(path, format!("record {}: no text field '{field}'", i + 1))
            })?;
            Ok(Prompt {
                index: i,
                text,
                reference: REFERENCE_FIELDS
                    .iter()
                    .find_map(|f| row.get(*f).and_then(as_text)),
                expected_output_tokens: OUTPUT_FIELDS
                    .iter()
                    .find_map(|f| row.get(*f).and_then(as_count)),
                group: None,
                conversation: None,
                turn: None,
            })
        })
        .collect()
}

/// One turn of a conversation: `{"from": "human", "value": ...}` or `{"role": "user", "content": ...}`.
fn turn(v: &Value) -> Option<(&str, &str)> {
    let speaker = v.get("from").or_else(|| v.get("role"))?.as_str()?;
    let text = v.get("value").or_else(|| v.get("content"))?.as_str()?;
    Some((speaker, text))
}

/// The first human turn of each `ShareGPT` conversation; the token length of the reply after it
/// becomes the expected output length when `tokenizer` is given. Conversations without a human
/// turn are skipped.
pub(crate) fn load_sharegpt(path: &Path, tokenizer: Option<&Tokenizer>) -> Result<Vec<Prompt>> {
    let rows = read_rows(path)?;
    let mut prompts = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let Some(Value::Array(turns)) =
            row.get("conversations").or_else(|| row.get("conversation"))
        else {
            return Err(data_err(
                path,
                format!("record {}: no 'conversations' array", i + 1),
            ));
        };
        let turns: Vec<(&str, &str)> = turns.iter().filter_map(turn).collect();
        let Some(pos) = turns
            .iter()
            .position(|(who, _)| matches!(*who, "human" | "user"))
        else {
            continue;
        };
        let reply = turns
            .get(pos + 1)
            .filter(|(who, _)| matches!(*who, "gpt" | "assistant" | "chatgpt"));
        let expected_output_tokens = match (reply, tokenizer) {
            (Some((_, text)), Some(t)) => Some(t.count(text)? as u32),
            _ => None,
        };
        prompts.push(Prompt {
            index: i,
            text: turns[pos].1.to_owned(),
            reference: None,
            expected_output_tokens,
            group: None,
            conversation: None,
            turn: None,
        });
    }
    if prompts.is_empty() {
        return Err(data_err(path, "no conversation has a human turn"));
    }
    Ok(prompts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn jsonl_json_and_csv_read_the_same_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let jsonl = write(
            dir.path(),
            "a.jsonl",
            "{\"question\":\"q1\",\"answer\":7,\"max_tokens\":5}\n\n{\"question\":\"q2\"}\n",
        );
        let json = write(
            dir.path(),
            "a.json",
            "[{\"question\":\"q1\",\"answer\":\"7\",\"max_tokens\":\"5\"},{\"question\":\"q2\"}]",
        );
        let csv = write(
            dir.path(),
            "a.csv",
            "question,answer,max_tokens\nq1,7,5\n\"q2\",,\n",
        );
        for p in [jsonl, json, csv] {
            let rows = load_file(&p, None).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert_eq!(rows.len(), 2, "{}", p.display());
            assert_eq!(rows[0].text, "q1");
            assert_eq!(rows[0].reference.as_deref(), Some("7"));
            assert_eq!(rows[0].expected_output_tokens, Some(5));
            assert_eq!(rows[1].text, "q2");
            assert_eq!(rows[1].expected_output_tokens, None);
        }
    }

    #[test]
    fn a_named_field_wins_and_a_missing_one_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "b.jsonl",
            "{\"prompt\":\"p\",\"alt\":\"a\"}\n{\"prompt\":\"p2\"}\n",
        );
        let err = load_file(&p, Some("alt")).expect_err("row 2 lacks alt");
        assert!(err.to_string().contains("record 2"), "{err}");
        assert_eq!(load_file(&p, None).expect("prompt")[1].text, "p2");
        let bad = write(dir.path(), "c.jsonl", "{\"body\":\"x\"}\n");
        assert!(
            load_file(&bad, None)
                .expect_err("no field")
                .to_string()
                .contains("PATH#FIELD")
        );
        let broken = write(dir.path(), "d.jsonl", "{\"prompt\":\"x\"}\n{oops\n");
        assert!(
            load_file(&broken, None)
                .expect_err("bad json")
                .to_string()
                .contains("line 2")
        );
    }

    #[test]
    fn sharegpt_takes_the_first_human_turn() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "sg.json",
            r#"[{"id":"a","conversations":[{"from":"system","value":"s"},{"from":"human","value":"hello"},{"from":"gpt","value":"hi there"}]},
                {"id":"b","conversations":[{"from":"gpt","value":"only a reply"}]},
                {"id":"c","conversations":[{"role":"user","content":"second"}]}]"#,
        );
        let prompts = load_sharegpt(&p, None).expect("loads");
        let texts: Vec<&str> = prompts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["hello", "second"]);
        assert_eq!(prompts[1].index, 2);
    }
}
