//! The one client that talks to the configured portal, and the one place that knows how a
//! request of the bridge's own making is addressed and authenticated.
//!
//! Pooled keep-alive connections (hyper-util's legacy client), rustls for https portals,
//! plain http allowed for local use and tests. Every call is bounded: connecting by
//! `client.connect_timeout`, waiting for the answer's head by `client.response_timeout`,
//! and every answer the bridge reads itself by [`MAX_ANSWER_BYTES`].
//!
//! Credentials: a webhook's code sits in the path (`/rest/api/{user}/{code}/…`), as the
//! portal requires; an OAuth token goes in the JSON body (`auth`), or, for a REST 3.0
//! batch whose body is an array, in the `Authorization` header. Never in a query string,
//! where intermediaries log URLs.

use std::error::Error as _;
use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response};
use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde_json::{Map, Value};

use crate::body::{self, Body};
use crate::config::{Config, Upstream};
use crate::error::BridgeError;
use crate::metrics::Metrics;
use crate::route::Webhook;
use crate::tls::{self, TlsSetupError};

/// The most any portal answer the bridge reads itself may weigh. A v2 client never asked
/// for more than this in one call.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// How long the bridge waits out the portal's rate limit on requests of its own making
/// (a re-read after a write, a counting request, a batch after a write). A v2 client never
/// sent those, so it cannot retry them; and a write has already changed data.
pub const RATE_LIMIT_PATIENCE: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct UpstreamClient {
    client: Client<HttpsConnector<HttpConnector>, Body>,
    upstream: Upstream,
    response_timeout: Duration,
    /// How long an answer's body may take once its head came.
    body_timeout: Duration,
    /// One permit per request in flight to the portal (`client.max_connections`).
    connections: Arc<tokio::sync::Semaphore>,
    /// Reported when a streamed request body overruns `limits.max_body_bytes`.
    body_limit: usize,
    /// The portal's UTC offset, learned from the `time` blocks of its answers.
    utc_offset: Arc<AtomicI32>,
    metrics: Arc<Metrics>,
    /// The `Host` header every request gets when it has none, built once (hyper-util would
    /// format it per request).
    host: Option<HeaderValue>,
}

/// Stands for "no offset learned yet" (no real offset is this far from UTC).
const UNKNOWN_OFFSET: i32 = i32::MIN;

/// Who the bridge calls the portal as: the client's webhook or its OAuth token.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Webhook(Webhook),
    OAuth(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Webhook(hook) => f.debug_tuple("Webhook").field(hook).finish(),
            Credentials::OAuth(_) => f.write_str("OAuth(***)"),
        }
    }
}

impl Credentials {
    /// The portal path of a v2 method called with these credentials.
    pub fn v2_path(&self, method: &str) -> String {
        match self {
            Credentials::Webhook(hook) => format!("/rest/{}/{}/{method}", hook.user_id, hook.code),
            Credentials::OAuth(_) => format!("/rest/{method}"),
        }
    }

    /// The portal path of a REST 3.0 method called with these credentials.
    pub fn v3_path(&self, method: &str) -> String {
        match self {
            Credentials::Webhook(hook) => {
                format!("/rest/api/{}/{}/{method}", hook.user_id, hook.code)
            }
            Credentials::OAuth(_) => format!("/rest/api/{method}"),
        }
    }

    fn token(&self) -> Option<&str> {
        match self {
            Credentials::Webhook(_) => None,
            Credentials::OAuth(token) => Some(token),
        }
    }

    /// A REST 3.0 call: the token, if any, travels in the JSON body.
    pub fn v3_call(&self, method: &str, body: Map<String, Value>) -> PortalRequest {
        PortalRequest::json(self.v3_path(method), self.with_token(body))
    }

    /// Like [`Credentials::v3_call`], serialising `body` where it is rather than taking a
    /// copy of it.
    pub fn v3_call_of(&self, method: &str, body: &Map<String, Value>) -> PortalRequest {
        if self.token().is_some() {
            return self.v3_call(method, body.clone());
        }
        PortalRequest::json_bytes(
            self.v3_path(method),
            serde_json::to_vec(body).unwrap_or_default(),
        )
    }

    /// A REST 3.0 batch: the body is an array, so the token travels in `Authorization`.
    pub fn v3_batch(&self, calls: Vec<Value>) -> PortalRequest {
        let mut request = PortalRequest::json(self.v3_path("batch"), Value::Array(calls));
        request.bearer = self.token().map(str::to_owned);
        request
    }

