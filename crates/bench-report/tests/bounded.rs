//! Figures stay bounded in size at a million samples: every figure kind that takes samples is
//! rendered from 1,000,000 synthetic points (two engines of 500,000) and its SVG held under
//! 1.5 MB, and a report holding a run's worth of such figures under 5 MB. `curves` and `trend`
//! take one point per sweep level or nightly run, not per sample, so they are not among them.

use bench_report::{
    Axis, Block, Chart, FigureMeta, Fit, FitModel, HtmlReport, Line, Quantity, Scatter, Section,
    Series, Span, box_violin, histogram_kde, latency_cdf, render_html, scatter_fit, time_series,
};

/// Points per engine; two engines make a million per figure.
const PER_ENGINE: usize = 500_000;
/// Most bytes one figure's SVG may take.
const FIGURE_BYTES: usize = 1_500_000;
/// Most bytes the whole report may take.
const REPORT_BYTES: usize = 5_000_000;

fn meta(title: &str) -> FigureMeta {
    FigureMeta {
        title: title.to_owned(),
        engines: vec!["candle".to_owned(), "burn".to_owned()],
        model: "TinyLlama-1.1B-Chat-v1.0 Q4_K_M".to_owned(),
        hardware: "NVIDIA H100 80GB HBM3".to_owned(),
    }
}

fn ms(name: &str) -> Quantity {
    Quantity::new(name, "ms")
}

/// A deterministic uniform in (0, 1) for draw `i` of `stream` (splitmix64: cheap enough that
/// a million draws stay quick in debug builds).
fn uniform(stream: u64, i: usize) -> f64 {
    let mut z = (stream << 40 ^ i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Heavy-tailed (log-logistic) latencies around `median`.
fn latencies(stream: u64, median: f64) -> Vec<f64> {
    (0..PER_ENGINE)
        .map(|i| {
            let u = uniform(stream, i);
            median * (u / (1.0 - u)).powf(0.35)
        })
        .collect()
}

fn series(stream: u64, medians: [f64; 2]) -> Vec<Series<'static>> {
    vec![
        Series::new("candle", latencies(stream, medians[0])),
        Series::new("burn", latencies(stream + 1, medians[1])),
    ]
}

fn scatter(stream: u64, label: &str, slope: f64) -> Scatter {
    let points = (0..PER_ENGINE)
        .map(|i| {
            let x = (16.0 + 4080.0 * uniform(stream, i)).floor();
            let noise = 0.5 + uniform(stream + 1, i);
            (x, (20.0 + slope * x) * noise)
        })
        .collect();
    Scatter {
        label: label.to_owned(),
        points,
        fit: Some(Fit {
            model: FitModel::Linear,
            slope,
            intercept: 20.0,
            r_squared: Some(0.8),
        }),
    }
}

/// One figure of each kind that takes samples, named.
fn figures() -> Vec<(&'static str, Chart)> {
    let ttft = series(1, [40.0, 55.0]);
    let lengths: Vec<Series> = series(3, [300.0, 300.0])
        .into_iter()
        .map(|s| {
            Series::new(
                s.label,
                s.values.iter().map(|v| v.round()).collect::<Vec<f64>>(),
            )
        })
        .collect();
    let scatters = [scatter(5, "candle", 0.05), scatter(7, "burn", 0.08)];
    let seconds = 2.0 * PER_ENGINE as f64 / 1000.0;
    let power: Vec<(f64, f64)> = (0..2 * PER_ENGINE)
        .map(|i| (i as f64 * 0.001, 220.0 + 160.0 * uniform(9, i)))
        .collect();
    let requests: Vec<Span> = (0..2 * PER_ENGINE)
        .map(|i| {
            let start = seconds * uniform(10, i);
            Span {
                start,
                end: start + 0.05 + 3.0 * uniform(11, i),
            }
        })
        .collect();
    vec![
        (
            "cdf",
            latency_cdf(&meta("TTFT CDF"), &ttft, &Axis::log(ms("ttft"))).expect("cdf"),
        ),
        (
            "box_violin",
            box_violin(&meta("TTFT"), &ttft, &ms("ttft")).expect("box"),
        ),
        (
            "histogram",
            histogram_kde(
                &meta("Prompt lengths"),
                &lengths,
                &Quantity::new("prompt length", "tokens"),
            )
            .expect("histogram"),
        ),
        (
            "scatter",
            scatter_fit(
                &meta("Input tokens vs TTFT"),
                &scatters,
                &Axis::linear(Quantity::new("input tokens", "tokens")),
                &Axis::log(ms("ttft")),
            )
            .expect("scatter"),
        ),
        (
            "time_series",
            time_series(
                &meta("Power over time"),
                &[Line::new("gpu 0 power", power)],
                &requests,
                &Quantity::new("time since start", "s"),
                &Quantity::new("power", "W"),
            )
            .expect("time series"),
        ),
    ]
}

#[test]
fn figures_and_the_report_stay_small_at_a_million_points() {
    let figures = figures();
    for (name, chart) in &figures {
        let svg = chart.svg().expect("svg renders");
        assert!(
            svg.len() < FIGURE_BYTES,
            "{name}: {} bytes of SVG from a million points",
            svg.len()
        );
    }
    // A run's report: the latency pair for each of TTFT, TPOT and ITL, three scatters, two
    // histograms and the power figure.
    let pick = |name: &str| {
        let (_, chart) = figures
            .iter()
            .find(|(n, _)| *n == name)
            .expect("figure exists");
        Block::Figure(chart.clone())
    };
    let names = [
        "cdf",
        "box_violin",
        "cdf",
        "box_violin",
        "cdf",
        "box_violin",
        "scatter",
        "scatter",
        "scatter",
        "histogram",
        "histogram",
        "time_series",
    ];
    let report = HtmlReport {
        title: "A million requests".to_owned(),
        subtitle: String::new(),
        sections: vec![Section::new("Figures", names.map(pick).to_vec())],
    };
    let html = render_html(&report).expect("report renders");
    assert!(
        html.len() < REPORT_BYTES,
        "report.html of {} bytes",
        html.len()
    );
}
