//! The answer stage: a translated call stepped round by round, purely.
//!
//! A [`Plan`] says what a v2 call means in REST 3.0; an [`Answering`] runs it. Each round
//! it names the REST 3.0 calls it needs ([`V3Call`]), takes their replies, and either
//! names the next round's calls or ends with a typed v2 [`Answer`]. The I/O edges
//! (`execute`, the batch runner, `b24bridge translate`) step the same machine and only
//! decide how calls travel: alone, or packed with others into one REST 3.0 batch.
//!
//! A call may refer to an earlier call of the same round ([`round_ref`]), e.g. the
//! re-read of a task just added; packed, that becomes a `$ref` inside the batch, sent
//! alone, the value of the earlier reply.
//!
//! Lists read ahead: a page is fetched as a whole grid cell of `read_ahead` rows, which the
//! bridge keeps for a short while ([`Window`]) to answer the next pages of the same query,
//! by offset or by keyset (`>ID`), without asking again. `total` is counted in the same
//! round as the page (see [`count`](super::count)) and remembered ([`Learned::Total`]).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::count::{Bound, CountPlan, Probe};
use super::errors::{self, V2Outcome};
use super::render::V2Json;
use super::reply::{Row, V3Result};
use super::select::Shape;
use super::{convert, render, Plan, Reread};
use crate::rules::{MethodRule, RuleSet, Total};

/// One REST 3.0 call a plan needs.
#[derive(Debug, Clone, PartialEq)]
pub struct V3Call {
    pub method: String,
    pub query: Map<String, Value>,
    /// Changes data: sent alone it carries an `Idempotency-Key`.
    pub write: bool,
}

/// What became of one call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallReply {
    /// The call's `result`.
    Ok(V3Result),
    /// The portal refused it: status and body as received.
    Err { status: u16, body: Value },
    /// Not sent, because a call it depends on failed.
    NotRun,
}

impl CallReply {
    /// A success with this `result`.
    pub fn ok(result: Value) -> CallReply {
        CallReply::Ok(V3Result::from_value(result))
    }
}

/// A translated call's v2 answer, before the envelope and its `time` are written.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Ok {
        /// The v2 `result`, written.
        result: V2Json,
        next: Option<u64>,
        total: Option<u64>,
    },
    Error {
        status: u16,
        code: String,
        description: String,
    },
    /// The portal answered in the v2 shape already (a system error): passed on as it is.
    AsIs { status: u16, body: Value },
}

impl Answer {
    /// The portal's rate limit, as v2 clients see it.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Answer::AsIs { status, body } => crate::upstream::is_rate_limited(*status, body),
            Answer::Error { status, code, .. } => *status == 503 && code == "QUERY_LIMIT_EXCEEDED",
            Answer::Ok { .. } => false,
        }
    }
}

/// Rows of a query the bridge read recently, as REST 3.0 answered them.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub start: WindowStart,
    pub rows: Vec<Row>,
    /// The query has no rows after these.
    pub complete: bool,
}

/// Where a window's rows begin in their query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowStart {
    /// At this offset.
    Offset(u64),
    /// Right after this id (keyset paging), in the query's id order.
    After(KeysetBound),
}

/// A keyset condition on the id: `id > 17` in ascending order (or `<` descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeysetBound {
    pub id: i64,
    pub inclusive: bool,
    pub descending: bool,
}

impl KeysetBound {
    /// True when a row with this id lies beyond the bound.
    fn admits(&self, id: i64) -> bool {
        match (self.descending, self.inclusive) {
            (false, false) => id > self.id,
            (false, true) => id >= self.id,
            (true, false) => id < self.id,
            (true, true) => id <= self.id,
        }
    }

    /// True when every row beyond `self` is also beyond `earlier` (a later page).
    fn within(&self, earlier: &KeysetBound) -> bool {
        self.descending == earlier.descending
            && match self.descending {
                false => {
                    self.id > earlier.id
                        || (self.id == earlier.id && (!self.inclusive || earlier.inclusive))
                }
                true => {
                    self.id < earlier.id
                        || (self.id == earlier.id && (!self.inclusive || earlier.inclusive))
                }
            }
    }
}

