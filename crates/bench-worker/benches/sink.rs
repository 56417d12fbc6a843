//! The worker loop's own cost: a clock read, and a request of 256 tokens through the sink
//! (prepare, one `token` call per token, finish into a sample), reported per token.

use bench_worker::shared_protocol::{Outcome, Phase, Request, Sampling};
use bench_worker::{TokenSink, mono_ns};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const TOKENS: u32 = 256;

fn request() -> Request {
    Request {
        id: 0,
        text: String::new(),
        prompt_token_ids: Some(vec![1; 64]),
        chat: false,
        max_tokens: TOKENS,
        ignore_eos: true,
        sampling: Sampling::default(),
    }
}

fn clock(c: &mut Criterion) {
    c.bench_function("mono_ns (one clock read)", |b| b.iter(mono_ns));
}

fn sink(c: &mut Criterion) {
    let req = request();
    let mut sink = TokenSink::new(None);
    let mut group = c.benchmark_group("sink");
    group.throughput(Throughput::Elements(u64::from(TOKENS)));
    group.bench_function("tokens only (per token)", |b| {
        sink.prepare(TOKENS).expect("prepare");
        b.iter(|| {
            sink.prepare(TOKENS)
                .expect("prepare: buffers already sized, no allocation");
            sink.start();
            for i in 0..TOKENS {
                let _ = std::hint::black_box(sink.token(std::hint::black_box(i)));
            }
        });
    });
    group.bench_function("whole request incl. sample (per token)", |b| {
        b.iter(|| {
            sink.prepare(TOKENS).expect("prepare");
            sink.start();
            for i in 0..TOKENS {
                let _ = sink.token(i);
            }
            std::hint::black_box(sink.finish(&req, Phase::Measure, mono_ns(), Outcome::Ok))
        });
    });
    group.finish();
}

criterion_group!(benches, clock, sink);
criterion_main!(benches);
