//! The cost tables of a summary, shared by the markdown and HTML reports: the inputs stated in
//! a line, the price of a device hour over throughput, and energy priced per channel.

use crate::summary::RunSummary;
use crate::summary::cost::{CiMethod, CostFigures, EnergyBasis, RateCi, UsdPerMillion};

/// A table's caption, headers and rows.
pub struct CostTable {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The inputs in a line, then the throughput table and the energy table, each only when some
/// engine has its figures; `None` when no engine has cost figures.
pub fn cost_tables(summary: &RunSummary) -> Option<(String, Vec<CostTable>)> {
    let figures: Vec<(&String, &CostFigures)> = summary
        .engines
        .iter()
        .filter_map(|(l, e)| Some((l, e.cost.as_ref()?)))
        .collect();
    let first = figures.first()?.1;
    let inputs = inputs_line(&figures, first);
    let tables = [price_table(&figures), energy_table(&figures)]
        .into_iter()
        .flatten()
        .collect();
    Some((inputs, tables))
}

/// Every input of the figures, and what they mean, in a line.
fn inputs_line(figures: &[(&String, &CostFigures)], first: &CostFigures) -> String {
    let mut inputs = vec!["Cost inputs:".to_owned()];
    let prices: Vec<String> = figures
        .iter()
        .filter_map(|(l, f)| {
            let p = f.price_per_hour.as_ref()?;
            Some(format!(
                "{l} ${:.4} per device hour ({})",
                p.usd_per_hour, p.set_for
            ))
        })
        .collect();
    if !prices.is_empty() {
        inputs.push(format!("{};", prices.join(", ")));
    }
    if let Some(p) = first.energy_usd_per_kwh {
        inputs.push(format!("electricity ${p:.4}/kWh;"));
    }
    if let Some(g) = first.carbon_g_co2e_per_kwh {
        inputs.push(format!("grid carbon intensity {g:.1} g CO2e/kWh;"));
    }
    let unpriced: Vec<&str> = figures
        .iter()
        .filter(|(_, f)| {
            (f.energy_usd_per_kwh.is_some() || f.carbon_g_co2e_per_kwh.is_some())
                && f.energy.is_empty()
        })
        .map(|(l, _)| l.as_str())
        .collect();
    if !unpriced.is_empty() {
        inputs.push(format!(
            "no energy figures to price for {};",
            unpriced.join(", ")
        ));
    }
    inputs.push(
        "$ per 1M tokens = price per hour / 3600 / tokens per second x 1e6 over the measured wall time; input tokens are prompt tokens over the same wall time, each figure charging the whole device time to its kind of token; 95% CIs from the throughput's."
            .to_owned(),
    );
    inputs.join(" ")
}

/// The price of a device hour over throughput, per engine with a price.
fn price_table(figures: &[(&String, &CostFigures)]) -> Option<CostTable> {
    let rows: Vec<Vec<String>> = figures
        .iter()
        .filter_map(|(l, f)| {
            let p = f.price_per_hour.as_ref()?;
            let t = f.throughput.as_ref();
            Some(vec![
                (*l).clone(),
                format!("{:.4}", p.usd_per_hour),
                t.map_or_else(dash, |t| rate(&t.output)),
                f.usd_per_1m_output_tokens.as_ref().map_or_else(dash, usd),
                t.and_then(|t| t.input.as_ref()).map_or_else(dash, rate),
                f.usd_per_1m_input_tokens.as_ref().map_or_else(dash, usd),
                t.map_or_else(dash, |t| {
                    let over = match t.method {
                        CiMethod::Repetitions => "repetitions",
                        CiMethod::Requests => "requests",
                    };
                    format!("{} {over}", t.n)
                }),
            ])
        })
        .collect();
    (!rows.is_empty()).then(|| CostTable {
        caption: "Cost of device time per million tokens at the measured throughput".to_owned(),
        headers: [
            "engine",
            "$/device h",
            "output tok/s [95% CI]",
            "$/1M output tokens [95% CI]",
            "input tok/s [95% CI]",
            "$/1M input tokens [95% CI]",
            "CI over",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
    })
}

/// Energy per million output tokens, priced and as emissions, per engine and channel.
fn energy_table(figures: &[(&String, &CostFigures)]) -> Option<CostTable> {
    let opt = |v: Option<f64>, digits: usize| v.map_or_else(dash, |v| format!("{v:.digits$}"));
    let rows: Vec<Vec<String>> = figures
        .iter()
        .flat_map(|(l, f)| {
            f.energy.iter().map(move |c| {
                vec![
                    (*l).clone(),
                    c.channel.clone(),
                    match c.basis {
                        EnergyBasis::IdleAdjusted => "idle-adjusted",
                        EnergyBasis::Gross => "gross",
                    }
                    .to_owned(),
                    format!("{:.6}", c.kwh_per_1m_output_tokens),
                    opt(c.usd_per_1m_output_tokens, 6),
                    opt(c.g_co2e_per_1m_output_tokens, 3),
                ]
            })
        })
        .collect();
    (!rows.is_empty()).then(|| CostTable {
        caption: "Energy per million output tokens, priced and as emissions, per telemetry channel (channels may overlap: never add them)".to_owned(),
        headers: [
            "engine",
            "channel",
            "energy",
            "kWh/1M output tokens",
            "$/1M output tokens",
            "g CO2e/1M output tokens",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
    })
}

fn dash() -> String {
    "-".to_owned()
}

fn rate(r: &RateCi) -> String {
    match r.ci95 {
        Some([low, high]) => format!("{:.1} [{low:.1}, {high:.1}]", r.tok_s),
        None => format!("{:.1}", r.tok_s),
    }
}

fn usd(c: &UsdPerMillion) -> String {
    match (c.ci95_lower, c.ci95_upper) {
        (Some(low), Some(high)) => format!("{:.4} [{low:.4}, {high:.4}]", c.usd),
        (Some(low), None) => format!("{:.4} [{low:.4}, unbounded]", c.usd),
        _ => format!("{:.4}", c.usd),
    }
}