    /// A v2 call with a JSON body: the token, if any, travels in the body as v2 reads it.
    pub fn v2_call(&self, method: &str, body: Map<String, Value>) -> PortalRequest {
        PortalRequest::json(self.v2_path(method), self.with_token(body))
    }

    fn with_token(&self, mut body: Map<String, Value>) -> Value {
        if let Some(token) = self.token() {
            body.insert("auth".into(), Value::String(token.to_owned()));
        }
        Value::Object(body)
    }
}

/// A JSON POST of the bridge's own making.
#[derive(Debug, Clone)]
pub struct PortalRequest {
    /// Path on the portal; never carries a token.
    pub path: String,
    pub body: Bytes,
    /// Sent on writes, so that a repeated write is not run twice.
    pub idempotency_key: Option<String>,
    bearer: Option<String>,
}

impl PortalRequest {
    fn json(path: String, body: Value) -> PortalRequest {
        // Serialising a JSON value cannot fail.
        PortalRequest::json_bytes(path, serde_json::to_vec(&body).unwrap_or_default())
    }

    fn json_bytes(path: String, bytes: Vec<u8>) -> PortalRequest {
        PortalRequest {
            path,
            body: Bytes::from(bytes),
            idempotency_key: None,
            bearer: None,
        }
    }

    pub fn with_idempotency_key(mut self, key: Option<String>) -> PortalRequest {
        self.idempotency_key = key;
        self
    }
}

/// One portal answer as received: status and JSON body, read as a value or, for the
/// translated calls' REST 3.0 answers, with the rows kept as text (the executor's
/// `V3Body`).
#[derive(Debug, Clone)]
pub struct PortalReply<B = Value> {
    pub status: u16,
    pub body: B,
}

/// How an answer's body is read.
pub trait ReplyBody: Sized {
    /// `None` when the bytes are not JSON.
    fn parse(bytes: &[u8]) -> Option<Self>;
    /// The envelope's keys other than `result` (`time`, `error`), as a value.
    fn envelope(&self) -> &Value;
}

impl ReplyBody for Value {
    fn parse(bytes: &[u8]) -> Option<Value> {
        serde_json::from_slice(bytes).ok()
    }
    fn envelope(&self) -> &Value {
        self
    }
}

impl<B: ReplyBody> PortalReply<B> {
    /// The `time` block of the answer, if any.
    pub fn time(&self) -> Option<&Value> {
        self.body.envelope().get("time")
    }

    pub fn is_rate_limited(&self) -> bool {
        is_rate_limited(self.status, self.body.envelope())
    }
}

