//! Rendering a summary for people and programs: the comparison table (shared by the terminal,
//! markdown and HTML), `report.md`, `summary.csv`, the figures in `plots/` (trade-offs across
//! engines in [`tradeoff`]) and `report.html`, all written through [`export`].

mod cost;
mod csv;
pub mod export;
pub mod figures;
#[cfg(test)]
mod figures_tests;
mod html;
mod markdown;
mod power;
mod table;
pub mod tradeoff;
#[cfg(test)]
mod tradeoff_tests;
mod workloads;

pub use csv::summary_csv;
pub use html::report_html;
pub use markdown::report_md;
pub use table::{comparison_rows, terminal_table};
