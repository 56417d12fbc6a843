use shared_protocol::EngineId;

use super::*;
use crate::plan::CostPlan;
use crate::store::RunStatus;
use crate::summary::energy::ChannelEnergy;
use crate::summary::tests::sample;

/// Student's t quantiles at 0.975 (scipy.stats.t.ppf(0.975, df)).
const T_1: f64 = 12.706_204_736_174_707;
const T_2: f64 = 4.302_652_729_911_275;
const T_3: f64 = 3.182_446_305_284_263;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn unit(tokens: f64, wall_s: f64) -> Unit {
    Unit { tokens, wall_s }
}

#[test]
fn two_fifty_an_hour_at_a_thousand_tokens_a_second() {
    // $2.50 / 3600 s = $0.000694.. per second; over 1000 tokens/s, per token $6.94e-7; per
    // million tokens $0.694.
    let usd = usd_per_million(2.5, 1000.0).expect("a positive rate");
    assert!(close(usd, 0.694_444_444_444_444_5), "{usd}");
    assert!(close(usd_per_million(3.6, 1.0).expect("rate"), 1000.0));
    assert_eq!(usd_per_million(2.5, 0.0), None);
}

#[test]
fn equal_walls_give_the_t_interval_of_the_units_rates_carried_into_the_cost() {
    // Rates 1000, 1200, 1100 tok/s: mean 1100, sd 100, half-width t(2) * 100 / sqrt(3).
    let rate = rate_ci(&[unit(1000.0, 1.0), unit(1200.0, 1.0), unit(1100.0, 1.0)]).expect("rate");
    let half = T_2 * 100.0 / 3f64.sqrt();
    assert!(close(half, 248.413_771_184_375_3));
    assert!(close(rate.tok_s, 1100.0));
    let [low, high] = rate.ci95.expect("three units");
    assert!(close(low, 1100.0 - half) && close(high, 1100.0 + half));

    // $2.50/h: 2.5 / 3600 / 1100 * 1e6 = 0.631313..; the fast end of the throughput gives the
    // cheap end of the cost: 2.5 / 3600 / 1348.41 * 1e6 = 0.515008, 2.5 / 3600 / 851.586 * 1e6
    // = 0.815472.
    let cost = cost_at(2.5, &rate).expect("cost");
    assert!(close(cost.usd, 0.631_313_131_313_131_4), "{cost:?}");
    assert!(close(
        cost.ci95_lower.expect("lower"),
        0.515_008_418_991_806_4
    ));
    assert!(close(
        cost.ci95_upper.expect("upper"),
        0.815_471_670_332_514_6
    ));
}

#[test]
fn unequal_walls_weigh_units_by_their_wall_time() {
    // 1000 tokens in 1 s and 3000 in 2 s: 4000 / 3 tok/s (not the mean of 1000 and 1500). Mean
    // wall 1.5 s; z = (1000 - 1333.3) / 1.5 = -222.2 and +222.2; sd(z) / sqrt(2) = 222.2;
    // half-width t(1) * 222.2 = 2823.6, which reaches below zero.
    let rate = rate_ci(&[unit(1000.0, 1.0), unit(3000.0, 2.0)]).expect("rate");
    assert!(close(rate.tok_s, 4000.0 / 3.0));
    let [low, high] = rate.ci95.expect("two units");
    let half = T_1 * 2000.0 / 9.0;
    assert!(close(low, 4000.0 / 3.0 - half) && close(high, 4000.0 / 3.0 + half));
    assert!(low < 0.0);
    // Cost 2.5 / 3600 / 1333.3 * 1e6 = 0.520833; its lower end from 4156.93 tok/s is 0.167057;
    // a throughput that may be zero leaves it no upper end.
    let cost = cost_at(2.5, &rate).expect("cost");
    assert!(close(cost.usd, 0.520_833_333_333_333_4));
    assert!(close(
        cost.ci95_lower.expect("lower"),
        0.167_056_869_315_493_3
    ));
    assert_eq!(cost.ci95_upper, None, "unbounded above");
}

