//! Runs a v2 batch over translated and pass-through methods with as few upstream requests
//! as correctness allows.
//!
//! Commands run in `cmd` order. Consecutive pass-through commands go to v2 together as one
//! v2 batch; consecutive translated reads with no reference between them go to REST 3.0
//! together as one v3 batch; a translated write runs alone (with its `Idempotency-Key`).
//! A group is sent before any command that refers to one of its results.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{assemble, referenced_keys, substitute, Batch, Command, Outcome};
use crate::answers;
use crate::clock;
use crate::decode::value::php_query;
use crate::error::BridgeError;
use crate::execute::{first_request, Executor, V2Answer};
use crate::identity;
use crate::route::Format;
use crate::rules::{Converter, MethodRoute, MethodRule, RuleSet};
use crate::translate::{self, render, Context, Plan};
use crate::upstream::{self, Credentials, PortalReply, UpstreamClient};

/// Who runs the batch, and where its parts go.
pub struct BatchContext<'a> {
    pub client: &'a UpstreamClient,
    pub rules: &'a RuleSet,
    pub credentials: &'a Credentials,
    pub caller: Option<u64>,
    pub request_id: Option<&'a str>,
}

/// The answer and what it cost.
pub struct BatchRun {
    pub answer: V2Answer,
    pub upstream_requests: usize,
}

struct PendingV3 {
    command: Command,
    rule: Arc<MethodRule>,
    plan: Plan,
    /// Its plan refers to earlier calls of the same v3 batch through `$ref`.
    chained: bool,
}

struct Runner<'a> {
    ctx: &'a BatchContext<'a>,
    halt: bool,
    results: HashMap<String, Value>,
    outcomes: Vec<(String, Outcome)>,
    pending_v2: Vec<Command>,
    pending_v3: Vec<PendingV3>,
    stopped: bool,
    times: Vec<Value>,
    requests: usize,
    /// An answer that replaces the whole batch (the portal refused the batch itself).
    whole: Option<V2Answer>,
    /// Whether something that may have changed data has run: a translated write the portal
    /// accepted, or a pass-through group (its methods are unknown to the bridge).
    committed: bool,
    /// Whether the portal has accepted any request of this batch: from then on every
    /// further request is the bridge's own making, and its rate limit is waited out
    /// (clients give up after a few 503s for what was one request to them).
    accepted: bool,
}

/// The portal's rate limit: v2 answers it for a request as a whole, never per command.
fn is_rate_limited(answer: &V2Answer) -> bool {
    upstream::is_rate_limited(answer.status.as_u16(), &answer.body)
}

/// Runs `batch`; `None` when it has no translated command and should go to v2 untouched.
pub async fn run(ctx: &BatchContext<'_>, batch: Batch) -> Result<Option<BatchRun>, BridgeError> {
    let any_translated = batch.commands.iter().any(|c| {
        c.format == Format::Json
            && matches!(
                ctx.rules.route(&c.method),
                Some(MethodRoute::V3(_) | MethodRoute::Deny)
            )
    });
    if !any_translated {
        return Ok(None);
    }
    let started = SystemTime::now();
    let mut runner = Runner {
        ctx,
        halt: batch.halt,
        results: HashMap::new(),
        outcomes: Vec::new(),
        pending_v2: Vec::new(),
        pending_v3: Vec::new(),
        stopped: false,
        times: Vec::new(),
        requests: 0,
        whole: None,
        committed: false,
        accepted: false,
    };
    for command in batch.commands {
        if runner.stopped {
            break;
        }
        runner.add(command).await?;
    }
    runner.flush_v3().await?;
    runner.flush_v2().await?;
    let answer = match runner.whole.take() {
        Some(answer) => answer,
        None => {
            let time = match render::merge_times(&runner.times) {
                Value::Null => {
                    let offset = ctx
                        .rules
                        .utc_offset
                        .or_else(|| ctx.client.portal_utc_offset())
                        .unwrap_or(0);
                    clock::time_block_at(started, SystemTime::now(), i64::from(offset))
                }
                t => t,
            };
            let mut body = Map::new();
            body.insert(
                "result".into(),
                assemble(std::mem::take(&mut runner.outcomes)),
            );
            body.insert("time".into(), time);
            V2Answer {
                status: StatusCode::OK,
                body: Value::Object(body),
            }
        }
    };
    Ok(Some(BatchRun {
        answer,
        upstream_requests: runner.requests,
    }))
}