/// What the bridge already knows about a call's query (from earlier calls).
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub total: Option<u64>,
    pub window: Option<Arc<Window>>,
}

/// What a finished call taught the bridge, for later calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Learned {
    /// The row count of the query under [`Keys::count`].
    Total(u64),
    /// Rows of the query under [`Keys::window`].
    Window(Window),
    /// The entity changed: forget what is known of its queries.
    Forget(String),
}

/// The names under which a list's knowledge is kept (without the caller, which the
/// executor adds).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Keys {
    /// Method and filter: what `total` depends on.
    pub count: String,
    /// Method, filter without a keyset bound, order and select: what a window holds.
    pub window: String,
}

/// A reference to the reply of an earlier call of the same round.
pub fn round_ref(call: usize, path: &str) -> Value {
    json!({ "$ref": format!("@{call}.{path}") })
}

/// Replaces the round references in a query with what `resolve(call, path)` gives
/// (`None` leaves the reference as it is). Returns false when one stayed.
pub fn resolve_round_refs(
    query: &mut Map<String, Value>,
    resolve: &mut dyn FnMut(usize, &str) -> Option<Value>,
) -> bool {
    fn walk(v: &mut Value, resolve: &mut dyn FnMut(usize, &str) -> Option<Value>) -> bool {
        if let Some(target) = round_ref_target(v) {
            return match resolve(target.0, &target.1) {
                Some(found) => {
                    *v = found;
                    true
                }
                None => false,
            };
        }
        match v {
            Value::Array(a) => walk_all(a.iter_mut(), resolve),
            Value::Object(m) => walk_all(m.values_mut(), resolve),
            _ => true,
        }
    }
    // Every reference is resolved even after one fails, so the caller sees all it can.
    fn walk_all<'a>(
        values: impl Iterator<Item = &'a mut Value>,
        resolve: &mut dyn FnMut(usize, &str) -> Option<Value>,
    ) -> bool {
        let mut all_found = true;
        for v in values {
            all_found &= walk(v, resolve);
        }
        all_found
    }
    walk_all(query.values_mut(), resolve)
}

fn round_ref_target(v: &Value) -> Option<(usize, String)> {
    let text = v
        .as_object()
        .filter(|m| m.len() == 1)?
        .get("$ref")?
        .as_str()?;
    let (call, path) = text.strip_prefix('@')?.split_once('.')?;
    Some((call.parse().ok()?, path.to_owned()))
}

/// The first round of a call when nothing is known of its query yet: what `b24bridge
/// translate` shows.
pub fn first_round(
    rules: &RuleSet,
    rule: &MethodRule,
    plan: Plan,
    caller: Option<u64>,
) -> Vec<V3Call> {
    let reading = Reading {
        read_ahead: rule.read_ahead,
    };
    Answering::new(rules, rule, plan, caller, &Known::default(), reading).first()
}

/// The HTTP requests a round costs: a write and what follows it travel one by one (the
/// write with its key), reads packed `batch_size` to a request.
pub fn requests_for(calls: &[V3Call], batch_size: usize) -> usize {
    if calls.iter().any(|c| c.write) {
        calls.len()
    } else {
        calls.len().div_ceil(batch_size.max(1))
    }
}

/// The value at a dotted path (`id`, `49.id`) of a call's result (`item` or `items`).
pub fn result_at(result: &V3Result, path: &str) -> Option<Value> {
    if result.item.is_some() {
        result.at(&format!("item.{path}"))
    } else if result.items.is_some() {
        result.at(&format!("items.{path}"))
    } else {
        None
    }
}

/// Where one page of a list lies, and what serving it needs.
#[derive(Debug, Clone)]
struct ListJob {
    request: Map<String, Value>,
    shape: Shape,
    /// v2 `start`; `None` for `start=-1` (no count, no `next`).
    start: Option<u64>,
    /// Where the page begins in the query sent (0 for keyset pages: the bound is in the
    /// filter).
    offset: u64,
    /// The keyset bound in the filter, when the query pages by id.
    keyset: Option<KeysetBound>,
    /// Rows wanted: the page, plus one to know whether a next page exists.
    need: u64,
    /// Rows per read-ahead cell (0: read exactly the page).
    cell: u64,
    count: bool,
    rows: Option<Vec<Row>>,
    bound: Bound,
    total: Option<u64>,
    window: Option<Window>,
    rounds: usize,
}