#[test]
fn one_unit_or_no_wall_time_gives_no_interval() {
    let rate = rate_ci(&[unit(500.0, 2.0)]).expect("rate");
    assert!(close(rate.tok_s, 250.0));
    assert_eq!(rate.ci95, None);
    let cost = cost_at(1.0, &rate).expect("cost");
    assert_eq!((cost.ci95_lower, cost.ci95_upper), (None, None));
    assert_eq!(rate_ci(&[unit(500.0, 0.0)]), None);
    assert_eq!(rate_ci(&[]), None);
}

const S: u64 = 1_000_000_000;

fn run(repetition: u32, window_s: (u64, u64)) -> EngineRun {
    EngineRun {
        engine: EngineId::Sim,
        label: "sim".to_owned(),
        repetition,
        worker: String::new(),
        worker_pid: None,
        device: None,
        status: RunStatus::Ok,
        hello: None,
        loaded: None,
        done: None,
        samples: 0,
        measure_start_mono_ns: Some(window_s.0 * S),
        measure_end_mono_ns: Some(window_s.1 * S),
        server_metrics: None,
        earlier_measure_ns: None,
        start: None,
    }
}

fn request(repetition: u32, e2e_ms: u64, tokens: u32, prompt: Option<u32>) -> Request {
    let mut r = Request::of(0, EngineId::Sim, repetition, &sample(1, e2e_ms, tokens));
    r.prompt_tokens = prompt;
    r
}

#[test]
fn two_repetitions_are_the_units() {
    // Repetition 0: 200 output and 100 prompt tokens in 2 s; repetition 1: 300 and 100 in 2 s.
    let runs = [run(0, (0, 2)), run(1, (10, 12))];
    let rows = [
        request(0, 500, 100, Some(50)),
        request(0, 500, 100, Some(50)),
        request(1, 500, 150, Some(50)),
        request(1, 500, 150, Some(50)),
    ];
    let t = throughput_ci(
        &runs.iter().collect::<Vec<_>>(),
        &rows.iter().collect::<Vec<_>>(),
    )
    .expect("throughput");
    assert_eq!((t.method, t.n), (CiMethod::Repetitions, 2));
    // 500 / 4 = 125 tok/s; z = (200 - 250) / 2 = -25 and +25, sd / sqrt(2) = 25.
    assert!(close(t.output.tok_s, 125.0));
    let [low, high] = t.output.ci95.expect("interval");
    assert!(close(low, 125.0 - T_1 * 25.0) && close(high, 125.0 + T_1 * 25.0));
    // 200 prompt tokens in 4 s, the same in each repetition: no spread.
    let input = t.input.expect("prompt counts");
    assert!(close(input.tok_s, 50.0));
    assert_eq!(input.ci95, Some([50.0, 50.0]));
}

#[test]
fn one_repetition_shares_its_wall_time_among_requests_by_latency() {
    // Four 1 s requests over a 2 s window (two at a time): each holds 0.5 s of it.
    let runs = [run(0, (5, 7))];
    let rows = [
        request(0, 1000, 90, Some(10)),
        request(0, 1000, 110, None),
        request(0, 1000, 100, Some(10)),
        request(0, 1000, 100, Some(10)),
    ];
    let t = throughput_ci(
        &runs.iter().collect::<Vec<_>>(),
        &rows.iter().collect::<Vec<_>>(),
    )
    .expect("throughput");
    assert_eq!((t.method, t.n), (CiMethod::Requests, 4));
    // 400 tokens in 2 s = 200 tok/s; mean share 0.5 s; z = (90 - 100) / 0.5 = -20, +20, 0, 0:
    // sd = sqrt(800 / 3), half-width t(3) * sd / 2.
    assert!(close(t.output.tok_s, 200.0));
    let half = T_3 * (800.0f64 / 3.0).sqrt() / 2.0;
    assert!(close(half, 25.984_565_272_506_75));
    let [low, high] = t.output.ci95.expect("interval");
    assert!(close(low, 200.0 - half) && close(high, 200.0 + half));
    assert_eq!(t.input, None, "a request without a prompt count");
}

