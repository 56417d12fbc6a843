//! The figures of a run, from its rows, summary, energy and telemetry: latency CDFs, TTFT and
//! TPOT distributions, regressions, token lengths, load sweeps and power over time. Each names
//! the engines, the model and the hardware.

use std::collections::BTreeMap;

use bench_report::{
    Axis, Chart, FigureMeta, Fit, FitModel, Line, Quantity, Scatter, Series, box_violin, curves,
    histogram_kde, latency_cdf, scatter_fit,
};

use crate::columns::Columns;
use crate::manifest::Manifest;
use crate::metrics::{Metric, MetricSamples};
use crate::summary::{RegressionPoints, RunSummary};

/// A figure with a file stem and a caption.
pub struct Figure {
    pub name: String,
    pub caption: String,
    pub chart: Chart,
}

/// The model and hardware lines every figure carries.
pub fn meta_for(manifest: &Manifest, title: &str, engines: Vec<String>) -> FigureMeta {
    let model = manifest.inputs.model.as_ref().map_or_else(
        || "none (synthetic or served)".to_owned(),
        |m| m.spec.id.clone(),
    );
    let host = &manifest.host.local;
    let cpu = host.cpu_model.as_deref().unwrap_or("unknown CPU");
    let gpus: Vec<&str> = host
        .devices
        .iter()
        .filter(|d| d.domain == telemetry::Domain::Gpu)
        .filter_map(|d| d.info.device_name.as_deref())
        .collect();
    let hardware = if gpus.is_empty() {
        cpu.to_owned()
    } else {
        format!("{cpu} + {}", gpus.join(", "))
    };
    FigureMeta {
        title: title.to_owned(),
        engines,
        model,
        hardware,
    }
}

/// Adds the chart to `out` under `name`, or leaves it out when it has no data (and says so on
/// stderr when it fails otherwise).
pub(super) fn push(
    out: &mut Vec<Figure>,
    name: &str,
    caption: &str,
    chart: Result<Chart, bench_report::ReportError>,
) {
    match chart {
        Ok(chart) => out.push(Figure {
            name: name.to_owned(),
            caption: caption.to_owned(),
            chart,
        }),
        Err(bench_report::ReportError::NoData { .. }) => {}
        Err(e) => eprintln!("figure {name} skipped: {e}"),
    }
}

/// The figures drawn from the samples alone, which need no summary (latency, lengths,
/// power): drawn beside the summary, then placed among the others by [`figures`].
pub struct SampleFigures {
    latency: Vec<Figure>,
    length: Vec<Figure>,
    power: Vec<Figure>,
}

impl SampleFigures {
    /// Draws each figure (SVG and PNG) now, on all cores, to be written later.
    pub fn draw(&self) {
        use rayon::prelude::*;
        let all: Vec<&Figure> = self
            .latency
            .iter()
            .chain(&self.length)
            .chain(&self.power)
            .collect();
        all.par_iter().for_each(|f| {
            // An error comes back when the figure is written.
            let _ = (f.chart.svg(), f.chart.png());
        });
    }
}

/// The figures of engines `labels` (the summary's, in its order) that need no summary.
pub fn sample_figures(
    labels: &[String],
    manifest: &Manifest,
    rows: &Columns,
    metrics: &BTreeMap<String, MetricSamples>,
    telemetry: Option<&telemetry::Series>,
) -> SampleFigures {
    let meta = |title: &str| meta_for(manifest, title, labels.to_vec());
    // The latency figures (the pooled gaps' CDF among them) beside the others.
    let (latency, (length, power)) = rayon::join(
        || {
            let mut out = Vec::new();
            latency_figures(labels, metrics, &meta, &mut out);
            out
        },
        || {
            let mut length = Vec::new();
            length_figures(labels, rows, &meta, &mut length);
            let mut power = Vec::new();
            if let Some(series) = telemetry {
                super::power::power_figure(series, rows, &meta, &mut power);
            }
            (length, power)
        },
    );
    SampleFigures {
        latency,
        length,
        power,
    }
}

/// Every figure of the run, in the report's order: `drawn` (from [`sample_figures`]) with
/// those drawn here from the summary.
pub fn figures(
    summary: &RunSummary,
    manifest: &Manifest,
    points: BTreeMap<String, RegressionPoints>,
    drawn: SampleFigures,
) -> Vec<Figure> {
    let labels: Vec<String> = summary.engines.keys().cloned().collect();
    let meta = |title: &str| meta_for(manifest, title, labels.clone());
    let mut out = drawn.latency;
    regression_figures(summary, &labels, points, &meta, &mut out);
    out.extend(drawn.length);
    sweep_figures(summary, &meta, &mut out);
    super::tradeoff::tradeoff_figures(summary, manifest, &meta, &mut out);
    out.extend(drawn.power);
    out
}