/// What one sent call was for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sent {
    Single,
    Write,
    Reread,
    PageCell { offset: u64, limit: u64 },
    KeysetPage { limit: u64 },
    Probe(Probe),
    AllCell { offset: u64, limit: u64 },
}

#[derive(Debug, Clone)]
enum Job {
    Get(Shape),
    Write {
        reread: Option<Reread>,
        id: Option<i64>,
    },
    Delete,
    List(Box<ListJob>),
    ListAll {
        request: Map<String, Value>,
        shape: Shape,
        rows: Vec<Row>,
    },
    Refuse,
}

/// Most rounds a list's counting may take before the bridge settles for what it knows.
const MAX_ROUNDS: usize = 12;
/// Most rows a method that answers every row reads (a runaway guard).
const MAX_ALL_ROWS: usize = 1_000_000;

/// A translated call being answered.
pub struct Answering<'a> {
    rules: &'a RuleSet,
    rule: &'a MethodRule,
    caller: Option<u64>,
    plan: Plan,
    job: Job,
    sent: Vec<Sent>,
    answer: Option<Answer>,
    learned: Vec<Learned>,
}

/// How a list reads: from the rule, narrowed by the caller (a chained batch command
/// reads exactly its page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub read_ahead: u64,
}

impl<'a> Answering<'a> {
    pub fn new(
        rules: &'a RuleSet,
        rule: &'a MethodRule,
        plan: Plan,
        caller: Option<u64>,
        known: &Known,
        reading: Reading,
    ) -> Answering<'a> {
        let job = match &plan {
            Plan::Get { shape, .. } => Job::Get(shape.clone()),
            Plan::Add { reread, .. } => Job::Write {
                reread: reread.clone(),
                id: None,
            },
            Plan::Update { reread, id, .. } => Job::Write {
                reread: reread.clone(),
                id: Some(*id),
            },
            Plan::Delete { .. } => Job::Delete,
            Plan::Refuse(_) => Job::Refuse,
            Plan::List { request, shape, .. } if !rule.paged => Job::ListAll {
                request: request.clone(),
                shape: shape.clone(),
                rows: Vec::new(),
            },
            Plan::List {
                request,
                shape,
                start,
            } => Job::List(Box::new(list_job(
                rule, request, shape, *start, known, reading,
            ))),
        };
        Answering {
            rules,
            rule,
            caller,
            plan,
            job,
            sent: Vec::new(),
            answer: None,
            learned: Vec::new(),
        }
    }

    /// The names of what the bridge may know about this call's query, for lists.
    pub fn keys(rule: &MethodRule, plan: &Plan) -> Option<Keys> {
        match plan {
            Plan::List { request, start, .. } if rule.paged => {
                Some(list_keys(rule, request, start.is_none()))
            }
            _ => None,
        }
    }

    /// The first round's calls; empty when the call is answered already.
    pub fn first(&mut self) -> Vec<V3Call> {
        let mut job = std::mem::replace(&mut self.job, Job::Refuse);
        let calls = match &mut job {
            Job::Refuse => {
                if let Plan::Refuse(e) = &self.plan {
                    self.answer = Some(Answer::Error {
                        status: e.status,
                        code: e.code.clone(),
                        description: e.description.clone(),
                    });
                }
                Vec::new()
            }
            Job::Get(_) => self.single_call(Sent::Single, false),
            Job::Delete => self.single_call(Sent::Write, true),
            Job::Write { reread, id } => {
                let mut calls = self.single_call(Sent::Write, true);
                if let Some(reread) = reread {
                    let id_value = match id {
                        Some(id) => Value::from(*id),
                        None => round_ref(0, "id"),
                    };
                    calls.push(self.reread_call(reread, id_value));
                    self.sent.push(Sent::Reread);
                }
                calls
            }
            Job::ListAll { request, .. } => {
                let cell = self.rule.count_page_size as u64;
                let call = all_cell(self.rule, request, 0, cell);
                self.sent = vec![Sent::AllCell {
                    offset: 0,
                    limit: cell,
                }];
                vec![call]
            }
            Job::List(list) => {
                let (calls, sent) = list_first_round(self.rule, list);
                self.sent = sent;
                calls
            }
        };
        self.job = job;
        if calls.is_empty() && self.answer.is_none() {
            self.finish_list();
        }
        calls
    }

    /// Takes the replies to the last round's calls (in their order) and gives the next
    /// round's calls; empty when the answer is ready.
    pub fn next(&mut self, replies: Vec<CallReply>) -> Vec<V3Call> {
        let sent = std::mem::take(&mut self.sent);
        if let Some(failure) = replies.iter().find_map(|r| match r {
            CallReply::Err { status, body } => Some((*status, body.clone())),
            _ => None,
        }) {
            self.fail(failure.0, &failure.1);
            return Vec::new();
        }
        match &mut self.job {
            Job::Refuse => Vec::new(),
            Job::Get(shape) => {
                let shape = shape.clone();
                let item = replies
                    .first()
                    .and_then(ok_result)
                    .and_then(|r| r.item.as_ref());
                self.answer_single(item, &shape);
                Vec::new()
            }
            Job::Delete => {
                let result = self.rule.success.clone().unwrap_or(Value::Bool(true));
                self.forget();
                self.answer = Some(ok(V2Json::of(&result, self.rules.json)));
                Vec::new()
            }
            Job::Write { reread, .. } => {
                let reread = reread.clone();
                self.forget();
                let written = replies.first().and_then(ok_result);
                match (reread, replies.get(1)) {
                    (Some(reread), Some(CallReply::Ok(result))) => {
                        self.answer_single(result.item.as_ref(), &reread.shape);
                    }
                    _ => {
                        let item = written
                            .and_then(|r| r.item.as_ref())
                            .map(Row::to_value)
                            .unwrap_or(Value::Bool(true));
                        let result = render::wrap(self.rule.wrap.as_deref(), item);
                        self.answer = Some(ok(V2Json::of(&result, self.rules.json)));
                    }
                }
                Vec::new()
            }
            Job::ListAll { request, rows, .. } => {
                let got = replies
                    .first()
                    .and_then(ok_result)
                    .map(items_of)
                    .unwrap_or_default();
                let full = got.len() as u64 >= self.rule.count_page_size as u64;
                rows.extend(got);
                if full && rows.len() < MAX_ALL_ROWS {
                    let cell = self.rule.count_page_size as u64;
                    let offset = rows.len() as u64;
                    let call = all_cell(self.rule, request, offset, cell);
                    self.sent = vec![Sent::AllCell {
                        offset,
                        limit: cell,
                    }];
                    return vec![call];
                }
                self.finish_list();
                Vec::new()
            }
            Job::List(job) => {
                take_list_replies(job, &sent, &replies);
                let calls = list_next_round(self.rule, job, &mut self.sent);
                if calls.is_empty() {
                    self.finish_list();
                }
                calls
            }
        }
    }

    /// The answer, once the last round's replies are in.
    pub fn answer(&self) -> Option<&Answer> {
        self.answer.as_ref()
    }

    /// Takes the answer and what the call taught the bridge.
    pub fn into_outcome(self) -> (Answer, Vec<Learned>) {
        let answer = self.answer.unwrap_or_else(|| Answer::Error {
            status: 500,
            code: "INTERNAL_SERVER_ERROR".into(),
            description: "Internal server error".into(),
        });
        (answer, self.learned)
    }

    /// True for calls that change data.
    pub fn is_write(&self) -> bool {
        self.plan.is_write()
    }

    /// True while the call may need more rounds than its first: a list whose count is not
    /// known yet, or one that reads every row.
    pub fn may_need_more_rounds(&self) -> bool {
        match &self.job {
            Job::List(job) => job.count && job.total.is_none(),
            Job::ListAll { .. } => true,
            _ => false,
        }
    }

    fn single_call(&mut self, sent: Sent, write: bool) -> Vec<V3Call> {
        // Taken, not copied: after the first round the plan is read only for its kind.
        let Some(query) = self.plan.first_request_mut().map(std::mem::take) else {
            return Vec::new();
        };
        self.sent = vec![sent];
        vec![V3Call {
            method: self.rule.v3_method.clone(),
            query,
            write,
        }]
    }

    fn reread_call(&self, reread: &Reread, id: Value) -> V3Call {
        let id_key = self
            .rule
            .id_param
            .as_ref()
            .map(|p| p.v3.clone())
            .unwrap_or_else(|| "id".into());
        let mut query = Map::new();
        query.insert(id_key, id);
        query.insert("select".into(), json!(reread.select));
        V3Call {
            method: reread.method.clone(),
            query,
            write: false,
        }
    }

    fn answer_single(&mut self, item: Option<&Row>, shape: &Shape) {
        let result = render::entity_json(
            self.rule.wrap.as_deref(),
            &self.rule.entity,
            shape,
            item,
            self.caller,
            self.rules.json,
        );
        self.answer = Some(ok(result));
    }

    fn rows(&self, rows: &[Row], shape: &Shape) -> V2Json {
        render::rows_json(
            self.rule.wrap.as_deref(),
            &self.rule.entity,
            shape,
            rows,
            self.caller,
            self.rules.json,
        )
    }

    fn finish_list(&mut self) {
        if self.answer.is_some() {
            return;
        }
        match &self.job {
            Job::ListAll { rows, shape, .. } => {
                let result = self.rows(rows, shape);
                self.answer = Some(Answer::Ok {
                    result,
                    next: None,
                    total: None,
                });
            }
            Job::List(job) => {
                let page = self.rule.page_size as u64;
                let rows = job.rows.clone().unwrap_or_default();
                let has_more = rows.len() as u64 > page;
                let shown = &rows[..rows.len().min(page as usize)];
                let result = self.rows(shown, &job.shape);
                let (next, total) = match job.start {
                    None => (None, Some(0)),
                    Some(start) => (
                        has_more.then_some(start + page),
                        Some(match self.rule.total {
                            Total::None => 0,
                            _ => job
                                .total
                                .or(job.bound.exact())
                                .unwrap_or(job.bound.at_least),
                        }),
                    ),
                };
                if let Some(total) = job.total.or(job.bound.exact()) {
                    if job.count {
                        self.learned.push(Learned::Total(total));
                    }
                }
                if let Some(window) = job.window.clone() {
                    self.learned.push(Learned::Window(window));
                }
                self.answer = Some(Answer::Ok {
                    result,
                    next,
                    total,
                });
            }
            _ => {}
        }
    }

    fn fail(&mut self, status: u16, body: &Value) {
        let outcome = errors::map(status, body, &self.rule.errors, &self.rules.errors);
        self.answer = Some(match outcome {
            V2Outcome::EmptyResult => ok(V2Json::of(&Value::Array(Vec::new()), self.rules.json)),
            V2Outcome::AsIs { status, body } => Answer::AsIs { status, body },
            V2Outcome::Error {
                status,
                code,
                description,
            } => {
                if status >= 500 {
                    tracing::error!(v3_code = %code, "the portal rejected a request the bridge built; this is a bridge bug");
                }
                Answer::Error {
                    status,
                    code,
                    description,
                }
            }
        });
        if self.is_write() {
            // A refused write changed nothing the bridge knows of, but a lost one might have.
            self.forget();
        }
    }

    fn forget(&mut self) {
        self.learned
            .push(Learned::Forget(self.rule.entity.name.clone()));
    }
}

