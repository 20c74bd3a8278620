//! Runs a translated call: sends the planned REST 3.0 requests and assembles the v2 answer.
//!
//! This is the I/O edge of translation. Each step sends one v3 request, and everything
//! that decides what to send next or how to render an answer is a pure function of the
//! `translate` module.

use std::time::SystemTime;

use http::StatusCode;
use serde_json::{json, Map, Value};

use crate::clock;
use crate::error::BridgeError;
use crate::rules::{MethodRule, RuleSet, Total};
use crate::translate::errors::{self, V2Outcome};
use crate::translate::{self, render, select::Shape, Plan, Reread};
use crate::upstream::{Credentials, PortalReply, UpstreamClient};

/// Counting never runs away on a portal that keeps answering full pages.
const MAX_COUNT_REQUESTS: usize = 10_000;

/// A v2 answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Answer {
    pub status: StatusCode,
    pub body: Value,
}

/// The first v3 request of a plan: (v3 method, body); `None` when the plan asks nothing.
pub fn first_request(rule: &MethodRule, plan: &Plan) -> Option<(String, Map<String, Value>)> {
    let body = match plan {
        Plan::List { request, start, .. } => {
            translate::page_request(request, *start, rule.page_size)
        }
        other => other.first_request()?.clone(),
    };
    Some((rule.v3_method.clone(), body))
}

/// Sends the requests of one translated call.
pub struct Executor<'a> {
    client: &'a UpstreamClient,
    credentials: &'a Credentials,
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

impl<'a> Executor<'a> {
    pub fn new(
        client: &'a UpstreamClient,
        credentials: &'a Credentials,
        rules: &'a RuleSet,
        rule: &'a MethodRule,
        caller: Option<u64>,
        idempotency_key: Option<String>,
    ) -> Self {
        Executor {
            client,
            credentials,
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

    /// Waits out rate limits from the first request on (see
    /// [`crate::upstream::RATE_LIMIT_PATIENCE`]).
    pub fn patient(mut self, patient: bool) -> Self {
        self.patient = patient;
        self
    }

    /// Runs the plan to its v2 answer.
    pub async fn run(&mut self, plan: Plan) -> Result<V2Answer, BridgeError> {
        let Some((method, request)) = first_request(self.rule, &plan) else {
            return Ok(refusal(&plan));
        };
        let reply = self.call(&method, request, plan.is_write()).await?;
        self.finish(plan, reply).await
    }

    /// Completes a plan from the answer to its first request (sent alone or in a v3 batch).
    pub async fn finish(
        &mut self,
        plan: Plan,
        reply: PortalReply,
    ) -> Result<V2Answer, BridgeError> {
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
            Plan::Refuse(_) => Ok(refusal(&plan)),
        }
    }

    /// Records the `time` of a reply received outside [`Executor::call`] (a v3 batch).
    pub fn note_time(&mut self, time: &Value) {
        self.times.push(time.clone());
    }

    async fn after_write(
        &mut self,
        reply: &PortalReply,
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

    fn single(&self, reply: &PortalReply, shape: &Shape) -> V2Answer {
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
        reply: &PortalReply,
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
        first: &PortalReply,
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
            Value::Null => clock::time_block_at(
                self.started,
                SystemTime::now(),
                i64::from(self.utc_offset()),
            ),
            t => t,
        }
    }

    /// The portal's UTC offset for a `time` block the bridge makes itself: the rule's, or
    /// the one the portal's answers showed, or UTC.
    fn utc_offset(&self) -> i32 {
        self.rules
            .utc_offset
            .or_else(|| self.client.portal_utc_offset())
            .unwrap_or(0)
    }

    fn success(&self, result: Value, next: Option<u64>, total: Option<u64>) -> V2Answer {
        V2Answer {
            status: StatusCode::OK,
            body: render::envelope(result, next, total, self.time()),
        }
    }

    fn failure(&self, reply: &PortalReply) -> V2Answer {
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
                    body: crate::answers::v2_error(&code, &description),
                }
            }
        }
    }

    /// Sends one v3 request. Writes carry the call's `Idempotency-Key` and are retried
    /// once when the answer was lost, which the key makes safe.
    async fn call(
        &mut self,
        method: &str,
        request: Map<String, Value>,
        write: bool,
    ) -> Result<PortalReply, BridgeError> {
        let key = if write {
            self.idempotency_key.clone()
        } else {
            None
        };
        let attempts = if write && key.is_some() { 2 } else { 1 };
        let request = self
            .credentials
            .v3_call(method, request)
            .with_idempotency_key(key);
        let mut last_error = None;
        let patient = self.patient || self.succeeded > 0;
        for _ in 0..attempts {
            match self.client.post_json_patiently(&request, patient).await {
                Ok((reply, sent)) => {
                    self.requests += sent;
                    if let Some(t) = reply.time() {
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

/// The v2 error of a plan that refuses the call; v2 error answers carry no `time`.
fn refusal(plan: &Plan) -> V2Answer {
    match plan {
        Plan::Refuse(error) => V2Answer {
            status: StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
            body: crate::answers::v2_error(&error.code, &error.description),
        },
        _ => V2Answer {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: crate::answers::v2_error("INTERNAL_SERVER_ERROR", "Internal server error"),
        },
    }
}
