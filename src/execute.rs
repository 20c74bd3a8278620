//! Runs a translated call: sends the planned REST 3.0 requests and assembles the v2 answer.
//!
//! This is the I/O edge of translation. Each step sends one v3 request, and everything
//! that decides what to send next or how to render an answer is a pure function of the
//! `translate` module.

use std::time::SystemTime;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use serde_json::{json, Map, Value};

use crate::body;
use crate::clock;
use crate::error::BridgeError;
use crate::route::V2Auth;
use crate::rules::{MethodRule, RuleSet, Total};
use crate::translate::errors::{self, V2Outcome};
use crate::translate::{self, render, select::Shape, Plan, Reread};
use crate::upstream::UpstreamClient;

/// The most a v3 answer may weigh; a v2 client never asked for more than this.
const MAX_V3_ANSWER_BYTES: usize = 64 * 1024 * 1024;
/// How long the bridge waits out the portal's rate limit on requests of its own making
/// (a re-read after a write, a counting request, a batch after a write). A v2 client never
/// sent those, so it cannot retry them; and a write has already changed data.
pub const RATE_LIMIT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// The portal's leaky-bucket refusal (`503 QUERY_LIMIT_EXCEEDED`), flat or nested.
pub fn is_rate_limited(status: u16, body: &Value) -> bool {
    let code = body
        .get("error")
        .and_then(|e| e.as_str().or_else(|| e.get("code").and_then(Value::as_str)));
    status == 503 && code == Some("QUERY_LIMIT_EXCEEDED")
}

/// POSTs like [`post_json`]; when `patient`, waits out rate-limit refusals (backing off
/// from 0.5 s to 2 s) for up to [`RATE_LIMIT_PATIENCE`]. Returns the reply and the number
/// of requests sent.
pub async fn post_json_patiently(
    client: &UpstreamClient,
    path_and_query: &str,
    body: Bytes,
    key: Option<&str>,
    patient: bool,
) -> Result<(V3Reply, usize), BridgeError> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(500);
    let mut sent = 0;
    loop {
        sent += 1;
        let reply = post_json(client, path_and_query, body.clone(), key).await?;
        if !(patient && is_rate_limited(reply.status, &reply.body))
            || started.elapsed() + pause > RATE_LIMIT_PATIENCE
        {
            return Ok((reply, sent));
        }
        tracing::debug!(path = %crate::redact::redact_path(path_and_query), "rate-limited on a request of the bridge's own; waiting");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(2));
    }
}

/// Counting never runs away on a portal that keeps answering full pages.
const MAX_COUNT_REQUESTS: usize = 10_000;

/// Where REST 3.0 calls of one client go, and with which credentials.
#[derive(Clone)]
pub struct V3Target {
    /// `/rest/api/{user_id}/{code}/` or `/rest/api/`.
    pub prefix: String,
    /// The OAuth token, sent in the JSON body.
    pub token: Option<String>,
}

impl V3Target {
    pub fn new(auth: &V2Auth, token: Option<&str>) -> Self {
        match auth {
            V2Auth::Webhook { user_id, code } => V3Target {
                prefix: format!("/rest/api/{user_id}/{code}/"),
                token: None,
            },
            V2Auth::OAuth => V3Target {
                prefix: "/rest/api/".into(),
                token: token.map(str::to_owned),
            },
        }
    }
}

/// A v2 answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Answer {
    pub status: StatusCode,
    pub body: Value,
}

/// One v3 answer as received.
#[derive(Debug, Clone)]
pub struct V3Reply {
    pub status: u16,
    pub body: Value,
}

/// The first v3 request of a plan: (v3 method, body).
pub fn first_request(rule: &MethodRule, plan: &Plan) -> (String, Map<String, Value>) {
    let body = match plan {
        Plan::List { request, start, .. } => {
            translate::page_request(request, *start, rule.page_size)
        }
        other => other.first_request().clone(),
    };
    (rule.v3_method.clone(), body)
}

