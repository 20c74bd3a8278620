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

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

use crate::answers;
use crate::body::Body;
use crate::config::Config;
use crate::decode::{self, DecodeError};
use crate::error::BridgeError;
use crate::execute::Portal;
use crate::forward;
use crate::identity::{self, CallerCache};
use crate::memory::Memory;
use crate::redact;
use crate::route::{self, Format, Route, V2Auth, V2Call, Webhook};
use crate::rules::{Fallback, JsonStyle, MethodRoute, MethodRule};
use crate::translate::{self, Context};
use crate::upstream::{Credentials, UpstreamClient};

/// How long `/readyz` waits for a TCP connection to the portal.
const READINESS_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Shared state of a running bridge.
pub struct Bridge {
    /// Swapped whole on reload; each call keeps the one it started with.
    config: std::sync::RwLock<Arc<Config>>,
    client: UpstreamClient,
    draining: AtomicBool,
    callers: CallerCache,
    /// Counts and rows read ahead, reused by later calls.
    memory: Memory,
    /// Slots for translated calls: their memory is bounded, pass-through is not affected.
    translations: tokio::sync::Semaphore,
    /// Translated calls waiting for a slot now.
    queued: std::sync::atomic::AtomicUsize,
    /// What shadowed reads may spend, and where their comparisons are written.
    shadow_budget: crate::shadow::Budget,
    diff_log: Option<crate::shadow::DiffLog>,
}

/// What the access log records about how a request was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    Local,
    PassThroughV2,
    PassThroughV3,
    /// Translated and served by REST 3.0.
    Translated,
    /// A translated method whose call v3 cannot express, sent to v2.
    FellBack,
    /// Answered by v2, compared in the background (`mode = "shadow"`).
    Shadowed,
    Rejected,
}

impl Served {
    fn as_str(self) -> &'static str {
        match self {
            Served::Local => "local",
            Served::PassThroughV2 => "v2",
            Served::PassThroughV3 => "v3-direct",
            Served::Translated => "v3",
            Served::FellBack => "v2-fallback",
            Served::Shadowed => "v2-shadow",
            Served::Rejected => "rejected",
        }
    }
}

/// A translated call, ready to run.
struct PlannedCall {
    credentials: Credentials,
    caller: Option<u64>,
    plan: translate::Plan,
}

/// A call's body, read and decoded (or why it could not be decoded).
struct ReadCall {
    parts: http::request::Parts,
    bytes: Bytes,
    decoded: Result<decode::V2Request, String>,
}

/// How a request was served, with details for the access log.
struct Outcome {
    served: Served,
    result: Result<Response<Body>, BridgeError>,
    /// Why a translated method went to v2.
    reason: Option<String>,
    /// Upstream requests a translated call cost.
    upstream_requests: usize,
}

impl Outcome {
    fn plain(served: Served, result: Result<Response<Body>, BridgeError>) -> Self {
        Outcome {
            served,
            result,
            reason: None,
            upstream_requests: 0,
        }
    }
}

impl Bridge {
    pub fn new(config: Arc<Config>, client: UpstreamClient) -> Self {
        let diff_log = config.shadow_log.as_deref().and_then(|path| {
            crate::shadow::DiffLog::open(path, config.shadow_sample)
                .map_err(|e| {
                    tracing::error!(path = %path.display(), error = %e, "the shadow diff log cannot be opened; comparisons are counted in the metrics only");
                })
                .ok()
        });
        Bridge {
            translations: tokio::sync::Semaphore::new(config.max_concurrent_translations),
            config: std::sync::RwLock::new(config),
            client,
            draining: AtomicBool::new(false),
            callers: CallerCache::default(),
            memory: Memory::default(),
            queued: std::sync::atomic::AtomicUsize::new(0),
            shadow_budget: crate::shadow::Budget::default(),
            diff_log,
        }
    }

