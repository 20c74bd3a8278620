//! The bridge's request handler: infallible at its boundary.
//!
//! [`Bridge::handle`] never fails: it routes the request, runs it, turns any
//! [`BridgeError`] into the v2 error body and status, and writes one access-log line.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::{self, Body};
use crate::config::Config;
use crate::error::BridgeError;
use crate::forward;
use crate::redact;
use crate::route::{self, Route};
use crate::upstream::UpstreamClient;

/// How long `/readyz` waits for a TCP connection to the portal.
const READINESS_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Shared state of a running bridge.
pub struct Bridge {
    config: Arc<Config>,
    client: UpstreamClient,
    draining: AtomicBool,
}

/// What the access log records about how a request was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    Local,
    PassThroughV2,
    PassThroughV3,
    Rejected,
}

impl Served {
    fn as_str(self) -> &'static str {
        match self {
            Served::Local => "local",
            Served::PassThroughV2 => "v2",
            Served::PassThroughV3 => "v3-direct",
            Served::Rejected => "rejected",
        }
    }
}

impl Bridge {
    pub fn new(config: Arc<Config>, client: UpstreamClient) -> Self {
        Bridge {
            config,
            client,
            draining: AtomicBool::new(false),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// From now on `/readyz` answers 503 so load balancers stop sending traffic.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Serves one request. Never fails: errors become v2 error answers.
    pub async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Body> {
        let started = Instant::now();
        let log_target = redact::target_for_log(request.uri().path(), request.uri().query());
        let http_method = request.method().clone();
        // An absolute-form target ("GET http://host/...") asks for a forward proxy: refused.
        let route = if request.uri().authority().is_some() {
            Route::Outside
        } else {
            route::route(request.uri().path())
        };
        let v2_method = match &route {
            Route::V2(call) => call.method.clone(),
            _ => String::new(),
        };
        let (served, result) = self.dispatch(route, request, peer).await;
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(error = %error, "request failed");
                error_response(&error)
            }
        };
        tracing::info!(
            target: "b24bridge::access",
            http_method = %http_method,
            path = %log_target,
            method = %v2_method,
            route = served.as_str(),
            status = response.status().as_u16(),
            latency_us = started.elapsed().as_micros() as u64,
            "request"
        );
        response
    }

    async fn dispatch(
        &self,
        route: Route,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> (Served, Result<Response<Body>, BridgeError>) {
        let max_body = self.config.limits.max_body_bytes;
        match route {
            Route::Health if request.method() == Method::GET => {
                (Served::Local, Ok(status_json(StatusCode::OK, "ok")))
            }
            Route::Ready if request.method() == Method::GET => {
                (Served::Local, Ok(self.readiness().await))
            }
            Route::Health | Route::Ready | Route::Outside => {
                (Served::Rejected, Err(BridgeError::OutsideRest))
            }
            Route::Malformed(why) => (Served::Rejected, Err(BridgeError::MalformedPath(why))),
            Route::V3 => (
                Served::PassThroughV3,
                forward::forward(&self.client, request, peer, max_body).await,
            ),
            Route::V2(_) => (
                Served::PassThroughV2,
                forward::forward(&self.client, request, peer, max_body).await,
            ),
        }
    }

    /// Ready when not draining and the portal accepts a TCP connection.
    async fn readiness(&self) -> Response<Body> {
        if self.is_draining() {
            return status_json(StatusCode::SERVICE_UNAVAILABLE, "draining");
        }
        let (host, port) = self.client.upstream().host_port();
        let connect = tokio::net::TcpStream::connect((host.as_str(), port));
        match tokio::time::timeout(READINESS_CONNECT_TIMEOUT, connect).await {
            Ok(Ok(_)) => status_json(StatusCode::OK, "ready"),
            Ok(Err(_)) | Err(_) => {
                status_json(StatusCode::SERVICE_UNAVAILABLE, "upstream unreachable")
            }
        }
    }
}

fn status_json(status: StatusCode, text: &str) -> Response<Body> {
    let bytes = serde_json::to_vec(&serde_json::json!({ "status": text })).unwrap_or_default();
    body::json_response(status, bytes)
}

/// The v2 error answer for a failed request. A body-limit failure also closes the
/// connection, since the unread rest of the body would otherwise be taken for the next request.
pub fn error_response(error: &BridgeError) -> Response<Body> {
    let mut response = body::json_response(error.status(), error.to_v2_body());
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    response
}