impl V3Reply {
    fn is_success(&self) -> bool {
        self.status == 200 && self.body.get("result").is_some() && self.body.get("error").is_none()
    }

    fn result(&self, key: &str) -> Option<&Value> {
        self.body.get("result").and_then(|r| r.get(key))
    }
}

/// Sends the requests of one translated call.
pub struct Executor<'a> {
    client: &'a UpstreamClient,
    target: &'a V3Target,
    rules: &'a RuleSet,
    rule: &'a MethodRule,
    caller: Option<u64>,
    idempotency_key: Option<String>,
    started: SystemTime,
    times: Vec<Value>,
    /// Number of upstream requests sent, for logs and the benchmark.
    pub requests: usize,
    /// Wait out rate limits on every request, not only after the first success (set
    /// when an earlier part of the same v2 call has already changed data).
    patient: bool,
    /// Successful upstream answers so far: after one, every further request is the
    /// bridge's own and is waited out when rate-limited.
    succeeded: usize,
}

impl V3Reply {
    /// The rows of a list answer (`result.items`).
    pub fn items(&self) -> &[Value] {
        self.result("items")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The `time` block of the answer, if any.
    pub fn time(&self) -> Option<&Value> {
        self.body.get("time")
    }
}

impl<'a> Executor<'a> {
    pub fn new(
        client: &'a UpstreamClient,
        target: &'a V3Target,
        rules: &'a RuleSet,
        rule: &'a MethodRule,
        caller: Option<u64>,
        idempotency_key: Option<String>,
    ) -> Self {
        Executor {
            client,
            target,
            rules,
            rule,
            caller,
            idempotency_key,
            started: SystemTime::now(),
            times: Vec::new(),
            requests: 0,
            patient: false,
            succeeded: 0,
        }
    }

    /// Waits out rate limits from the first request on (see [`RATE_LIMIT_PATIENCE`]).
    pub fn patient(mut self, patient: bool) -> Self {
        self.patient = patient;
        self
    }

    /// Runs the plan to its v2 answer.
    pub async fn run(&mut self, plan: Plan) -> Result<V2Answer, BridgeError> {
        let (method, request) = first_request(self.rule, &plan);
        let reply = self.call(&method, request, plan.is_write()).await?;
        self.finish(plan, reply).await
    }

    /// Completes a plan from the answer to its first request (sent alone or in a v3 batch).
    pub async fn finish(&mut self, plan: Plan, reply: V3Reply) -> Result<V2Answer, BridgeError> {
        if !reply.is_success() {
            return Ok(self.failure(&reply));
        }
        match plan {
            Plan::Get { shape, .. } => Ok(self.single(&reply, &shape)),
            Plan::List {
                request,
                shape,
                start,
            } => self.list(&request, &reply, &shape, start).await,
            Plan::Add { reread, .. } => {
                let id = reply.result("item").and_then(|i| i.get("id")).cloned();
                self.after_write(&reply, id, reread).await
            }
            Plan::Update { id, reread, .. } => {
                self.after_write(&reply, Some(Value::from(id)), reread)
                    .await
            }
            Plan::Delete { .. } => {
                let result = self.rule.success.clone().unwrap_or(Value::Bool(true));
                Ok(self.success(result, None, None))
            }
        }
    }

    /// Records the `time` of a reply received outside [`Executor::call`] (a v3 batch).
    pub fn note_time(&mut self, time: &Value) {
        self.times.push(time.clone());
    }

