//! `b24bridge healthcheck`: one GET against the bridge's own health endpoint, for container
//! runtimes whose images have neither a shell nor curl (distroless).
//!
//! The target is `--url`, or else derived from the configuration `serve` reads: the
//! `listen` address (a wildcard address becomes the loopback address of its family) and
//! https when `[tls]` is set, in which case the server must present the configured
//! certificate. A failure is one short reason: "connection refused", "status 503",
//! "timed out after 2s".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::tls;

/// A container runtime's probe usually allows a few seconds; answer well within them.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Liveness: 200 for as long as the process serves, whatever the portal does.
pub const HEALTH_PATH: &str = "/healthz";

/// Why the probe failed, worded for one line on stderr.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Target(String),
    #[error("connection refused")]
    Refused,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    #[error("HTTP exchange failed: {0}")]
    Http(String),
    #[error("status {0}")]
    Status(u16),
    #[error("timed out after {0}")]
    TimedOut(String),
}

/// Where and how to probe.
#[derive(Debug, Clone)]
pub struct Probe {
    pub url: http::Uri,
    /// For https: the certificate the server must present (the bridge's `tls.cert`).
    /// Without it an https URL is verified against the public web PKI.
    pub pinned_cert: Option<PathBuf>,
}

impl Probe {
    /// Probes `url` as given.
    pub fn for_url(url: &str, pinned_cert: Option<&Path>) -> Result<Probe, ProbeError> {
        let url: http::Uri = url
            .parse()
            .map_err(|e| ProbeError::Target(format!("invalid URL {url:?}: {e}")))?;
        match url.scheme_str() {
            Some("http") | Some("https") => {}
            _ => {
                return Err(ProbeError::Target(format!(
                    "invalid URL {url}: only http:// and https:// can be probed"
                )))
            }
        }
        if url.authority().is_none() {
            return Err(ProbeError::Target(format!("invalid URL {url}: no host")));
        }
        Ok(Probe {
            url,
            pinned_cert: pinned_cert.map(Path::to_owned),
        })
    }

    /// Probes `/healthz` of a bridge listening on `listen`, over https when `tls_cert` is set.
    pub fn for_listener(listen: SocketAddr, tls_cert: Option<&Path>) -> Result<Probe, ProbeError> {
        if listen.port() == 0 {
            return Err(ProbeError::Target(
                "listen has port 0 (a free port is picked at start-up), so the port to probe is unknown. Fix: pass --url".to_owned(),
            ));
        }
        let ip = match listen.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let scheme = if tls_cert.is_some() { "https" } else { "http" };
        let addr = SocketAddr::new(ip, listen.port());
        Probe::for_url(&format!("{scheme}://{addr}{HEALTH_PATH}"), tls_cert)
    }

    /// One GET; `Ok` only for a 200 answer within `timeout`.
    pub async fn run(&self, timeout: Duration) -> Result<(), ProbeError> {
        match tokio::time::timeout(timeout, self.get()).await {
            Ok(result) => result,
            Err(_) => Err(ProbeError::TimedOut(
                humantime::format_duration(timeout).to_string(),
            )),
        }
    }

    async fn get(&self) -> Result<(), ProbeError> {
        let https = self.url.scheme_str() == Some("https");
        let authority = self
            .url
            .authority()
            .ok_or_else(|| ProbeError::Target(format!("invalid URL {}: no host", self.url)))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tcp = TcpStream::connect((host, port)).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                ProbeError::Refused
            } else {
                ProbeError::Connect(e.to_string())
            }
        })?;
        let _ = tcp.set_nodelay(true);
        let target = self.url.path_and_query().map_or("/", |p| p.as_str());
        let request = http::Request::get(target)
            .header(header::HOST, authority.as_str())
            .header(header::USER_AGENT, "b24bridge-healthcheck")
            .header(header::CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(|e| ProbeError::Target(e.to_string()))?;
        let status = if https {
            let config = match &self.pinned_cert {
                Some(cert) => tls::pinned_client_config(cert),
                None => tls::client_config(None),
            }
            .map_err(|e| ProbeError::Tls(e.to_string()))?;
            let name = ServerName::try_from(host.to_owned())
                .map_err(|e| ProbeError::Target(format!("invalid host {host:?}: {e}")))?;
            let stream = TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .map_err(|e| ProbeError::Tls(e.to_string()))?;
            exchange(stream, request).await?
        } else {
            exchange(tcp, request).await?
        };
        if status == 200 {
            Ok(())
        } else {
            Err(ProbeError::Status(status))
        }
    }
}

/// Sends `request` on a fresh HTTP/1.1 connection and returns the answer's status.
async fn exchange<S>(stream: S, request: http::Request<Empty<Bytes>>) -> Result<u16, ProbeError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let failed = |e: hyper::Error| ProbeError::Http(e.to_string());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(failed)?;
    let driver = tokio::spawn(connection);
    let result = sender.send_request(request).await;
    driver.abort();
    Ok(result.map_err(failed)?.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_listen_address_is_probed_on_loopback() {
        let probe = Probe::for_listener("0.0.0.0:8080".parse().unwrap(), None).unwrap();
        assert_eq!(probe.url.to_string(), "http://127.0.0.1:8080/healthz");
        let probe =
            Probe::for_listener("[::]:9443".parse().unwrap(), Some(Path::new("c.pem"))).unwrap();
        assert_eq!(probe.url.to_string(), "https://[::1]:9443/healthz");
        assert_eq!(probe.pinned_cert.as_deref(), Some(Path::new("c.pem")));
        let probe = Probe::for_listener("10.1.2.3:80".parse().unwrap(), None).unwrap();
        assert_eq!(probe.url.to_string(), "http://10.1.2.3:80/healthz");
    }

    #[test]
    fn port_zero_and_other_schemes_are_refused_with_a_reason() {
        let e = Probe::for_listener("127.0.0.1:0".parse().unwrap(), None).unwrap_err();
        assert!(e.to_string().contains("--url"), "{e}");
        let e = Probe::for_url("ftp://127.0.0.1/healthz", None).unwrap_err();
        assert!(e.to_string().contains("http://"), "{e}");
    }
}
