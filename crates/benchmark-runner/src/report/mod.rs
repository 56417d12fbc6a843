//! Rendering a summary for people and programs: the comparison table (shared by the terminal
//! and markdown), `report.md` and `summary.csv`.

mod csv;
mod markdown;
mod table;

pub use csv::summary_csv;
pub use markdown::report_md;
pub use table::{comparison_rows, terminal_table};