impl Runner<'_> {
    /// Resolves the references to results the bridge already holds; true when any was.
    fn substitute_known(&self, params: &mut Map<String, Value>) -> bool {
        let results = &self.results;
        substitute(params, &|key: &str| results.get(key).cloned())
    }

    async fn add(&mut self, mut command: Command) -> Result<(), BridgeError> {
        let refs = referenced_keys(&command.params);
        let rule = match self.ctx.rules.route(&command.method) {
            Some(MethodRoute::V3(rule)) if command.format == Format::Json => Some(rule.clone()),
            Some(MethodRoute::Deny) => {
                self.flush_all().await?;
                let error = answers::error_of(&BridgeError::Denied(command.method.clone()));
                self.record(command.key, Outcome::Failure { error });
                return Ok(());
            }
            _ => None,
        };
        let Some(rule) = rule else {
            return self.add_v2(command).await;
        };
        if refs
            .iter()
            .any(|k| self.pending_v2.iter().any(|c| &c.key == k))
        {
            self.flush_v2().await?;
        }
        if refs
            .iter()
            .any(|k| self.pending_v3.iter().any(|p| &p.command.key == k))
        {
            // A read that takes a value from an earlier read of the pending group (a keyset
            // chain such as b24pysdk's as_list_fast) rides in the same v3 batch with `$ref`.
            if let Some(plan) = self.plan_chained(&rule, &command) {
                self.pending_v3.push(PendingV3 {
                    command,
                    rule,
                    plan,
                    chained: true,
                });
                return Ok(());
            }
            self.flush_v3().await?;
        }
        if self.stopped {
            return Ok(());
        }
        let mut params = command.params.clone();
        self.substitute_known(&mut params);
        let ctx = Context::for_rules(self.ctx.rules, self.ctx.caller);
        match translate::plan(&rule, &params, ctx) {
            Err(why) => {
                tracing::debug!(method = %command.method, reason = %why.0, "batch command falls back to v2");
                self.add_v2(command).await
            }
            Ok(plan) => {
                command.params = params;
                self.flush_v2().await?;
                if self.stopped {
                    return Ok(());
                }
                if plan.is_write() || matches!(plan, Plan::Refuse(_)) {
                    self.flush_v3().await?;
                    if !self.stopped {
                        self.run_one(PendingV3 {
                            command,
                            rule,
                            plan,
                            chained: false,
                        })
                        .await?;
                    }
                } else {
                    self.pending_v3.push(PendingV3 {
                        command,
                        rule,
                        plan,
                        chained: false,
                    });
                }
                Ok(())
            }
        }
    }

    /// Plans a read whose references into the pending v3 group become `$ref`s; `None` when
    /// one of them cannot (a path the v3 answer does not have, a reference inside a text,
    /// a write).
    fn plan_chained(&self, rule: &MethodRule, command: &Command) -> Option<Plan> {
        // Stand-in integers go through planning like real values, then become `$ref`s.
        const SENTINEL_BASE: i64 = 8_000_000_000_000_000;
        let mut params = command.params.clone();
        self.substitute_known(&mut params);
        let pending = &self.pending_v3;
        let mut refs: Vec<String> = Vec::new();
        let unmapped = std::cell::Cell::new(false);
        replace_whole_references(&mut params, &mut |r: &super::Reference| {
            let Some(index) = pending.iter().position(|p| p.command.key == r.key) else {
                unmapped.set(true);
                return None;
            };
            let Some(path) = v3_path(&pending[index].rule, &r.path) else {
                unmapped.set(true);
                return None;
            };
            refs.push(format!("{}.{path}", alias(index)));
            Some(Value::from(SENTINEL_BASE + refs.len() as i64 - 1))
        });
        if unmapped.get() || refs.is_empty() || !referenced_keys(&params).is_empty() {
            return None;
        }
        let ctx = Context::for_rules(self.ctx.rules, self.ctx.caller);
        let mut plan = translate::plan(rule, &params, ctx).ok()?;
        if plan.is_write() {
            return None;
        }
        let mut found = 0;
        replace_sentinels(plan.first_request_mut()?, &mut |n| {
            let i = n
                .checked_sub(SENTINEL_BASE)
                .and_then(|i| usize::try_from(i).ok())?;
            let path = refs.get(i)?;
            found += 1;
            Some(json!({ "$ref": path }))
        });
        (found == refs.len()).then_some(plan)
    }

    async fn add_v2(&mut self, mut command: Command) -> Result<(), BridgeError> {
        self.flush_v3().await?;
        if self.stopped {
            return Ok(());
        }
        // References to results the bridge already holds are resolved here; the rest are
        // left for v2, which resolves them within its own batch.
        let mut params = command.params.clone();
        if self.substitute_known(&mut params) {
            let method = command
                .raw
                .split('?')
                .next()
                .unwrap_or(&command.method)
                .to_owned();
            command.raw = format!("{method}?{}", php_query(&params));
            command.params = params;
        }
        self.pending_v2.push(command);
        Ok(())
    }

    async fn flush_all(&mut self) -> Result<(), BridgeError> {
        self.flush_v3().await?;
        self.flush_v2().await
    }

    fn record(&mut self, key: String, outcome: Outcome) {
        match &outcome {
            Outcome::Success { result, .. } => {
                self.results.insert(key.clone(), result.clone());
            }
            Outcome::Failure { .. } if self.halt => self.stopped = true,
            Outcome::Failure { .. } => {}
        }
        self.outcomes.push((key, outcome));
    }

    /// Sends the pending pass-through commands as one v2 batch.
    async fn flush_v2(&mut self) -> Result<(), BridgeError> {
        if self.pending_v2.is_empty() || self.whole.is_some() {
            self.pending_v2.clear();
            return Ok(());
        }
        let commands = std::mem::take(&mut self.pending_v2);
        let cmd: Map<String, Value> = commands
            .iter()
            .map(|c| (c.key.clone(), Value::String(c.raw.clone())))
            .collect();
        let mut body = Map::new();
        body.insert("halt".into(), Value::from(u8::from(self.halt)));
        body.insert("cmd".into(), Value::Object(cmd));
        let request = self.ctx.credentials.v2_call("batch", body);
        // Once something in this batch has changed data, a rate limit is waited out here:
        // answering 503 would make the client repeat what already ran.
        let (reply, sent) = self
            .ctx
            .client
            .post_json_patiently(&request, self.patient())
            .await?;
        self.requests += sent;
        if !reply.is_rate_limited() {
            self.accepted = true;
        }
        let Some(batch) = reply.body.get("result").filter(|_| reply.status == 200) else {
            // The portal refused the batch as a whole (auth, rate limit): so does the bridge.
            self.whole = Some(V2Answer {
                status: StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY),
                body: reply.body,
            });
            self.stopped = true;
            return Ok(());
        };
        self.committed = true;
        if let Some(t) = reply.time() {
            self.times.push(t.clone());
        }
        let part = |name: &str, key: &str| -> Option<Value> {
            let map = batch.get(name)?;
            match map {
                Value::Object(m) => m.get(key).cloned(),
                Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)).cloned(),
                _ => None,
            }
        };
        for command in commands {
            let key = command.key;
            if let Some(error) = part("result_error", &key) {
                self.record(key, Outcome::Failure { error });
            } else if let Some(result) = part("result", &key) {
                let outcome = Outcome::Success {
                    result,
                    total: part("result_total", &key),
                    next: part("result_next", &key),
                    time: part("result_time", &key).unwrap_or(Value::Null),
                };
                self.record(key, outcome);
            } else {
                // v2 halted before this command.
                self.stopped = true;
            }
            if self.stopped {
                break;
            }
        }
        Ok(())
    }

    /// Sends the pending translated reads: alone, or together as one v3 batch.
    async fn flush_v3(&mut self) -> Result<(), BridgeError> {
        let pending = std::mem::take(&mut self.pending_v3);
        if pending.is_empty() || self.whole.is_some() {
            return Ok(());
        }
        if pending.len() == 1 {
            for p in pending {
                self.run_one(p).await?;
            }
            return Ok(());
        }
        let elements: Vec<Value> = pending
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let (method, query) = first_request(&p.rule, &p.plan)?;
                Some(json!({"method": method, "query": query, "as": alias(i)}))
            })
            .collect();
        let request = self.ctx.credentials.v3_batch(elements);
        // Once something in this batch has changed data, a rate limit is waited out here:
        // answering 503 would make the client repeat what already ran.
        let (reply, sent) = self
            .ctx
            .client
            .post_json_patiently(&request, self.patient())
            .await?;
        self.requests += sent;
        if !reply.is_rate_limited() {
            self.accepted = true;
        }
        let results = reply
            .body
            .get("result")
            .and_then(Value::as_array)
            .filter(|r| reply.status == 200 && r.len() == pending.len())
            .cloned();
        let Some(results) = results else {
            if reply.is_rate_limited() {
                // Refused before anything ran: v2 refuses the whole request the same way.
                self.record_answer(
                    pending[0].command.key.clone(),
                    V2Answer {
                        status: StatusCode::SERVICE_UNAVAILABLE,
                        body: reply.body,
                    },
                );
                return Ok(());
            }
            if pending.len() > 1 && pending.iter().any(|p| p.chained) {
                // A keyset chain usually fails because it ran past the data, so that a
                // `$ref` names a row that is not there: the first half likely succeeds.
                // The second half is planned again from what the bridge then knows.
                tracing::debug!("v3 batch with a chain failed; trying its first half");
                let mut first = pending;
                let second = first.split_off(first.len() / 2);
                self.pending_v3 = first;
                Box::pin(self.flush_v3()).await?;
                for p in second {
                    if self.stopped {
                        break;
                    }
                    Box::pin(self.add(p.command)).await?;
                }
                return Ok(());
            }
            // A v3 batch fails as a whole; run the commands one by one so each gets its own
            // outcome, as in v2.
            tracing::debug!(
                status = reply.status,
                "v3 batch failed; running its commands one by one"
            );
            for p in pending {
                if self.stopped {
                    break;
                }
                if p.chained {
                    // Its `$ref`s only work inside the batch: plan it again from the
                    // results the bridge holds now, or let v2 answer it.
                    self.replan_alone(p).await?;
                } else {
                    self.run_one(p).await?;
                }
            }
            return Ok(());
        };
        let time = reply.time().cloned().unwrap_or(Value::Null);
        if !time.is_null() {
            self.times.push(time.clone());
        }
        for (mut p, result) in pending.into_iter().zip(results.iter().cloned()) {
            if self.stopped {
                break;
            }
            if p.chained {
                // Follow-up requests (counting a full page) go alone: give them the values
                // the `$ref`s stood for.
                if let Some(request) = p.plan.first_request_mut() {
                    resolve_refs(request, &results);
                }
            }
            let share = PortalReply {
                status: 200,
                body: json!({"result": result, "time": time}),
            };
            let mut executor = Executor::new(
                self.ctx.client,
                self.ctx.credentials,
                self.ctx.rules,
                &p.rule,
                self.ctx.caller,
                None,
            )
            .patient(self.patient());
            executor.note_time(&time);
            let answer = executor.finish(p.plan, share).await?;
            self.requests += executor.requests;
            self.record_answer(p.command.key, answer);
        }
        Ok(())
    }

    async fn run_one(&mut self, p: PendingV3) -> Result<(), BridgeError> {
        let key = p.plan.is_write().then(|| {
            identity::idempotency_key(
                self.ctx.credentials,
                &format!("{}#{}", p.command.method, p.command.key),
                self.ctx.request_id,
            )
        });
        let mut executor = Executor::new(
            self.ctx.client,
            self.ctx.credentials,
            self.ctx.rules,
            &p.rule,
            self.ctx.caller,
            key,
        )
        .patient(self.patient());
        let write = p.plan.is_write();
        let answer = executor.run(p.plan).await?;
        // A write refused at its first request did not run; any other outcome may have
        // changed data (e.g. the write ran and only the re-read was refused).
        let refused_at_once = executor.requests == 1 && is_rate_limited(&answer);
        if write && !refused_at_once {
            self.committed = true;
        }
        if !refused_at_once && executor.requests > 0 {
            self.accepted = true;
        }
        self.requests += executor.requests;
        if let Some(t) = answer.body.get("time") {
            self.times.push(t.clone());
        }
        self.record_answer(p.command.key, answer);
        Ok(())
    }

    async fn replan_alone(&mut self, p: PendingV3) -> Result<(), BridgeError> {
        let mut params = p.command.params.clone();
        self.substitute_known(&mut params);
        let ctx = Context::for_rules(self.ctx.rules, self.ctx.caller);
        match translate::plan(&p.rule, &params, ctx) {
            Ok(plan) => {
                self.run_one(PendingV3 {
                    plan,
                    chained: false,
                    ..p
                })
                .await
            }
            Err(_) => {
                self.pending_v2.push(p.command);
                self.flush_v2().await
            }
        }
    }

    /// Whether rate limits are waited out rather than answered.
    fn patient(&self) -> bool {
        self.committed || self.accepted
    }

    fn record_answer(&mut self, key: String, answer: V2Answer) {
        if is_rate_limited(&answer) && !self.committed {
            // v2 refuses a batch over the rate limit as a whole, with HTTP 503, and clients
            // retry it; a per-command QUERY_LIMIT_EXCEEDED inside a 200 is never seen there
            // (fast_bitrix24 raises on it, b24pysdk drops the page). Nothing has changed data
            // yet, so the whole batch can be run again.
            self.whole = Some(answer);
            self.stopped = true;
            return;
        }
        let body = answer.body;
        let outcome = if answer.status == StatusCode::OK && body.get("result").is_some() {
            Outcome::Success {
                result: body.get("result").cloned().unwrap_or(Value::Null),
                total: body.get("total").cloned(),
                next: body.get("next").cloned(),
                time: body.get("time").cloned().unwrap_or(Value::Null),
            }
        } else {
            Outcome::Failure {
                error: answers::command_error(&body),
            }
        };
        self.record(key, outcome);
    }
}

