//! The HTML report: what it holds (sections of text, tables, verdicts, figures, details) and its
//! rendering into one self-contained offline file.

mod model;
mod render;

pub use model::{Block, HtmlReport, Outcome, Section, Table, Verdict};
pub use render::render_html;
