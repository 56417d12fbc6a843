//! The sampler thread writes JSON lines and keeps the series it wrote.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Steady100W;
use telemetry::energy::{EnergyCurve, EnergyMethod};
use telemetry::sampler::{self, SamplerConfig};
use telemetry::{Series, mono_ns};

/// A sink the test can read after the sampler is done with it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn samples_every_collector_writes_lines_and_keeps_the_series() {
    let sink = Shared::default();
    let config = SamplerConfig {
        interval: Duration::from_millis(10),
        ..SamplerConfig::default()
    };
    let t0 = mono_ns();
    let handle = sampler::start(
        vec![Steady100W::boxed("a:0"), Steady100W::boxed("b:0")],
        &config,
        Some(Box::new(sink.clone())),
    )
    .expect("start");
    std::thread::sleep(Duration::from_millis(150));
    let finished = handle.stop().expect("stop");
    let t1 = mono_ns();

    assert!(finished.write_error.is_none());
    assert_eq!(finished.collectors.len(), 2, "collectors come back");
    let a = finished.series.channel("a:0").expect("channel a");
    let b = finished.series.channel("b:0").expect("channel b");
    // A first poll at start and a last one at stop at least, and never more than one poll per
    // interval besides those two.
    let most = (t1 - t0) / 10_000_000 + 2;
    assert!(a.points.len() >= 2, "{} samples", a.points.len());
    assert!(
        a.points.len() as u64 <= most,
        "{} samples > {most}",
        a.points.len()
    );
    assert_eq!(a.points.len(), b.points.len());
    assert!(a.points.windows(2).all(|w| w[0].t_ns < w[1].t_ns));
    assert!(a.points[0].t_ns >= t0 && a.points.last().expect("last").t_ns <= t1);

    let text = String::from_utf8(sink.0.lock().expect("lock").clone()).expect("utf-8");
    assert_eq!(text.lines().count() as u64, finished.lines_written);
    let reread = Series::from_jsonl(text.as_bytes()).expect("parse lines");
    // Same samples; floats only to within serde_json's default (not round-trip) parsing.
    assert_eq!(reread.channels.len(), 2);
    for (back, kept) in reread.channels.iter().zip(&finished.series.channels) {
        assert_eq!(back.name, kept.name);
        assert_eq!(back.points.len(), kept.points.len());
        for (p, q) in back.points.iter().zip(&kept.points) {
            assert_eq!(p.t_ns, q.t_ns);
            let (e, f) = (
                p.reading.energy_j.expect("e"),
                q.reading.energy_j.expect("f"),
            );
            assert!((e - f).abs() <= 1e-12 * f.abs().max(1.0), "{e} vs {f}");
        }
    }

    // The series it kept is good for energy: 100 W over the sampled span.
    let curve = EnergyCurve::from_channel(a).expect("curve");
    assert_eq!(curve.method(), EnergyMethod::Counter);
    let (s0, s1) = curve.span_ns();
    let w = curve.window(s0, s1).expect("window");
    assert!((w.energy_j / w.duration_s - 100.0).abs() < 1.0, "{w:?}");
}

#[test]
fn a_failing_sink_stops_writing_but_not_sampling() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let config = SamplerConfig {
        interval: Duration::from_millis(5),
        ..SamplerConfig::default()
    };
    let handle = sampler::start(
        vec![Steady100W::boxed("a:0")],
        &config,
        Some(Box::new(Broken)),
    )
    .expect("start");
    std::thread::sleep(Duration::from_millis(30));
    let finished = handle.stop().expect("stop");
    assert_eq!(
        finished.write_error.as_deref(),
        Some("writing telemetry failed: disk full")
    );
    assert_eq!(finished.lines_written, 0);
    assert!(
        finished
            .series
            .channel("a:0")
            .expect("channel")
            .points
            .len()
            >= 2
    );
}
