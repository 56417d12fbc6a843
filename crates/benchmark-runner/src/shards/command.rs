//! The commands a scheduler runs, as words made of literal text and the shard's index, rendered
//! for a shell (Slurm) or for a container's argument list (Kubernetes).

use std::borrow::Cow;

use crate::error::{Failure, usage};
use crate::shards::Layout;

/// One piece of a command-line word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text taken as it is, whatever characters it holds.
    Text(String),
    /// The shard's index, known only when the scheduler starts the task.
    Index,
}

/// One command-line word: pieces joined without separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word(pub Vec<Piece>);

impl Word {
    /// A word of literal text.
    pub fn text(text: impl Into<String>) -> Word {
        Word(vec![Piece::Text(text.into())])
    }

    /// `prefix`, the shard's index, then `suffix`.
    pub fn with_index(prefix: impl Into<String>, suffix: impl Into<String>) -> Word {
        Word(vec![
            Piece::Text(prefix.into()),
            Piece::Index,
            Piece::Text(suffix.into()),
        ])
    }

    /// Whether the word holds the shard's index.
    pub fn has_index(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Piece::Index))
    }
}

/// The directory shard `index` writes, under the results directory.
pub fn shard_dir_name(index: u32) -> String {
    format!("shard-{index}")
}

/// The command each shard runs: `<runner> campaign run <campaign> --shard <i>/<n> --out
/// <results>/shard-<i>`, `<i>` the scheduler's index of the task.
pub fn shard_command(layout: &Layout) -> Vec<Word> {
    let results = layout.results.display().to_string();
    vec![
        Word::text(layout.runner.display().to_string()),
        Word::text("campaign"),
        Word::text("run"),
        Word::text(layout.campaign.display().to_string()),
        Word::text("--shard"),
        Word::with_index("", format!("/{}", layout.shards)),
        Word::text("--out"),
        Word::with_index(format!("{results}/shard-"), ""),
    ]
}

/// The command run once every shard succeeded: `<runner> merge <results>/shard-0 ...
/// --out <results>/merged`.
pub fn merge_command(layout: &Layout) -> Vec<Word> {
    let mut words = vec![
        Word::text(layout.runner.display().to_string()),
        Word::text("merge"),
    ];
    words.extend(
        (0..layout.shards)
            .map(|i| Word::text(layout.results.join(shard_dir_name(i)).display().to_string())),
    );
    words.push(Word::text("--out"));
    words.push(Word::text(
        layout.results.join("merged").display().to_string(),
    ));
    words
}

/// The words as one shell command line, each piece of text quoted (shlex), the index read from
/// the shell variable `index_var`.
pub fn to_shell(words: &[Word], index_var: &str) -> Result<String, Failure> {
    let mut line = Vec::with_capacity(words.len());
    for word in words {
        let mut out = String::new();
        for piece in &word.0 {
            match piece {
                Piece::Text(t) if t.is_empty() => {}
                Piece::Text(t) => out.push_str(&shell_quote(t)?),
                Piece::Index => {
                    out.push_str("\"${");
                    out.push_str(index_var);
                    out.push_str("}\"");
                }
            }
        }
        if out.is_empty() {
            out.push_str("''");
        }
        line.push(out);
    }
    Ok(line.join(" "))
}

/// One argument quoted for a POSIX shell.
pub fn shell_quote(text: &str) -> Result<Cow<'_, str>, Failure> {
    shlex::try_quote(text).map_err(|e| usage(format!("{text:?}: {e}")))
}

/// The words as a container's argument list: Kubernetes expands `$(VAR)` from the container's
/// environment, so text has each `$` doubled (kept literal) and the index is
/// `$(index_var)`.
pub fn to_container_args(words: &[Word], index_var: &str) -> Vec<String> {
    words
        .iter()
        .map(|word| {
            word.0
                .iter()
                .map(|piece| match piece {
                    Piece::Text(t) => t.replace('$', "$$"),
                    Piece::Index => format!("$({index_var})"),
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_text_and_expand_the_index() {
        let words = vec![
            Word::text("/opt/my runner"),
            Word::text("it's"),
            Word::with_index("/r $HOME/shard-", ""),
            Word::text(""),
        ];
        let line = to_shell(&words, "idx").expect("quotable");
        // Splitting the line as a shell would gives the words back, the index unexpanded
        // (shlex::split does not expand variables; the double-quoted part stays literal).
        let split = shlex::split(&line).expect("splits");
        assert_eq!(
            split,
            ["/opt/my runner", "it's", "/r $HOME/shard-${idx}", ""],
            "line: {line}"
        );
        assert!(line.contains("\"${idx}\""), "{line}");
    }

    #[test]
    fn container_args_keep_dollars_literal() {
        let words = vec![Word::text("a$(B)"), Word::with_index("x-", "-y")];
        assert_eq!(
            to_container_args(&words, "JOB_COMPLETION_INDEX"),
            ["a$$(B)", "x-$(JOB_COMPLETION_INDEX)-y"]
        );
    }
}
