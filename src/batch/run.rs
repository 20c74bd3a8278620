//! Runs a v2 batch over translated and pass-through methods with as few portal requests
//! as correctness allows.
//!
//! Commands run in `cmd` order. Consecutive pass-through commands go to v2 together as one
//! v2 batch. Consecutive translated commands are answered together: every round of their
//! REST 3.0 calls is packed into REST 3.0 batches (`execute::Portal::send_groups`), reads
//! and writes with their re-reads alike, so fifty list pages, gets or adds cost about one
//! request. A group is sent before any command that refers to one of its results, unless
//! the reference can ride inside the REST 3.0 batch as a `$ref` (into a get's item, which
//! is certain to have the path). A keyset chain such as b24pysdk's `as_list_fast` thus
//! resolves page after page here, the pages coming from the first one's read-ahead; a
//! command that refers to a pending pass-through command joins its v2 batch. Writes of
//! an entity without a `list_method` rule, whose
//! effects the bridge could not check after a failed batch, run alone with their
//! `Idempotency-Key`.

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
use crate::execute::{touch_of, Group, Portal, Touch, V2Answer, V2Body};
use crate::identity;
use crate::memory::Memory;
use crate::route::Format;
use crate::rules::{Converter, MethodRoute, MethodRule, RuleSet, Total};
use crate::translate::answer::{Answer, Answering, CallReply, Reading};
use crate::translate::{self, render, Context, Plan};
use crate::upstream::{Credentials, UpstreamClient};

/// Who runs the batch, and where its parts go.
pub struct BatchContext<'a> {
    pub client: &'a UpstreamClient,
    pub rules: &'a RuleSet,
    pub credentials: &'a Credentials,
    pub memory: &'a Memory,
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
    /// Its plan refers to earlier commands of the same pack through `$ref`.
    chained: bool,
}

