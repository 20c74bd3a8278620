//! The emulator's HTTP side: v2 and REST 3.0 over one [`Emulator`] store, with auth,
//! request decoding, and faults on demand (rate limit, latency, 5xx).
//!
//! v2 bodies are read by the same decoder the bridge uses, so a difference between the
//! two paths can only come from translation.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::body::{self, Body};
use crate::decode::{self, DecodeLimits};
use crate::emulator::{self, Answer, Caller, Emulator};
use crate::listener::{self, DrainOutcome, ServeOptions};
use crate::route::{self, Format, Route, V2Auth};

/// The leaky bucket of Bitrix24's non-enterprise plans: 50 requests of burst, 2 per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub burst: f64,
    pub per_second: f64,
}

impl RateLimit {
    pub const STANDARD: RateLimit = RateLimit {
        burst: 50.0,
        per_second: 2.0,
    };
}

/// Faults a test can switch on and off while the emulator runs.
#[derive(Default)]
pub struct Faults {
    rate_limit: Mutex<Option<(RateLimit, f64, Instant)>>,
    latency_ms: AtomicU64,
    /// Answer `500` to every Nth request (0: never).
    fail_every: AtomicU64,
    seen: AtomicU64,
}

impl Faults {
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        if let Ok(mut guard) = self.rate_limit.lock() {
            *guard = limit.map(|l| (l, 0.0, Instant::now()));
        }
    }

    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn set_fail_every(&self, n: u64) {
        self.fail_every.store(n, Ordering::SeqCst);
    }

    /// Adds one request to the bucket; true when it overflows.
    fn over_limit(&self) -> bool {
        let Ok(mut guard) = self.rate_limit.lock() else {
            return false;
        };
        let Some((limit, level, last)) = guard.as_mut() else {
            return false;
        };
        let now = Instant::now();
        *level = (*level - now.duration_since(*last).as_secs_f64() * limit.per_second).max(0.0);
        *last = now;
        if *level + 1.0 > limit.burst {
            return true;
        }
        *level += 1.0;
        false
    }

    fn should_fail(&self) -> bool {
        let every = self.fail_every.load(Ordering::SeqCst);
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        every > 0 && n % every == 0
    }
}

