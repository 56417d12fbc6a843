//! A run directory's contents read, summarised and written out: what `compare` does after
//! measuring and what `report` redoes from the stored samples.

use std::path::Path;

use crate::columns::Columns;
use crate::energy;
use crate::manifest;
use crate::report::export::{Rendered, write_all};
use crate::report::figures::{figures, sample_figures};
use crate::store::{self, EngineRun};
use crate::summary::agreement::agreement;
use crate::summary::{
    RunData, RunSummary, metric_samples_of, regression_points_by_label, run_labels, summarize_run,
    take_gaps,
};

/// Summarise the run in `dir` from its manifest, samples, runs and energy, and write every
/// output beside them.
pub fn render_dir(dir: &Path) -> anyhow::Result<RunSummary> {
    let manifest = manifest::read(dir)?;
    if manifest.kind == manifest::RunKind::Race {
        anyhow::bail!(
            "{} holds a race (a demonstration, not a measurement); only runs of `compare` and `nightly` are summarised",
            dir.display()
        );
    }
    let mut rows = Columns::read_dir(dir)?;
    let runs: Vec<EngineRun> = if dir.join("runs.jsonl").is_file() {
        store::read_jsonl(&dir.join("runs.jsonl"))?
    } else {
        Vec::new()
    };
    let energy = energy::read(dir)?;
    let agreement = agreement(&manifest.plan, &rows);
    // The generated ids are done with, and freed before the metrics take their memory.
    rows.drop_output_ids();
    let gaps = take_gaps(&mut rows);
    let (metrics, points) = rayon::join(
        || metric_samples_of(&rows, gaps),
        || regression_points_by_label(&rows, energy.as_ref()),
    );
    let telemetry = read_telemetry(dir);
    // The figures that need no summary are drawn beside it, for its engines (its labels, each
    // once, in its order).
    let mut labels: Vec<String> = run_labels(&runs, &rows)
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    labels.dedup();
    let (summary, drawn) = rayon::join(
        || {
            summarize_run(RunData {
                manifest: &manifest,
                rows: &rows,
                runs: &runs,
                energy: energy.as_ref(),
                metrics: &metrics,
                agreement: &agreement,
                points: &points,
            })
        },
        || {
            let drawn = sample_figures(&labels, &manifest, &rows, &metrics, telemetry.as_ref());
            drawn.draw();
            drawn
        },
    );
    // The rows and metric samples are done with: their memory goes back (most of a gigabyte
    // at a million requests, tens of milliseconds to unmap, on one core) beside the last
    // figures and the writing of every output.
    let ((), written) = rayon::join(
        || drop((metrics, rows)),
        || {
            let figures = figures(&summary, &manifest, points, drawn);
            let rendered = Rendered {
                summary: &summary,
                manifest: &manifest,
                figures: &figures,
            };
            write_all(&rendered, dir)
        },
    );
    written?;
    Ok(summary)
}

/// The telemetry series of a run directory, when it has one.
fn read_telemetry(dir: &Path) -> Option<telemetry::Series> {
    let file = std::fs::File::open(dir.join("telemetry.jsonl")).ok()?;
    telemetry::Series::from_jsonl(std::io::BufReader::new(file)).ok()
}