/// The portal's leaky-bucket refusal (`503 QUERY_LIMIT_EXCEEDED`), flat or nested.
pub fn is_rate_limited(status: u16, body: &Value) -> bool {
    let code = body
        .get("error")
        .and_then(|e| e.as_str().or_else(|| e.get("code").and_then(Value::as_str)));
    status == 503 && code == Some("QUERY_LIMIT_EXCEEDED")
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
            // `send` sets it, from `host` below.
            .set_host(false)
            // Requests are a head and, mostly, a small form body: one copy into the write
            // buffer costs less than queueing both for writev. Answers to clients keep
            // writev (the server's default), which spares copying large bodies.
            .http1_writev(false)
            .build(https);
        Ok(UpstreamClient {
            client,
            upstream: config.upstream.clone(),
            response_timeout: config.response_timeout,
            body_timeout: config.body_timeout,
            connections: Arc::new(tokio::sync::Semaphore::new(config.max_connections)),
            body_limit: config.limits.max_body_bytes,
            utc_offset: Arc::new(AtomicI32::new(UNKNOWN_OFFSET)),
            metrics: Arc::new(Metrics::new()),
            host: host_header(&config.upstream),
        })
    }

    /// Counts into `metrics` from now on.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> UpstreamClient {
        self.metrics = metrics;
        self
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The portal's UTC offset in seconds, as its last timed answer showed it.
    pub fn portal_utc_offset(&self) -> Option<i32> {
        let offset = self.utc_offset.load(Ordering::Relaxed);
        (offset != UNKNOWN_OFFSET).then_some(offset)
    }

    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// Sends a request whose URI is already absolute; errors are classified for v2. The
    /// head must come within `client.response_timeout`, the body within
    /// `client.body_timeout` after it (else the body fails and the answer is cut off).
    /// Beyond `client.max_connections` requests in flight, refused at once.
    pub async fn send(&self, mut request: Request<Body>) -> Result<Response<Body>, BridgeError> {
        let series = self.metrics.portal_series(request.uri().path());
        if let Some(host) = &self.host {
            if !request.headers().contains_key(header::HOST) {
                request.headers_mut().insert(header::HOST, host.clone());
            }
        }
        let sent = Instant::now();
        let result = self.send_counted(request).await;
        let outcome = match &result {
            Ok(response) => match response.status().as_u16() {
                200..=299 => "2xx",
                300..=399 => "3xx",
                400..=499 => "4xx",
                _ => "5xx",
            },
            Err(BridgeError::UpstreamTimeout(_)) => "timeout",
            Err(BridgeError::UpstreamConnect(_)) => "unreachable",
            Err(BridgeError::Overloaded(_)) => "refused_by_bridge",
            Err(_) => "error",
        };
        self.metrics
            .portal_request_in(series, outcome, sent.elapsed());
        result
    }

    async fn send_counted(&self, request: Request<Body>) -> Result<Response<Body>, BridgeError> {
        let permit = self.connections.clone().try_acquire_owned().map_err(|_| {
            BridgeError::Overloaded("client.max_connections requests are with the portal")
        })?;
        // One timer for the exchange: the head's deadline, then reset to the body's.
        let mut timer = Box::pin(tokio::time::sleep(self.response_timeout));
        let response = tokio::select! {
            biased;
            response = self.client.request(request) => match response {
                Ok(response) => response,
                Err(e) => return Err(classify(&e, self.body_limit)),
            },
            () = timer.as_mut() => {
                return Err(BridgeError::UpstreamTimeout(
                    humantime::format_duration(self.response_timeout).to_string(),
                ))
            }
        };
        timer
            .as_mut()
            .reset(tokio::time::Instant::now() + self.body_timeout);
        let (parts, incoming) = response.into_parts();
        let body = body::with_deadline(incoming, timer, permit);
        Ok(Response::from_parts(parts, body))
    }

    /// How long one exchange with the portal may take, head and body.
    pub fn response_timeout(&self) -> Duration {
        self.response_timeout
    }

    /// POSTs one request of the bridge's own making and reads the JSON answer, head and
    /// body within `client.response_timeout`.
    pub async fn post_json<B: ReplyBody>(
        &self,
        request: &PortalRequest,
    ) -> Result<PortalReply<B>, BridgeError> {
        self.post_json_by(request, Instant::now() + self.response_timeout)
            .await
    }

    /// Like [`UpstreamClient::post_json`], done by `deadline` (and within
    /// `client.response_timeout`).
    pub async fn post_json_by<B: ReplyBody>(
        &self,
        request: &PortalRequest,
        deadline: Instant,
    ) -> Result<PortalReply<B>, BridgeError> {
        let limit = deadline
            .saturating_duration_since(Instant::now())
            .min(self.response_timeout);
        let uri = self
            .upstream
            .uri_for(&request.path)
            .map_err(|e| BridgeError::UpstreamProtocol(e.to_string()))?;
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(
                header::USER_AGENT,
                concat!("b24bridge/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(key) = request
            .idempotency_key
            .as_deref()
            .and_then(|k| HeaderValue::from_str(k).ok())
        {
            builder = builder.header("idempotency-key", key);
        }
        if let Some(token) = &request.bearer {
            if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
                builder = builder.header(header::AUTHORIZATION, value);
            }
        }
        let http_request = builder
            .body(body::full(request.body.clone()))
            .map_err(|e| BridgeError::UpstreamProtocol(e.to_string()))?;
        // Head and body together within `client.response_timeout`: a portal that sends the
        // head and then stalls does not hold the call any longer than one that sends nothing.
        let exchange = async {
            let response = self.send(http_request).await?;
            let status = response.status().as_u16();
            let bytes = read_answer(response.into_body()).await?;
            Ok::<_, BridgeError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(limit, exchange).await.map_err(|_| {
            BridgeError::UpstreamTimeout(
                humantime::format_duration(self.response_timeout).to_string(),
            )
        })??;
        let body = B::parse(&bytes).ok_or_else(|| {
            BridgeError::UpstreamProtocol(format!(
                "the portal answered HTTP {status} with a body that is not JSON"
            ))
        })?;
        if let Some(offset) = body
            .envelope()
            .pointer("/time/date_start")
            .and_then(Value::as_str)
            .and_then(crate::clock::offset_of)
        {
            self.utc_offset.store(offset, Ordering::Relaxed);
        }
        Ok(PortalReply { status, body })
    }

    /// POSTs like [`UpstreamClient::post_json_by`]; when `patient`, waits out rate-limit
    /// refusals (backing off from 0.5 s to 2 s) for up to [`RATE_LIMIT_PATIENCE`], never
    /// past `deadline`. Returns the reply and the number of requests sent.
    pub async fn post_json_patiently<B: ReplyBody>(
        &self,
        request: &PortalRequest,
        patient: bool,
        deadline: Instant,
    ) -> Result<(PortalReply<B>, usize), BridgeError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(500);
        let mut sent = 0;
        loop {
            sent += 1;
            let reply = self.post_json_by::<B>(request, deadline).await?;
            if !(patient && reply.is_rate_limited())
                || started.elapsed() + pause > RATE_LIMIT_PATIENCE
                || Instant::now() + pause >= deadline
            {
                return Ok((reply, sent));
            }
            tracing::debug!(
                path = %crate::redact::redact_path(&request.path),
                "rate-limited on a request of the bridge's own; waiting"
            );
            self.metrics.rate_limit_wait(pause);
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
}

/// Reads an answer's body whole, up to [`MAX_ANSWER_BYTES`].
async fn read_answer(mut body: Body) -> Result<Bytes, BridgeError> {
    let mut bytes = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            BridgeError::UpstreamProtocol(format!("reading the answer failed: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_ANSWER_BYTES {
                return Err(BridgeError::UpstreamProtocol(format!(
                    "the answer is larger than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes.freeze())
}

/// The `Host` header of requests to `upstream`: its host, with the port unless it is the
/// scheme's default (as hyper-util writes it).
fn host_header(upstream: &Upstream) -> Option<HeaderValue> {
    let host = upstream.authority.host();
    let default = if upstream.is_https() { 443 } else { 80 };
    let text = match upstream.authority.port_u16() {
        Some(port) if port != default => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    HeaderValue::from_str(&text).ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hook() -> Credentials {
        Credentials::Webhook(Webhook {
            user_id: 7,
            code: "c0de".into(),
        })
    }

    #[test]
    fn paths_follow_the_credentials() {
        assert_eq!(hook().v2_path("batch"), "/rest/7/c0de/batch");
        assert_eq!(
            hook().v3_path("tasks.task.get"),
            "/rest/api/7/c0de/tasks.task.get"
        );
        let oauth = Credentials::OAuth("tok".into());
        assert_eq!(oauth.v2_path("user.current"), "/rest/user.current");
        assert_eq!(oauth.v3_path("batch"), "/rest/api/batch");
    }

    #[test]
    fn an_oauth_token_never_goes_in_a_path() {
        let oauth = Credentials::OAuth("s3cr3t".into());
        let call = oauth.v3_call("tasks.task.get", Map::new());
        assert!(!call.path.contains("s3cr3t"));
        let body: Value = serde_json::from_slice(&call.body).unwrap();
        assert_eq!(body["auth"], "s3cr3t");
        let batch = oauth.v3_batch(vec![json!({"method": "x", "query": {}})]);
        assert!(!batch.path.contains("s3cr3t"));
        assert_eq!(batch.bearer.as_deref(), Some("s3cr3t"));
        assert!(!String::from_utf8_lossy(&batch.body).contains("s3cr3t"));
        let v2 = oauth.v2_call("batch", Map::new());
        assert!(!v2.path.contains("s3cr3t"));
        assert!(!format!("{oauth:?}").contains("s3cr3t"));
    }

    #[test]
    fn rate_limits_are_recognised_flat_and_nested() {
        assert!(is_rate_limited(
            503,
            &json!({"error": "QUERY_LIMIT_EXCEEDED"})
        ));
        assert!(is_rate_limited(
            503,
            &json!({"error": {"code": "QUERY_LIMIT_EXCEEDED"}})
        ));
        assert!(!is_rate_limited(
            429,
            &json!({"error": "QUERY_LIMIT_EXCEEDED"})
        ));
        assert!(!is_rate_limited(503, &json!({"error": "OVERLOAD_LIMIT"})));
    }
}
