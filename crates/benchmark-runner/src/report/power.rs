//! The power figure of a run: each telemetry channel's power over time, with the measured
//! requests marked.

use bench_report::{FigureMeta, Line, Quantity, Span, time_series};

use super::figures::{Figure, push};
use crate::columns::Columns;

/// Power over the run from telemetry, with the measured requests marked.
pub(super) fn power_figure(
    series: &telemetry::Series,
    rows: &Columns,
    meta: &dyn Fn(&str) -> FigureMeta,
    out: &mut Vec<Figure>,
) {
    let t0 = series
        .channels
        .iter()
        .filter_map(|c| c.points.first().map(|p| p.t_ns))
        .min()
        .unwrap_or(0);
    let secs = |t: u64| t.saturating_sub(t0) as f64 / 1e9;
    let mut lines = Vec::new();
    for c in series
        .channels
        .iter()
        .filter(|c| c.domain != telemetry::Domain::Process)
    {
        let mut pts: Vec<(f64, f64)> = c
            .points
            .iter()
            .filter_map(|p| p.reading.power_w.map(|w| (secs(p.t_ns), w)))
            .collect();
        if pts.len() < 2 {
            // Derive power from the energy counter where the source reports no power.
            pts = c
                .points
                .windows(2)
                .filter_map(|w| {
                    let (a, b) = (&w[0], &w[1]);
                    let (ea, eb) = (a.reading.energy_j?, b.reading.energy_j?);
                    let dt = (b.t_ns.checked_sub(a.t_ns)?) as f64 / 1e9;
                    (dt > 0.0 && eb >= ea).then(|| (secs(b.t_ns), (eb - ea) / dt))
                })
                .collect();
        }
        if pts.len() >= 2 {
            lines.push(Line::new(c.name.clone(), pts));
        }
    }
    if lines.is_empty() {
        return;
    }
    let mut spans: Vec<Span> = rows
        .requests()
        .map(|r| Span {
            start: secs(r.start_mono_ns),
            end: secs(r.start_mono_ns + r.e2e_ns),
        })
        .collect();
    // In time order, whatever order the engines' requests come in.
    spans.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.end.total_cmp(&b.end)));
    push(
        out,
        "power",
        "Power over the run per telemetry channel; the strip below marks each measured request.",
        time_series(
            &meta("Power over time"),
            &lines,
            &spans,
            &Quantity::new("time since start", "s"),
            &Quantity::new("power", "W"),
        ),
    );
}
