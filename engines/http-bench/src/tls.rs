//! TLS for `https://` servers: rustls (ring provider) driven by hand by [`crate::h1::Conn`] over
//! the same timestamped socket reads as plain HTTP, so each decrypted byte keeps the kernel
//! receive time of the read that completed its TLS record.
//!
//! Trusted roots: Mozilla's (`webpki-roots`), the platform's store where it can be read
//! (`rustls-native-certs`), and the certificates of a PEM file (`--ca-cert`, worker option
//! `ca_cert`) for private gateways and self-signed servers. A server that presents exactly one
//! of that file's certificates is trusted for the names that certificate carries, even when it
//! is marked as a CA (as `openssl req -x509` makes it), which chain validation alone refuses;
//! its validity period is checked as chain validation would.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// What the hint in a trust failure tells the user to pass.
pub const CA_CERT_HINT: &str = "pass the certificate of the CA that signed it (or the server's own, if self-signed) with --ca-cert FILE (worker option ca_cert)";

/// A TLS set-up that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("CA certificate file {path}: cannot read it: {reason}")]
    Read { path: String, reason: String },
    #[error("CA certificate file {path}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    Empty { path: String },
    #[error("CA certificate file {path}: certificate {index} is not usable as a root: {reason}")]
    Root {
        path: String,
        index: usize,
        reason: String,
    },
    #[error("cannot set up TLS: {0}")]
    Config(String),
}

/// The certificates of a PEM file.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| TlsError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Read {
            path: shown.clone(),
            reason: format!("bad PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Empty { path: shown });
    }
    Ok(certs)
}

/// A client configuration trusting Mozilla's roots, the platform's, and `extra` (the
/// certificates of `--ca-cert`, named `source` in errors). HTTP/1.1 is offered by ALPN.
pub fn client_config(
    extra: &[CertificateDer<'static>],
    source: &str,
) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // The platform's store: unreadable or odd entries are skipped, as every client does.
    let native = rustls_native_certs::load_native_certs();
    let _ = roots.add_parsable_certificates(native.certs);
    for (index, cert) in extra.iter().enumerate() {
        roots.add(cert.clone()).map_err(|e| TlsError::Root {
            path: source.to_owned(),
            index: index + 1,
            reason: e.to_string(),
        })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chains =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()
            .map_err(|e| TlsError::Config(e.to_string()))?;
    let verifier = Arc::new(Pinned {
        chains,
        pinned: extra.to_vec(),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Chain validation against the roots; failing that, a server certificate byte for byte equal
/// to one of `--ca-cert`'s, valid for the server's name.
#[derive(Debug)]
struct Pinned {
    chains: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.chains.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(e)
                if self
                    .pinned
                    .iter()
                    .any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                // The certificate the user handed over: trusted as is, for its names and its
                // validity period only.
                let parsed = ParsedCertificate::try_from(end_entity).map_err(|_| e)?;
                verify_server_name(&parsed, server_name)?;
                check_validity(end_entity, now)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chains.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chains.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chains.supported_verify_schemes()
    }
}

/// A certificate's validity period against `now`: the errors rustls gives for a chain
/// certificate out of its period.
fn check_validity(cert: &CertificateDer<'_>, now: UnixTime) -> Result<(), rustls::Error> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let validity = parsed.validity();
    let at = |seconds: i64| {
        UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
    };
    let now_s = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now_s < validity.not_before.timestamp() {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYetContext {
                time: now,
                not_before: at(validity.not_before.timestamp()),
            },
        ));
    }
    if now_s > validity.not_after.timestamp() {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::ExpiredContext {
                time: now,
                not_after: at(validity.not_after.timestamp()),
            },
        ));
    }
    Ok(())
}

/// The client configuration for an `https` base: roots plus the certificates of `ca_cert`.
pub fn config_with_ca_file(ca_cert: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    match ca_cert {
        Some(path) => client_config(&read_ca_file(path)?, &path.display().to_string()),
        None => client_config(&[], ""),
    }
}

/// A handshake failure in words, with the `--ca-cert` hint when the server's certificate was
/// not trusted.
pub fn handshake_message(e: &rustls::Error) -> String {
    match e {
        // Out of its validity period: another certificate would not help.
        rustls::Error::InvalidCertificate(
            why @ (rustls::CertificateError::Expired
            | rustls::CertificateError::ExpiredContext { .. }
            | rustls::CertificateError::NotValidYet
            | rustls::CertificateError::NotValidYetContext { .. }),
        ) => format!("the server's certificate is out of its validity period ({why})"),
        rustls::Error::InvalidCertificate(why) => {
            format!("the server's certificate is not trusted ({why}); {CA_CERT_HINT}")
        }
        e => format!("TLS handshake failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_file_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("http-bench-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let missing = dir.join("missing.pem");
        let e = config_with_ca_file(Some(&missing)).expect_err("missing");
        assert!(
            e.to_string().starts_with("CA certificate file ")
                && e.to_string().contains("missing.pem"),
            "{e}"
        );
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let e = config_with_ca_file(Some(&empty)).expect_err("empty");
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
        std::fs::remove_dir_all(&dir).expect("clean");
    }

    #[test]
    fn untrusted_certificates_point_at_the_flag() {
        let e = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let m = handshake_message(&e);
        assert!(m.contains("not trusted") && m.contains("--ca-cert"), "{m}");
        let m = handshake_message(&rustls::Error::HandshakeNotComplete);
        assert!(!m.contains("--ca-cert"), "{m}");
        let m = handshake_message(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::Expired,
        ));
        assert!(
            m.contains("validity period") && !m.contains("--ca-cert"),
            "{m}"
        );
    }
}