fn channel(name: &str, j_per_token: f64, idle_adjusted_j_per_token: Option<f64>) -> ChannelEnergy {
    ChannelEnergy {
        channel: name.to_owned(),
        method: telemetry::energy::EnergyMethod::Counter,
        gross_j: 0.0,
        idle_adjusted_j: None,
        duration_s: 0.0,
        avg_power_w: None,
        peak_power_w: None,
        idle_power_w: None,
        j_per_token: Some(j_per_token),
        idle_adjusted_j_per_token,
        tokens_per_j: None,
        request_j: None,
        unresolved_requests: 0,
        phases: None,
    }
}

#[test]
fn energy_is_priced_per_channel_idle_adjusted_where_measured() {
    let energy = EngineEnergy {
        channels: vec![
            channel("nvml:0", 0.5, Some(0.36)),
            channel("rapl:package-0", 1.8, None),
        ],
        unavailable: None,
    };
    let costs = channel_costs(&energy, Some(0.2), Some(400.0));
    // 0.36 J/token * 1e6 tokens = 360,000 J = 0.1 kWh: $0.02 at $0.20/kWh, 40 g at 400 g/kWh.
    let gpu = &costs[0];
    assert_eq!(
        (gpu.channel.as_str(), gpu.basis),
        ("nvml:0", EnergyBasis::IdleAdjusted)
    );
    assert!(close(gpu.kwh_per_1m_output_tokens, 0.1));
    assert!(close(gpu.usd_per_1m_output_tokens.expect("usd"), 0.02));
    assert!(close(gpu.g_co2e_per_1m_output_tokens.expect("g"), 40.0));
    // No idle baseline: 1.8 J/token gross = 0.5 kWh, $0.10, 200 g.
    let cpu = &costs[1];
    assert_eq!(cpu.basis, EnergyBasis::Gross);
    assert!(close(cpu.kwh_per_1m_output_tokens, 0.5));
    assert!(close(cpu.usd_per_1m_output_tokens.expect("usd"), 0.1));
    assert!(close(cpu.g_co2e_per_1m_output_tokens.expect("g"), 200.0));
    let carbon_only = channel_costs(&energy, None, Some(400.0));
    assert_eq!(carbon_only[0].usd_per_1m_output_tokens, None);
}

#[test]
fn figures_appear_for_the_inputs_given() {
    let runs = [run(0, (0, 2)), run(1, (10, 12))];
    let rows = [
        request(0, 500, 1000, Some(500)),
        request(1, 500, 1000, Some(500)),
    ];
    let (runs, rows): (Vec<_>, Vec<_>) = (runs.iter().collect(), rows.iter().collect());
    let energy = EngineEnergy::default();
    assert_eq!(
        cost_figures(&CostPlan::default(), "sim", &runs, &rows, &energy),
        None
    );

    let mut plan = CostPlan::default();
    plan.price_per_hour.insert(
        "sim".to_owned(),
        DeviceHourPrice {
            usd_per_hour: 2.5,
            set_for: "engine sim".to_owned(),
        },
    );
    assert_eq!(cost_figures(&plan, "other", &runs, &rows, &energy), None);
    let f = cost_figures(&plan, "sim", &runs, &rows, &energy).expect("a price");
    // 2000 tokens in 4 s = 500 tok/s, the same in both repetitions: 2.5 / 3600 / 500 * 1e6 =
    // $1.3889 per million output tokens; 1000 prompt tokens in 4 s = 250 tok/s: $2.7778.
    let out = f.usd_per_1m_output_tokens.expect("output cost");
    assert!(close(out.usd, 1.388_888_888_888_889));
    assert_eq!(
        (out.ci95_lower, out.ci95_upper),
        (Some(out.usd), Some(out.usd))
    );
    let input = f.usd_per_1m_input_tokens.expect("input cost");
    assert!(close(input.usd, 2.777_777_777_777_778));
    assert!(f.energy.is_empty());

    plan.carbon_g_co2e_per_kwh = Some(400.0);
    let f = cost_figures(&plan, "other", &runs, &rows, &energy).expect("carbon intensity");
    assert_eq!(f.throughput, None, "no price, no throughput interval");
    assert_eq!(f.carbon_g_co2e_per_kwh, Some(400.0));
}
