//! A realistic set of figures and a report over seeded synthetic data, shared by the
//! integration tests and the gallery example.

#![allow(dead_code, clippy::missing_panics_doc)]

use bench_report::{
    Axis, Block, Chart, FigureMeta, Fit, FitModel, HtmlReport, Line, Outcome, Quantity, Scatter,
    Section, Series, Span, Table, TrendLine, TrendPoint, Verdict, box_violin, curves,
    histogram_kde, latency_cdf, scatter_fit, time_series, trend,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal};

pub const ENGINES: [&str; 3] = ["candle", "burn", "mistral-rs"];

pub fn meta(title: &str) -> FigureMeta {
    FigureMeta {
        title: title.to_owned(),
        engines: ENGINES.iter().map(|e| (*e).to_owned()).collect(),
        model: "TinyLlama-1.1B-Chat-v1.0 Q4_K_M".to_owned(),
        hardware: "NVIDIA H100 80GB HBM3, driver 550.54".to_owned(),
    }
}

fn lognormal(rng: &mut StdRng, n: usize, median: f64, sigma: f64) -> Vec<f64> {
    let dist = LogNormal::new(median.ln(), sigma).expect("valid lognormal");
    (0..n).map(|_| dist.sample(rng)).collect()
}

/// Ordinary least squares of y on x: (slope, intercept, r squared).
fn ols(points: &[(f64, f64)]) -> (f64, f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    let slope = sxy / sxx;
    (slope, my - slope * mx, sxy * sxy / (sxx * syy))
}

fn fit(model: FitModel, points: &[(f64, f64)]) -> Fit {
    let transformed: Vec<(f64, f64)> = match model {
        FitModel::Linear => points.to_vec(),
        FitModel::LogLinear => points.iter().map(|p| (p.0, p.1.ln())).collect(),
    };
    let (slope, intercept, r2) = ols(&transformed);
    Fit {
        model,
        slope,
        intercept,
        r_squared: Some(r2),
    }
}

fn ms(name: &str) -> Quantity {
    Quantity::new(name, "ms")
}

fn noise() -> Normal<f64> {
    Normal::new(0.0, 4.0).expect("valid normal")
}

/// TTFT CDF and box plots, TPOT box plots.
fn latency(rng: &mut StdRng) -> Vec<(&'static str, Chart)> {
    let per_engine = |rng: &mut StdRng, medians: [f64; 3], sigma: f64| -> Vec<Series> {
        ENGINES
            .iter()
            .zip(medians)
            .map(|(e, m)| Series::new(*e, lognormal(rng, 400, m, sigma)))
            .collect()
    };
    let ttft = per_engine(rng, TTFT_MEDIANS, 0.35);
    let tpot = per_engine(rng, [9.5, 12.0, 8.8], 0.12);
    let cdf_axis = Axis::log(ms("time to first token"));
    vec![
        (
            "ttft_cdf",
            latency_cdf(&meta("Time to first token, CDF"), &ttft, &cdf_axis).expect("cdf"),
        ),
        (
            "ttft_box",
            box_violin(
                &meta("Time to first token per engine"),
                &ttft,
                &ms("time to first token"),
            )
            .expect("box"),
        ),
        (
            "tpot_box",
            box_violin(
                &meta("Time per output token per engine"),
                &tpot,
                &ms("time per output token"),
            )
            .expect("box"),
        ),
    ]
}

const TTFT_MEDIANS: [f64; 3] = [42.0, 55.0, 38.0];

/// Input tokens vs TTFT (linear fit), total tokens vs power (log-linear fit on a log axis).
fn regressions(rng: &mut StdRng) -> Vec<(&'static str, Chart)> {
    let noise = noise();
    let ttft: Vec<Scatter> = ENGINES
        .iter()
        .zip([0.045, 0.07, 0.04])
        .map(|(e, per_token)| {
            let points: Vec<(f64, f64)> = (0..150)
                .map(|_| {
                    let x = f64::from(rng.random_range(16..1024_u32));
                    (x, 18.0 + per_token * x + noise.sample(rng).abs())
                })
                .collect();
            Scatter {
                label: (*e).to_owned(),
                fit: Some(fit(FitModel::Linear, &points)),
                points,
            }
        })
        .collect();
    let power: Vec<Scatter> = ENGINES
        .iter()
        .zip([0.0, 0.1, -0.05])
        .map(|(e, offset)| {
            let points: Vec<(f64, f64)> = (0..120)
                .map(|_| {
                    let x = f64::from(rng.random_range(64..2048_u32));
                    let spread = 1.0 + 0.05 * noise.sample(rng) / 4.0;
                    (x, (4.6 + 0.0006 * x + offset).exp() * spread)
                })
                .collect();
            Scatter {
                label: (*e).to_owned(),
                fit: Some(fit(FitModel::LogLinear, &points)),
                points,
            }
        })
        .collect();
    let tokens = |name: &str| Axis::linear(Quantity::new(name, "tokens"));
    vec![
        (
            "input_tokens_vs_ttft",
            scatter_fit(
                &meta("Input tokens vs time to first token"),
                &ttft,
                &tokens("input tokens"),
                &Axis::linear(ms("time to first token")),
            )
            .expect("scatter"),
        ),
        (
            "total_tokens_vs_power_log",
            scatter_fit(
                &meta("Total tokens vs average power (log scale)"),
                &power,
                &tokens("total tokens"),
                &Axis::log(Quantity::new("average power", "W")),
            )
            .expect("scatter"),
        ),
    ]
}

