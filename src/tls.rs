//! rustls configuration for both sides: the optional TLS listener and the upstream client.
//!
//! Only the `ring` provider is compiled in, and every config is built with it explicitly,
//! so no process-wide default provider is needed.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// A problem that stops the bridge from starting.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{key} = {path}: cannot read PEM certificates: {reason}. Fix: point it at a PEM file with one or more CERTIFICATE blocks")]
    Certificates {
        key: &'static str,
        path: String,
        reason: String,
    },
    #[error("tls.key = {path}: cannot read a PEM private key: {reason}. Fix: point it at a PEM file with a PRIVATE KEY block")]
    PrivateKey { path: String, reason: String },
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certificates(
    key: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let fail = |reason: String| TlsSetupError::Certificates {
        key,
        path: path.display().to_string(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no CERTIFICATE block found".to_owned()));
    }
    Ok(certs)
}

/// Server side: certificate chain and key from PEM files, HTTP/1.1 only.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let chain = read_certificates("tls.cert", cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsSetupError::PrivateKey {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Client side: the public web PKI plus an optional extra CA (private portals, tests).
pub fn client_config(extra_ca: Option<&Path>) -> Result<ClientConfig, TlsSetupError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = extra_ca {
        for cert in read_certificates("client.ca_file", path)? {
            roots.add(cert)?;
        }
    }
    // ALPN is left empty: the connector sets it from the HTTP versions it enables.
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Client side for probing the bridge itself: the server must present exactly the first
/// certificate of `cert` (the bridge's own `tls.cert`). Pinning, rather than trusting the file
/// as a CA root, also works for a leaf issued by a CA the probe does not know and for a
/// certificate that names neither `localhost` nor the loopback address. The handshake
/// signature is still checked, so the peer must hold the matching private key.
pub fn pinned_client_config(cert: &Path) -> Result<ClientConfig, TlsSetupError> {
    let expected = read_certificates("tls.cert", cert)?.swap_remove(0);
    let provider = provider();
    let verifier = Arc::new(PinnedCertificate {
        expected,
        provider: provider.clone(),
    });
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

#[derive(Debug)]
struct PinnedCertificate {
    expected: CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
