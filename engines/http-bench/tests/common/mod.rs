//! Helpers shared by the integration tests: requests, workloads and running the engine
//! in-process against a mock.

#![allow(dead_code)]

use std::time::Duration;

use bench_worker::Engine;
use http_bench::HttpBench;
use http_bench::mock::{MockConfig, MockServer, start_thread};
use serde_json::{Value, json};
use shared_protocol::{
    LoadPattern, LoadRequest, Phase, Request, Sample, Sampling, WorkerMessage, Workload,
};

pub fn request(id: u64, text: &str, chat: bool, max_tokens: u32) -> Request {
    Request {
        id,
        text: text.to_owned(),
        prompt_token_ids: None,
        chat,
        max_tokens,
        ignore_eos: true,
        sampling: Sampling::default(),
    }
}

pub fn workload(requests: Vec<Request>, load: LoadPattern, timeout_ms: u64) -> Workload {
    Workload {
        phase: Phase::Measure,
        requests,
        load,
        request_timeout_ms: timeout_ms,
    }
}

pub fn load_request(options: &Value) -> LoadRequest {
    LoadRequest {
        model: None,
        device: "remote".into(),
        options: options.as_object().expect("options object").clone(),
    }
}

pub fn mock(config: MockConfig) -> MockServer {
    start_thread(config, 0, 1).expect("start mock")
}

pub fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// Load the engine against `url` and run `w`, returning the samples and every message.
pub fn run(
    engine: &str,
    url: &str,
    extra: &Value,
    w: &Workload,
) -> (Vec<Sample>, Vec<WorkerMessage>) {
    let mut options = json!({"engine": engine, "url": url, "ready_timeout_s": 10});
    if let (Some(o), Some(e)) = (options.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let loaded = HttpBench::load(&load_request(&options)).expect("load");
    let mut engine = loaded.engine;
    let mut messages = Vec::new();
    let n = engine
        .workload(w, &mut |m| {
            messages.push(m);
            Ok(())
        })
        .expect("workload");
    let samples: Vec<Sample> = messages
        .iter()
        .filter_map(|m| match m {
            WorkerMessage::Sample(s) => Some((**s).clone()),
            _ => None,
        })
        .collect();
    assert_eq!(n, samples.len() as u64);
    (samples, messages)
}

pub fn median(mut v: Vec<u64>) -> f64 {
    assert!(!v.is_empty(), "median of nothing");
    v.sort_unstable();
    v[v.len() / 2] as f64
}

/// `got` within `tolerance` (a fraction) of `want`.
pub fn near(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= want * tolerance
}

/// How much later than the mock's schedule a first chunk may be measured when this machine is
/// loaded: a stall of the mock's runtime delays every request it serves at that moment.
pub const LOAD_SLACK_NS: f64 = 10e6;

/// A time to first chunk `got` that recovers the mock's `want`: no earlier than `tolerance`
/// (a fraction) allows, and no later than that plus [`LOAD_SLACK_NS`]. The mock's deadlines
/// count from its receipt of the request, which follows the client's send: a first chunk is
/// never early, only late.
pub fn near_or_late(got: f64, want: f64, tolerance: f64) -> bool {
    got >= want * (1.0 - tolerance) && got <= want * (1.0 + tolerance) + LOAD_SLACK_NS
}
