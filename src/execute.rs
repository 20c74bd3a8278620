//! Runs translated calls: steps their plans (`translate::answer`) and sends each round's
//! REST 3.0 calls, as few HTTP requests as they allow. The I/O edge of translation.
//!
//! A round's calls travel together in one REST 3.0 batch (the calls of one v2 call, or of
//! every command of one v2 batch), up to `translation.v3_batch_size` calls per request,
//! identical reads sent once. A lone write instead travels alone with its
//! `Idempotency-Key`, and is retried once when its answer is lost.
//!
//! REST 3.0 fails a batch as a whole when one of its calls fails, and keeps what ran
//! before it. So when a packed batch fails, the bridge first finds out what happened with
//! one read (which ids exist, which of its adds were created), answers what it now knows,
//! and sends the rest again; nothing that ran is sent twice except an update, which
//! setting the same values again leaves as it was.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use http::StatusCode;
use serde_json::{json, Map, Value};

use crate::clock;
use crate::error::BridgeError;
use crate::memory::Memory;
use crate::rules::{MethodRule, RuleSet};
use crate::translate::answer::{self, Answer, Answering, CallReply, Keys, Reading, V3Call};
use crate::translate::reply::{Row, V3Body, V3Result};
use crate::translate::{render, Plan};
use crate::upstream::{Credentials, PortalReply, ReplyBody, UpstreamClient};

/// A REST 3.0 answer, rows kept as text.
type V3Reply = PortalReply<V3Body>;

impl ReplyBody for V3Body {
    fn parse(bytes: &[u8]) -> Option<V3Body> {
        V3Body::parse(bytes)
    }
    fn envelope(&self) -> &Value {
        &self.rest
    }
}

/// A REST 3.0 success: 200 with a `result` and no `error`.
fn is_success(reply: &V3Reply) -> bool {
    reply.status == 200 && reply.body.result.is_some() && reply.body.rest.get("error").is_none()
}

/// A v2 answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Answer {
    pub status: StatusCode,
    pub body: V2Body,
}

/// A v2 answer's body: a value, or bytes the renderer wrote already.
#[derive(Debug, Clone, PartialEq)]
pub enum V2Body {
    Value(Value),
    Written(Vec<u8>),
}

impl V2Body {
    /// The body as a value (written bytes are read back).
    pub fn into_value(self) -> Value {
        match self {
            V2Body::Value(v) => v,
            V2Body::Written(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// The body as v2's bytes.
    pub fn into_bytes(self, style: crate::rules::JsonStyle) -> Vec<u8> {
        match self {
            V2Body::Value(v) => crate::php_json::to_vec(&v, style),
            V2Body::Written(bytes) => bytes,
        }
    }
}

/// What a group's first-round write or read touches, for finding out what ran when a
/// packed batch carrying it failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Touch {
    /// Reads with nothing to check (lists).
    Nothing,
    Get(i64),
    /// An add, recognisable among new rows by these written values.
    Add(Map<String, Value>),
    Update(i64),
    Delete(i64),
}

/// The calls of one command's round, which travel together.
pub struct Group<'r> {
    pub rule: &'r MethodRule,
    pub calls: Vec<V3Call>,
    pub touch: Touch,
    /// Sent alone, the write carries this key.
    pub key: Option<String>,
    /// The sender's name for the group: a `{"$ref": "#TAG.path"}` in another group's
    /// calls names this group's first call.
    pub tag: usize,
}

/// How much older than the newest row an add found after a failed batch may be.
const FRESH_ADD_SECONDS: i64 = 600;

/// How deep recovery from failed batches may go before the calls are sent one by one.
const MAX_RECOVERY_DEPTH: usize = 3;

/// The I/O of translated calls for one v2 request.
pub struct Portal<'a> {
    client: &'a UpstreamClient,
    credentials: &'a Credentials,
    rules: &'a RuleSet,
    memory: &'a Memory,
    /// The caller as memory knows them (a hash: never the code or token itself).
    scope: String,
    caller: Option<u64>,
    started: SystemTime,
    /// Every request of the call is done by then (`client.response_timeout` after it began).
    deadline: Instant,
    times: Vec<Value>,
    /// HTTP requests sent to the portal.
    pub requests: usize,
    /// Wait out rate limits from the first request on.
    patient: bool,
    succeeded: usize,
}