    /// A slot for a translated call: at once when one is free, after a wait when fewer
    /// than `limits.max_queued_translations` wait already, else refused.
    async fn translation_slot(
        &self,
        config: &Config,
    ) -> Result<tokio::sync::SemaphorePermit<'_>, BridgeError> {
        if let Ok(permit) = self.translations.try_acquire() {
            return Ok(permit);
        }
        let waiting = self.queued.fetch_add(1, Ordering::SeqCst);
        let result = if waiting >= config.max_queued_translations {
            Err(BridgeError::Overloaded(
                "limits.max_queued_translations calls wait already",
            ))
        } else {
            self.translations
                .acquire()
                .await
                .map_err(|_| BridgeError::Overloaded("the bridge is stopping"))
        };
        self.queued.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// Runs a translated call (or a bridge-run batch) within `client.response_timeout` as
    /// a whole, rounds, retries and rate-limit waits included.
    async fn within_deadline(
        &self,
        config: &Config,
        call: impl std::future::Future<Output = Outcome>,
    ) -> Outcome {
        let limit = config.response_timeout;
        match tokio::time::timeout(limit, call).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::plain(
                Served::Translated,
                Err(BridgeError::UpstreamTimeout(
                    humantime::format_duration(limit).to_string(),
                )),
            ),
        }
    }

    /// The configuration in force now.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The one portal client.
    pub fn client(&self) -> &UpstreamClient {
        &self.client
    }

    /// Puts `config` in force for the calls that start from now on. What is fixed at start
    /// (the listener, TLS, the portal client, the translation slots) stays as it was.
    pub fn replace_config(&self, config: Arc<Config>) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
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
        // The access log is at info: below it (the default is info, deployments that
        // measure run warn) nothing of the line is worked out.
        let logged = tracing::enabled!(target: "b24bridge::access", tracing::Level::INFO);
        let log_target = if logged {
            redact::target_for_log(request.uri().path(), request.uri().query())
        } else {
            String::new()
        };
        let http_method = request.method().clone();
        // An absolute-form target ("GET http://host/...") asks for a forward proxy: refused.
        let route = if request.uri().authority().is_some() {
            Route::Outside
        } else {
            route::route(request.uri().path())
        };
        let metrics = self.client.metrics();
        // The method as a metrics label (interned, no copy), and as logged.
        let (v2_label, v2_method) = match &route {
            Route::V2(call) => (
                metrics.method_label(&call.method),
                if logged {
                    call.method.clone()
                } else {
                    String::new()
                },
            ),
            _ => (metrics.method_label(""), String::new()),
        };
        let config = self.config();
        let _in_flight = metrics.in_flight();
        let portal_time = std::cell::Cell::new(std::time::Duration::ZERO);
        let (outcome, portal_time) = crate::metrics::PORTAL_TIME
            .scope(portal_time, async {
                let outcome = self.dispatch(&config, route, request, peer).await;
                let portal_time = crate::metrics::PORTAL_TIME.with(|t| t.get());
                (outcome, portal_time)
            })
            .await;
        let served = outcome.served;
        let response = match outcome.result {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(error = %error, "request failed");
                answers::error_response(&error, config.rules.json)
            }
        };
        if logged {
            tracing::info!(
            target: "b24bridge::access",
            http_method = %http_method,
            path = %log_target,
            method = %v2_method,
            route = served.as_str(),
            fallback_reason = outcome.reason.as_deref().unwrap_or(""),
            v3_requests = outcome.upstream_requests,
            status = response.status().as_u16(),
            latency_us = started.elapsed().as_micros() as u64,
            "request"
            );
        }
        let status = response.status().as_u16();
        if let (Served::FellBack, Some(reason)) = (served, outcome.reason.as_deref()) {
            metrics.fallback(v2_label.as_str(), reason);
        }
        metrics.call_as(v2_label, served.as_str(), status);
        metrics.added_latency(started.elapsed().saturating_sub(portal_time));
        response
    }

    async fn dispatch(
        self: &Arc<Self>,
        config: &Config,
        route: Route,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Outcome {
        let max_body = config.limits.max_body_bytes;
        match route {
            Route::Health if request.method() == Method::GET => {
                Outcome::plain(Served::Local, Ok(answers::status(StatusCode::OK, "ok")))
            }
            Route::Ready if request.method() == Method::GET => {
                Outcome::plain(Served::Local, Ok(self.readiness().await))
            }
            Route::Health | Route::Ready | Route::Outside => {
                Outcome::plain(Served::Rejected, Err(BridgeError::OutsideRest))
            }
            Route::Malformed(why) => {
                Outcome::plain(Served::Rejected, Err(BridgeError::MalformedPath(why)))
            }
            Route::V3 => Outcome::plain(
                Served::PassThroughV3,
                forward::forward(&self.client, request, peer, max_body).await,
            ),
            Route::V2(call) if call.method == "batch" && call.format == Format::Json => {
                let _slot = match self.translation_slot(config).await {
                    Ok(slot) => slot,
                    Err(e) => return Outcome::plain(Served::Rejected, Err(e)),
                };
                // Boxed: the translating futures are large (17 kB together), and inline
                // they would make every pass-through future as large where it is moved.
                Box::pin(self.within_deadline(config, self.batch(config, &call, request, peer)))
                    .await
            }
            Route::V2(call) => match config.rules.route(&call.method) {
                Some(MethodRoute::V3(rule)) if call.format == Format::Json => {
                    let _slot = match self.translation_slot(config).await {
                        Ok(slot) => slot,
                        Err(e) => return Outcome::plain(Served::Rejected, Err(e)),
                    };
                    Box::pin(self.within_deadline(
                        config,
                        self.translated(config, &call, rule, request, peer),
                    ))
                    .await
                }
                Some(MethodRoute::Shadow(rule)) if call.format == Format::Json => {
                    let rule = rule.clone();
                    Box::pin(self.shadowed(config, &call, rule, request, peer)).await
                }
                Some(MethodRoute::Deny) => Outcome::plain(
                    Served::Rejected,
                    Err(BridgeError::Denied(call.method.clone())),
                ),
                // No rule, mode = "v2", or XML output (only v2 renders XML).
                _ => Outcome::plain(
                    Served::PassThroughV2,
                    forward::forward(&self.client, request, peer, max_body).await,
                ),
            },
        }
    }

    /// Reads and decodes the body of a call the bridge serves itself. `Err` carries the
    /// finished outcome of a body the bridge refuses (over a limit, unreadable); a body
    /// only v2 can make sense of is `Ok` with the reason in `decoded`.
    async fn read_call(
        &self,
        config: &Config,
        request: Request<Incoming>,
    ) -> Result<ReadCall, Outcome> {
        let limits = config.limits;
        if let Err(e) = forward::check_declared_length(&request, limits.max_body_bytes) {
            return Err(Outcome::plain(Served::Rejected, Err(e)));
        }
        let (parts, incoming) = request.into_parts();
        let read = Limited::new(incoming, limits.max_body_bytes).collect();
        let read = match tokio::time::timeout(config.body_read_timeout, read).await {
            Ok(read) => read,
            Err(_) => {
                return Err(Outcome::plain(
                    Served::Rejected,
                    Err(BridgeError::ClientBody(format!(
                        "it did not arrive within limits.body_read_timeout = {}",
                        humantime::format_duration(config.body_read_timeout)
                    ))),
                ))
            }
        };
        let bytes: Bytes = match read {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return Err(Outcome::plain(
                    Served::Rejected,
                    Err(BridgeError::BodyTooLarge {
                        limit: limits.max_body_bytes,
                    }),
                ))
            }
            Err(e) => {
                return Err(Outcome::plain(
                    Served::Rejected,
                    Err(BridgeError::ClientBody(e.to_string())),
                ))
            }
        };
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let decoded = match decode::decode_request(parts.uri.query(), content_type, &bytes, &limits)
        {
            Ok(decoded) => Ok(decoded),
            Err(
                e @ (DecodeError::BodyTooLarge { .. }
                | DecodeError::TooManyVariables { .. }
                | DecodeError::TooDeep { .. }),
            ) => return Err(Outcome::plain(Served::Rejected, Err(e.into()))),
            // The v2 server reads broken bodies its own way: let it answer.
            Err(e) => Err(format!("body not decodable: {e}")),
        };
        Ok(ReadCall {
            parts,
            bytes,
            decoded,
        })
    }

    /// The caller's user id: the webhook's, or the OAuth token's when `needed`.
    async fn caller(&self, credentials: &Credentials, needed: bool) -> Option<u64> {
        match credentials {
            Credentials::Webhook(hook) => Some(hook.user_id),
            Credentials::OAuth(token) if needed => {
                self.callers.user_of_token(&self.client, token).await
            }
            Credentials::OAuth(_) => None,
        }
    }

    /// A v2 `batch`: run by the bridge when it holds a translated command, else passed on.
    async fn batch(
        &self,
        config: &Config,
        call: &V2Call,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Outcome {
        let ReadCall {
            parts,
            bytes,
            decoded,
        } = match self.read_call(config, request).await {
            Ok(read) => read,
            Err(outcome) => return outcome,
        };
        let pass = |reason: String| async move {
            let mut outcome = Outcome::plain(
                Served::PassThroughV2,
                forward::forward_buffered(&self.client, parts, bytes, peer).await,
            );
            outcome.reason = Some(reason);
            outcome
        };
        let decoded = match decoded {
            Ok(d) => d,
            Err(reason) => return pass(reason).await,
        };
        let Some(parsed) = crate::batch::parse(&decoded.params, &config.limits) else {
            return pass(
                "a batch the bridge leaves to v2 (no commands, over 50, nested batch)".into(),
            )
            .await;
        };
        let Some(credentials) = credentials(&call.auth, decoded.auth.as_deref()) else {
            return pass("no auth token".into()).await;
        };
        let caller = self.caller(&credentials, true).await;
        let ctx = crate::batch::run::BatchContext {
            client: &self.client,
            rules: &config.rules,
            credentials: &credentials,
            memory: &self.memory,
            caller,
            request_id: decoded.request_id(),
        };
        match crate::batch::run::run(&ctx, parsed).await {
            Ok(None) => pass("no command of the batch has a v3 rule".into()).await,
            Ok(Some(run)) => Outcome {
                served: Served::Translated,
                result: Ok(translated_response(run.answer, config.rules.json)),
                reason: None,
                upstream_requests: run.upstream_requests,
            },
            Err(e) => Outcome::plain(Served::Translated, Err(e)),
        }
    }

    /// A call to a method with a v3 rule: decode, plan, run; or fall back to v2.
    async fn translated(
        &self,
        config: &Config,
        call: &V2Call,
        rule: &MethodRule,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Outcome {
        let ReadCall {
            parts,
            bytes,
            decoded,
        } = match self.read_call(config, request).await {
            Ok(read) => read,
            Err(outcome) => return outcome,
        };
        let planned = match decoded {
            Ok(decoded) => self
                .plan_call(config, &call.auth, rule, &decoded)
                .await
                .map(|planned| (planned, decoded)),
            Err(reason) => Err(reason),
        };
        let (
            PlannedCall {
                credentials,
                caller,
                plan,
            },
            decoded,
        ) = match planned {
            Ok(planned) => planned,
            Err(reason) => return self.fall_back(rule, parts, bytes, peer, reason).await,
        };
        let key = plan
            .is_write()
            .then(|| identity::idempotency_key(&credentials, &call.method, decoded.request_id()));
        let mut portal = Portal::new(
            &self.client,
            &credentials,
            &config.rules,
            &self.memory,
            caller,
        );
        let result = portal
            .answer_call(rule, plan, key)
            .await
            .map(|answer| translated_response(answer, config.rules.json));
        Outcome {
            served: Served::Translated,
            result,
            reason: None,
            upstream_requests: portal.requests,
        }
    }

    /// What a decoded call needs to be served by REST 3.0, or why it cannot be.
    async fn plan_call(
        &self,
        config: &Config,
        auth: &V2Auth,
        rule: &MethodRule,
        decoded: &decode::V2Request,
    ) -> Result<PlannedCall, String> {
        if !decoded.files.is_empty() {
            return Err("the call uploads files".into());
        }
        let credentials =
            credentials(auth, decoded.auth.as_deref()).ok_or_else(|| "no auth token".to_owned())?;
        let caller = self
            .caller(&credentials, translate::needs_caller(rule))
            .await;
        let ctx = Context::for_rules(&config.rules, caller);
        let plan = translate::plan(rule, &decoded.params, ctx).map_err(|why| why.0)?;
        Ok(PlannedCall {
            credentials,
            caller,
            plan,
        })
    }

    /// `mode = "shadow"`: v2 answers the client, untouched; a read is then run through
    /// REST 3.0 in the background and compared.
    async fn shadowed(
        self: &Arc<Self>,
        config: &Config,
        call: &V2Call,
        rule: Arc<MethodRule>,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Outcome {
        let ReadCall {
            parts,
            bytes,
            decoded,
        } = match self.read_call(config, request).await {
            Ok(read) => read,
            Err(outcome) => return outcome,
        };
        let response = match forward::forward_buffered(&self.client, parts, bytes, peer).await {
            Ok(response) => response,
            Err(e) => return Outcome::plain(Served::Shadowed, Err(e)),
        };
        // The client gets v2's answer as it came; a copy of its body is compared after.
        let (head, body) = response.into_parts();
        let v2_body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                return Outcome::plain(
                    Served::Shadowed,
                    Err(BridgeError::UpstreamProtocol(format!(
                        "reading the answer failed: {e}"
                    ))),
                )
            }
        };
        let status = head.status.as_u16();
        let bridge = Arc::clone(self);
        let method = call.method.clone();
        let auth = call.auth.clone();
        let copy = v2_body.clone();
        tokio::spawn(async move {
            bridge
                .compare_shadow(&method, &auth, &rule, decoded, status, &copy)
                .await;
        });
        Outcome {
            served: Served::Shadowed,
            result: Ok(Response::from_parts(head, crate::body::full(v2_body))),
            reason: None,
            upstream_requests: 1,
        }
    }

    /// Runs a shadowed read through REST 3.0 and compares the answer with v2's.
    async fn compare_shadow(
        &self,
        method: &str,
        auth: &V2Auth,
        rule: &MethodRule,
        decoded: Result<decode::V2Request, String>,
        v2_status: u16,
        v2_body: &[u8],
    ) {
        let metrics = self.client.metrics();
        let skip = |reason: &str, hash: &str| {
            metrics.shadow_skipped(method, reason);
            if let Some(log) = &self.diff_log {
                log.write(&crate::shadow::Record {
                    method,
                    params_hash: hash,
                    outcome: "skip",
                    reason: Some(reason),
                    v3_requests: None,
                    mismatches: &[],
                });
            }
        };
        let Ok(decoded) = decoded else {
            return skip("not_translatable", "");
        };
        let hash =
            crate::shadow::params_hash(method, &serde_json::Value::Object(decoded.params.clone()));
        let config = self.config();
        let Ok(PlannedCall {
            credentials,
            caller,
            plan,
        }) = self.plan_call(&config, auth, rule, &decoded).await
        else {
            return skip("not_translatable", &hash);
        };
        if plan.is_write() {
            return skip("write", &hash);
        }
        if !self.shadow_budget.admit(rule) {
            return skip("budget", &hash);
        }
        let Ok(v2_json) = serde_json::from_slice::<serde_json::Value>(v2_body) else {
            return skip("error", &hash);
        };
        let mut portal = Portal::new(
            &self.client,
            &credentials,
            &config.rules,
            &self.memory,
            caller,
        );
        let answer = portal.answer_call(rule, plan, None).await;
        self.shadow_budget.spend(rule, portal.requests);
        let Ok(answer) = answer else {
            return skip("error", &hash);
        };
        let status = answer.status.as_u16();
        let body = answer.body.into_value();
        let mismatches = crate::shadow::compare(
            v2_status,
            &v2_json,
            status,
            &body,
            &crate::shadow::v2_only_keys(rule),
        );
        let mut paths: Vec<String> = mismatches
            .iter()
            .map(|m| crate::shadow::general_path(&m.path))
            .collect();
        paths.dedup();
        metrics.shadow_compared(method, &paths);
        if let Some(log) = &self.diff_log {
            log.write(&crate::shadow::Record {
                method,
                params_hash: &hash,
                outcome: if mismatches.is_empty() {
                    "match"
                } else {
                    "mismatch"
                },
                reason: None,
                v3_requests: Some(portal.requests),
                mismatches: &mismatches,
            });
        }
    }

    async fn fall_back(
        &self,
        rule: &MethodRule,
        parts: http::request::Parts,
        bytes: Bytes,
        peer: SocketAddr,
        reason: String,
    ) -> Outcome {
        let (result, upstream_requests) = match rule.fallback {
            Fallback::V2 => (
                forward::forward_buffered(&self.client, parts, bytes, peer).await,
                1,
            ),
            Fallback::Error => (Err(BridgeError::Unexpressible(reason.clone())), 0),
        };
        Outcome {
            served: Served::FellBack,
            result,
            reason: Some(reason),
            upstream_requests,
        }
    }

    /// The admin listener: `/metrics` (Prometheus text), `/healthz`, `/readyz`.
    pub async fn admin(self: Arc<Self>, request: Request<Incoming>) -> Response<Body> {
        if request.method() != Method::GET {
            return answers::status(StatusCode::METHOD_NOT_ALLOWED, "GET only");
        }
        match request.uri().path() {
            "/metrics" => {
                let mut response = Response::new(crate::body::full(self.client.metrics().render()));
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    ),
                );
                response
            }
            "/healthz" => answers::status(StatusCode::OK, "ok"),
            "/readyz" => self.readiness().await,
            _ => answers::status(StatusCode::NOT_FOUND, "/metrics, /healthz or /readyz"),
        }
    }

    /// Ready when not draining and the portal accepts a TCP connection.
    async fn readiness(&self) -> Response<Body> {
        if self.is_draining() {
            return answers::status(StatusCode::SERVICE_UNAVAILABLE, "draining");
        }
        let (host, port) = self.client.upstream().host_port();
        let connect = tokio::net::TcpStream::connect((host.as_str(), port));
        match tokio::time::timeout(READINESS_CONNECT_TIMEOUT, connect).await {
            Ok(Ok(_)) => answers::status(StatusCode::OK, "ready"),
            Ok(Err(_)) | Err(_) => {
                answers::status(StatusCode::SERVICE_UNAVAILABLE, "upstream unreachable")
            }
        }
    }
}

/// The credentials a call reaches the portal with; `None` for an OAuth call without a
/// token, which only v2 can answer (with its own error).
fn credentials(auth: &V2Auth, token: Option<&str>) -> Option<Credentials> {
    match auth {
        V2Auth::Webhook { user_id, code } => Some(Credentials::Webhook(Webhook {
            user_id: *user_id,
            code: code.clone(),
        })),
        V2Auth::OAuth => token.map(|t| Credentials::OAuth(t.to_owned())),
    }
}

/// The response for an answer the executor made: a value written as v2 writes JSON, or
/// the bytes the renderer wrote already.
fn translated_response(answer: crate::execute::V2Answer, style: JsonStyle) -> Response<Body> {
    crate::body::json_response(answer.status, answer.body.into_bytes(style))
}