/// The name of the `index`-th call of a v3 batch, for `$ref`.
fn alias(index: usize) -> String {
    format!("c{index}")
}

/// A v2 result path (`[tasks][49][id]`) as a path into the v3 answer (`49.id`): the wrap
/// key dropped, list indexes kept, the last key mapped to its v3 field. Only plain values
/// (ids, numbers, texts) are mapped: their v2 and v3 forms mean the same.
fn v3_path(rule: &MethodRule, v2_path: &[String]) -> Option<String> {
    let mut segs: Vec<&str> = v2_path.iter().map(String::as_str).collect();
    if let Some(wrap) = &rule.wrap {
        if segs.first() != Some(&wrap.as_str()) {
            return None;
        }
        segs.remove(0);
    }
    let last = segs.pop()?;
    if !segs.iter().all(|s| s.parse::<usize>().is_ok()) {
        return None;
    }
    let field = rule.entity.fields.iter().find(|f| f.key == last)?;
    if !matches!(
        field.converter,
        Converter::IntString | Converter::Int | Converter::Text
    ) {
        return None;
    }
    segs.push(field.v3.as_deref()?);
    Some(segs.join("."))
}

/// Replaces strings that are exactly one reference with what `f` gives (when it gives).
fn replace_whole_references(
    params: &mut Map<String, Value>,
    f: &mut dyn FnMut(&super::Reference) -> Option<Value>,
) {
    fn walk(v: &mut Value, f: &mut dyn FnMut(&super::Reference) -> Option<Value>) {
        match v {
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, f)),
            Value::Object(m) => m.values_mut().for_each(|v| walk(v, f)),
            Value::String(s) => {
                let refs = super::references(s);
                if let [r] = refs.as_slice() {
                    if r.start == 0 && r.end == s.len() {
                        if let Some(new) = f(r) {
                            *v = new;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    params.values_mut().for_each(|v| walk(v, f));
}

/// Replaces integers that `f` recognises with what it gives.
fn replace_sentinels(request: &mut Map<String, Value>, f: &mut dyn FnMut(i64) -> Option<Value>) {
    fn walk(v: &mut Value, f: &mut dyn FnMut(i64) -> Option<Value>) {
        match v {
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, f)),
            Value::Object(m) => m.values_mut().for_each(|v| walk(v, f)),
            Value::Number(n) => {
                if let Some(new) = n.as_i64().and_then(&mut *f) {
                    *v = new;
                }
            }
            _ => {}
        }
    }
    request.values_mut().for_each(|v| walk(v, f));
}

/// Replaces `{"$ref": "cN.path"}` with the value it names in the batch's results.
fn resolve_refs(request: &mut Map<String, Value>, results: &[Value]) {
    fn lookup(path: &str, results: &[Value]) -> Option<Value> {
        let mut segs = path.split('.');
        let index: usize = segs.next()?.strip_prefix('c')?.parse().ok()?;
        let result = results.get(index)?;
        let mut v = result.get("item").or_else(|| result.get("items"))?;
        for seg in segs {
            v = match v {
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                Value::Object(m) => m.get(seg)?,
                _ => return None,
            };
        }
        Some(v.clone())
    }
    fn walk(v: &mut Value, results: &[Value]) {
        let reference = v
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.get("$ref"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(path) = reference {
            if let Some(found) = lookup(&path, results) {
                *v = found;
            }
            return;
        }
        match v {
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, results)),
            Value::Object(m) => m.values_mut().for_each(|v| walk(v, results)),
            _ => {}
        }
    }
    request.values_mut().for_each(|v| walk(v, results));
}
