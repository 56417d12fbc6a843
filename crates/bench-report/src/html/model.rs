//! What a report holds, as plain data: sections of blocks.

use crate::Chart;

/// A whole report: a title, a subtitle (run, date, machine) and sections in order.
#[derive(Debug, Clone)]
pub struct HtmlReport {
    /// The page title and top heading.
    pub title: String,
    /// A line under the title; empty for none.
    pub subtitle: String,
    /// The sections, each listed in the table of contents.
    pub sections: Vec<Section>,
}

/// A headed part of the report.
#[derive(Debug, Clone)]
pub struct Section {
    /// The section heading.
    pub heading: String,
    /// Its content, in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// A section headed `heading` holding `blocks`.
    pub fn new(heading: impl Into<String>, blocks: Vec<Block>) -> Self {
        Self {
            heading: heading.into(),
            blocks,
        }
    }
}

/// One piece of a section.
#[derive(Debug, Clone)]
pub enum Block {
    /// A paragraph of plain text.
    Text(String),
    /// A table, e.g. the comparison of engines.
    Table(Table),
    /// A list of verdicts, e.g. from a comparison with a baseline.
    Verdicts(Vec<Verdict>),
    /// A figure, embedded as inline SVG.
    Figure(Chart),
    /// Collapsed preformatted text, e.g. the manifest as pretty JSON.
    Details {
        /// The always-visible line.
        summary: String,
        /// The text shown when opened, verbatim.
        body: String,
    },
}

/// A table of strings; cells that read as numbers are right-aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// A caption above the table; empty for none.
    pub caption: String,
    /// Column headings.
    pub headers: Vec<String>,
    /// Rows of cells, one per column.
    pub rows: Vec<Vec<String>>,
}

/// One verdict: what was compared, what came out, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The outcome, shown as a labelled badge.
    pub outcome: Outcome,
    /// The verdict's own word, shown in the badge instead of the outcome's (an engine
    /// comparison says `SLOWER`, the word every other rendering uses, not `regressed`).
    pub word: Option<String>,
    /// What was compared, e.g. "candle · TTFT p50".
    pub subject: String,
    /// The evidence, e.g. "ratio 1.12 [1.05, 1.19], p = 0.003, Cliff's δ = 0.41".
    pub detail: String,
}

/// The kind of a verdict, from the reader's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Better than the reference beyond the noise threshold.
    Improved,
    /// Worse than the reference beyond the noise threshold.
    Regressed,
    /// No significant difference.
    Unchanged,
    /// Something the reader should know (too few samples, throttling, lost requests).
    Warning,
}

impl Outcome {
    /// The badge text; the words carry the meaning, the colour only repeats it.
    pub(crate) fn badge(self) -> &'static str {
        match self {
            Self::Improved => "✓ improved",
            Self::Regressed => "✗ regressed",
            Self::Unchanged => "= unchanged",
            Self::Warning => "! warning",
        }
    }

    /// The symbol that opens the badge.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Self::Improved => "✓",
            Self::Regressed => "✗",
            Self::Unchanged => "=",
            Self::Warning => "!",
        }
    }

    /// The CSS class.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Self::Improved => "improved",
            Self::Regressed => "regressed",
            Self::Unchanged => "unchanged",
            Self::Warning => "warning",
        }
    }
}
