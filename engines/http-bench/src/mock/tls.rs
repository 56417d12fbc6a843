//! The mock's TLS: a certificate authority generated at start and a server certificate it
//! signs for `localhost`, `127.0.0.1` and `::1`, so a client trusts the mock by its CA's
//! certificate (`--ca-cert`), as it would a private gateway.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A generated certificate chain and the server configuration that presents it.
#[derive(Debug, Clone)]
pub struct MockTls {
    /// The configuration the mock's listener accepts TLS with.
    pub server: Arc<ServerConfig>,
    /// The CA's certificate, PEM: what a client must trust.
    pub ca_pem: String,
}

impl MockTls {
    /// A new CA and a server certificate signed by it (ECDSA P-256).
    pub fn generate() -> Result<MockTls, String> {
        let err = |e: rcgen::Error| format!("cannot generate the mock's certificate: {e}");
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "http-bench mock CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca =
            CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(err)?).map_err(err)?;
        let mut leaf = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ])
        .map_err(err)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "http-bench mock");
        let key = KeyPair::generate().map_err(err)?;
        let cert = leaf.signed_by(&key, &ca).map_err(err)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone(), ca.der().clone()], key)
            .map_err(|e| format!("cannot use the mock's certificate: {e}"))?;
        Ok(MockTls {
            server: Arc::new(server),
            ca_pem: ca.pem(),
        })
    }
}
