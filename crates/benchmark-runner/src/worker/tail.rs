//! The last lines a worker wrote to stderr, attached to every failure it causes.

use std::collections::VecDeque;

/// A bounded buffer of the most recent stderr lines.
#[derive(Debug, Default)]
pub struct Tail {
    lines: VecDeque<String>,
}

const MAX_LINES: usize = 20;
const MAX_LINE_CHARS: usize = 400;

impl Tail {
    pub fn push(&mut self, line: &str) {
        if self.lines.len() == MAX_LINES {
            self.lines.pop_front();
        }
        let mut line = line.trim_end().to_owned();
        if line.chars().count() > MAX_LINE_CHARS {
            line = line.chars().take(MAX_LINE_CHARS).collect::<String>() + "...";
        }
        self.lines.push_back(line);
    }

    /// The tail as one string (lines joined by " | "), or a note that it is empty.
    pub fn render(&self) -> String {
        if self.lines.is_empty() {
            "(no stderr output)".to_owned()
        } else {
            self.lines.iter().cloned().collect::<Vec<_>>().join(" | ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_last_lines() {
        let mut t = Tail::default();
        assert_eq!(t.render(), "(no stderr output)");
        for i in 0..30 {
            t.push(&format!("line {i}\n"));
        }
        let r = t.render();
        assert!(r.starts_with("line 10 | "), "{r}");
        assert!(r.ends_with("line 29"), "{r}");
    }
}
