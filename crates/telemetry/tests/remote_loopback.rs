//! `energy-monitor`'s server and client on loopback: samples cross over with host facts and
//! timestamps mapped onto the local clock.

mod common;

use std::time::Duration;

use common::{Steady100W, fixture};
use telemetry::energy::EnergyCurve;
use telemetry::sampler::{self, SamplerConfig};
use telemetry::{Domain, Roots, mono_ns, remote};

#[test]
fn remote_collectors_stream_the_server_samples() {
    let monitor = remote::serve(
        "127.0.0.1:0",
        vec![Steady100W::boxed("fake:0")],
        &Roots::under(&fixture("host")),
        Duration::from_millis(10),
    )
    .expect("serve");
    let url = format!("http://{}", monitor.addr());

    let mut remote = remote::connect(&url).expect("connect");
    assert_eq!(remote.host.hostname.as_deref(), Some("bench-host"));
    assert_eq!(remote.collectors.len(), 1);
    let collector = &mut remote.collectors[0];
    assert_eq!(collector.name(), "remote:fake:0");
    assert_eq!(collector.domain(), Domain::Gpu);
    assert!(
        collector
            .static_info()
            .notes
            .iter()
            .any(|n| n.contains("read on bench-host by energy-monitor as fake:0"))
    );

    let t0 = mono_ns();
    let handle = sampler::start(remote.collectors, &SamplerConfig::default(), None).expect("start");
    std::thread::sleep(Duration::from_millis(400));
    let finished = handle.stop().expect("stop");
    let t1 = mono_ns();
    monitor.stop().expect("stop monitor");

    let channel = finished.series.channel("remote:fake:0").expect("channel");
    let good: Vec<_> = channel
        .points
        .iter()
        .filter(|p| p.reading.error.is_none())
        .collect();
    assert!(good.len() >= 2, "{} remote samples", good.len());
    // Same host, so the mapped times fall inside the local sampling span.
    assert!(
        good.iter()
            .all(|p| p.t_ns >= t0 - 1_000_000_000 && p.t_ns <= t1)
    );
    let curve = EnergyCurve::from_channel(channel).expect("curve");
    let (s0, s1) = curve.span_ns();
    let w = curve.window(s0, s1).expect("window");
    assert!((w.energy_j / w.duration_s - 100.0).abs() < 5.0, "{w:?}");
}

#[test]
fn connecting_to_nothing_is_an_error_naming_the_url() {
    // Bind then drop a listener to get a port that nothing serves.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let Err(err) = remote::connect(&format!("http://127.0.0.1:{port}")) else {
        panic!("connected to a closed port");
    };
    assert!(err.to_string().starts_with(&format!(
        "energy-monitor at http://127.0.0.1:{port}: GET /info"
    )));
}