/// Prompt lengths (spread) and output lengths (all equal).
fn lengths(rng: &mut StdRng) -> Vec<(&'static str, Chart)> {
    let prompt: Vec<Series> = ENGINES
        .iter()
        .map(|e| {
            Series::new(
                *e,
                lognormal(rng, 400, 180.0, 0.6)
                    .into_iter()
                    .map(f64::round)
                    .collect::<Vec<f64>>(),
            )
        })
        .collect();
    let output = vec![Series::new("all engines", vec![128.0; 400])];
    vec![
        (
            "prompt_lengths",
            histogram_kde(
                &meta("Prompt length distribution"),
                &prompt,
                &Quantity::new("prompt length", "tokens"),
            )
            .expect("hist"),
        ),
        (
            "output_lengths",
            histogram_kde(
                &meta("Output length distribution"),
                &output,
                &Quantity::new("output length", "tokens"),
            )
            .expect("hist"),
        ),
    ]
}

/// Throughput vs concurrency and latency vs throughput over a load sweep.
fn sweeps() -> Vec<(&'static str, Chart)> {
    let levels = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
    let throughput: Vec<Line> = ENGINES
        .iter()
        .zip([2400.0, 1700.0, 2900.0])
        .map(|(e, peak)| {
            Line::new(
                *e,
                levels.iter().map(|c| (*c, peak * c / (c + 10.0))).collect(),
            )
        })
        .collect();
    let latency: Vec<Line> = throughput
        .iter()
        .map(|line| {
            Line::new(
                line.label.clone(),
                line.points
                    .iter()
                    .map(|(c, tps)| (*tps, 40.0 + 6.0 * c * c.sqrt()))
                    .collect(),
            )
        })
        .collect();
    let tps = Quantity::new("output throughput", "tokens/s");
    vec![
        (
            "throughput_vs_concurrency",
            curves(
                &meta("Throughput vs concurrency"),
                &throughput,
                &Axis::log(Quantity::new("concurrency", "requests in flight")),
                &Axis::linear(tps.clone()),
            )
            .expect("curves"),
        ),
        (
            "latency_vs_throughput",
            curves(
                &meta("Latency vs throughput"),
                &latency,
                &Axis::linear(tps),
                &Axis::linear(ms("time to first token, p99")),
            )
            .expect("curves"),
        ),
    ]
}

/// Power and cumulative energy over time, with the requests marked.
fn telemetry(rng: &mut StdRng) -> Vec<(&'static str, Chart)> {
    let noise = noise();
    let mut t = 0.0;
    let mut requests = Vec::new();
    while t < 50.0 {
        let length = 0.8 + rng.random::<f64>() * 2.5;
        requests.push(Span {
            start: t,
            end: t + length,
        });
        t += 0.4 + rng.random::<f64>() * 1.2;
    }
    let power: Vec<(f64, f64)> = (0..=600)
        .map(|i| {
            let at = f64::from(i) * 0.1;
            let busy = requests
                .iter()
                .filter(|r| r.start <= at && at <= r.end)
                .count() as f64;
            (at, 72.0 + 95.0 * busy.min(3.0) + noise.sample(rng))
        })
        .collect();
    let mut joules = 0.0;
    let energy: Vec<(f64, f64)> = power
        .windows(2)
        .map(|pair| {
            joules += (pair[1].0 - pair[0].0) * (pair[0].1 + pair[1].1) / 2.0;
            (pair[1].0, joules / 1000.0)
        })
        .collect();
    let time = Quantity::new("time since start", "s");
    vec![
        (
            "power_over_time",
            time_series(
                &meta("GPU power during the run (candle)"),
                &[Line::new("GPU 0 power", power)],
                &requests,
                &time,
                &Quantity::new("power", "W"),
            )
            .expect("time series"),
        ),
        (
            "energy_over_time",
            time_series(
                &meta("Cumulative GPU energy (candle)"),
                &[Line::new("GPU 0 energy", energy)],
                &requests,
                &time,
                &Quantity::new("energy", "kJ"),
            )
            .expect("time series"),
        ),
    ]
}