fn ok(result: V2Json) -> Answer {
    Answer::Ok {
        result,
        next: None,
        total: None,
    }
}

fn ok_result(reply: &CallReply) -> Option<&V3Result> {
    match reply {
        CallReply::Ok(result) => Some(result),
        _ => None,
    }
}

/// A list result's rows (shared, not copied).
fn items_of(result: &V3Result) -> Vec<Row> {
    result.rows().to_vec()
}

/// The id condition a keyset page carries, when it pages by id alone: `id > X` in
/// ascending id order (or `<` descending). Returns the bound and the filter without it.
fn keyset_of(rule: &MethodRule, request: &Map<String, Value>) -> Option<(KeysetBound, Vec<Value>)> {
    let id_field = rule
        .entity
        .fields
        .iter()
        .find(|f| f.key == "id")?
        .v3
        .clone()?;
    let order = request.get("order")?.as_object()?;
    if order.len() != 1 {
        return None;
    }
    let descending = match order.get(&id_field)?.as_str()? {
        "ASC" => false,
        "DESC" => true,
        _ => return None,
    };
    let filter = request.get("filter")?.as_array()?;
    let mut bound = None;
    let mut rest = Vec::new();
    for condition in filter {
        let parsed = condition.as_array().and_then(|c| match c.as_slice() {
            [f, op, v] if f.as_str() == Some(&id_field) => {
                let id = v.as_i64()?;
                match (op.as_str()?, descending) {
                    (">", false) => Some((id, false)),
                    (">=", false) => Some((id, true)),
                    ("<", true) => Some((id, false)),
                    ("<=", true) => Some((id, true)),
                    _ => None,
                }
            }
            _ => None,
        });
        match parsed {
            Some((id, inclusive)) if bound.is_none() => {
                bound = Some(KeysetBound {
                    id,
                    inclusive,
                    descending,
                })
            }
            _ => rest.push(condition.clone()),
        }
    }
    bound.map(|b| (b, rest))
}

