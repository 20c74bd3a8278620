//! The portal as a value: one store behind a lock, the served-by log, the idempotency
//! registry and the request counters. Calls are synchronous and pure apart from the store;
//! HTTP lives in [`crate::server`].

use crate::clock::time_block;
use crate::phpjson;
use crate::store::{Store, DEFAULT_TASKS};
use crate::v3::idempotency::{Decision, Registry};
use crate::{v2, v3};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    V2,
    V3,
}

/// The authenticated user a call runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: u64,
}

/// A method's answer: HTTP status, JSON body, extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn new(status: u16, body: Value) -> Self {
        Answer {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// The body as the portal's PHP writes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        phpjson::encode(&self.body).into_bytes()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One method call the portal served (every command of a batch too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedBy {
    pub version: ApiVersion,
    pub method: String,
    pub in_batch: bool,
}

/// HTTP requests received: each one counts once against the portal's limit, a batch too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestCounts {
    pub total: u64,
    pub v2: u64,
    pub v3: u64,
}

/// The webhooks and OAuth tokens the portal accepts. User 1 is the administrator.
pub const WEBHOOKS: [(u64, &str); 2] = [(1, "hook1"), (7, "hook7")];
pub const TOKENS: [(&str, u64); 2] = [("token-user-1", 1), ("token-user-7", 7)];

struct State {
    store: Store,
    served: Vec<ServedBy>,
    idempotency: Registry,
}

pub struct Emulator {
    state: Mutex<State>,
    total: AtomicU64,
    v2_requests: AtomicU64,
    v3_requests: AtomicU64,
}

/// A method name as both APIs match it: trimmed, without slashes, lower case, without a
/// `.json`/`.xml` suffix.
pub fn method_key(method: &str) -> String {
    v2::batch::method_name(method)
}

impl Emulator {
    /// A portal of the default size.
    pub fn new(seed: u64) -> Self {
        Self::with_tasks(seed, DEFAULT_TASKS)
    }

