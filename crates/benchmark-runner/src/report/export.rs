//! The outputs of a run behind one small trait: `summary.json`, `summary.csv`, `report.md`, the
//! figures in `plots/` and `report.html`. `compare`, `report` and `nightly` write through the
//! same list ([`EXPORTERS`]).

use std::path::Path;

use anyhow::Context;
use bench_report::Chart;

use super::figures::Figure;
use crate::manifest::Manifest;
use crate::store;
use crate::summary::RunSummary;

/// Everything an exporter may draw on, computed once per rendering.
pub struct Rendered<'a> {
    pub summary: &'a RunSummary,
    pub manifest: &'a Manifest,
    pub figures: &'a [Figure],
}

/// One output of a run directory.
pub trait Exporter: Sync {
    /// What it writes, for error messages.
    fn name(&self) -> &'static str;
    fn write(&self, run: &Rendered<'_>, dir: &Path) -> anyhow::Result<()>;
}

/// Every output; [`write_all`] writes them at once and reports the first failure in this order.
pub const EXPORTERS: &[&dyn Exporter] = &[&Json, &Csv, &Markdown, &Plots, &Html];

/// Write every output of `run` into `dir`.
///
/// They are written on all cores (drawing the figures is most of the work), each through a
/// temporary file of its own; one that fails does not stop the others, and the first that
/// fails, in the order of [`EXPORTERS`], is the error.
pub fn write_all(run: &Rendered<'_>, dir: &Path) -> anyhow::Result<()> {
    use rayon::prelude::*;
    // Each figure's SVG drawn once, on all cores, for its file and the HTML alike (an error
    // comes back when an exporter asks for it).
    run.figures.par_iter().for_each(|f| {
        let _ = f.chart.svg();
    });
    let written: Vec<anyhow::Result<()>> = EXPORTERS
        .par_iter()
        .map(|e| {
            e.write(run, dir)
                .with_context(|| format!("cannot write {}", e.name()))
        })
        .collect();
    written.into_iter().collect()
}

/// `NAME.svg` and `NAME.png` of `chart` in `dir`.
pub fn write_chart(chart: &Chart, dir: &Path, name: &str) -> anyhow::Result<()> {
    chart
        .write_svg(&dir.join(format!("{name}.svg")))
        .with_context(|| format!("cannot write {name}.svg"))?;
    chart
        .write_png(&dir.join(format!("{name}.png")))
        .with_context(|| format!("cannot write {name}.png"))
}

struct Json;
impl Exporter for Json {
    fn name(&self) -> &'static str {
        "summary.json"
    }
    fn write(&self, run: &Rendered<'_>, dir: &Path) -> anyhow::Result<()> {
        store::write_json(&dir.join(self.name()), run.summary)
    }
}

struct Csv;
impl Exporter for Csv {
    fn name(&self) -> &'static str {
        "summary.csv"
    }
    fn write(&self, run: &Rendered<'_>, dir: &Path) -> anyhow::Result<()> {
        store::write_text(&dir.join(self.name()), &super::summary_csv(run.summary))
    }
}

struct Markdown;
impl Exporter for Markdown {
    fn name(&self) -> &'static str {
        "report.md"
    }
    fn write(&self, run: &Rendered<'_>, dir: &Path) -> anyhow::Result<()> {
        let mut text = super::report_md(run.summary, run.manifest);
        text.push_str(&super::markdown::figure_list(run.figures));
        store::write_text(&dir.join(self.name()), &text)
    }
}

struct Plots;
impl Exporter for Plots {
    fn name(&self) -> &'static str {
        "plots/"
    }
    fn write(&self, run: &Rendered<'_>, dir: &Path) -> anyhow::Result<()> {
        use rayon::prelude::*;
        let plots = dir.join("plots");
        std::fs::create_dir_all(&plots)?;
        run.figures
            .par_iter()
            .map(|f| write_chart(&f.chart, &plots, &f.name))
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    }
}

struct Html;
impl Exporter for Html {
    fn name(&self) -> &'static str {
        "report.html"
    }
    fn write(&self, run: &Rendered<'_>, dir: &Path) -> anyhow::Result<()> {
        let html = super::report_html(run.summary, run.manifest, run.figures)?;
        store::write_text(&dir.join(self.name()), &html)
    }
}
