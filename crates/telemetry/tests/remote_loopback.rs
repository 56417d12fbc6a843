//! `energy-monitor`'s gRPC server and client: samples cross over with host facts and timestamps
//! mapped onto the local clock; a token is required when set; beyond loopback the server needs
//! a token and TLS.

mod common;

use std::time::Duration;

use common::{Steady100W, fixture};
use telemetry::energy::EnergyCurve;
use telemetry::remote::{ClientSecurity, ServerSecurity, TlsIdentity, Token};
use telemetry::sampler::{self, SamplerConfig};
use telemetry::{Domain, Roots, mono_ns, remote};

fn serve(bind: &str, security: &ServerSecurity) -> remote::Monitor {
    remote::serve(
        bind,
        vec![Steady100W::boxed("fake:0")],
        &Roots::under(&fixture("host")),
        Duration::from_millis(10),
        security,
    )
    .expect("serve")
}

/// Sample `remote` for 400 ms locally; the mapped times must fall inside the local span and the
/// energy must be the fake device's 100 W.
fn check_stream(remote: remote::Remote) {
    let t0 = mono_ns();
    let handle = sampler::start(remote.collectors, &SamplerConfig::default(), None).expect("start");
    std::thread::sleep(Duration::from_millis(400));
    let finished = handle.stop().expect("stop");
    let t1 = mono_ns();

    let channel = finished.series.channel("remote:fake:0").expect("channel");
    let good: Vec<_> = channel
        .points
        .iter()
        .filter(|p| p.reading.error.is_none())
        .collect();
    assert!(good.len() >= 2, "{} remote samples", good.len());
    // Same host, so the clock offset is near zero and the mapped times fall inside the local
    // sampling span (less the connection, which precedes t0 by well under a second), give or
    // take the offset's own uncertainty: half a round trip, long on a loaded machine.
    let slack = 20_000_000;
    assert!(
        good.iter()
            .all(|p| p.t_ns >= t0 - 1_000_000_000 && p.t_ns <= t1 + slack)
    );
    let curve = EnergyCurve::from_channel(channel).expect("curve");
    let (s0, s1) = curve.span_ns();
    let w = curve.window(s0, s1).expect("window");
    assert!((w.energy_j / w.duration_s - 100.0).abs() < 5.0, "{w:?}");
}

#[test]
fn remote_collectors_stream_the_server_samples() {
    let monitor = serve("127.0.0.1:0", &ServerSecurity::default());
    let url = format!("http://{}", monitor.addr());

    let mut remote = remote::connect(&url, &ClientSecurity::default()).expect("connect");
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
    check_stream(remote);
    monitor.stop().expect("stop monitor");
}

#[test]
fn a_server_with_a_token_turns_away_callers_without_it() {
    let token = Token::new("loopback-token-1").expect("token");
    let security = ServerSecurity {
        token: Some(token.clone()),
        tls: None,
    };
    let monitor = serve("127.0.0.1:0", &security);
    let url = format!("http://{}", monitor.addr());

    let Err(err) = remote::connect(&url, &ClientSecurity::default()) else {
        panic!("connected without a token");
    };
    assert!(err.to_string().contains("Info: unauthenticated"), "{err}");
    let wrong = ClientSecurity {
        token: Token::new("loopback-token-2"),
        ca_pem: None,
    };
    assert!(remote::connect(&url, &wrong).is_err(), "a wrong token");

    let right = ClientSecurity {
        token: Some(token),
        ca_pem: None,
    };
    check_stream(remote::connect(&url, &right).expect("connect with the token"));
    monitor.stop().expect("stop monitor");
}

#[test]
fn beyond_loopback_the_server_refuses_without_token_and_tls() {
    let Err(err) = remote::serve(
        "0.0.0.0:0",
        vec![Steady100W::boxed("fake:0")],
        &Roots::under(&fixture("host")),
        Duration::from_millis(10),
        &ServerSecurity {
            token: Token::new("only-a-token"),
            tls: None,
        },
    ) else {
        panic!("listened on 0.0.0.0 without TLS");
    };
    let text = err.to_string();
    assert!(
        text.starts_with("energy-monitor cannot listen on 0.0.0.0:0")
            && text.contains("--tls-cert"),
        "{text}"
    );
}

#[test]
fn tls_with_a_token_serves_beyond_loopback() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let cert_pem = generated.cert.pem();
    let token = Token::new("tls-token").expect("token");
    let security = ServerSecurity {
        token: Some(token.clone()),
        tls: Some(TlsIdentity {
            cert_pem: cert_pem.clone().into_bytes(),
            key_pem: generated.signing_key.serialize_pem().into_bytes(),
        }),
    };
    // Every interface: allowed because both a token and TLS are set.
    let monitor = serve("0.0.0.0:0", &security);
    let url = format!("https://localhost:{}", monitor.addr().port());

    // Plaintext to a TLS server fails.
    let plain = format!("http://127.0.0.1:{}", monitor.addr().port());
    assert!(remote::connect(&plain, &ClientSecurity::default()).is_err());
    // https without the CA certificate is refused before connecting.
    let Err(err) = remote::connect(&url, &ClientSecurity::default()) else {
        panic!("https without a CA");
    };
    assert!(err.to_string().contains("--telemetry-ca"), "{err}");
    // A CA that did not sign the server's certificate is not trusted.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let untrusted = ClientSecurity {
        token: Some(token.clone()),
        ca_pem: Some(other.cert.pem().into_bytes()),
    };
    assert!(remote::connect(&url, &untrusted).is_err(), "untrusted CA");

    let trusted = ClientSecurity {
        token: Some(token),
        ca_pem: Some(cert_pem.into_bytes()),
    };
    let remote = remote::connect(&url, &trusted).expect("connect over TLS");
    assert_eq!(remote.host.hostname.as_deref(), Some("bench-host"));
    check_stream(remote);
    monitor.stop().expect("stop monitor");
}

#[test]
fn a_token_is_not_sent_in_plaintext_beyond_loopback() {
    let security = ClientSecurity {
        token: Token::new("secret"),
        ca_pem: None,
    };
    let Err(err) = remote::connect("http://192.0.2.1:9464", &security) else {
        panic!("sent a token in plaintext");
    };
    assert!(err.to_string().contains("only sent over TLS"), "{err}");
}

#[test]
fn connecting_to_nothing_is_an_error_naming_the_url() {
    // A client socket's own port: bound while the socket lives, and nothing listens there (a
    // port picked free and closed could be taken by another test before it is used).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let client =
        std::net::TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let port = client.local_addr().expect("client address").port();
    let Err(err) = remote::connect(
        &format!("http://127.0.0.1:{port}"),
        &ClientSecurity::default(),
    ) else {
        panic!("connected to a closed port");
    };
    assert!(
        err.to_string().starts_with(&format!(
            "energy-monitor at http://127.0.0.1:{port}: connect"
        )),
        "{err}"
    );
}
