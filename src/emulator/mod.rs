//! An in-memory Bitrix24 that answers tasks calls in both legacy REST (v2) and REST 3.0
//! (v3) from one store. It is the oracle of the differential tests: a v2 request answered
//! here directly must equal the same request answered through the bridge, which turns it
//! into v3 calls answered here too. Everything is synchronous and pure; the HTTP layer sits
//! on top of [`Emulator`].
//!
//! Credentials: webhooks `(1, "hook1")` and `(7, "hook7")`; OAuth tokens `token-user-1`
//! (user 1) and `token-user-7` (user 7). User 1 is the portal administrator.
//!
//! Assumptions (where the reference is silent or tagged [?]; both versions follow them):
//! 1. Rights: user 1 (admin) may do everything. Others read a task when they are its
//!    creator, responsible, accomplice or auditor, or when it is in an opened group; edit
//!    and delete need creator or admin; status actions follow the status (see
//!    `store::rights`). v2 `action` is derived from v3 `rights` by tasks-mapping §3.8;
//!    `addFavorite`/`favorite.add` also need the task not to be a favourite of the caller,
//!    the delete pair the opposite; `accept`/`decline` are always false.
//! 2. v3 `rights` has the 22 keys of the doc example (no `watch`, `mute`, …).
//! 3. Any update needs the `edit` right, in both versions.
//! 4. v3 ACCESSDENIED is HTTP 403 (overview table), ENTITYNOTFOUND 400. v2 update, delete,
//!    start, complete of a missing task: 400 `ERROR_NOT_FOUND` "Task not found"; of a task
//!    the caller cannot see: like no right ("0" / "1048582"). v2 get: `[]` for both.
//! 5. v2 renders only fields that have a v3 counterpart (tasks-mapping §3.1 rows with a v3
//!    name, plus `checklist` always empty); v2-only keys (`notViewed`, `commentsCount`,
//!    `descriptionInBbcode`, `newCommentsCount`, `subStatus`, …) are not modelled.
//! 6. Empty references: v2 `groupId`/`stageId` `"0"`, other ids (`parentId`, `closedBy`,
//!    `statusChangedBy`, `forkedByTemplateId`, `flowId`) `null`; v3 `null` for all of them.
//! 7. v3 `mark` is `"none"`/`"positive"`/`"negative"` ↔ v2 `null`/`"P"`/`"N"`.
//! 8. v3 `inFavorite`/`inPin`/`inGroupPin`/`inMute` hold `[caller]` when the caller has
//!    the flag, else `[]` ↔ v2 `"Y"`/`"N"`.
//! 9. v3 `accomplices`/`auditors` without a dot: arrays of `{id, name}`; with dots: arrays
//!    of the selected user fields. `creator`/`responsible`/`changedBy`/`statusChangedBy`/
//!    `closedBy` without a dot: the whole user `{id, name, role, image, gender, email,
//!    externalAuthId}` (`image` null, `gender` null, `externalAuthId` null); `group`: the whole
//!    `{id, name, image, type, isVisible}` or null. Multi-level paths (`creator.image.src`) and
//!    unknown sub-fields → UNKNOWNDTOPROPERTYEXCEPTION; a dotted path whose head is not a
//!    relation is dropped like an unknown own field. Dotted select works in list too.
//! 10. Status is writable in both versions (v2 `STATUS`, v3 `status`), values 2..7. v2
//!     update also accepts `CREATED_BY` (v3 refuses `creatorId`, per its docs).
//! 11. v2 filter: plain/`=` on TITLE is a LIKE pattern (`%`, `_`); text comparisons are
//!     case-insensitive; a missing numeric reference compares as 0; a missing date is NULL
//!     (only `=`/`!` with `""` or null match it); every `!` operator is the exact complement of
//!     its positive form. `STATUS` also matches meta codes -1 (overdue: deadline before the
//!     logical now, status 2/3/6) and -3 (deadline within 24 h after now); -2 matches nothing.
//!     Unknown filter keys are ignored. Dates compare lexically on their +03:00 ISO form
//!     (values parsed first when possible).
//! 12. Sorting (both versions): NULL first in ascending order; text case-insensitive;
//!     priority and status by their numeric codes; mark by `N` < `P`; ties by id ascending.
//!     v2 directions other than asc/desc (any case) mean asc. v3 directions ASC/DESC any case.
//! 13. v3 pagination: `offset = (page-1)*limit + offset`; limit over 1000 is capped at 1000;
//!     numeric strings are accepted; zero/negative/non-numeric limit, page < 1 or negative
//!     offset → INVALIDPAGINATIONEXCEPTION.
//! 14. v3 filter: `{"logic":"and"|"or","conditions":[…],"negative":true}` groups (SDK-documented),
//!     `logic` any case. v3 add: unknown keys in `fields` → UNKNOWNDTOPROPERTYEXCEPTION,
//!     known non-editable keys → VALIDATION "requires the Editable attribute" (creatorId is
//!     allowed on add only).
//! 15. Business validation is shared: v2 `ERROR_CORE` "<message><br>" ↔ v3 VALIDATION with
//!     the same message on the v3 field (e.g. "Task title is not specified").
//! 16. Task results: `updatedAt` always set (equal to `createdAt` until changed); v2 list in
//!     id order; `formattedText` is the BBCode text with `[b] [i] [u] [s]` turned into HTML
//!     after escaping. v3 result.list needs a top-level `taskId` `=`/`in` condition; a task the
//!     caller cannot read (or that does not exist) → ACCESSDENIED; without select all fields.
//! 17. v2 parameter names are matched case-insensitively (`taskId`, `TASKID`).
//! 18. `server.time` answers the logical clock; only `time` blocks use the wall clock.
//! 19. `tasks.task.start`/`complete` answer `{"task": <full task>}` like update; complete
//!     of a task under control by its responsible (not creator/admin) goes to status 4.
//! 20. v3 errors carry no `time` block; v2 errors neither.
//! 21. Unknown v3 method → 404 `{"error":{"code":"ERROR_METHOD_NOT_FOUND",…}}`; a v3 body that is
//!     not an object (and not null) → VALIDATION.
//! 22. Idempotency entries never expire (no 24 h clock here); keys are validated only on
//!     add/update/delete; errors are not stored; the first answer echoes the key too.
//! 23. v2 batch: more than 50 commands → the whole request fails with 400
//!     `ERROR_BATCH_LENGTH_EXCEEDED`; a `$result[…]` reference to a failed, later or missing
//!     command, or a missing path, becomes the empty string; a value that is exactly one
//!     reference takes the referenced value as is (arrays too); failed commands have no
//!     `result_time` entry. See `batch_v2` for the full list.
//! 24. v3 batch: all-or-nothing answer without rollback of earlier writes; malformed batches,
//!     bad `$ref`/`$refArray` and more than 50 calls → INVALIDSELECTEXCEPTION; nested batch →
//!     405 `ERROR_BATCH_METHOD_NOT_ALLOWED`; idempotency keys are not applied inside.
//! 25. v3 `rights` and v2 `action` are per caller; result `rights {edit, remove}` are true for
//!     the author and the admin.

