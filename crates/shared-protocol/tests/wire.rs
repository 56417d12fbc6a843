//! Snapshot of every message on the wire: a change to the format shows up as a snapshot diff,
//! and every snapshot must decode back to the value it came from.

use serde_json::{Map, Value, json};
use shared_protocol::codec::{RUNNER_TYPES, WORKER_TYPES};
use shared_protocol::{
    Arrival, Capabilities, Decoded, DeviceClockKind, DeviceKind, Done, EngineId, ErrorMessage,
    FailureKind, FinishReason, GenerateRequest, Hello, LoadPattern, LoadRequest, Loaded,
    ModelFormat, ModelSpec, Outcome, Phase, Progress, Request, RunnerMessage, Sample, Sampling,
    TokenCounts, TokenSource, WorkerMessage, Workload, decode_line, encode_line,
};

fn request() -> Request {
    Request {
        id: 3,
        text: "What is 2+2?".into(),
        prompt_token_ids: Some(vec![1, 9690, 198]),
        chat: true,
        max_tokens: 32,
        ignore_eos: false,
        sampling: Sampling {
            temperature: 0.0,
            top_p: 1.0,
            seed: 42,
        },
    }
}

fn load_request() -> LoadRequest {
    let mut options = Map::new();
    options.insert("threads".into(), json!(2));
    LoadRequest {
        model: Some(ModelSpec {
            id: "smollm2-135m-instruct-q4_1".into(),
            path: Some("models/smollm2-135m-instruct-q4_1.gguf".into()),
            format: Some(ModelFormat::Gguf),
            served_name: None,
            sha256: Some("sha256:00ff".into()),
        }),
        device: "cpu".into(),
        options,
    }
}

fn sample() -> Sample {
    let mut engine_metrics = Map::new();
    engine_metrics.insert("eval_count".into(), json!(4));
    Sample {
        request_id: 3,
        phase: Phase::Measure,
        outcome: Outcome::Ok,
        start_mono_ns: 1_000_000_000,
        scheduled_mono_ns: Some(999_900_000),
        prefill_ns: Some(9_000_000),
        ttft_ns: Some(10_000_000),
        e2e_ns: 16_000_000,
        itl_ns: vec![2_000_000, 2_000_000, 2_000_000],
        tokens_per_chunk: Some(vec![1, 1, 1]),
        prompt_tokens: Some(3),
        prompt_tokens_source: Some(TokenSource::Tokenizer),
        completion_tokens: 4,
        completion_tokens_source: TokenSource::ServerUsage,
        token_counts: TokenCounts {
            server_prompt: Some(3),
            server_completion: Some(4),
            tokenizer_completion: Some(4),
            chunks: Some(4),
        },
        device_clock: Some(DeviceClockKind::CudaEvent),
        prefill_device_ns: Some(8_500_000),
        decode_device_ns: Some(vec![1_900_000, 1_900_000, 1_900_000]),
        finish_reason: Some(FinishReason::Length),
        output_token_ids: Some(vec![19, 20, 21, 22]),
        output_text: Some("4.".into()),
        engine_metrics,
        reasoning: None,
        retry: 0,
    }
}

fn runner_messages() -> Vec<(&'static str, RunnerMessage)> {
    vec![
        ("check", RunnerMessage::Check(load_request())),
        ("load", RunnerMessage::Load(load_request())),
        (
            "generate",
            RunnerMessage::Generate(GenerateRequest {
                phase: Phase::Warmup,
                request: request(),
            }),
        ),
        (
            "workload_closed",
            RunnerMessage::Workload(Workload {
                phase: Phase::Measure,
                requests: vec![request()],
                load: LoadPattern::Closed { concurrency: 4 },
                request_timeout_ms: 60_000,
            }),
        ),
        (
            "workload_open",
            RunnerMessage::Workload(Workload {
                phase: Phase::Measure,
                requests: vec![request()],
                load: LoadPattern::Open {
                    rate_rps: 2.0,
                    arrival: Arrival::Gamma { shape: 0.5 },
                    max_concurrency: Some(8),
                    seed: 1,
                    ramp_up_s: 0.0,
                },
                request_timeout_ms: 60_000,
            }),
        ),
        ("shutdown", RunnerMessage::Shutdown),
    ]
}

