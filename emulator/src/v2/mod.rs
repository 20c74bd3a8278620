//! Legacy REST (v2): the tasks methods as the v2 pages show them, the pass-through methods
//! scripts use (`user.current`, `user.get`, `server.time`, `tasks.task.start`,
//! `tasks.task.complete`), and `batch`. Handlers are pure: parameters in, [`V2Ok`] or
//! [`V2Err`] out; the envelope and `time` block are added by the caller.

pub mod batch;
mod checklist;
mod fields_in;
mod filter;
pub mod keys;
mod list;
mod results;
pub mod select;
mod tasks;
mod users;
pub mod values;
pub mod view;

use crate::store::Store;
use serde_json::{json, Map, Value};

/// A method's successful outcome before the envelope is added.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Ok {
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

/// A flat v2 error: `{"error": code, "error_description": description}` with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Err {
    pub status: u16,
    pub code: String,
    pub description: String,
}

impl V2Err {
    pub fn new(status: u16, code: &str, description: &str) -> Self {
        V2Err {
            status,
            code: code.into(),
            description: description.into(),
        }
    }

    pub fn body(&self) -> Value {
        json!({"error": self.code, "error_description": self.description})
    }
}

// Texts exactly as the pages print them.
pub const TASK_ID_MISSING: &str =
    "CTaskItem All parameters in the constructor must have real class type (internal error)";
/// The delete page prints this one without the "(internal error)" suffix.
pub const TASK_ID_MISSING_DELETE: &str =
    "CTaskItem All parameters in the constructor must have real class type";
pub const WRONG_TASK_ID: &str = "wrong task id";
pub const SELECT_NOT_ARRAY: &str =
    "Invalid value {} to match with parameter {select}. Should be value of type array. (internal error)";
pub const FIELDS_MISSING: &str = "Could not find value for parameter {fields} (internal error)";
pub const UPDATE_NOT_ALLOWED: &str = "Action on the task is not allowed (internal error)";
/// The start/complete pages print this one without the suffix.
pub const ACTION_NOT_ALLOWED: &str = "Action on the task is not allowed";
pub const DELETE_NOT_ALLOWED: &str = "No access to delete the task";
pub const BAD_SORT_KEY: &str = "Invalid sorting key (internal error)";
pub const RESULT_ACCESS_DENIED: &str = "Access denied.";
pub const RESULT_TASK_ID_TYPE: &str =
    "Invalid value {value} to match with parameter {commentId}. Should be value of type int.";
pub const RESULT_TASK_ID_MISSING: &str =
    "Could not find value for parameter {taskId} (internal error)";
pub const METHOD_NOT_FOUND: &str = "Method not found!";

/// The methods served at `/rest/…`, besides `batch`.
pub const METHODS: [&str; 11] = [
    "tasks.task.get",
    "tasks.task.list",
    "tasks.task.add",
    "tasks.task.update",
    "tasks.task.delete",
    "tasks.task.start",
    "tasks.task.complete",
    "tasks.task.result.list",
    "user.current",
    "user.get",
    "server.time",
];

/// Runs one method (not `batch`) for `caller`. `method` is lower case.
pub fn dispatch(
    store: &mut Store,
    method: &str,
    p: &Map<String, Value>,
    caller: u64,
) -> Result<V2Ok, V2Err> {
    match method {
        "tasks.task.get" => tasks::get(store, p, caller),
        "tasks.task.list" => list::list(store, p, caller),
        "tasks.task.add" => tasks::add(store, p, caller),
        "tasks.task.update" => tasks::update(store, p, caller),
        "tasks.task.delete" => tasks::delete(store, p, caller),
        "tasks.task.start" => tasks::start(store, p, caller),
        "tasks.task.complete" => tasks::complete(store, p, caller),
        "tasks.task.result.list" => results::list(store, p, caller),
        "user.current" => users::current(store, caller),
        "user.get" => users::get(store, p),
        "server.time" => Ok(V2Ok::plain(json!(crate::clock::iso(store.now)))),
        "batch" => Err(V2Err::new(
            405,
            "ERROR_BATCH_METHOD_NOT_ALLOWED",
            "Method is not allowed for batch usage",
        )),
        _ => Err(V2Err::new(404, "ERROR_METHOD_NOT_FOUND", METHOD_NOT_FOUND)),
    }
}

/// The success envelope, keys in the documented order: result, next, total, time.
pub fn envelope(ok: V2Ok, time: Value) -> Value {
    let mut m = Map::new();
    m.insert("result".into(), ok.result);
    if let Some(n) = ok.next {
        m.insert("next".into(), json!(n));
    }
    if let Some(t) = ok.total {
        m.insert("total".into(), json!(t));
    }
    m.insert("time".into(), time);
    Value::Object(m)
}
