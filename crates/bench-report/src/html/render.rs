//! Renders an [`HtmlReport`] into one self-contained HTML file: CSS and SVG inline, no scripts,
//! and a content security policy that forbids every fetch, so the file works offline and can
//! not leak anything when opened.

use minijinja::Environment;
use serde::Serialize;

use super::model::{Block, HtmlReport, Table};
use crate::{Chart, ReportError};

const TEMPLATE: &str = include_str!("report.html");
const STYLE: &str = include_str!("report.css");

/// The report as one HTML document.
pub fn render_html(report: &HtmlReport) -> Result<String, ReportError> {
    let mut env = Environment::new();
    // The name ends in .html, so every value is HTML-escaped unless marked safe.
    env.add_template("report.html", TEMPLATE)?;
    let mut ids = Vec::new();
    let mut sections = Vec::with_capacity(report.sections.len());
    for section in &report.sections {
        let id = unique_id(&section.heading, &mut ids);
        let blocks = section
            .blocks
            .iter()
            .map(BlockView::of)
            .collect::<Result<_, _>>()?;
        sections.push(SectionView {
            id,
            heading: &section.heading,
            blocks,
        });
    }
    let page = PageView {
        title: &report.title,
        subtitle: &report.subtitle,
        style: STYLE,
        sections,
    };
    Ok(env.get_template("report.html")?.render(page)?)
}

#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    subtitle: &'a str,
    style: &'static str,
    sections: Vec<SectionView<'a>>,
}

#[derive(Serialize)]
struct SectionView<'a> {
    id: String,
    heading: &'a str,
    blocks: Vec<BlockView<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum BlockView<'a> {
    Text {
        text: &'a str,
    },
    Table {
        caption: &'a str,
        headers: &'a [String],
        rows: Vec<Vec<CellView<'a>>>,
    },
    Verdicts {
        items: Vec<VerdictView<'a>>,
    },
    Figure {
        label: String,
        width: u32,
        height: u32,
        /// The SVG's drawing, without its outer `<svg>` element.
        body: String,
    },
    Details {
        summary: &'a str,
        body: &'a str,
    },
}

#[derive(Serialize)]
struct CellView<'a> {
    text: &'a str,
    numeric: bool,
}

#[derive(Serialize)]
struct VerdictView<'a> {
    class: &'static str,
    badge: std::borrow::Cow<'a, str>,
    subject: &'a str,
    detail: &'a str,
}

impl<'a> BlockView<'a> {
    fn of(block: &'a Block) -> Result<Self, ReportError> {
        Ok(match block {
            Block::Text(text) => Self::Text { text },
            Block::Table(table) => table_view(table),
            Block::Verdicts(verdicts) => Self::Verdicts {
                items: verdicts
                    .iter()
                    .map(|v| VerdictView {
                        class: v.outcome.class(),
                        badge: v.word.as_deref().map_or(v.outcome.badge().into(), |w| {
                            format!("{} {w}", v.outcome.symbol()).into()
                        }),
                        subject: &v.subject,
                        detail: &v.detail,
                    })
                    .collect(),
            },
            Block::Figure(chart) => figure_view(chart)?,
            Block::Details { summary, body } => Self::Details { summary, body },
        })
    }
}

fn table_view(table: &Table) -> BlockView<'_> {
    BlockView::Table {
        caption: &table.caption,
        headers: &table.headers,
        rows: table
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|text| CellView {
                        text,
                        numeric: looks_numeric(text),
                    })
                    .collect()
            })
            .collect(),
    }
}

fn figure_view(chart: &Chart) -> Result<BlockView<'static>, ReportError> {
    let svg = chart.svg()?;
    // The outer element is rebuilt in the template: no fixed size (it scales to the page) and no
    // namespace URL, which inline SVG in HTML does not need.
    let start = svg.find('>').map_or(0, |end| end + 1);
    let end = svg.rfind("</svg>").unwrap_or(svg.len());
    let (width, height) = chart.size();
    let meta = chart.meta();
    Ok(BlockView::Figure {
        label: format!("{}: {}", meta.title, meta.subtitle()),
        width,
        height,
        body: svg[start..end].to_owned(),
    })
}