mod batch_v2;
mod batch_v3;
mod clock;
mod fields;
mod filter_v2;
mod filter_v3;
mod idempotency;
mod openapi;
mod store;
mod tasks_v2;
mod tasks_v3;
mod writes;

use serde_json::{json, Map, Value};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

pub use clock::time_block;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V2,
    V3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedBy {
    pub version: ApiVersion,
    pub method: String,
    pub in_batch: bool,
}

/// A v2 method's successful outcome before the envelope is added.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct V2Ok {
    pub result: Value,
    pub next: Option<u64>,
    pub total: Option<u64>,
}

impl V2Ok {
    pub fn plain(result: Value) -> Self {
        V2Ok {
            result,
            next: None,
            total: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct V2Err {
    pub status: u16,
    pub code: String,
    pub desc: String,
}

impl V2Err {
    pub fn new(status: u16, code: &str, desc: &str) -> Self {
        V2Err {
            status,
            code: code.into(),
            desc: desc.into(),
        }
    }
}

pub(crate) const V3_PREFIX: &str = "BITRIX_REST_V3_EXCEPTION_";

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct V3Err {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub validation: Vec<(String, String)>,
}

impl V3Err {
    /// `suffix` follows `BITRIX_REST_V3_EXCEPTION_`.
    pub fn new(status: u16, suffix: &str, message: &str) -> Self {
        V3Err {
            status,
            code: format!("{V3_PREFIX}{suffix}"),
            message: message.into(),
            validation: Vec::new(),
        }
    }
    pub fn validation(field: &str, message: &str) -> Self {
        V3Err {
            status: 400,
            code: format!("{V3_PREFIX}VALIDATION_REQUESTVALIDATIONEXCEPTION"),
            message: "Error validating request object".into(),
            validation: vec![(field.into(), message.into())],
        }
    }
    pub fn required(field: &str) -> Self {
        Self::validation(field, &format!("Required field `{field}` is not specified"))
    }
    pub fn type_error(field: &str, ty: &str) -> Self {
        Self::validation(field, &format!("Field `{field}` requires data type `{ty}`"))
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(400, "ENTITYNOTFOUNDEXCEPTION", &format!("{what} not found"))
    }
    pub fn access_denied() -> Self {
        Self::new(403, "ACCESSDENIEDEXCEPTION", "Access denied")
    }
    pub fn unknown_property(field: &str) -> Self {
        Self::new(
            400,
            "UNKNOWNDTOPROPERTYEXCEPTION",
            &format!("Unknown property `{field}`"),
        )
    }
    pub fn answer(&self) -> Answer {
        let mut err = Map::new();
        err.insert("code".into(), json!(self.code));
        err.insert("message".into(), json!(self.message));
        if !self.validation.is_empty() {
            let v: Vec<Value> = self
                .validation
                .iter()
                .map(|(f, m)| json!({"field": f, "message": m}))
                .collect();
            err.insert("validation".into(), Value::Array(v));
        }
        Answer {
            status: self.status,
            body: json!({ "error": err }),
            headers: Vec::new(),
        }
    }
}

/// A flat v2 error answer.
pub fn v2_error(status: u16, code: &str, description: &str) -> Answer {
    Answer {
        status,
        body: json!({"error": code, "error_description": description}),
        headers: Vec::new(),
    }
}

/// A nested REST 3.0 error answer (no validation list).
pub fn v3_error(status: u16, code: &str, message: &str) -> Answer {
    Answer {
        status,
        body: json!({"error": {"code": code, "message": message}}),
        headers: Vec::new(),
    }
}

pub(crate) struct State {
    pub store: store::Store,
    pub served: Vec<ServedBy>,
    pub idem: idempotency::Registry,
}

pub struct Emulator {
    state: Mutex<State>,
}

pub(crate) fn norm_method(m: &str) -> String {
    m.trim().trim_matches('/').to_lowercase()
}

pub(crate) fn v2_envelope(ok: V2Ok, start: SystemTime) -> Value {
    let mut m = Map::new();
    m.insert("result".into(), ok.result);
    if let Some(n) = ok.next {
        m.insert("next".into(), json!(n));
    }
    if let Some(t) = ok.total {
        m.insert("total".into(), json!(t));
    }
    m.insert("time".into(), time_block(start, SystemTime::now()));
    Value::Object(m)
}

impl Emulator {
    pub fn new(seed: u64) -> Self {
        Emulator {
            state: Mutex::new(State {
                store: store::Store::seeded(seed),
                served: Vec::new(),
                idem: idempotency::Registry::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn authenticate_webhook(&self, user_id: u64, code: &str) -> Option<Caller> {
        match (user_id, code) {
            (1, "hook1") | (7, "hook7") => Some(Caller { user_id }),
            _ => None,
        }
    }

    pub fn authenticate_token(&self, token: &str) -> Option<Caller> {
        match token {
            "token-user-1" => Some(Caller { user_id: 1 }),
            "token-user-7" => Some(Caller { user_id: 7 }),
            _ => None,
        }
    }

    /// A v2 call; `method` lower-case without suffix; `params` as the PHP server would see
    /// them (strings from forms, JSON types from JSON bodies).
    pub fn call_v2(&self, method: &str, params: &Map<String, Value>, caller: &Caller) -> Answer {
        let start = SystemTime::now();
        let mut st = self.lock();
        let m = norm_method(method);
        st.served.push(ServedBy {
            version: ApiVersion::V2,
            method: m.clone(),
            in_batch: false,
        });
        let out = if m == "batch" {
            batch_v2::run(&mut st, params, caller)
        } else {
            tasks_v2::dispatch(&mut st.store, &m, params, caller)
        };
        match out {
            Ok(ok) => Answer {
                status: 200,
                body: v2_envelope(ok, start),
                headers: Vec::new(),
            },
            Err(e) => v2_error(e.status, &e.code, &e.desc),
        }
    }

    /// A REST 3.0 call; `body` is the parsed JSON body (object, or array for batch).
    pub fn call_v3(
        &self,
        method: &str,
        body: &Value,
        caller: &Caller,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let start = SystemTime::now();
        let mut st = self.lock();
        let m = norm_method(method);
        st.served.push(ServedBy {
            version: ApiVersion::V3,
            method: m.clone(),
            in_batch: false,
        });
        if m == "batch" {
            return match batch_v3::run(&mut st, body, caller) {
                Ok(result) => Answer {
                    status: 200,
                    body: json!({"result": result, "time": time_block(start, SystemTime::now())}),
                    headers: Vec::new(),
                },
                Err(e) => e.answer(),
            };
        }
        let run = |store: &mut store::Store| match tasks_v3::dispatch(store, &m, body, caller) {
            Ok(result) => Answer {
                status: 200,
                body: json!({"result": result, "time": time_block(start, SystemTime::now())}),
                headers: Vec::new(),
            },
            Err(e) => e.answer(),
        };
        if !tasks_v3::is_write(&m) {
            return run(&mut st.store);
        }
        let Some(key) = idempotency_key else {
            return run(&mut st.store);
        };
        let State { store, idem, .. } = &mut *st;
        idem.handle(caller.user_id, &m, key, body, || run(store))
    }

    pub fn served_log(&self) -> Vec<ServedBy> {
        self.lock().served.clone()
    }

    pub fn clear_served_log(&self) {
        self.lock().served.clear();
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    pub const ADMIN: Caller = Caller { user_id: 1 };
    pub const USER7: Caller = Caller { user_id: 7 };

    pub fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// The body without its `time` block(s), for comparisons.
    pub fn strip_time(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| k.as_str() != "time" && k.as_str() != "result_time")
                    .map(|(k, v)| (k.clone(), strip_time(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(strip_time).collect()),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn emulator_is_send_and_sync() {
        assert_send_sync::<Emulator>();
    }

    #[test]
    fn credentials_are_the_documented_ones() {
        let e = Emulator::new(1);
        assert_eq!(e.authenticate_webhook(1, "hook1"), Some(ADMIN));
        assert_eq!(e.authenticate_webhook(7, "hook7"), Some(USER7));
        assert_eq!(e.authenticate_webhook(7, "hook1"), None);
        assert_eq!(e.authenticate_token("token-user-7"), Some(USER7));
        assert_eq!(e.authenticate_token("token-user-2"), None);
    }

    #[test]
    fn error_helpers_have_the_wire_shapes() {
        assert_eq!(
            v2_error(401, "NO_AUTH_FOUND", "Wrong authorization data").body,
            json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"})
        );
        let a = v3_error(400, "BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION", "bad");
        assert_eq!(a.status, 400);
        assert_eq!(
            a.body["error"]["code"],
            "BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION"
        );
    }

    #[test]
    fn served_log_records_every_call_and_clears() {
        let e = Emulator::new(1);
        e.call_v2("TASKS.TASK.GET", &obj(json!({"taskId": 1})), &ADMIN);
        e.call_v3("tasks.task.get", &json!({"id": 1}), &ADMIN, None);
        assert_eq!(
            e.served_log(),
            vec![
                ServedBy {
                    version: ApiVersion::V2,
                    method: "tasks.task.get".into(),
                    in_batch: false
                },
                ServedBy {
                    version: ApiVersion::V3,
                    method: "tasks.task.get".into(),
                    in_batch: false
                },
            ]
        );
        e.clear_served_log();
        assert!(e.served_log().is_empty());
    }

    #[test]
    fn same_seed_same_writes_same_answers() {
        let run = |e: &Emulator| {
            let mut out = Vec::new();
            out.push(e.call_v2(
                "tasks.task.add",
                &obj(json!({"fields": {"TITLE": "Det", "RESPONSIBLE_ID": "2", "DEADLINE": "2026-12-01T10:00:00+03:00"}})),
                &ADMIN,
            ));
            out.push(e.call_v3(
                "tasks.task.update",
                &json!({"id": 3, "fields": {"title": "Renamed", "priority": "high"}}),
                &ADMIN,
                Some("k1"),
            ));
            out.push(e.call_v2("tasks.task.delete", &obj(json!({"taskId": 5})), &ADMIN));
            out.push(e.call_v2("tasks.task.list", &obj(json!({"start": 50})), &ADMIN));
            out.push(e.call_v3(
                "tasks.task.list",
                &json!({"select": ["id", "title", "changed", "creator.name"], "order": {"changed": "DESC"}}),
                &USER7,
                None,
            ));
            out.into_iter()
                .map(|a| (a.status, strip_time(&a.body)))
                .collect::<Vec<_>>()
        };
        let (a, b) = (Emulator::new(99), Emulator::new(99));
        assert_eq!(run(&a), run(&b));
        assert_ne!(run(&Emulator::new(99)), run(&Emulator::new(100)));
    }

    /// v3 value → the v2 value the mapping of tasks-mapping §3.1/§3.5 says it becomes.
    fn v3_to_v2(kind: fields::Kind, v: &Value, caller: u64) -> Value {
        use fields::Kind as K;
        match (kind, v) {
            (K::IdZero, Value::Null) => json!("0"),
            (K::OptInt | K::IdZero | K::Int, Value::Number(n)) => json!(n.to_string()),
            (K::Flag, Value::Bool(b)) => json!(if *b { "Y" } else { "N" }),
            (K::Status, Value::String(s)) => {
                json!(writes::status_code_of(s).map(|c| c.to_string()))
            }
            (K::Priority, Value::String(s)) => {
                json!(["low", "average", "high"]
                    .iter()
                    .position(|p| p == s)
                    .map(|p| p.to_string()))
            }
            (K::Mark, Value::String(s)) => match s.as_str() {
                "positive" => json!("P"),
                "negative" => json!("N"),
                _ => Value::Null,
            },
            (K::Member, Value::Array(a)) => {
                json!(if a.contains(&json!(caller)) { "Y" } else { "N" })
            }
            (K::Users, Value::Array(a)) => {
                Value::Array(a.iter().map(|u| json!(u["id"].to_string())).collect())
            }
            (_, other) => other.clone(),
        }
    }

    #[test]
    fn v2_and_v3_render_the_same_store() {
        let e = Emulator::new(21);
        for caller in [ADMIN, USER7] {
            let v2 = e.call_v2("tasks.task.list", &obj(json!({"select": ["*", "FAVORITE", "UF_CRM_TASK"], "order": {"ID": "asc"}, "start": 0})), &caller);
            let names: Vec<&str> = fields::FIELDS
                .iter()
                .filter(|d| !d.key.is_empty())
                .map(|d| d.v3)
                .collect();
            let v3 = e.call_v3(
                "tasks.task.list",
                &json!({"select": names, "pagination": {"limit": 50}}),
                &caller,
                None,
            );
            let (a, b) = (
                v2.body["result"]["tasks"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
                v3.body["result"]["items"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
            assert_eq!(a.len(), b.len());
            assert!(!a.is_empty());
            for (t2, t3) in a.iter().zip(&b) {
                for d in fields::FIELDS.iter().filter(|d| !d.key.is_empty()) {
                    assert_eq!(
                        t2[d.key],
                        v3_to_v2(d.kind, &t3[d.v3], caller.user_id),
                        "{} of task {}",
                        d.key,
                        t2["id"]
                    );
                }
            }
        }
    }

    #[test]
    fn v2_and_v3_lists_agree_on_order_and_paging() {
        let e = Emulator::new(21);
        let ids2 = |p: Value| -> Vec<Value> {
            let a = e.call_v2("tasks.task.list", &obj(p), &USER7);
            a.body["result"]["tasks"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|t| json!(t["id"].as_str().and_then(|s| s.parse::<u64>().ok())))
                        .collect()
                })
                .unwrap_or_default()
        };
        let ids3 = |b: Value| -> Vec<Value> {
            let a = e.call_v3("tasks.task.list", &b, &USER7, None);
            a.body["result"]["items"]
                .as_array()
                .map(|v| v.iter().map(|t| t["id"].clone()).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            ids2(json!({"start": 0})),
            ids3(json!({"order": {"id": "DESC"}}))
        );
        assert_eq!(
            ids2(
                json!({"order": {"DEADLINE": "asc", "PRIORITY": "desc"}, "filter": {">ID": 10}, "start": 0})
            ),
            ids3(
                json!({"order": {"deadline": "ASC", "priority": "DESC"}, "filter": [["id", ">", 10]]})
            )
        );
        assert_eq!(
            ids2(json!({"order": {"TITLE": "desc"}, "filter": {"@ID": [3, 4, 5, 6, 7, 8]}})),
            ids3(json!({"order": {"title": "DESC"}, "filter": [["id", "in", [3, 4, 5, 6, 7, 8]]]}))
        );
    }

    #[test]
    fn odd_inputs_never_panic() {
        let odd = [
            json!(null),
            json!(""),
            json!("abc"),
            json!(-1),
            json!(1.5),
            json!(u64::MAX),
            json!(true),
            json!([]),
            json!({}),
            json!([[]]),
            json!({"0": {"0": {"logic": 5}}}),
            json!(["%", "_", "!><ID"]),
            json!({">=DEADLINE": ["x"], "><ID": 3, "=%TITLE": null, "!@ID": {}}),
            json!("2026-02-30T25:61:00+99:99"),
            json!("$result[a][b][c"),
        ];
        let e = Emulator::new(2);
        let v2 = [
            "tasks.task.get",
            "tasks.task.list",
            "tasks.task.add",
            "tasks.task.update",
            "tasks.task.delete",
            "tasks.task.result.list",
            "tasks.task.start",
            "tasks.task.complete",
            "user.get",
            "user.current",
            "batch",
        ];
        let p2 = [
            "taskId", "select", "filter", "order", "start", "fields", "cmd", "halt", "FILTER",
        ];
        let v3 = [
            "tasks.task.get",
            "tasks.task.list",
            "tasks.task.add",
            "tasks.task.update",
            "tasks.task.delete",
            "tasks.task.result.list",
            "tasks.task.field.list",
            "batch",
        ];
        let p3 = ["id", "select", "filter", "order", "pagination", "fields"];
        for x in &odd {
            for m in v2 {
                for k in p2 {
                    let a = e.call_v2(m, &obj(json!({ k: x, "taskId": 2 })), &USER7);
                    assert!(a.status >= 200 && a.status < 600);
                    let a = e.call_v2(m, &obj(json!({ k: x })), &ADMIN);
                    assert!(a.status >= 200 && a.status < 600);
                }
            }
            for m in v3 {
                for k in p3 {
                    let a = e.call_v3(m, &json!({ k: x, "id": 3 }), &USER7, Some("k"));
                    assert!(a.status >= 200 && a.status < 600);
                    let a = e.call_v3(m, &json!({ "fields": { "title": x, "deadline": x, "accomplices": x }, "id": 4 }), &ADMIN, None);
                    assert!(a.status >= 200 && a.status < 600);
                }
                let a = e.call_v3(m, x, &ADMIN, None);
                assert!(a.status >= 200 && a.status < 600);
            }
        }
    }

    #[test]
    fn unknown_methods_are_404_in_each_envelope() {
        let e = Emulator::new(1);
        let a = e.call_v2("crm.deal.list", &Map::new(), &ADMIN);
        assert_eq!(a.status, 404);
        assert_eq!(a.body["error"], "ERROR_METHOD_NOT_FOUND");
        let b = e.call_v3("crm.deal.list", &json!({}), &ADMIN, None);
        assert_eq!(b.status, 404);
        assert_eq!(b.body["error"]["code"], "ERROR_METHOD_NOT_FOUND");
    }
}