/// Two weeks of nightly medians with CIs: candle steps up, burn misses some nights.
fn nightly(rng: &mut StdRng) -> Vec<(&'static str, Chart)> {
    let runs: Vec<String> = (1..=14).map(|d| format!("2025-03-{d:02}")).collect();
    let lines: Vec<TrendLine> = ENGINES
        .iter()
        .zip(TTFT_MEDIANS)
        .map(|(e, m)| TrendLine {
            label: (*e).to_owned(),
            points: runs
                .iter()
                .enumerate()
                .filter(|(i, _)| *e != "burn" || i % 4 != 3)
                .map(|(i, run)| {
                    let step = if *e == "candle" && i >= 9 { 6.0 } else { 0.0 };
                    let value = m + step + rng.random::<f64>() * 2.0;
                    TrendPoint {
                        run: run.clone(),
                        value,
                        ci: Some((value - 1.5, value + 1.7)),
                    }
                })
                .collect(),
        })
        .collect();
    let chart = trend(
        &meta("Nightly median time to first token"),
        &runs,
        &lines,
        &ms("median time to first token"),
    )
    .expect("trend");
    vec![("nightly_ttft", chart)]
}

/// Every figure kind, named for its file.
pub fn gallery() -> Vec<(&'static str, Chart)> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut charts = latency(&mut rng);
    charts.extend(regressions(&mut rng));
    charts.extend(lengths(&mut rng));
    charts.extend(sweeps());
    charts.extend(telemetry(&mut rng));
    charts.extend(nightly(&mut rng));
    charts
}

/// A report holding a table, verdicts, every figure and a manifest.
pub fn report(charts: Vec<(&'static str, Chart)>) -> HtmlReport {
    let table = Table {
        caption: "Latency and throughput (95% bootstrap CIs)".to_owned(),
        headers: [
            "engine",
            "TTFT p50",
            "TTFT p99",
            "TPOT p50",
            "throughput",
            "energy/token",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: vec![
            [
                "candle",
                "42.1 ms [41.0, 43.3]",
                "98.7 ms",
                "9.5 ms",
                "2,401 tok/s",
                "0.21 J",
            ],
            [
                "burn",
                "55.3 ms [53.9, 56.8]",
                "131.0 ms",
                "12.0 ms",
                "1,702 tok/s",
                "0.29 J",
            ],
            [
                "mistral-rs",
                "38.2 ms [37.1, 39.0]",
                "88.4 ms",
                "8.8 ms",
                "2,894 tok/s",
                "0.18 J",
            ],
        ]
        .into_iter()
        .map(|row| row.map(str::to_owned).to_vec())
        .collect(),
    };
    let verdicts = vec![
        Verdict {
            outcome: Outcome::Regressed,
            word: None,
            subject: "candle · TTFT p50".to_owned(),
            detail: "×1.14 [1.09, 1.19] vs baseline, p < 0.001 (Holm), Cliff's δ = 0.42".to_owned(),
        },
        Verdict {
            outcome: Outcome::Improved,
            word: None,
            subject: "mistral-rs · TPOT p50".to_owned(),
            detail: "×0.93 [0.90, 0.96], p = 0.002, Cliff's δ = −0.31".to_owned(),
        },
        Verdict {
            outcome: Outcome::Unchanged,
            word: None,
            subject: "burn · TTFT p50".to_owned(),
            detail: "×1.01 [0.98, 1.04], p = 0.41".to_owned(),
        },
        Verdict {
            outcome: Outcome::Warning,
            word: None,
            subject: "burn · TTFT p99.9".to_owned(),
            detail: "n = 400 is too small for this percentile".to_owned(),
        },
    ];
    let figures = charts
        .into_iter()
        .map(|(_, chart)| Block::Figure(chart))
        .collect();
    let manifest = "{\n  \"engines\": [\"candle\", \"burn\", \"mistral-rs\"],\n  \"model\": \"TinyLlama-1.1B-Chat-v1.0 Q4_K_M\",\n  \"gpu\": \"NVIDIA H100 80GB HBM3\"\n}";
    HtmlReport {
        title: "Engine comparison: TinyLlama-1.1B on H100".to_owned(),
        subtitle: "run 2025-03-14T02:00:00Z-nightly · 400 requests per engine".to_owned(),
        sections: vec![
            Section::new("Comparison", vec![Block::Table(table)]),
            Section::new(
                "Verdicts against the baseline",
                vec![Block::Verdicts(verdicts)],
            ),
            Section::new("Figures", figures),
            Section::new(
                "Manifest",
                vec![Block::Details {
                    summary: "manifest.json".to_owned(),
                    body: manifest.to_owned(),
                }],
            ),
        ],
    }
}