    /// A portal of `tasks` seeded tasks.
    pub fn with_tasks(seed: u64, tasks: usize) -> Self {
        Emulator {
            state: Mutex::new(State {
                store: Store::seeded(seed, tasks),
                served: Vec::new(),
                idempotency: Registry::default(),
            }),
            total: AtomicU64::new(0),
            v2_requests: AtomicU64::new(0),
            v3_requests: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // a panic elsewhere must not take the portal down with it
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn authenticate_webhook(&self, user_id: u64, code: &str) -> Option<Caller> {
        WEBHOOKS
            .iter()
            .any(|(u, c)| *u == user_id && *c == code)
            .then_some(Caller { user_id })
    }

    pub fn authenticate_token(&self, token: &str) -> Option<Caller> {
        TOKENS
            .iter()
            .find(|(t, _)| *t == token)
            .map(|(_, u)| Caller { user_id: *u })
    }

    /// A v2 call. `params` are what the PHP side would see (form values as strings, JSON
    /// values with their types), without `auth`.
    pub fn call_v2(&self, method: &str, params: &Map<String, Value>, caller: &Caller) -> Answer {
        let start = SystemTime::now();
        let method = method_key(method);
        let mut guard = self.lock();
        let State { store, served, .. } = &mut *guard;
        served.push(ServedBy {
            version: ApiVersion::V2,
            method: method.clone(),
            in_batch: false,
        });
        let outcome = if method == "batch" {
            v2::batch::run(store, params, caller.user_id, &mut |m| {
                served.push(ServedBy {
                    version: ApiVersion::V2,
                    method: m.to_string(),
                    in_batch: true,
                })
            })
        } else {
            v2::dispatch(store, &method, params, caller.user_id)
        };
        match outcome {
            Ok(ok) => Answer::new(200, v2::envelope(ok, time_block(start, SystemTime::now()))),
            Err(e) => Answer::new(e.status, e.body()),
        }
    }

    /// A REST 3.0 call. `body` is the parsed JSON body without `auth` (an array for
    /// `batch`); `idempotency_key` is the `Idempotency-Key` header.
    pub fn call_v3(
        &self,
        method: &str,
        body: &Value,
        caller: &Caller,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let start = SystemTime::now();
        let method = method_key(method);
        let mut guard = self.lock();
        let State {
            store,
            served,
            idempotency,
        } = &mut *guard;
        served.push(ServedBy {
            version: ApiVersion::V3,
            method: method.clone(),
            in_batch: false,
        });
        let finish = |r: Result<Value, v3::V3Err>| match r {
            Ok(result) => Answer::new(
                200,
                v3::envelope(result, time_block(start, SystemTime::now())),
            ),
            Err(e) => Answer::new(e.status, e.body()),
        };
        if method == "batch" {
            let r = v3::batch::run(store, body, caller.user_id, &mut |m| {
                served.push(ServedBy {
                    version: ApiVersion::V3,
                    method: m.to_string(),
                    in_batch: true,
                })
            });
            return finish(r);
        }
        let key = idempotency_key.filter(|_| v3::is_write(&method));
        let Some(key) = key else {
            return finish(v3::dispatch(store, &method, body, caller.user_id));
        };
        match idempotency.check(caller.user_id, &method, key, body) {
            Decision::Answer((status, body, headers)) => Answer {
                status,
                body,
                headers,
            },
            Decision::Run => {
                let mut answer = finish(v3::dispatch(store, &method, body, caller.user_id));
                answer.headers.push(("Idempotency-Key".into(), key.into()));
                idempotency.remember(
                    caller.user_id,
                    &method,
                    key,
                    body,
                    (answer.status, answer.body.clone(), answer.headers.clone()),
                );
                answer
            }
        }
    }

    pub fn served_log(&self) -> Vec<ServedBy> {
        self.lock().served.clone()
    }

    pub fn clear_served_log(&self) {
        self.lock().served.clear();
    }

    /// Takes the log's entries so far, leaving it empty (for tools that print it as they go).
    pub fn take_served_log(&self) -> Vec<ServedBy> {
        std::mem::take(&mut self.lock().served)
    }

    /// Reads the store (for tests and tools).
    pub fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(&self.lock().store)
    }

    /// Counts one HTTP request (the HTTP layer calls this).
    pub fn note_http_request(&self, version: Option<ApiVersion>) {
        self.total.fetch_add(1, Ordering::SeqCst);
        match version {
            Some(ApiVersion::V2) => self.v2_requests.fetch_add(1, Ordering::SeqCst),
            Some(ApiVersion::V3) => self.v3_requests.fetch_add(1, Ordering::SeqCst),
            None => 0,
        };
    }

    pub fn http_requests(&self) -> RequestCounts {
        RequestCounts {
            total: self.total.load(Ordering::SeqCst),
            v2: self.v2_requests.load(Ordering::SeqCst),
            v3: self.v3_requests.load(Ordering::SeqCst),
        }
    }

    pub fn reset_http_requests(&self) {
        self.total.store(0, Ordering::SeqCst);
        self.v2_requests.store(0, Ordering::SeqCst);
        self.v3_requests.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    const ADMIN: Caller = Caller { user_id: 1 };

    #[test]
    fn send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Emulator>();
    }

    #[test]
    fn credentials() {
        let e = Emulator::new(1);
        assert_eq!(e.authenticate_webhook(1, "hook1"), Some(ADMIN));
        assert_eq!(
            e.authenticate_webhook(7, "hook7"),
            Some(Caller { user_id: 7 })
        );
        assert_eq!(e.authenticate_webhook(7, "hook1"), None);
        assert_eq!(
            e.authenticate_token("token-user-7"),
            Some(Caller { user_id: 7 })
        );
        assert_eq!(e.authenticate_token("token-user-2"), None);
    }

    #[test]
    fn the_served_log_names_every_call_and_batch_command() {
        let e = Emulator::new(1);
        e.call_v2("TASKS.TASK.GET.json", &obj(json!({"taskId": 1})), &ADMIN);
        e.call_v3("tasks.task.get", &json!({"id": 1}), &ADMIN, None);
        e.call_v2(
            "batch",
            &obj(json!({"cmd": ["server.time", "user.current"]})),
            &ADMIN,
        );
        e.call_v3(
            "batch",
            &json!([{"method": "tasks.task.field.list", "query": {}}]),
            &ADMIN,
            None,
        );
        let log = e.served_log();
        let short: Vec<(ApiVersion, &str, bool)> = log
            .iter()
            .map(|s| (s.version, s.method.as_str(), s.in_batch))
            .collect();
        assert_eq!(
            short,
            [
                (ApiVersion::V2, "tasks.task.get", false),
                (ApiVersion::V3, "tasks.task.get", false),
                (ApiVersion::V2, "batch", false),
                (ApiVersion::V2, "server.time", true),
                (ApiVersion::V2, "user.current", true),
                (ApiVersion::V3, "batch", false),
                (ApiVersion::V3, "tasks.task.field.list", true),
            ]
        );
        e.clear_served_log();
        assert!(e.served_log().is_empty());
    }

    #[test]
    fn idempotent_writes_replay() {
        let e = Emulator::new(1);
        let body = json!({"fields": {"title": "Once", "creatorId": 1, "responsibleId": 2}});
        let first = e.call_v3("tasks.task.add", &body, &ADMIN, Some("k-1"));
        assert_eq!(first.status, 200);
        assert_eq!(first.header("Idempotency-Key"), Some("k-1"));
        assert_eq!(first.header("Idempotent-Replayed"), None);
        let reordered = json!({"fields": {"responsibleId": 2, "creatorId": 1, "title": "Once"}});
        let again = e.call_v3("tasks.task.add", &reordered, &ADMIN, Some("k-1"));
        assert_eq!(again.body, first.body);
        assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
        let count = e.with_store(|s| s.tasks.values().filter(|t| t.title == "Once").count());
        assert_eq!(count, 1);
        let other = e.call_v3(
            "tasks.task.add",
            &json!({"fields": {"title": "Twice", "creatorId": 1, "responsibleId": 2}}),
            &ADMIN,
            Some("k-1"),
        );
        assert_eq!(other.status, 422);
        let bad = e.call_v3("tasks.task.add", &body, &ADMIN, Some(""));
        assert_eq!(bad.status, 400);
        assert_eq!(
            bad.body["error"]["code"],
            "BITRIX_REST_V3_EXCEPTION_INVALIDIDEMPOTENCYKEYEXCEPTION"
        );
        // reads ignore the header
        let read = e.call_v3("tasks.task.get", &json!({"id": 1}), &ADMIN, Some(""));
        assert_eq!(read.status, 200);
    }

    #[test]
    fn same_seed_same_answers() {
        let run = |e: &Emulator| {
            let mut out = Vec::new();
            out.push(e.call_v2(
                "tasks.task.add",
                &obj(json!({"fields": {"TITLE": "Det", "RESPONSIBLE_ID": "2"}})),
                &ADMIN,
            ));
            out.push(e.call_v3(
                "tasks.task.update",
                &json!({"id": 3, "fields": {"title": "Renamed"}}),
                &ADMIN,
                None,
            ));
            out.push(e.call_v2("tasks.task.list", &obj(json!({"start": 50})), &ADMIN));
            out.into_iter()
                .map(|a| {
                    let mut b = a.body;
                    if let Some(m) = b.as_object_mut() {
                        m.remove("time");
                    }
                    (a.status, b)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(&Emulator::new(9)), run(&Emulator::new(9)));
        assert_ne!(run(&Emulator::new(9)), run(&Emulator::new(10)));
    }
}