#[derive(Clone)]
pub struct EmulatorOptions {
    pub listen: SocketAddr,
    pub seed: u64,
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// A running emulator.
pub struct RunningEmulator {
    local_addr: SocketAddr,
    emulator: Arc<Emulator>,
    faults: Arc<Faults>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<DrainOutcome>,
}

impl RunningEmulator {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn emulator(&self) -> &Arc<Emulator> {
        &self.emulator
    }

    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    pub async fn shutdown(self) -> DrainOutcome {
        let _ = self.stop.send(());
        self.task.await.unwrap_or(DrainOutcome::TimedOut)
    }
}

pub async fn start(options: EmulatorOptions) -> std::io::Result<RunningEmulator> {
    let listener = TcpListener::bind(options.listen).await?;
    let local_addr = listener.local_addr()?;
    let emulator = Arc::new(Emulator::new(options.seed));
    let faults = Arc::new(Faults::default());
    let state = Arc::new(State {
        emulator: emulator.clone(),
        faults: faults.clone(),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let serve_options = ServeOptions {
        tls: options.tls,
        header_read_timeout: Duration::from_secs(30),
        drain_timeout: Duration::from_secs(5),
    };
    let task = tokio::spawn(listener::serve(
        listener,
        serve_options,
        move |req, _peer| state.clone().handle(req),
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(RunningEmulator {
        local_addr,
        emulator,
        faults,
        stop,
        task,
    })
}

struct State {
    emulator: Arc<Emulator>,
    faults: Arc<Faults>,
}

fn answer_response(answer: Answer) -> Response<Body> {
    let bytes = serde_json::to_vec(&answer.body).unwrap_or_default();
    let mut response = body::json_response(
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        bytes,
    );
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

impl State {
    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Body> {
        let path = request.uri().path().to_owned();
        if path == "/healthz" {
            return body::json_response(StatusCode::OK, &b"{\"status\":\"ok\"}"[..]);
        }
        let latency = self.faults.latency_ms.load(Ordering::SeqCst);
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        if self.faults.over_limit() {
            return answer_response(emulator::v2_error(
                503,
                "QUERY_LIMIT_EXCEEDED",
                "Too many requests",
            ));
        }
        if self.faults.should_fail() {
            return answer_response(emulator::v2_error(
                500,
                "INTERNAL_SERVER_ERROR",
                "Internal server error",
            ));
        }
        let method = request.method().clone();
        let query = request.uri().query().map(str::to_owned);
        let headers = request.headers().clone();
        let bytes: Bytes = match Limited::new(request.into_body(), decode::DEFAULT_MAX_BODY_BYTES)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return answer_response(emulator::v2_error(
                    413,
                    "REQUEST_ENTITY_TOO_LARGE",
                    "Request is too large",
                ))
            }
        };
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        match route::route(&path) {
            Route::V2(call) => self.v2(call, query.as_deref(), content_type, &bytes),
            Route::V3 => self.v3(
                &path,
                query.as_deref(),
                &method,
                &headers,
                content_type,
                &bytes,
            ),
            _ => answer_response(emulator::v2_error(
                404,
                "ERROR_METHOD_NOT_FOUND",
                "Method not found!",
            )),
        }
    }

    fn v2(
        &self,
        call: route::V2Call,
        query: Option<&str>,
        content_type: Option<&str>,
        bytes: &[u8],
    ) -> Response<Body> {
        let decoded =
            match decode::decode_request(query, content_type, bytes, &DecodeLimits::default()) {
                Ok(d) => d,
                Err(e) => {
                    return answer_response(emulator::v2_error(
                        400,
                        "INVALID_REQUEST",
                        &e.to_string(),
                    ))
                }
            };
        let caller = match &call.auth {
            V2Auth::Webhook { user_id, code } => self.emulator.authenticate_webhook(*user_id, code),
            V2Auth::OAuth => decoded
                .auth
                .as_deref()
                .and_then(|t| self.emulator.authenticate_token(t)),
        };
        let Some(caller) = caller else {
            return answer_response(emulator::v2_error(
                401,
                "NO_AUTH_FOUND",
                "Wrong authorization data",
            ));
        };
        if call.format == Format::Xml {
            return answer_response(emulator::v2_error(
                400,
                "ERROR_XML_NOT_EMULATED",
                "The emulator answers JSON only; the .xml suffix is not emulated",
            ));
        }
        let answer = self
            .emulator
            .call_v2(&call.method, &decoded.params, &caller);
        tracing::info!(target: "b24bridge::emulator", api = "v2", method = %call.method, status = answer.status, "served");
        answer_response(answer)
    }

    fn v3(
        &self,
        path: &str,
        query: Option<&str>,
        method: &Method,
        headers: &http::HeaderMap,
        content_type: Option<&str>,
        bytes: &[u8],
    ) -> Response<Body> {
        let rest = path.trim_start_matches("/rest/").trim_end_matches('/');
        let segments: Vec<&str> = rest.split('/').skip(1).collect();
        let (webhook, raw_method) = match segments.as_slice() {
            [user, code, m] => (Some((user.parse::<u64>().unwrap_or(0), *code)), *m),
            [m] => (None, *m),
            _ => {
                return answer_response(emulator::v2_error(
                    404,
                    "ERROR_METHOD_NOT_FOUND",
                    "Method not found!",
                ))
            }
        };
        let v3_method = route::split_suffix(raw_method).0.to_ascii_lowercase();
        let is_json = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
        let body: Value = if bytes.is_empty() && *method == Method::GET {
            Value::Object(Default::default())
        } else if !is_json && !bytes.is_empty() {
            return answer_response(emulator::v3_error(
                400,
                "BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION",
                "The request body is not JSON",
            ));
        } else if bytes.is_empty() {
            Value::Object(Default::default())
        } else {
            match serde_json::from_slice(bytes) {
                Ok(v) => v,
                Err(_) => {
                    return answer_response(emulator::v3_error(
                        400,
                        "BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION",
                        "The request body is not valid JSON",
                    ))
                }
            }
        };
        let caller = match webhook {
            Some((user_id, code)) => self.emulator.authenticate_webhook(user_id, code),
            None => {
                let bearer = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "));
                let from_query = query.and_then(|q| {
                    decode::parse_php_query(q, &DecodeLimits::default())
                        .ok()
                        .and_then(|p| p.get("auth").and_then(Value::as_str).map(str::to_owned))
                });
                let token = body
                    .get("auth")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or(bearer.map(str::to_owned))
                    .or(from_query);
                token.and_then(|t| self.emulator.authenticate_token(&t))
            }
        };
        let Some(caller): Option<Caller> = caller else {
            return answer_response(emulator::v2_error(
                401,
                "NO_AUTH_FOUND",
                "Wrong authorization data",
            ));
        };
        let mut body = body;
        if let Some(map) = body.as_object_mut() {
            map.remove("auth");
        }
        let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
        let answer = self.emulator.call_v3(&v3_method, &body, &caller, key);
        tracing::info!(target: "b24bridge::emulator", api = "v3", method = %v3_method, status = answer.status, "served");
        answer_response(answer)
    }
}