struct Runner<'a> {
    ctx: &'a BatchContext<'a>,
    portal: Portal<'a>,
    halt: bool,
    results: HashMap<String, Value>,
    outcomes: Vec<(String, Outcome)>,
    pending_v2: Vec<Command>,
    pending_v3: Vec<PendingV3>,
    stopped: bool,
    /// `time` blocks of v2 batches.
    times: Vec<Value>,
    /// Requests sent as v2 batches.
    v2_requests: usize,
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
        portal: Portal::new(
            ctx.client,
            ctx.credentials,
            ctx.rules,
            ctx.memory,
            ctx.caller,
        ),
        halt: batch.halt,
        results: HashMap::new(),
        outcomes: Vec::new(),
        pending_v2: Vec::new(),
        pending_v3: Vec::new(),
        stopped: false,
        times: Vec::new(),
        v2_requests: 0,
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
            let mut times = runner.times.clone();
            times.push(runner.portal.time());
            let time = match render::merge_times(&times) {
                Value::Null => {
                    let offset = runner.portal.utc_offset();
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
                body: V2Body::Value(Value::Object(body)),
            }
        }
    };
    Ok(Some(BatchRun {
        answer,
        upstream_requests: runner.portal.requests + runner.v2_requests,
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
            // It takes a value from a command v2 has yet to answer: it joins that v2
            // batch, where v2 resolves the reference itself, rather than costing a v2
            // request of its own now and a REST 3.0 one after.
            return self.add_v2(command).await;
        }
        if refs
            .iter()
            .any(|k| self.pending_v3.iter().any(|p| &p.command.key == k))
        {
            // A read that takes a value from an earlier read of the pending pack rides in
            // the same REST 3.0 batch with `$ref`.
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
        if !referenced_keys(&params).is_empty() {
            // A reference the bridge cannot resolve (a failed, missing or later command, a
            // path the result lacks): v2 decides what it means, so v2 answers it.
            tracing::debug!(method = %command.method, "batch command keeps an unresolved reference; v2 answers it");
            return self.add_v2(command).await;
        }
        let ctx = Context::for_rules(self.ctx.rules, self.ctx.caller);
        let plan = match translate::plan(&rule, &params, ctx) {
            Err(why) => {
                tracing::debug!(method = %command.method, reason = %why.0, "batch command falls back to v2");
                return self.add_v2(command).await;
            }
            Ok(plan) => plan,
        };
        command.params = params;
        self.flush_v2().await?;
        if self.stopped {
            return Ok(());
        }
        if plan.is_write() {
            let packable = rule.entity.list_method.is_some();
            // A write must not run before an earlier command has finished reading (a list
            // still counting would count it).
            let earlier_still_reading = self
                .pending_v3
                .iter()
                .any(|p| may_need_more_rounds(&p.rule, &p.plan));
            if !packable || earlier_still_reading {
                self.flush_v3().await?;
            }
            if !packable {
                if !self.stopped {
                    self.run_alone(command, rule, plan).await?;
                }
                return Ok(());
            }
        }
        self.pending_v3.push(PendingV3 {
            command,
            rule,
            plan,
            chained: false,
        });
        Ok(())
    }

    /// Plans a read whose references into the pending pack become `$ref`s; `None` when one
    /// of them cannot (a path the REST 3.0 answer does not have, a reference inside a text,
    /// a write, a page that counts).
    fn plan_chained(&self, rule: &MethodRule, command: &Command) -> Option<Plan> {
        // Stand-in integers go through planning like real values, then become `$ref`s.
        const SENTINEL_BASE: i64 = 8_000_000_000_000_000;
        let mut params = command.params.clone();
        self.substitute_known(&mut params);
        let pending = &self.pending_v3;
        if pending.len() >= self.ctx.rules.v3_batch_size {
            return None;
        }
        let mut refs: Vec<String> = Vec::new();
        let unmapped = std::cell::Cell::new(false);
        replace_whole_references(&mut params, &mut |r: &super::Reference| {
            let Some(index) = pending.iter().position(|p| p.command.key == r.key) else {
                unmapped.set(true);
                return None;
            };
            // Only a get's item is certain to have the path: a reference into a list row
            // (`[49][ID]` of a page that turns out shorter) would fail the whole REST 3.0
            // batch. Those are resolved here once the list is answered, and the pages
            // that follow usually come from its read-ahead.
            let single_call = matches!(pending[index].plan, Plan::Get { .. });
            let Some(path) = v3_path(&pending[index].rule, &r.path).filter(|_| single_call) else {
                unmapped.set(true);
                return None;
            };
            refs.push(format!("#{index}.{path}"));
            Some(Value::from(SENTINEL_BASE + refs.len() as i64 - 1))
        });
        if unmapped.get() || refs.is_empty() || !referenced_keys(&params).is_empty() {
            return None;
        }
        let ctx = Context::for_rules(self.ctx.rules, self.ctx.caller);
        let mut plan = translate::plan(rule, &params, ctx).ok()?;
        let single_round = match plan {
            Plan::Get { .. } => true,
            Plan::List { start: None, .. } => rule.paged,
            _ => false,
        };
        if !single_round {
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
            .post_json_patiently::<Value>(&request, self.patient(), self.portal.deadline())
            .await?;
        self.v2_requests += sent;
        if !reply.is_rate_limited() {
            self.accepted = true;
        }
        let Some(batch) = reply.body.get("result").filter(|_| reply.status == 200) else {
            // The portal refused the batch as a whole (auth, rate limit): so does the bridge.
            self.whole = Some(V2Answer {
                status: StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY),
                body: V2Body::Value(reply.body),
            });
            self.stopped = true;
            return Ok(());
        };
        // A passed-through method may have changed anything the bridge remembers.
        for (name, _) in self.ctx.rules.entities() {
            self.ctx.memory.forget(&name);
        }
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

    /// Answers the pending translated commands together: every round of their calls
    /// packed into REST 3.0 batches.
    async fn flush_v3(&mut self) -> Result<(), BridgeError> {
        let pending = std::mem::take(&mut self.pending_v3);
        if pending.is_empty() || self.whole.is_some() {
            return Ok(());
        }
        let chained = pending.iter().any(|p| p.chained);
        // A command a chain refers to reads exactly its page, so that the `$ref`s name the
        // rows they mean.
        let referenced: Vec<bool> = (0..pending.len())
            .map(|i| {
                let tag = format!("#{i}.");
                pending.iter().any(|p| {
                    p.chained
                        && p.plan
                            .first_request()
                            .is_some_and(|r| Value::Object(r.clone()).to_string().contains(&tag))
                })
            })
            .collect();
        let mut answering: Vec<(Answering<'_>, Option<translate::answer::Keys>)> = Vec::new();
        for (i, p) in pending.iter().enumerate() {
            let reading = Reading {
                read_ahead: if p.chained || referenced[i] {
                    0
                } else {
                    p.rule.read_ahead
                },
            };
            answering.push(self.portal.start(&p.rule, p.plan.clone(), reading));
        }
        let mut calls: Vec<Vec<translate::answer::V3Call>> =
            answering.iter_mut().map(|(a, _)| a.first()).collect();
        let mut first_round = true;
        let mut not_run = vec![false; pending.len()];
        while calls.iter().any(|c| !c.is_empty()) {
            let indexes: Vec<usize> = (0..calls.len()).filter(|&i| !calls[i].is_empty()).collect();
            let groups: Vec<Group<'_>> = indexes
                .iter()
                .map(|&i| Group {
                    rule: &pending[i].rule,
                    calls: std::mem::take(&mut calls[i]),
                    touch: if first_round {
                        touch_of(&pending[i].rule, &pending[i].plan)
                    } else {
                        Touch::Nothing
                    },
                    key: pending[i]
                        .plan
                        .is_write()
                        .then(|| self.key_of(&pending[i].command)),
                    tag: i,
                })
                .collect();
            self.portal.set_patient(self.patient());
            let replies = if chained && first_round {
                match self.portal.send_groups_strict(groups).await? {
                    Some(replies) => replies,
                    None => {
                        // A chain usually fails because it ran past the data, so that a
                        // `$ref` names a row that is not there: the first half likely
                        // succeeds, and the second is planned again from what the bridge
                        // then knows.
                        tracing::debug!(
                            "a REST 3.0 batch with a chain failed; trying its first half"
                        );
                        drop(answering);
                        return self.split_chain(pending).await;
                    }
                }
            } else {
                self.portal.send_groups(groups, self.halt).await?
            };
            if self.portal.accepted() {
                self.accepted = true;
            }
            for (&i, group_replies) in indexes.iter().zip(replies) {
                if group_replies.iter().all(|r| *r == CallReply::NotRun) {
                    not_run[i] = true;
                    continue;
                }
                calls[i] = answering[i].0.next(group_replies);
            }
            first_round = false;
        }
        for ((i, (a, keys)), p) in answering.into_iter().enumerate().zip(&pending) {
            if self.stopped || not_run[i] {
                continue;
            }
            let write = a.is_write();
            let answer = self.portal.end(&p.rule, keys, a);
            if write && !answer.is_rate_limited() {
                self.committed = true;
            }
            self.record_answer(p.command.key.clone(), answer);
        }
        Ok(())
    }

    /// The first half of a failed chain again, then the rest planned anew.
    async fn split_chain(&mut self, pending: Vec<PendingV3>) -> Result<(), BridgeError> {
        let mut first = pending;
        let second = first.split_off(first.len() / 2);
        if first.is_empty() {
            // A chain of one that fails: v2 answers it.
            for p in second {
                self.pending_v2.push(p.command);
            }
            return self.flush_v2().await;
        }
        if first.len() == 1 && first[0].chained {
            let p = first.remove(0);
            self.pending_v2.push(p.command);
            self.flush_v2().await?;
        } else {
            self.pending_v3 = first;
            Box::pin(self.flush_v3()).await?;
        }
        for p in second {
            if self.stopped {
                break;
            }
            Box::pin(self.add(p.command)).await?;
        }
        Ok(())
    }

    /// Runs one write alone, with its `Idempotency-Key`.
    async fn run_alone(
        &mut self,
        command: Command,
        rule: Arc<MethodRule>,
        plan: Plan,
    ) -> Result<(), BridgeError> {
        let key = self.key_of(&command);
        self.portal.set_patient(self.patient());
        let before = self.portal.requests;
        let answer = self.portal.answer_call(&rule, plan, Some(key)).await?;
        let refused_at_once = self.portal.requests - before == 1 && is_rate_limited(&answer);
        if !refused_at_once {
            self.committed = true;
            self.accepted = true;
        }
        self.record_v2_answer(command.key, answer);
        Ok(())
    }

    fn key_of(&self, command: &Command) -> String {
        identity::idempotency_key(
            self.ctx.credentials,
            &format!("{}#{}", command.method, command.key),
            self.ctx.request_id,
        )
    }

    /// Whether rate limits are waited out rather than answered.
    fn patient(&self) -> bool {
        self.committed || self.accepted
    }

    fn record_answer(&mut self, key: String, answer: Answer) {
        let v2 = self.portal.v2_answer(answer);
        self.record_v2_answer(key, v2);
    }

    fn record_v2_answer(&mut self, key: String, answer: V2Answer) {
        if is_rate_limited(&answer) && !self.committed {
            // v2 refuses a batch over the rate limit as a whole, with HTTP 503, and clients
            // retry it; a per-command QUERY_LIMIT_EXCEEDED inside a 200 is never seen there
            // (fast_bitrix24 raises on it, b24pysdk drops the page). Nothing has changed data
            // yet, so the whole batch can be run again.
            self.whole = Some(answer);
            self.stopped = true;
            return;
        }
        let body = answer.body.into_value();
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

/// The portal's rate limit: v2 answers it for a request as a whole, never per command.
fn is_rate_limited(answer: &V2Answer) -> bool {
    // Written bodies are successes: the rate limit is answered as a value.
    match &answer.body {
        V2Body::Value(body) => crate::upstream::is_rate_limited(answer.status.as_u16(), body),
        V2Body::Written(_) => false,
    }
}

/// True when a list may need more rounds than its first (a count not known yet, or every
/// row), so that a write must wait for it.
fn may_need_more_rounds(rule: &MethodRule, plan: &Plan) -> bool {
    match plan {
        Plan::List { start, .. } => !rule.paged || (start.is_some() && rule.total != Total::None),
        _ => false,
    }
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