/// Whether a cell reads as a number ("12.5 ms", "-3%", "×1.08 [1.02, 1.15]"), to right-align it.
fn looks_numeric(text: &str) -> bool {
    let mut chars = text.trim_start().chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('-' | '+' | '−' | '×' | '~' | '≈' | '.') => {
            chars.next().is_some_and(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// A fragment id from `heading`, unique among `taken`.
fn unique_id(heading: &str, taken: &mut Vec<String>) -> String {
    let mut slug = String::new();
    for c in heading.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let base = match slug.trim_end_matches('-') {
        "" => "section".to_owned(),
        trimmed => trimmed.to_owned(),
    };
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    taken.push(id.clone());
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FigureMeta, Outcome, Quantity, Section, Series, Verdict, box_violin};

    fn report() -> HtmlReport {
        let meta = FigureMeta {
            title: "TTFT <per engine>".into(),
            engines: vec!["candle".into(), "burn".into()],
            model: "tiny".into(),
            hardware: "cpu".into(),
        };
        let chart = box_violin(
            &meta,
            &[
                Series::new("candle", vec![1.0, 2.0, 3.0, 4.0]),
                Series::new("burn", vec![2.0, 3.0, 4.0, 9.0]),
            ],
            &Quantity::new("TTFT", "ms"),
        )
        .unwrap();
        HtmlReport {
            title: "Compare & contrast".into(),
            subtitle: "run 2025-01-01".into(),
            sections: vec![
                Section::new(
                    "Summary",
                    vec![
                        Block::Table(Table {
                            caption: "Latency".into(),
                            headers: vec!["engine".into(), "TTFT p50".into()],
                            rows: vec![vec!["candle".into(), "12.5 ms".into()]],
                        }),
                        Block::Verdicts(vec![Verdict {
                            outcome: Outcome::Regressed,
                            word: None,
                            subject: "burn · TTFT".into(),
                            detail: "ratio 1.2 [1.1, 1.3]".into(),
                        }]),
                    ],
                ),
                Section::new("Figures", vec![Block::Figure(chart)]),
                Section::new(
                    "Summary",
                    vec![Block::Details {
                        summary: "manifest.json".into(),
                        body: "{\"url\": \"<script>\"}".into(),
                    }],
                ),
            ],
        }
    }

    #[test]
    fn renders_tables_verdicts_figures_and_details() {
        let html = render_html(&report()).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<th scope=\"col\">TTFT p50</th>"));
        assert!(html.contains("<td class=\"num\">12.5 ms</td>"));
        assert!(html.contains("<td>candle</td>"));
        assert!(html.contains("✗ regressed"));
        assert!(html.contains("<svg class=\"figure\" viewBox=\"0 0 1000 620\""));
        assert!(html.contains("<details>"));
        assert!(html.contains("href=\"#summary-2\""));
    }

    #[test]
    fn escapes_text_and_fetches_nothing() {
        let html = render_html(&report()).unwrap();
        assert!(html.contains("Compare &amp; contrast"));
        assert!(html.contains("TTFT &lt;per engine&gt;"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(html.contains("Content-Security-Policy"));
    }

    #[test]
    fn numeric_cells_are_recognised() {
        for yes in ["12", "1.5 ms", "-3%", "×1.08 [1.0, 1.2]", "−0.2"] {
            assert!(looks_numeric(yes), "{yes}");
        }
        for no in ["candle", "", "-", "n/a", "× slower"] {
            assert!(!looks_numeric(no), "{no}");
        }
    }

    #[test]
    fn ids_are_slugs_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(
            unique_id("Latency & Throughput", &mut taken),
            "latency-throughput"
        );
        assert_eq!(
            unique_id("Latency & Throughput", &mut taken),
            "latency-throughput-2"
        );
        assert_eq!(unique_id("ß!", &mut taken), "section");
    }
}
