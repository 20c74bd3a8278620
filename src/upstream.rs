//! The one HTTP client that talks to the configured portal.
//!
//! Pooled keep-alive connections (hyper-util's legacy client), rustls for https portals,
//! plain http allowed for local use and tests. Every call is bounded: connecting by
//! `client.connect_timeout`, waiting for the answer's head by `client.response_timeout`.

use std::error::Error as _;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::Body;
use crate::config::{Config, Upstream};
use crate::error::BridgeError;
use crate::tls::{self, TlsSetupError};

#[derive(Clone)]
pub struct UpstreamClient {
    client: Client<HttpsConnector<HttpConnector>, Body>,
    upstream: Upstream,
    response_timeout: Duration,
    /// Reported when a streamed request body overruns `limits.max_body_bytes`.
    body_limit: usize,
}

impl UpstreamClient {
    pub fn new(config: &Config) -> Result<Self, TlsSetupError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        http.set_keepalive(Some(Duration::from_secs(60)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls::client_config(config.ca_file.as_deref())?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .build(https);
        Ok(UpstreamClient {
            client,
            upstream: config.upstream.clone(),
            response_timeout: config.response_timeout,
            body_limit: config.limits.max_body_bytes,
        })
    }

    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// Sends a request whose URI is already absolute; errors are classified for v2.
    pub async fn send(&self, request: Request<Body>) -> Result<Response<Incoming>, BridgeError> {
        match tokio::time::timeout(self.response_timeout, self.client.request(request)).await {
            Err(_) => Err(BridgeError::UpstreamTimeout(
                humantime::format_duration(self.response_timeout).to_string(),
            )),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(classify(&e, self.body_limit)),
        }
    }
}

/// Turns a client error into the v2 error the caller sees. Only error kinds and OS
/// messages are used: hyper's errors never carry the request URI.
fn classify(error: &hyper_util::client::legacy::Error, body_limit: usize) -> BridgeError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(e) = cause {
        if e.is::<http_body_util::LengthLimitError>() {
            return BridgeError::BodyTooLarge { limit: body_limit };
        }
        cause = e.source();
    }
    let detail = root_cause_text(error);
    if error.is_connect() {
        BridgeError::UpstreamConnect(detail)
    } else {
        BridgeError::UpstreamProtocol(detail)
    }
}

fn root_cause_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}