fn canonical(v: Option<&Value>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// `keyset`: the call pages by id (`start=-1`), so its window is that of the query without
/// the id bound.
fn list_keys(rule: &MethodRule, request: &Map<String, Value>, keyset: bool) -> Keys {
    let count = format!("{}|{}", rule.v3_method, canonical(request.get("filter")));
    let base_filter = match keyset_of(rule, request).filter(|_| keyset) {
        Some((_, rest)) => Value::Array(rest).to_string(),
        None => canonical(request.get("filter")),
    };
    let window = format!(
        "{}|{}|{}|{}",
        rule.v3_method,
        base_filter,
        canonical(request.get("order")),
        canonical(request.get("select"))
    );
    Keys { count, window }
}

fn list_job(
    rule: &MethodRule,
    request: &Map<String, Value>,
    shape: &Shape,
    start: Option<u64>,
    known: &Known,
    reading: Reading,
) -> ListJob {
    let page = rule.page_size as u64;
    // Keyset paging (`>ID` with `start=-1`): the page begins after the bound. With a
    // `start`, the bound is only a filter and the page begins at `start`.
    let keyset = keyset_of(rule, request)
        .map(|(b, _)| b)
        .filter(|_| start.is_none());
    let mut job = ListJob {
        request: request.clone(),
        shape: shape.clone(),
        start,
        offset: if keyset.is_some() {
            0
        } else {
            start.unwrap_or(0)
        },
        keyset,
        need: if start.is_some() { page + 1 } else { page },
        cell: reading.read_ahead.min(1000),
        count: start.is_some() && rule.total != Total::None,
        rows: None,
        bound: Bound::default(),
        total: if rule.total == Total::Cached {
            known.total
        } else {
            None
        },
        window: None,
        rounds: 0,
    };
    if job.cell != 0 && job.cell < job.need {
        job.cell = job.need;
    }
    if let Some(window) = &known.window {
        serve_from_window(&mut job, window);
    }
    job
}

/// Takes the page's rows from a window when it holds them (and the count when it reached
/// the query's end).
fn serve_from_window(job: &mut ListJob, window: &Window) {
    let (first, known_before) = match (window.start, job.keyset) {
        (WindowStart::Offset(w0), None) => {
            if job.offset < w0 {
                return;
            }
            ((job.offset - w0) as usize, Some(w0))
        }
        (WindowStart::Offset(w0), Some(bound)) => {
            let starts_before = w0 == 0
                || window
                    .rows
                    .first()
                    .and_then(row_id)
                    .is_some_and(|id| !bound.admits(id));
            if !starts_before {
                return;
            }
            let first = window
                .rows
                .iter()
                .position(|r| row_id(r).is_some_and(|id| bound.admits(id)))
                .unwrap_or(window.rows.len());
            (first, None)
        }
        (WindowStart::After(earlier), Some(bound)) => {
            if !bound.within(&earlier) {
                return;
            }
            let first = window
                .rows
                .iter()
                .position(|r| row_id(r).is_some_and(|id| bound.admits(id)))
                .unwrap_or(window.rows.len());
            (first, None)
        }
        (WindowStart::After(_), None) => return,
    };
    let available = window.rows.len().saturating_sub(first) as u64;
    if available < job.need && !window.complete {
        return;
    }
    let end = (first + job.need as usize).min(window.rows.len());
    job.rows = Some(window.rows.get(first..end).unwrap_or_default().to_vec());
    if window.complete {
        if let Some(w0) = known_before {
            let len = window.rows.len() as u64;
            if len > 0 || w0 == 0 {
                job.total.get_or_insert(w0 + len);
            }
        }
    }
}

fn row_id(row: &Row) -> Option<i64> {
    row.id()
}

fn page_call(rule: &MethodRule, request: &Map<String, Value>, offset: u64, limit: u64) -> V3Call {
    let mut query = request.clone();
    query.insert(
        "pagination".into(),
        json!({"offset": offset, "limit": limit}),
    );
    V3Call {
        method: rule.v3_method.clone(),
        query,
        write: false,
    }
}

fn all_cell(rule: &MethodRule, request: &Map<String, Value>, offset: u64, limit: u64) -> V3Call {
    page_call(rule, request, offset, limit)
}

/// A counting call: ids only, no order.
fn probe_call(rule: &MethodRule, request: &Map<String, Value>, probe: Probe) -> V3Call {
    let mut query = Map::new();
    query.insert("select".into(), json!(["id"]));
    if let Some(filter) = request.get("filter") {
        query.insert("filter".into(), filter.clone());
    }
    query.insert(
        "pagination".into(),
        json!({"offset": probe.offset, "limit": probe.limit}),
    );
    V3Call {
        method: rule.v3_method.clone(),
        query,
        write: false,
    }
}

fn count_plan(rule: &MethodRule) -> CountPlan {
    CountPlan {
        cell: rule.count_page_size as u64,
        dense: rule.count_cells as u64,
        far: 8,
        per_round: 49,
    }
}

fn list_first_round(rule: &MethodRule, job: &mut ListJob) -> (Vec<V3Call>, Vec<Sent>) {
    let mut calls = Vec::new();
    let mut sent = Vec::new();
    let mut read_to = job.offset;
    if job.rows.is_none() {
        if job.keyset.is_some() {
            let limit = job.cell.max(job.need);
            calls.push(page_call(rule, &job.request, 0, limit));
            sent.push(Sent::KeysetPage { limit });
            read_to = limit;
        } else if let Some(first) = job.offset.checked_div(job.cell) {
            let last = (job.offset + job.need - 1) / job.cell;
            for c in first..=last {
                calls.push(page_call(rule, &job.request, c * job.cell, job.cell));
                sent.push(Sent::PageCell {
                    offset: c * job.cell,
                    limit: job.cell,
                });
            }
            read_to = (last + 1) * job.cell;
        } else {
            // No cells: the page is read exactly as asked.
            calls.push(page_call(rule, &job.request, job.offset, job.need));
            sent.push(Sent::PageCell {
                offset: job.offset,
                limit: job.need,
            });
            read_to = job.offset + job.need;
        }
    }
    if job.count && job.total.is_none() {
        for probe in count_plan(rule).first_round(read_to) {
            calls.push(probe_call(rule, &job.request, probe));
            sent.push(Sent::Probe(probe));
        }
    }
    job.rounds = 1;
    (calls, sent)
}

fn take_list_replies(job: &mut ListJob, sent: &[Sent], replies: &[CallReply]) {
    let mut cells: Vec<(u64, Vec<Row>, bool)> = Vec::new();
    for (what, reply) in sent.iter().zip(replies) {
        let items = ok_result(reply).map(items_of).unwrap_or_default();
        let n = items.len() as u64;
        match *what {
            Sent::PageCell { offset, limit } => {
                job.bound.learn(offset, limit, n);
                cells.push((offset, items, n < limit));
            }
            Sent::KeysetPage { limit } => {
                if job.start == Some(0) {
                    job.bound.learn(0, limit, n);
                }
                job.window = Some(Window {
                    start: WindowStart::After(job.keyset.unwrap_or(KeysetBound {
                        id: 0,
                        inclusive: false,
                        descending: false,
                    })),
                    rows: items.clone(),
                    complete: n < limit,
                });
                job.rows = Some(items.into_iter().take(job.need as usize).collect());
            }
            Sent::Probe(p) => job.bound.learn(p.offset, p.limit, n),
            _ => {}
        }
    }
    if !cells.is_empty() {
        let w0 = cells[0].0;
        let mut rows = Vec::new();
        let mut complete = false;
        for (_, items, short) in cells {
            rows.extend(items);
            if short {
                complete = true;
                break;
            }
        }
        let from = (job.offset - w0) as usize;
        let end = (from + job.need as usize).min(rows.len());
        job.rows = Some(rows.get(from..end).unwrap_or_default().to_vec());
        if job.cell != 0 {
            job.window = Some(Window {
                start: WindowStart::Offset(w0),
                rows,
                complete,
            });
        }
    }
    if let Some(exact) = job.bound.exact() {
        job.total.get_or_insert(exact);
    }
}

fn list_next_round(rule: &MethodRule, job: &mut ListJob, sent: &mut Vec<Sent>) -> Vec<V3Call> {
    if !job.count || job.total.is_some() || job.rounds >= MAX_ROUNDS {
        if job.count && job.total.is_none() {
            tracing::warn!(
                at_least = job.bound.at_least,
                "counting stopped after {MAX_ROUNDS} rounds; total is a lower bound"
            );
        }
        return Vec::new();
    }
    job.rounds += 1;
    let probes = count_plan(rule).next_round(job.bound);
    probes
        .into_iter()
        .map(|probe| {
            sent.push(Sent::Probe(probe));
            probe_call(rule, &job.request, probe)
        })
        .collect()
}

/// The written values by which an add that may have run can be recognised among the
/// newest rows: its scalar fields that read back as written.
pub fn add_fingerprint(rule: &MethodRule, plan: &Plan) -> Option<Map<String, Value>> {
    let Plan::Add { request, .. } = plan else {
        return None;
    };
    let fields = request.get("fields")?.as_object()?;
    let mut out = Map::new();
    for (name, value) in fields {
        let Some(field) = rule.entity.by_v3(name) else {
            continue;
        };
        let stable = matches!(
            field.converter,
            crate::rules::Converter::Text
                | crate::rules::Converter::Int
                | crate::rules::Converter::IntString
                | crate::rules::Converter::Enum { .. }
        );
        if stable && (value.is_string() || value.is_i64() || value.is_u64()) {
            out.insert(name.clone(), value.clone());
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Which of a sequence of adds (their fingerprints, in the order they ran) the rows
/// created since they were sent show: the longest prefix that appears, in id order, among
/// `fresh_rows`. Returns the ids found, one per add of the prefix. Adds run in order, so
/// what ran is a prefix; rows of other writers in between are passed over.
pub fn committed_adds(fingerprints: &[Map<String, Value>], fresh_rows: &[Value]) -> Vec<i64> {
    let mut rows: Vec<&Value> = fresh_rows
        .iter()
        .filter(|r| value_id(r).is_some())
        .collect();
    rows.sort_by_key(|r| value_id(r).unwrap_or(0));
    let mut found = Vec::new();
    let mut from = 0;
    for fingerprint in fingerprints {
        let hit = rows[from..].iter().position(|row| {
            fingerprint
                .iter()
                .all(|(k, v)| row.get(k).is_some_and(|got| same_value(got, v)))
        });
        match hit {
            Some(at) => {
                found.push(value_id(rows[from + at]).unwrap_or(0));
                from += at + 1;
            }
            None => break,
        }
    }
    found
}

fn value_id(row: &Value) -> Option<i64> {
    row.get("id").and_then(Value::as_i64)
}

fn same_value(got: &Value, want: &Value) -> bool {
    got == want
        || convert::id_of(got)
            .zip(convert::id_of(want))
            .is_some_and(|(a, b)| a == b)
}

#[cfg(test)]
mod tests;