fn worker_messages() -> Vec<(&'static str, WorkerMessage)> {
    let failed = Sample {
        outcome: Outcome::Failed {
            kind: FailureKind::HttpStatus,
            message: "429 Too Many Requests".into(),
            http_status: Some(429),
        },
        ttft_ns: None,
        itl_ns: vec![],
        completion_tokens: 0,
        ..sample()
    };
    vec![
        (
            "hello",
            WorkerMessage::Hello(Hello {
                protocol: shared_protocol::PROTOCOL_VERSION,
                engine: EngineId::MistralRs,
                engine_version: "0.6.0".into(),
                worker_version: "0.1.0".into(),
                device: "cuda:0".into(),
                capabilities: Capabilities {
                    devices: vec![DeviceKind::Cpu, DeviceKind::Cuda],
                    token_ids_input: true,
                    device_clock: true,
                    workload: false,
                    ignore_eos: true,
                },
            }),
        ),
        ("checked", WorkerMessage::Checked),
        (
            "loaded",
            WorkerMessage::Loaded(Loaded {
                load_ns: 1_500_000_000,
                rss_bytes: Some(200 << 20),
                device_memory_bytes: Some(1 << 30),
                model_bytes: Some(98 << 20),
                details: {
                    let mut m = Map::new();
                    m.insert("architecture".into(), Value::from("llama"));
                    m
                },
            }),
        ),
        ("sample_ok", WorkerMessage::Sample(Box::new(sample()))),
        ("sample_failed", WorkerMessage::Sample(Box::new(failed))),
        (
            "progress",
            WorkerMessage::Progress(Progress { done: 5, total: 30 }),
        ),
        (
            "error",
            WorkerMessage::Error(ErrorMessage {
                message: "load failed: no such file".into(),
                fatal: true,
            }),
        ),
        (
            "done",
            WorkerMessage::Done(Done {
                samples: 30,
                peak_rss_bytes: Some(300 << 20),
                server_metrics: None,
            }),
        ),
        (
            "done_server_metrics",
            WorkerMessage::Done(Done {
                samples: 30,
                peak_rss_bytes: Some(300 << 20),
                server_metrics: json!({"vllm:generation_tokens_total{model_name=\"m\"}": 1920.0})
                    .as_object()
                    .cloned(),
            }),
        ),
    ]
}

#[test]
fn runner_messages_snapshot_and_round_trip() {
    for (name, message) in runner_messages() {
        let line = encode_line(&message).expect("encode");
        insta::assert_snapshot!(format!("runner_{name}"), line);
        assert_eq!(
            decode_line::<RunnerMessage>(&line, RUNNER_TYPES),
            Decoded::Message(message),
            "{name}"
        );
    }
}

#[test]
fn worker_messages_snapshot_and_round_trip() {
    for (name, message) in worker_messages() {
        let line = encode_line(&message).expect("encode");
        insta::assert_snapshot!(format!("worker_{name}"), line);
        assert_eq!(
            decode_line::<WorkerMessage>(&line, WORKER_TYPES),
            Decoded::Message(message),
            "{name}"
        );
    }
}

#[test]
fn older_peers_lines_without_optional_fields_still_decode() {
    // A minimal sample as a worker written against the first protocol version sends it.
    let line = r#"{"type":"sample","request_id":1,"phase":"measure","outcome":{"status":"ok"},"start_mono_ns":5,"prefill_ns":null,"ttft_ns":3,"e2e_ns":9,"itl_ns":[6],"prompt_tokens":null,"prompt_tokens_source":null,"completion_tokens":2,"completion_tokens_source":"engine","device_clock":null,"prefill_device_ns":null,"decode_device_ns":null,"finish_reason":"eos"}"#;
    match decode_line::<WorkerMessage>(line, WORKER_TYPES) {
        Decoded::Message(WorkerMessage::Sample(s)) => {
            assert_eq!(s.completion_tokens, 2);
            assert!(s.engine_metrics.is_empty());
        }
        other => panic!("{other:?}"),
    }
}