impl<'a> Portal<'a> {
    pub fn new(
        client: &'a UpstreamClient,
        credentials: &'a Credentials,
        rules: &'a RuleSet,
        memory: &'a Memory,
        caller: Option<u64>,
    ) -> Portal<'a> {
        Portal {
            client,
            credentials,
            rules,
            memory,
            scope: scope_of(credentials),
            caller,
            started: SystemTime::now(),
            deadline: Instant::now() + client.response_timeout(),
            times: Vec::new(),
            requests: 0,
            patient: false,
            succeeded: 0,
        }
    }

    /// When every request of this call must be done.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Waits out rate limits from the first request on (see
    /// [`crate::upstream::RATE_LIMIT_PATIENCE`]): set once part of a v2 call has run.
    pub fn set_patient(&mut self, patient: bool) {
        self.patient = patient;
    }

    /// Whether the portal has accepted a request of this v2 call.
    pub fn accepted(&self) -> bool {
        self.succeeded > 0
    }

    /// Starts answering a planned call, with what the bridge already knows of its query.
    pub fn start<'r>(
        &mut self,
        rule: &'r MethodRule,
        plan: Plan,
        reading: Reading,
    ) -> (Answering<'r>, Option<Keys>)
    where
        'a: 'r,
    {
        let keys = Answering::keys(rule, &plan);
        let known = match &keys {
            Some(keys) => {
                let (known, recall) = self.memory.known(&self.scope, keys, rule);
                if recall.total_hit {
                    self.client.metrics().memory_hit("total");
                }
                if recall.window_hit {
                    self.client.metrics().memory_hit("rows");
                }
                known
            }
            None => Default::default(),
        };
        (
            Answering::new(self.rules, rule, plan, self.caller, &known, reading),
            keys,
        )
    }

    /// Ends a call: keeps what it learned and gives its answer.
    pub fn end(
        &mut self,
        rule: &MethodRule,
        keys: Option<Keys>,
        answering: Answering<'_>,
    ) -> Answer {
        let (answer, learned) = answering.into_outcome();
        self.memory.learn(&self.scope, keys.as_ref(), rule, learned);
        answer
    }

    /// Runs one translated call to its v2 answer.
    pub async fn answer_call(
        &mut self,
        rule: &MethodRule,
        plan: Plan,
        key: Option<String>,
    ) -> Result<V2Answer, BridgeError> {
        let reading = Reading {
            read_ahead: rule.read_ahead,
        };
        let (mut answering, keys) = self.start(rule, plan, reading);
        let mut calls = answering.first();
        while !calls.is_empty() {
            let replies = self.send_alone(rule, calls, key.as_deref()).await?;
            calls = answering.next(replies);
        }
        let answer = self.end(rule, keys, answering);
        Ok(self.v2_answer(answer))
    }

    /// A call's answer in the v2 envelope, timed by the portal's answers.
    pub fn v2_answer(&self, answer: Answer) -> V2Answer {
        match answer {
            Answer::Ok {
                result,
                next,
                total,
            } => V2Answer {
                status: StatusCode::OK,
                body: V2Body::Written(render::envelope_json(
                    result,
                    next,
                    total,
                    &self.time(),
                    self.rules.json,
                )),
            },
            Answer::Error {
                status,
                code,
                description,
            } => V2Answer {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                body: V2Body::Value(crate::answers::v2_error(&code, &description)),
            },
            Answer::AsIs { status, body } => V2Answer {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                body: V2Body::Value(body),
            },
        }
    }

    /// One `time` block for everything sent so far.
    pub fn time(&self) -> Value {
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
    pub fn utc_offset(&self) -> i32 {
        self.rules
            .utc_offset
            .or_else(|| self.client.portal_utc_offset())
            .unwrap_or(0)
    }

    /// Sends the calls of one call's round: a lone call alone; reads packed together; a
    /// write alone with its key, then what depends on it.
    async fn send_alone(
        &mut self,
        rule: &MethodRule,
        calls: Vec<V3Call>,
        key: Option<&str>,
    ) -> Result<Vec<CallReply>, BridgeError> {
        if calls.len() > 1 && !calls.iter().any(|c| c.write) {
            let group = Group {
                rule,
                calls,
                touch: Touch::Nothing,
                key: None,
                tag: 0,
            };
            let mut replies = self.send_groups(vec![group], false).await?;
            return Ok(replies.pop().unwrap_or_default());
        }
        self.send_in_turn(calls, key).await
    }

    /// Sends calls one after another, each alone; a reference to an earlier call takes its
    /// reply's value, and a call after a failed one is not sent.
    async fn send_in_turn(
        &mut self,
        calls: Vec<V3Call>,
        key: Option<&str>,
    ) -> Result<Vec<CallReply>, BridgeError> {
        let mut replies: Vec<CallReply> = Vec::with_capacity(calls.len());
        for mut call in calls {
            if replies.iter().any(|r| !matches!(r, CallReply::Ok(_))) {
                replies.push(CallReply::NotRun);
                continue;
            }
            let resolved =
                answer::resolve_round_refs(&mut call.query, &mut |i, path| match replies.get(i) {
                    Some(CallReply::Ok(result)) => answer::result_at(result, path),
                    _ => None,
                });
            if !resolved {
                replies.push(CallReply::NotRun);
                continue;
            }
            let key = call.write.then_some(key).flatten();
            replies.push(self.post_one(&call, key).await?);
        }
        Ok(replies)
    }

    /// Sends one REST 3.0 call. A write with a key is retried once when its answer is lost,
    /// which the key makes safe.
    async fn post_one(
        &mut self,
        call: &V3Call,
        key: Option<&str>,
    ) -> Result<CallReply, BridgeError> {
        let request = self
            .credentials
            .v3_call_of(&call.method, &call.query)
            .with_idempotency_key(key.map(str::to_owned));
        let attempts = if call.write && key.is_some() { 2 } else { 1 };
        let mut last_error = None;
        for attempt in 0..attempts {
            // A write that may be retried leaves its retry half of the time that is left:
            // the retry happens within the call's deadline or not at all.
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            let by = if attempt + 1 < attempts {
                Instant::now() + remaining / 2
            } else {
                self.deadline
            };
            match self.post_by(&request, by).await {
                Ok(reply) => return Ok(reply_of(reply)),
                Err(
                    e @ (BridgeError::UpstreamTimeout(_)
                    | BridgeError::UpstreamProtocol(_)
                    | BridgeError::UpstreamConnect(_)),
                ) => {
                    tracing::warn!(error = %e, method = %call.method, "v3 request failed");
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error
            .unwrap_or_else(|| BridgeError::UpstreamProtocol("no attempt was made".into())))
    }

    /// Sends one request by the call's deadline, counting it and keeping its `time`.
    async fn post(
        &mut self,
        request: &crate::upstream::PortalRequest,
    ) -> Result<V3Reply, BridgeError> {
        self.post_by(request, self.deadline).await
    }

    async fn post_by(
        &mut self,
        request: &crate::upstream::PortalRequest,
        by: Instant,
    ) -> Result<V3Reply, BridgeError> {
        let patient = self.patient || self.succeeded > 0;
        match self.client.post_json_patiently(request, patient, by).await {
            Ok((reply, sent)) => {
                self.requests += sent;
                if let Some(t) = reply.time() {
                    self.times.push(t.clone());
                }
                if !reply.is_rate_limited() {
                    self.succeeded += 1;
                }
                Ok(reply)
            }
            Err(e) => {
                self.requests += 1;
                Err(e)
            }
        }
    }

    /// Sends the rounds of several calls packed into REST 3.0 batches, and gives each
    /// group its replies. With `halt`, groups after the first one that fails in v2's eyes
    /// are not run again when a batch has to be recovered.
    pub async fn send_groups(
        &mut self,
        groups: Vec<Group<'_>>,
        halt: bool,
    ) -> Result<Vec<Vec<CallReply>>, BridgeError> {
        self.send_groups_at(groups, halt, 0).await
    }

    /// Sends groups that refer to each other (`#TAG` references) in one REST 3.0 batch,
    /// without recovery: `None` when the batch failed, for the caller to split.
    pub async fn send_groups_strict(
        &mut self,
        groups: Vec<Group<'_>>,
    ) -> Result<Option<Vec<Vec<CallReply>>>, BridgeError> {
        let chunk: Vec<(usize, Group<'_>)> = groups.into_iter().enumerate().collect();
        let packed = pack(&chunk, Gets::AsGets);
        let reply = self
            .post(&self.credentials.v3_batch(packed.elements.clone()))
            .await?;
        if reply.is_rate_limited() {
            let refused = CallReply::Err {
                status: reply.status,
                body: reply.body.rest.clone(),
            };
            return Ok(Some(
                chunk
                    .iter()
                    .map(|(_, g)| vec![refused.clone(); g.calls.len()])
                    .collect(),
            ));
        }
        let Some(results) = batch_results(&reply, packed.elements.len()) else {
            return Ok(None);
        };
        Ok(Some(
            packed
                .slots
                .iter()
                .map(|slots| {
                    slots
                        .iter()
                        .map(|&slot| packed.reply(slot, results))
                        .collect()
                })
                .collect(),
        ))
    }

    async fn send_groups_at(
        &mut self,
        groups: Vec<Group<'_>>,
        halt: bool,
        depth: usize,
    ) -> Result<Vec<Vec<CallReply>>, BridgeError> {
        let mut out: Vec<Option<Vec<CallReply>>> = (0..groups.len()).map(|_| None).collect();
        // Deletes only travel packed for ids that exist, checked with one read first: then
        // one that is gone after a failed batch was deleted by it. (An update of a missing
        // id fails the batch too, but recovery can tell what ran, and checking first would
        // cost every clean batch of updates a request.)
        let writes_to_ids: Vec<(usize, i64)> = groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| match g.touch {
                Touch::Delete(id) if groups.len() > 1 => Some((i, id)),
                _ => None,
            })
            .collect();
        if !writes_to_ids.is_empty() && depth == 0 {
            let rule = groups[writes_to_ids[0].0].rule;
            let ids: Vec<i64> = writes_to_ids.iter().map(|(_, id)| *id).collect();
            // When the read itself fails, the batch goes as it is and recovery sorts it out.
            if let Some(existing) = self.existing(rule, &ids).await? {
                for (i, id) in &writes_to_ids {
                    if !existing.contains(id) {
                        out[*i] = Some(vec![not_found(*id)]);
                    }
                }
            }
        }
        let mut pending: Vec<(usize, Group<'_>)> = groups
            .into_iter()
            .enumerate()
            .filter(|(i, _)| out[*i].is_none())
            .collect();
        while !pending.is_empty() {
            let chunk = take_chunk(&mut pending, self.rules.v3_batch_size);
            let replies = self.send_chunk(chunk, halt, depth).await?;
            let stop = halt && replies.iter().any(|(_, r)| fails_in_v2(r));
            for (i, r) in replies {
                out[i] = Some(r);
            }
            if stop {
                break;
            }
        }
        Ok(out
            .into_iter()
            .map(|r| r.unwrap_or_else(|| vec![CallReply::NotRun]))
            .collect())
    }

    /// Sends one chunk (at most a batch) of groups; recovers if the batch fails.
    async fn send_chunk(
        &mut self,
        chunk: Vec<(usize, Group<'_>)>,
        halt: bool,
        depth: usize,
    ) -> Result<Vec<(usize, Vec<CallReply>)>, BridgeError> {
        let packed = pack(&chunk, Gets::AsLists);
        if packed.elements.len() == 1 && chunk.len() == 1 && chunk[0].1.calls.len() == 1 {
            // One call: no batch needed.
            let mut out = Vec::new();
            for (i, group) in chunk {
                let reply = self.post_one(&group.calls[0], group.key.as_deref()).await?;
                out.push((i, vec![reply]));
            }
            return Ok(out);
        }
        let request = self.credentials.v3_batch(packed.elements.clone());
        let reply = self.post(&request).await?;
        if reply.is_rate_limited() {
            // Refused before anything ran: every call of the batch was refused with it.
            let refused = CallReply::Err {
                status: reply.status,
                body: reply.body.rest.clone(),
            };
            return Ok(chunk
                .into_iter()
                .map(|(i, g)| (i, vec![refused.clone(); g.calls.len()]))
                .collect());
        }
        if let Some(results) = batch_results(&reply, packed.elements.len()) {
            return Ok(chunk
                .into_iter()
                .zip(&packed.slots)
                .map(|((i, _), slots)| {
                    let replies = slots
                        .iter()
                        .map(|&slot| packed.reply(slot, results))
                        .collect();
                    (i, replies)
                })
                .collect());
        }
        tracing::debug!(
            status = reply.status,
            calls = packed.elements.len(),
            "a packed REST 3.0 batch failed; finding out what ran"
        );
        self.recover(chunk, halt, depth, reply).await
    }

    /// After a failed batch: learns what ran with one read, answers what that settles,
    /// and sends the rest again (or one by one, if batches keep failing).
    async fn recover(
        &mut self,
        chunk: Vec<(usize, Group<'_>)>,
        halt: bool,
        depth: usize,
        failed: V3Reply,
    ) -> Result<Vec<(usize, Vec<CallReply>)>, BridgeError> {
        if chunk.len() == 1 && chunk[0].1.touch == Touch::Nothing && chunk[0].1.calls.len() > 1 {
            // Reads of one call (a page and its counting): halve them until the failing
            // one answers alone.
            let mut out = Vec::new();
            for (i, group) in chunk {
                let replies = Box::pin(self.halve_reads(group.rule, group.calls)).await?;
                out.push((i, replies));
            }
            return Ok(out);
        }
        if chunk.len() == 1 && chunk[0].1.calls.len() == 1 {
            let refused = CallReply::Err {
                status: failed.status,
                body: failed.body.rest,
            };
            return Ok(chunk
                .into_iter()
                .map(|(i, _)| (i, vec![refused.clone()]))
                .collect());
        }
        if depth >= MAX_RECOVERY_DEPTH {
            return self.one_by_one(chunk, halt).await;
        }
        let Some(found) = self.find_out(&chunk).await? else {
            return self.one_by_one(chunk, halt).await;
        };
        let mut settled: Vec<(usize, Vec<CallReply>)> = Vec::new();
        let mut again: Vec<(usize, Group<'_>)> = Vec::new();
        // Adds that ran, by group index: only their re-reads are left to send.
        let mut rereads: HashMap<usize, i64> = HashMap::new();
        for (i, group) in chunk {
            match &group.touch {
                Touch::Get(id) | Touch::Update(id) if !found.existing.contains(id) => {
                    settled.push((i, vec![not_found(*id)]));
                }
                Touch::Delete(id) if !found.existing.contains(id) => {
                    settled.push((i, vec![CallReply::ok(json!({"result": true}))]));
                }
                Touch::Add(_) if found.added.contains_key(&i) => {
                    let id = found.added[&i];
                    match group.calls.get(1).cloned() {
                        Some(mut reread) => {
                            answer::resolve_round_refs(&mut reread.query, &mut |_, _| {
                                Some(Value::from(id))
                            });
                            rereads.insert(i, id);
                            let reread_group = Group {
                                rule: group.rule,
                                calls: vec![reread],
                                touch: Touch::Get(id),
                                key: None,
                                tag: group.tag,
                            };
                            again.push((i, reread_group));
                        }
                        None => settled.push((i, vec![added(id)])),
                    }
                }
                _ => again.push((i, group)),
            }
        }
        // REST 3.0 stops a batch at its first failing call, so the first write that did not
        // run is the likeliest cause: it goes alone (with its key), and its own reply is its
        // answer. Reads of ids do not see it; the rest go packed again.
        let suspect = again.iter().position(|(i, g)| {
            matches!(g.touch, Touch::Add(_) | Touch::Update(_)) && !rereads.contains_key(i)
        });
        if let Some(pos) = suspect {
            let (i, group) = again.remove(pos);
            let replies = self.send_in_turn(group.calls, group.key.as_deref()).await?;
            if halt && fails_in_v2(&replies) {
                // v2 stops here: what comes after does not run.
                let (after, before): (Vec<_>, Vec<_>) =
                    again.into_iter().partition(|(j, _)| *j > i);
                settled.extend(
                    after
                        .into_iter()
                        .map(|(j, g)| (j, vec![CallReply::NotRun; g.calls.len()])),
                );
                again = before;
            }
            settled.push((i, replies));
        }
        if !again.is_empty() {
            let indexes: Vec<usize> = again.iter().map(|(i, _)| *i).collect();
            let groups: Vec<Group<'_>> = again.into_iter().map(|(_, g)| g).collect();
            let replies = Box::pin(self.send_groups_at(groups, halt, depth + 1)).await?;
            for (i, replies) in indexes.into_iter().zip(replies) {
                let replies = match rereads.get(&i) {
                    Some(&id) => std::iter::once(added(id)).chain(replies).collect(),
                    None => replies,
                };
                settled.push((i, replies));
            }
        }
        settled.sort_by_key(|(i, _)| *i);
        Ok(settled)
    }

    /// Reads sent in halves until each failing one answers alone.
    async fn halve_reads(
        &mut self,
        rule: &MethodRule,
        calls: Vec<V3Call>,
    ) -> Result<Vec<CallReply>, BridgeError> {
        if calls.len() == 1 {
            return Ok(vec![self.post_one(&calls[0], None).await?]);
        }
        let mut first = calls;
        let second = first.split_off(first.len() / 2);
        let mut out = Vec::new();
        for half in [first, second] {
            let group = Group {
                rule,
                calls: half.clone(),
                touch: Touch::Nothing,
                key: None,
                tag: 0,
            };
            let chunk = vec![(0, group)];
            let packed = pack(&chunk, Gets::AsGets);
            if packed.elements.len() == 1 {
                out.push(self.post_one(&half[0], None).await?);
                continue;
            }
            let reply = self
                .post(&self.credentials.v3_batch(packed.elements))
                .await?;
            match batch_results(&reply, half.len()) {
                Some(results) => {
                    out.extend(results.iter().map(|r| CallReply::Ok(r.clone())));
                }
                _ => out.extend(Box::pin(self.halve_reads(rule, half)).await?),
            }
        }
        Ok(out)
    }

    /// Every group alone, in order: the last resort, correct whatever the portal does.
    async fn one_by_one(
        &mut self,
        chunk: Vec<(usize, Group<'_>)>,
        halt: bool,
    ) -> Result<Vec<(usize, Vec<CallReply>)>, BridgeError> {
        let mut out = Vec::new();
        let mut stopped = false;
        for (i, group) in chunk {
            if stopped {
                out.push((i, vec![CallReply::NotRun]));
                continue;
            }
            let replies = self.send_in_turn(group.calls, group.key.as_deref()).await?;
            stopped = halt && fails_in_v2(&replies);
            out.push((i, replies));
        }
        Ok(out)
    }

    /// Which of the chunk's ids exist and which of its adds ran, in one read. `None` when
    /// that cannot be found out (a rule without a `list_method`, or the read failed).
    async fn find_out(
        &mut self,
        chunk: &[(usize, Group<'_>)],
    ) -> Result<Option<Found>, BridgeError> {
        let mut ids: Vec<i64> = Vec::new();
        let mut adds: Vec<(usize, Map<String, Value>)> = Vec::new();
        let mut rule = None;
        for (i, group) in chunk {
            match &group.touch {
                Touch::Get(id) | Touch::Update(id) | Touch::Delete(id) => ids.push(*id),
                Touch::Add(fingerprint) => adds.push((*i, fingerprint.clone())),
                Touch::Nothing => continue,
            }
            rule = rule.or(Some(group.rule));
        }
        let Some(rule) = rule else {
            // Reads only, no ids: nothing to find out; send them again, halved.
            return Ok(Some(Found::default()));
        };
        let Some(list_method) = rule.entity.list_method.clone() else {
            return Ok(None);
        };
        if ids.len() > 1000 || adds.len() > 900 {
            return Ok(None);
        }
        let mut calls = Vec::new();
        if !ids.is_empty() {
            calls.push(json!({"method": list_method, "query": {
                "select": ["id"],
                "filter": [["id", "in", ids]],
                "pagination": {"offset": 0, "limit": 1000},
            }}));
        }
        if !adds.is_empty() {
            let mut select: Vec<String> = vec!["id".into(), "created".into()];
            for (_, f) in &adds {
                for k in f.keys() {
                    if !select.contains(k) {
                        select.push(k.clone());
                    }
                }
            }
            calls.push(json!({"method": list_method, "query": {
                "select": select,
                "order": {"id": "DESC"},
                "pagination": {"offset": 0, "limit": (adds.len() + 50).min(1000)},
            }}));
        }
        let request = self.credentials.v3_batch(calls.clone());
        let reply = self.post(&request).await?;
        let Some(results) = batch_results(&reply, calls.len()) else {
            return Ok(None);
        };
        let mut found = Found::default();
        let mut results = results.iter();
        if !ids.is_empty() {
            found.existing = results
                .next()
                .map(V3Result::rows)
                .unwrap_or_default()
                .iter()
                .filter_map(Row::id)
                .collect();
        }
        if !adds.is_empty() {
            let rows: Vec<Value> = results
                .next()
                .map(V3Result::rows)
                .unwrap_or_default()
                .iter()
                .map(Row::to_value)
                .collect();
            // Only rows created within minutes of the newest one, by the portal's own
            // clock (the bridge's may differ): an add of this batch, if it ran, is among
            // the newest rows, and an older look-alike is not mistaken for it.
            let created = |r: &Value| {
                r.get("created")
                    .and_then(Value::as_str)
                    .and_then(clock::parse_iso)
            };
            let newest = rows.iter().filter_map(created).max();
            let fresh: Vec<Value> = rows
                .iter()
                .filter(|r| match (created(r), newest) {
                    (Some(t), Some(newest)) => t >= newest - FRESH_ADD_SECONDS,
                    _ => true,
                })
                .cloned()
                .collect();
            let fingerprints: Vec<Map<String, Value>> =
                adds.iter().map(|(_, f)| f.clone()).collect();
            for (k, id) in answer::committed_adds(&fingerprints, &fresh)
                .into_iter()
                .enumerate()
            {
                found.added.insert(adds[k].0, id);
            }
        }
        Ok(Some(found))
    }

    /// The ids among `ids` that exist (and the caller may see).
    /// `None` when the read failed.
    async fn existing(
        &mut self,
        rule: &MethodRule,
        ids: &[i64],
    ) -> Result<Option<Vec<i64>>, BridgeError> {
        let Some(list_method) = rule.entity.list_method.clone() else {
            return Ok(Some(ids.to_vec()));
        };
        let mut query = Map::new();
        query.insert("select".into(), json!(["id"]));
        query.insert("filter".into(), json!([["id", "in", ids]]));
        query.insert("pagination".into(), json!({"offset": 0, "limit": 1000}));
        let reply = self
            .post(&self.credentials.v3_call(&list_method, query))
            .await?;
        if !is_success(&reply) {
            return Ok(None);
        }
        let rows = match &reply.body.result {
            Some(crate::translate::reply::V3Results::One(result)) => result.rows(),
            _ => &[],
        };
        Ok(Some(rows.iter().filter_map(Row::id).collect()))
    }
}

/// What one read after a failed batch found.
#[derive(Default)]
struct Found {
    existing: Vec<i64>,
    /// Group index → id of the task its add created.
    added: HashMap<usize, i64>,
}

/// A chunk's calls as REST 3.0 batch elements, identical reads once, with the element of
/// each group's calls.
struct Packed {
    elements: Vec<Value>,
    slots: Vec<Vec<usize>>,
    /// For each element sent as a one-row list in place of a get: the id it reads.
    gets_as_lists: HashMap<usize, i64>,
}

impl Packed {
    /// The reply of element `slot` among the batch's `results`, as the call itself would
    /// have had it (a get read as a list answers its row, or "not found").
    fn reply(&self, slot: usize, results: &[V3Result]) -> CallReply {
        let result = &results[slot];
        let Some(&id) = self.gets_as_lists.get(&slot) else {
            return CallReply::Ok(result.clone());
        };
        match result.rows().first() {
            Some(row) => CallReply::Ok(V3Result {
                item: Some(row.clone()),
                ..V3Result::default()
            }),
            None => not_found(id),
        }
    }
}

/// How a chunk's gets travel in a batch.
#[derive(Clone, Copy, PartialEq)]
enum Gets {
    /// As the get calls they are (a `$ref` may name their `item`).
    AsGets,
    /// As one-row lists, when the rule has a list method: a get of a missing id fails
    /// the whole REST 3.0 batch, a list of it answers no rows, and v2 answers "not
    /// found" and "no access" alike (`{"result":[]}`), so nothing is lost.
    AsLists,
}

fn pack(chunk: &[(usize, Group<'_>)], gets: Gets) -> Packed {
    let mut packer = Packer::new(gets, chunk.len() > 1);
    for (_, group) in chunk {
        packer.add(group);
    }
    Packed {
        elements: packer.elements,
        slots: packer.slots,
        gets_as_lists: packer.gets_as_lists,
    }
}

/// Builds a batch group by group: identical reads since the last write once, `$ref`s to
/// a group's own calls and to other groups' first calls made batch aliases.
struct Packer {
    gets: Gets,
    packed_with_others: bool,
    elements: Vec<Value>,
    seen: HashMap<String, usize>,
    slots: Vec<Vec<usize>>,
    first_of_tag: HashMap<usize, usize>,
    gets_as_lists: HashMap<usize, i64>,
}

impl Packer {
    fn new(gets: Gets, packed_with_others: bool) -> Packer {
        Packer {
            gets,
            packed_with_others,
            elements: Vec::new(),
            seen: HashMap::new(),
            slots: Vec::new(),
            first_of_tag: HashMap::new(),
            gets_as_lists: HashMap::new(),
        }
    }

    /// The slot of a read: an identical one sent since the last write, or a new element.
    fn read_slot(&mut self, method: &str, query: Map<String, Value>) -> usize {
        let text = format!("{method}|{}", Value::Object(query.clone()));
        if let Some(&slot) = self.seen.get(&text) {
            return slot;
        }
        let slot = self.push(method, query);
        self.seen.insert(text, slot);
        slot
    }

    fn push(&mut self, method: &str, query: Map<String, Value>) -> usize {
        let slot = self.elements.len();
        self.elements
            .push(json!({"method": method, "query": query, "as": alias(slot)}));
        slot
    }

    fn add(&mut self, group: &Group<'_>) {
        let as_list = match (&group.touch, &group.rule.entity.list_method) {
            (Touch::Get(id), Some(list))
                if self.gets == Gets::AsLists && self.packed_with_others =>
            {
                group.calls.first().and_then(|c| get_as_list(list, c, *id))
            }
            _ => None,
        };
        if let Some((call, id)) = as_list {
            let slot = self.read_slot(&call.method, call.query);
            self.gets_as_lists.insert(slot, id);
            self.first_of_tag.insert(group.tag, slot);
            self.slots.push(vec![slot]);
            return;
        }
        let mut own: Vec<usize> = Vec::new();
        for call in &group.calls {
            let mut query = call.query.clone();
            answer::resolve_round_refs(&mut query, &mut |i, path| {
                own.get(i)
                    .map(|&e| json!({"$ref": format!("{}.{path}", alias(e))}))
            });
            tag_refs_to_aliases(&mut query, &self.first_of_tag);
            let slot = if call.write {
                // A read after a write is not the read before it.
                self.seen.clear();
                self.push(&call.method, query)
            } else {
                self.read_slot(&call.method, query)
            };
            own.push(slot);
        }
        if let Some(&first) = own.first() {
            self.first_of_tag.insert(group.tag, first);
        }
        self.slots.push(own);
    }
}

/// A get as a list of the one row it reads, with the same `select`: `None` when the get
/// asks more than its id and select.
fn get_as_list(list_method: &str, get: &V3Call, id: i64) -> Option<(V3Call, i64)> {
    let select = get.query.get("select")?;
    if get.query.keys().any(|k| k != "id" && k != "select") {
        return None;
    }
    let mut query = Map::new();
    query.insert("select".into(), select.clone());
    query.insert("filter".into(), json!([["id", "=", id]]));
    query.insert("pagination".into(), json!({"offset": 0, "limit": 1}));
    Some((
        V3Call {
            method: list_method.to_owned(),
            query,
            write: false,
        },
        id,
    ))
}

/// Rewrites `{"$ref": "#TAG.path"}` (another group's first call) to the batch alias.
fn tag_refs_to_aliases(query: &mut Map<String, Value>, first_of_tag: &HashMap<usize, usize>) {
    fn walk(v: &mut Value, first_of_tag: &HashMap<usize, usize>) {
        let target = v
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|r| r.split_once('.'))
            .and_then(|(tag, path)| Some((tag.parse::<usize>().ok()?, path.to_owned())));
        if let Some((tag, path)) = target {
            if let Some(&slot) = first_of_tag.get(&tag) {
                *v = json!({"$ref": format!("{}.{path}", alias(slot))});
            }
            return;
        }
        match v {
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, first_of_tag)),
            Value::Object(m) => m.values_mut().for_each(|v| walk(v, first_of_tag)),
            _ => {}
        }
    }
    query.values_mut().for_each(|v| walk(v, first_of_tag));
}

/// Takes groups off the front of `pending` while their calls fit in one batch (a group's
/// calls never split, so its `$ref`s stay within the batch), counted as `pack` sends
/// them: a read another group already sends since the last write takes no room.
fn take_chunk<'r>(pending: &mut Vec<(usize, Group<'r>)>, size: usize) -> Vec<(usize, Group<'r>)> {
    let mut packer = Packer::new(Gets::AsGets, false);
    let mut taken = 0;
    for (_, group) in pending.iter() {
        packer.add(group);
        if taken > 0 && packer.elements.len() > size {
            break;
        }
        taken += 1;
    }
    pending.drain(..taken.max(1)).collect()
}

/// The name of the `index`-th element of a REST 3.0 batch, for `$ref`.
fn alias(index: usize) -> String {
    format!("c{index}")
}

/// True when a command's replies end in a v2 failure (for `halt`): any refused call but
/// a read of something missing, which v2 answers with an empty result.
fn fails_in_v2(replies: &[CallReply]) -> bool {
    replies.iter().any(|r| match r {
        CallReply::Err { body, .. } => !is_not_found(body),
        _ => false,
    })
}

fn is_not_found(body: &Value) -> bool {
    body.pointer("/error/code").and_then(Value::as_str)
        == Some("BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION")
}

/// What REST 3.0 answers for an add that created `id`.
fn added(id: i64) -> CallReply {
    CallReply::ok(json!({"item": {"id": id}}))
}

/// What REST 3.0 answers for an id that does not exist, as the bridge learned it.
fn not_found(id: i64) -> CallReply {
    CallReply::Err {
        status: 400,
        body: json!({"error": {
            "code": "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION",
            "message": format!("Record with ID = `{id}` not found"),
        }}),
    }
}

fn reply_of(reply: V3Reply) -> CallReply {
    if is_success(&reply) {
        CallReply::Ok(reply.body.result.map(|r| r.into_one()).unwrap_or_default())
    } else {
        CallReply::Err {
            status: reply.status,
            body: reply.body.rest,
        }
    }
}

/// A batch's results, one per call sent, when the batch succeeded.
fn batch_results(reply: &V3Reply, calls: usize) -> Option<&[V3Result]> {
    reply
        .body
        .result
        .as_ref()
        .and_then(|r| r.as_many())
        .filter(|r| reply.status == 200 && r.len() == calls)
}

/// The caller as memory keys it: a hash of the credentials, never the secret itself.
fn scope_of(credentials: &Credentials) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match credentials {
        Credentials::Webhook(hook) => (hook.user_id, &hook.code).hash(&mut h),
        Credentials::OAuth(token) => token.hash(&mut h),
    }
    format!("{:016x}", h.finish())
}

/// What a plan's first round touches, for recovery.
pub fn touch_of(rule: &MethodRule, plan: &Plan) -> Touch {
    let id = || {
        plan.first_request()
            .and_then(|r| r.get(rule.id_param.as_ref().map_or("id", |p| p.v3.as_str())))
            .and_then(Value::as_i64)
    };
    match plan {
        Plan::Get { .. } => id().map_or(Touch::Nothing, Touch::Get),
        Plan::Update { id, .. } => Touch::Update(*id),
        Plan::Delete { .. } => id().map_or(Touch::Nothing, Touch::Delete),
        Plan::Add { .. } => answer::add_fingerprint(rule, plan).map_or(Touch::Nothing, Touch::Add),
        Plan::List { .. } | Plan::Refuse(_) => Touch::Nothing,
    }
}