    async fn after_write(
        &mut self,
        reply: &V3Reply,
        id: Option<Value>,
        reread: Option<Reread>,
    ) -> Result<V2Answer, BridgeError> {
        let (Some(reread), Some(id)) = (reread, id) else {
            let item = reply.result("item").cloned().unwrap_or(Value::Bool(true));
            return Ok(self.success(render::wrap(self.rule.wrap.as_deref(), item), None, None));
        };
        let id_key = self
            .rule
            .id_param
            .as_ref()
            .map(|p| p.v3.clone())
            .unwrap_or_else(|| "id".into());
        let mut request = Map::new();
        request.insert(id_key, id);
        request.insert("select".into(), json!(reread.select));
        let got = self.call(&reread.method, request, false).await?;
        if !got.is_success() {
            return Ok(self.failure(&got));
        }
        Ok(self.single(&got, &reread.shape))
    }

    fn single(&self, reply: &V3Reply, shape: &Shape) -> V2Answer {
        let empty = Map::new();
        let item = reply
            .result("item")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let entity = render::entity(&self.rule.entity, shape, item, self.caller);
        self.success(render::wrap(self.rule.wrap.as_deref(), entity), None, None)
    }

    async fn list(
        &mut self,
        request: &Map<String, Value>,
        reply: &V3Reply,
        shape: &Shape,
        start: Option<u64>,
    ) -> Result<V2Answer, BridgeError> {
        if !self.rule.paged {
            return self.list_all(request, reply, shape).await;
        }
        let page = self.rule.page_size as u64;
        let method = self.rule.v3_method.clone();
        let items = reply.items();
        let has_more = items.len() as u64 > page;
        let result = self.rows(&items[..items.len().min(page as usize)], shape);
        let Some(start) = start else {
            return Ok(self.success(result, None, Some(0)));
        };
        let next = has_more.then_some(start + page);
        let total = match self.rule.total {
            Total::None => 0,
            Total::Exact if !has_more && (!items.is_empty() || start == 0) => {
                start + items.len() as u64
            }
            Total::Exact => {
                // Count what lies beyond the page (or everything, for a page past the end).
                let mut counted = if has_more { start + page + 1 } else { 0 };
                let mut offset = counted;
                let step = self.rule.count_page_size as u64;
                for _ in 0..MAX_COUNT_REQUESTS {
                    let r = translate::count_request(request, offset, self.rule.count_page_size);
                    let reply = self.call(&method, r, false).await?;
                    if !reply.is_success() {
                        return Ok(self.failure(&reply));
                    }
                    let n = reply.items().len() as u64;
                    counted += n;
                    offset += n;
                    if n < step {
                        break;
                    }
                }
                counted
            }
        };
        Ok(self.success(result, next, Some(total)))
    }

    /// A method whose v2 form answers every row: read pages until a short one.
    async fn list_all(
        &mut self,
        request: &Map<String, Value>,
        first: &V3Reply,
        shape: &Shape,
    ) -> Result<V2Answer, BridgeError> {
        let step = self.rule.count_page_size;
        let method = self.rule.v3_method.clone();
        let mut items: Vec<Value> = first.items().to_vec();
        let mut last = items.len();
        while last == step && items.len() < step * MAX_COUNT_REQUESTS {
            let r = translate::count_request_keeping_select(request, items.len() as u64, step);
            let reply = self.call(&method, r, false).await?;
            if !reply.is_success() {
                return Ok(self.failure(&reply));
            }
            let page = reply.items().to_vec();
            last = page.len();
            items.extend(page);
        }
        Ok(self.success(self.rows(&items, shape), None, None))
    }

    /// v3 items as the v2 list result (wrapped as the rule says).
    fn rows(&self, items: &[Value], shape: &Shape) -> Value {
        let empty = Map::new();
        let rows = items
            .iter()
            .map(|item| {
                render::entity(
                    &self.rule.entity,
                    shape,
                    item.as_object().unwrap_or(&empty),
                    self.caller,
                )
            })
            .collect();
        render::wrap(self.rule.wrap.as_deref(), Value::Array(rows))
    }

    fn time(&self) -> Value {
        match render::merge_times(&self.times) {
            Value::Null => clock::time_block(self.started, SystemTime::now()),
            t => t,
        }
    }

