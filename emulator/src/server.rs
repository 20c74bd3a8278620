//! The portal over HTTP/1.1 (optionally TLS): routing, reading requests, credentials,
//! faults on demand (rate limit, latency, 5xx), request counting, and writing answers as
//! PHP does. All I/O of the crate is here.
//!
//! * Every request except `/healthz` counts once (a batch too), whatever the answer.
//! * The rate limit is a leaky bucket per portal. When it overflows the answer is 503
//!   `QUERY_LIMIT_EXCEEDED` "Too many requests" in the flat v2 shape on both versions: the
//!   REST 3.0 pages list the same system errors without showing another shape.
//! * Authentication failures are 401 `NO_AUTH_FOUND` "Wrong authorization data", flat, on
//!   both versions, for the same reason.
//! * REST 3.0 reads JSON only: a form or multipart body is `INVALIDJSONEXCEPTION`, as is
//!   any body that is not JSON; an empty body is `{}`. The query string is not read except
//!   for `auth`.

use crate::emulator::{Answer, ApiVersion, Caller, Emulator, RequestCounts};
use crate::php::{self, Key, PhpValue};
use crate::route::{route, Auth, Route};
use crate::v2::V2Err;
use crate::v3::V3Err;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// A leaky bucket: `burst` requests at once, draining `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub burst: f64,
    pub per_second: f64,
}

impl RateLimit {
    /// The limit of Bitrix24's non-enterprise plans: 50 of burst, 2 per second.
    pub const STANDARD: RateLimit = RateLimit {
        burst: 50.0,
        per_second: 2.0,
    };
}

/// Faults a test can switch on and off while the portal runs.
#[derive(Debug, Default)]
pub struct Faults {
    bucket: Mutex<Option<(RateLimit, f64, Instant)>>,
    latency_ms: AtomicU64,
    fail_every: AtomicU64,
    seen: AtomicU64,
}

impl Faults {
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        *b = limit.map(|l| (l, 0.0, Instant::now()));
    }

    /// Delay every answer by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms.store(
            u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// Answer 500 to every `n`th request (0: never).
    pub fn set_fail_every(&self, n: u64) {
        self.fail_every.store(n, Ordering::SeqCst);
    }

    /// Adds one request to the bucket; true when it overflows (the request is refused and
    /// not added).
    fn over_limit(&self) -> bool {
        let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let Some((limit, level, last)) = b.as_mut() else {
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
    /// Seeded tasks; `None` for the default 140.
    pub tasks: Option<usize>,
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl EmulatorOptions {
    pub fn new(listen: SocketAddr, seed: u64) -> Self {
        EmulatorOptions {
            listen,
            seed,
            tasks: None,
            tls: None,
        }
    }
}

/// A portal serving on a socket.
pub struct RunningEmulator {
    local_addr: SocketAddr,
    emulator: Arc<Emulator>,
    faults: Arc<Faults>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
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

    /// HTTP requests received so far.
    pub fn requests(&self) -> RequestCounts {
        self.emulator.http_requests()
    }

    pub fn reset_requests(&self) {
        self.emulator.reset_http_requests();
    }

    /// Stops accepting, lets open connections finish (at most 5 s), and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

struct Shared {
    emulator: Arc<Emulator>,
    faults: Arc<Faults>,
}

pub async fn start(options: EmulatorOptions) -> std::io::Result<RunningEmulator> {
    let listener = TcpListener::bind(options.listen).await?;
    let local_addr = listener.local_addr()?;
    let emulator = Arc::new(Emulator::with_tasks(
        options.seed,
        options.tasks.unwrap_or(crate::store::DEFAULT_TASKS),
    ));
    let faults = Arc::new(Faults::default());
    let shared = Arc::new(Shared {
        emulator: emulator.clone(),
        faults: faults.clone(),
    });
    let acceptor = options.tls.map(tokio_rustls::TlsAcceptor::from);
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((stream, _peer)) = accepted else {
                        // out of descriptors or similar: back off instead of spinning
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    let shared = shared.clone();
                    let watcher = graceful.watcher();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |req| handle(shared.clone(), req));
                        let builder = hyper::server::conn::http1::Builder::new();
                        match acceptor {
                            Some(acceptor) => {
                                let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await else {
                                    return;
                                };
                                let conn = builder.serve_connection(TokioIo::new(tls), service);
                                let _ = watcher.watch(conn).await;
                            }
                            None => {
                                let conn = builder.serve_connection(TokioIo::new(stream), service);
                                let _ = watcher.watch(conn).await;
                            }
                        }
                    });
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    });
    Ok(RunningEmulator {
        local_addr,
        emulator,
        faults,
        stop,
        task,
    })
}