fn ms(name: &str) -> Quantity {
    Quantity::new(name, "ms")
}

/// Latency CDFs, and TTFT and TPOT distributions.
fn latency_figures(
    labels: &[String],
    metrics: &BTreeMap<String, MetricSamples>,
    meta: &dyn Fn(&str) -> FigureMeta,
    out: &mut Vec<Figure>,
) {
    // The samples' sorted values: these figures need no request order, and take a sample's
    // sorted values as they are (no pass to check or sort them).
    let series = |metric: Metric| -> Vec<Series<'_>> {
        labels
            .iter()
            .map(|l| match metrics.get(l).and_then(|m| m.get(metric)) {
                Some(sample) => Series::of_sample(l.clone(), sample),
                None => Series::new(l.clone(), &[][..]),
            })
            .collect()
    };
    for (metric, name, title) in [
        (Metric::TtftMs, "ttft", "Time to first token"),
        (Metric::TpotMs, "tpot", "Time per output token"),
        (Metric::ItlMs, "itl", "Inter-token latency"),
        (Metric::E2eMs, "e2e", "End-to-end latency"),
    ] {
        push(
            out,
            &format!("{name}_cdf"),
            &format!("{title}: empirical CDF per engine (host monotonic clock)."),
            latency_cdf(
                &meta(&format!("{title} CDF")),
                &series(metric),
                &Axis::linear(ms(title)),
            ),
        );
    }
    for (metric, name, title) in [
        (Metric::TtftMs, "ttft", "Time to first token"),
        (Metric::TpotMs, "tpot", "Time per output token"),
    ] {
        push(
            out,
            &format!("{name}_box"),
            &format!(
                "{title}: distribution per engine (violin, quartile box, whiskers at 1.5 IQR)."
            ),
            box_violin(&meta(title), &series(metric), &ms(title)),
        );
    }
}