    fn success(&self, result: Value, next: Option<u64>, total: Option<u64>) -> V2Answer {
        V2Answer {
            status: StatusCode::OK,
            body: render::envelope(result, next, total, self.time()),
        }
    }

    fn failure(&self, reply: &V3Reply) -> V2Answer {
        match errors::map(
            reply.status,
            &reply.body,
            &self.rule.errors,
            &self.rules.errors,
        ) {
            V2Outcome::EmptyResult => V2Answer {
                status: StatusCode::OK,
                body: render::envelope(Value::Array(Vec::new()), None, None, self.time()),
            },
            V2Outcome::AsIs { status, body } => V2Answer {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                body,
            },
            V2Outcome::Error {
                status,
                code,
                description,
            } => {
                if status >= 500 {
                    tracing::error!(v3_code = %code, "the portal rejected a request the bridge built; this is a bridge bug");
                }
                V2Answer {
                    status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                    body: json!({"error": code, "error_description": description}),
                }
            }
        }
    }

    /// Sends one v3 request. Writes carry the call's `Idempotency-Key` and are retried
    /// once when the answer was lost, which the key makes safe.
    async fn call(
        &mut self,
        method: &str,
        mut request: Map<String, Value>,
        write: bool,
    ) -> Result<V3Reply, BridgeError> {
        if let Some(token) = &self.target.token {
            request.insert("auth".into(), Value::String(token.clone()));
        }
        let bytes = Bytes::from(serde_json::to_vec(&Value::Object(request)).unwrap_or_default());
        let key = if write {
            self.idempotency_key.clone()
        } else {
            None
        };
        let attempts = if write && key.is_some() { 2 } else { 1 };
        let mut last_error = None;
        let patient = self.patient || self.succeeded > 0;
        let path = format!("{}{}", self.target.prefix, method);
        for _ in 0..attempts {
            match post_json_patiently(self.client, &path, bytes.clone(), key.as_deref(), patient)
                .await
            {
                Ok((reply, sent)) => {
                    self.requests += sent;
                    if let Some(t) = reply.body.get("time") {
                        self.times.push(t.clone());
                    }
                    if reply.is_success() {
                        self.succeeded += 1;
                    }
                    return Ok(reply);
                }
                Err(
                    e @ (BridgeError::UpstreamTimeout(_)
                    | BridgeError::UpstreamProtocol(_)
                    | BridgeError::UpstreamConnect(_)),
                ) => {
                    self.requests += 1;
                    tracing::warn!(error = %e, method, "v3 request failed");
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error
            .unwrap_or_else(|| BridgeError::UpstreamProtocol("no attempt was made".into())))
    }
}

/// POSTs a JSON body to a path on the portal and reads the JSON answer.
pub async fn post_json(
    client: &UpstreamClient,
    path_and_query: &str,
    body: Bytes,
    key: Option<&str>,
) -> Result<V3Reply, BridgeError> {
    let uri = client
        .upstream()
        .uri_for(path_and_query)
        .map_err(|e| BridgeError::UpstreamProtocol(e.to_string()))?;
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .header(
            header::USER_AGENT,
            concat!("b24bridge/", env!("CARGO_PKG_VERSION")),
        );
    if let Some(key) = key.and_then(|k| HeaderValue::from_str(k).ok()) {
        request = request.header("idempotency-key", key);
    }
    let request = request
        .body(body::full(body))
        .map_err(|e| BridgeError::UpstreamProtocol(e.to_string()))?;
    let response = client.send(request).await?;
    let status = response.status().as_u16();
    let bytes = Limited::new(response.into_body(), MAX_V3_ANSWER_BYTES)
        .collect()
        .await
        .map_err(|e| BridgeError::UpstreamProtocol(format!("reading the answer failed: {e}")))?
        .to_bytes();
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| {
        BridgeError::UpstreamProtocol(format!(
            "the portal answered HTTP {status} with a body that is not JSON"
        ))
    })?;
    Ok(V3Reply { status, body })
}