fn respond(answer: Answer) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(answer.to_bytes())));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (name, value) in answer.headers {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(n, v);
        }
    }
    response
}

fn flat(status: u16, code: &str, description: &str) -> Answer {
    Answer::new(status, V2Err::new(status, code, description).body())
}

fn no_auth() -> Answer {
    flat(401, "NO_AUTH_FOUND", "Wrong authorization data")
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let route = route(req.uri().path());
    let version = match &route {
        Route::Health => {
            return Ok(respond(Answer::new(200, json!({"status": "ok"}))));
        }
        Route::V2 { .. } => Some(ApiVersion::V2),
        Route::V3 { .. } => Some(ApiVersion::V3),
        Route::Unknown => None,
    };
    shared.emulator.note_http_request(version);
    let latency = shared.faults.latency_ms.load(Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if shared.faults.over_limit() {
        return Ok(respond(flat(
            503,
            "QUERY_LIMIT_EXCEEDED",
            "Too many requests",
        )));
    }
    if shared.faults.should_fail() {
        return Ok(respond(flat(
            500,
            "INTERNAL_SERVER_ERROR",
            "Internal server error",
        )));
    }
    let query = req.uri().query().map(str::to_owned);
    let headers = req.headers().clone();
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(respond(flat(
                413,
                "REQUEST_ENTITY_TOO_LARGE",
                "Request entity too large",
            )))
        }
    };
    let answer = match route {
        Route::V2 { auth, method, xml } => serve_v2(
            &shared.emulator,
            auth,
            &method,
            xml,
            query.as_deref(),
            &headers,
            &body,
        ),
        Route::V3 { auth, method } => serve_v3(
            &shared.emulator,
            auth,
            &method,
            query.as_deref(),
            &headers,
            &body,
        ),
        _ => flat(404, "ERROR_METHOD_NOT_FOUND", crate::v2::METHOD_NOT_FOUND),
    };
    Ok(respond(answer))
}

fn webhook(emulator: &Emulator, user: Option<u64>, code: &str) -> Option<Caller> {
    user.and_then(|u| emulator.authenticate_webhook(u, code))
}

fn serve_v2(
    emulator: &Emulator,
    auth: Auth,
    method: &str,
    xml: bool,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    let request = php::read_v2_request(query, header_str(headers, header::CONTENT_TYPE), body);
    let caller = match auth {
        Auth::Webhook { user, code } => webhook(emulator, user, &code),
        Auth::Token => request
            .auth
            .as_deref()
            .and_then(|t| emulator.authenticate_token(t)),
    };
    let Some(caller) = caller else {
        return no_auth();
    };
    if xml {
        return flat(
            400,
            "ERROR_XML_NOT_EMULATED",
            "This portal answers JSON only; the .xml format is not emulated",
        );
    }
    emulator.call_v2(method, &request.params, &caller)
}

fn invalid_json() -> Answer {
    let e = V3Err::new(
        400,
        "INVALIDJSONEXCEPTION",
        "The request body is not valid JSON",
    );
    Answer::new(e.status, e.body())
}

fn serve_v3(
    emulator: &Emulator,
    auth: Auth,
    method: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    let content_type = header_str(headers, header::CONTENT_TYPE).unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut json_body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else if essence == "application/x-www-form-urlencoded" || essence == "multipart/form-data" {
        return invalid_json();
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => return invalid_json(),
        }
    };
    let body_token = json_body
        .as_object_mut()
        .and_then(|m| m.remove("auth"))
        .and_then(|v| v.as_str().map(str::to_string));
    let caller = match auth {
        Auth::Webhook { user, code } => webhook(emulator, user, &code),
        Auth::Token => {
            let bearer = header_str(headers, header::AUTHORIZATION)
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(|t| t.trim().to_string());
            let from_query =
                query.and_then(|q| match php::parse_str(q).get(&Key::Str("auth".into())) {
                    Some(PhpValue::Scalar(Value::String(s))) => Some(s.clone()),
                    _ => None,
                });
            body_token
                .or(bearer)
                .or(from_query)
                .and_then(|t| emulator.authenticate_token(&t))
        }
    };
    let Some(caller) = caller else {
        return no_auth();
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    emulator.call_v3(method, &json_body, &caller, key)
}