/// Scatter plots of the summary's regressions, with their fits.
fn regression_figures(
    summary: &RunSummary,
    labels: &[String],
    mut points: BTreeMap<String, RegressionPoints>,
    meta: &(dyn Fn(&str) -> FigureMeta + Sync),
    out: &mut Vec<Figure>,
) {
    use rayon::prelude::*;
    let tokens = || Quantity::new("prompt + completion", "tokens");
    let regressions: [(&'static str, &str, Quantity, Quantity, bool); 5] = [
        (
            "input_tokens_vs_ttft_ms",
            "Input tokens vs TTFT",
            Quantity::new("prompt", "tokens"),
            ms("TTFT"),
            false,
        ),
        (
            "total_tokens_vs_e2e_ms",
            "Total tokens vs end-to-end latency",
            tokens(),
            ms("E2E"),
            false,
        ),
        (
            "total_tokens_vs_energy_j",
            "Total tokens vs energy per request",
            tokens(),
            Quantity::new("energy", "J"),
            false,
        ),
        (
            "total_tokens_vs_power_w",
            "Total tokens vs average power per request",
            tokens(),
            Quantity::new("power", "W"),
            false,
        ),
        (
            "total_tokens_vs_power_w_log",
            "Total tokens vs power (log scale)",
            tokens(),
            Quantity::new("power", "W"),
            true,
        ),
    ];
    // Each figure's scatters, the points moved into the last figure that draws them; then
    // each figure binned on a core of its own, and placed in this order.
    let keys: Vec<&str> = regressions
        .iter()
        .map(|r| r.0.trim_end_matches("_log"))
        .collect();
    let mut prepared = Vec::new();
    for (i, (key, title, x, y, log)) in regressions.into_iter().enumerate() {
        let again = keys[i + 1..].contains(&keys[i]);
        let scatters = scatters(summary, labels, &mut points, key, again, log);
        if !scatters.is_empty() {
            prepared.push((key, title, x, y, log, scatters));
        }
    }
    let charts: Vec<_> = prepared
        .into_par_iter()
        .map(|(key, title, x, y, log, scatters)| {
            let y_axis = if log { Axis::log(y) } else { Axis::linear(y) };
            let caption =
                format!("{title}, with the OLS fit per engine (summary.json: regressions.{key}).");
            let chart = scatter_fit(&meta(title), &scatters, &Axis::linear(x), &y_axis);
            (key, caption, chart)
        })
        .collect();
    for (key, caption, chart) in charts {
        push(out, key, &caption, chart);
    }
}

/// The engines' scatters of regression `key` with their fits, from `points`: the engines' own
/// (taken from them, or copied when a later figure draws them `again`), those without any
/// left out.
fn scatters(
    summary: &RunSummary,
    labels: &[String],
    points: &mut BTreeMap<String, RegressionPoints>,
    key: &str,
    again: bool,
    log: bool,
) -> Vec<Scatter> {
    let points_key = key.trim_end_matches("_log");
    labels
        .iter()
        .filter_map(|l| {
            let of_label = points.get_mut(l)?;
            let points = if again {
                of_label.get(points_key)?.clone()
            } else {
                of_label.remove(points_key)?
            };
            (!points.is_empty()).then(|| Scatter {
                label: l.clone(),
                points,
                fit: summary.engines[l].regressions.get(key).map(|r| Fit {
                    model: if log {
                        FitModel::LogLinear
                    } else {
                        FitModel::Linear
                    },
                    slope: r.slope,
                    intercept: r.intercept,
                    r_squared: Some(r.r2),
                }),
            })
        })
        .collect()
}

/// Prompt and completion length distributions.
fn length_figures(
    labels: &[String],
    rows: &Columns,
    meta: &dyn Fn(&str) -> FigureMeta,
    out: &mut Vec<Figure>,
) {
    for (name, title, prompt) in [
        ("prompt_tokens", "Prompt length", true),
        ("completion_tokens", "Completion length", false),
    ] {
        let s: Vec<Series> = labels
            .iter()
            .map(|l| {
                let v: Vec<f64> = rows
                    .ok_measured(l)
                    .iter()
                    .filter_map(|s| {
                        if prompt {
                            s.prompt_tokens.map(f64::from)
                        } else {
                            Some(f64::from(s.completion_tokens))
                        }
                    })
                    .collect();
                Series::new(l.clone(), v)
            })
            .collect();
        push(
            out,
            &format!("{name}_hist"),
            &format!("{title} per request: histogram with a Gaussian KDE."),
            histogram_kde(&meta(title), &s, &Quantity::new(title, "tokens")),
        );
    }
}

/// Load sweeps (`ENGINE@cN`, `ENGINE@rR`): throughput against the offered request rate (closed-loop
/// concurrency has its own figures, in `tradeoff`), latency against throughput.
fn sweep_figures(summary: &RunSummary, meta: &dyn Fn(&str) -> FigureMeta, out: &mut Vec<Figure>) {
    // (is a rate, level, output tok/s, TTFT p50 ms)
    let mut by_engine: BTreeMap<String, Vec<(bool, f64, f64, f64)>> = BTreeMap::new();
    for (label, e) in &summary.engines {
        let Some((base, point)) = label.rsplit_once(['@', '-']) else {
            continue;
        };
        let (is_rate, level) = match point.split_at_checked(1) {
            Some(("c", v)) => (false, v),
            Some(("r", v)) => (true, v),
            _ => continue,
        };
        let Ok(level) = level.parse::<f64>() else {
            continue;
        };
        let (Some(tput), Some(ttft)) =
            (e.throughput.output_tok_s, e.ttft_ms.as_ref().map(|s| s.p50))
        else {
            continue;
        };
        by_engine
            .entry(base.to_owned())
            .or_default()
            .push((is_rate, level, tput, ttft));
    }
    by_engine.retain(|_, v| v.len() >= 2);
    if by_engine.is_empty() {
        return;
    }
    let tput_lines: Vec<Line> = by_engine
        .iter()
        .filter_map(|(k, v)| {
            let mut pts: Vec<(f64, f64)> = v.iter().filter(|p| p.0).map(|p| (p.1, p.2)).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            (pts.len() >= 2).then(|| Line::new(k.clone(), pts))
        })
        .collect();
    if !tput_lines.is_empty() {
        push(
            out,
            "sweep_throughput",
            "Output throughput against the offered request rate (open loop).",
            curves(
                &meta("Throughput vs offered rate"),
                &tput_lines,
                &Axis::linear(Quantity::new("offered rate", "req/s")),
                &Axis::linear(Quantity::new("output throughput", "tok/s")),
            ),
        );
    }
    let lat_lines: Vec<Line> = by_engine
        .iter()
        .map(|(k, v)| {
            let mut pts: Vec<(f64, f64)> = v.iter().map(|p| (p.2, p.3)).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            Line::new(k.clone(), pts)
        })
        .collect();
    push(
        out,
        "sweep_latency",
        "TTFT p50 against output throughput across the load points.",
        curves(
            &meta("Latency vs throughput"),
            &lat_lines,
            &Axis::linear(Quantity::new("output throughput", "tok/s")),
            &Axis::linear(Quantity::new("TTFT p50", "ms")),
        ),
    );
}
