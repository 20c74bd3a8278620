//! v2 tasks.task.get / add / update / delete / start / complete.
//!
//! Parameter binding happens before the method body runs, so binding errors (`select` not
//! an array, `fields` missing or empty) come before the `taskId` checks. `taskId` is read
//! as PHP's integer cast: missing → `100` "CTaskItem …", zero, negative or not a number →
//! `0` "wrong task id".
//!
//! Missing tasks: get answers `[]` (the get page); update, start and complete answer their
//! "not allowed" error and delete its "No access to delete the task", because those pages
//! list only the no-access rows, which they say also cover a task the user cannot reach.

use super::fields_in;
use super::keys::FULL;
use super::select::{resolve, Extras, Mode};
use super::values::{entries, intval, is_empty_param, param};
use super::view::{render, Ctx};
use super::{
    V2Err, V2Ok, ACTION_NOT_ALLOWED, DELETE_NOT_ALLOWED, FIELDS_MISSING, TASK_ID_MISSING,
    TASK_ID_MISSING_DELETE, UPDATE_NOT_ALLOWED, WRONG_TASK_ID,
};
use crate::store::{rights, writes, Biz, Store};
use serde_json::{json, Map, Value};

type R = Result<V2Ok, V2Err>;

fn task_id(p: &Map<String, Value>, missing: &str) -> Result<u64, V2Err> {
    let v = match param(p, "taskId") {
        None | Some(Value::Null) => return Err(V2Err::new(400, "100", missing)),
        Some(v) => v,
    };
    let n = if v.is_array() || v.is_object() {
        0
    } else {
        intval(v)
    };
    u64::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| V2Err::new(400, "0", WRONG_TASK_ID))
}

fn fields(p: &Map<String, Value>) -> Result<Map<String, Value>, V2Err> {
    match param(p, "fields") {
        Some(v @ (Value::Object(_) | Value::Array(_))) if !is_empty_param(v) => Ok(entries(v)
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect()),
        _ => Err(V2Err::new(400, "100", FIELDS_MISSING)),
    }
}

fn core(text: &str) -> V2Err {
    V2Err::new(400, "ERROR_CORE", &format!("{text}<br>"))
}

/// ERROR_CORE texts of the add page (the title one as its raw example prints it).
fn add_error(b: Biz) -> V2Err {
    core(match b {
        Biz::TitleMissing => "Task title is not specified",
        Biz::ResponsibleMissing => "Responsible person not specified",
        Biz::ResponsibleNotFound => "User specified in the \"Responsible\" field not found",
        Biz::CreatorNotFound => "User specified in the \"Creator\" field not found",
        Biz::ParentNotFound => "Task specified in the \"Parent Task\" field not found",
        Biz::ParentIsSelf => "Cannot bind the node to itself",
        Biz::ParentCycle => "Creating cyclic links in tasks is prohibited",
        Biz::PlanEndBeforeStart => "The end date in scheduling is earlier than the start date",
        Biz::PlanTooLong => "The specified task duration is too long",
        Biz::BadStatus => "Incorrect status",
    })
}

/// ERROR_CORE texts of the update page.
fn update_error(b: Biz) -> V2Err {
    core(match b {
        Biz::TitleMissing => "Task title is not specified",
        Biz::ResponsibleMissing | Biz::ResponsibleNotFound => {
            "The user specified in the \"Responsible\" field was not found"
        }
        Biz::CreatorNotFound => "The user specified in the \"Creator\" field was not found",
        Biz::ParentNotFound => "The task specified in the \"Parent Task\" field was not found",
        Biz::ParentIsSelf => "Cannot bind the node to itself",
        Biz::ParentCycle => "Creating cyclic links in tasks is prohibited",
        Biz::PlanEndBeforeStart => {
            "The end date specified in the scheduling is earlier than the start date"
        }
        Biz::PlanTooLong => "The duration of the task specified in the scheduling is too long",
        Biz::BadStatus => "Invalid status",
    })
}

/// `{"task": <full object>}` as the write methods answer.
fn full(store: &Store, id: u64, caller: u64) -> Value {
    let ctx = Ctx {
        store,
        caller,
        list: false,
    };
    match store.tasks.get(&id) {
        Some(t) => json!({ "task": render(&ctx, t, &FULL) }),
        None => json!([]),
    }
}

pub fn get(store: &mut Store, p: &Map<String, Value>, caller: u64) -> R {
    let keys = resolve(param(p, "select"), Mode::Get, Extras::default())?;
    let id = task_id(p, TASK_ID_MISSING)?;
    let ctx = Ctx {
        store,
        caller,
        list: false,
    };
    Ok(V2Ok::plain(
        match store.tasks.get(&id).filter(|t| store.can_read(t, caller)) {
            Some(t) => json!({ "task": render(&ctx, t, &keys) }),
            None => json!([]),
        },
    ))
}

pub fn add(store: &mut Store, p: &Map<String, Value>, caller: u64) -> R {
    let fields = fields(p)?;
    let changes = fields_in::read(&fields).map_err(add_error)?;
    let id = writes::create(store, &changes, caller).map_err(add_error)?;
    Ok(V2Ok::plain(full(store, id, caller)))
}

pub fn update(store: &mut Store, p: &Map<String, Value>, caller: u64) -> R {
    let fields = fields(p)?;
    let id = task_id(p, TASK_ID_MISSING)?;
    let allowed = store
        .tasks
        .get(&id)
        .is_some_and(|t| rights(store, t, caller).edit);
    if !allowed {
        return Err(V2Err::new(400, "0", UPDATE_NOT_ALLOWED));
    }
    let changes = fields_in::read(&fields).map_err(update_error)?;
    writes::update(store, id, &changes, caller).map_err(update_error)?;
    Ok(V2Ok::plain(full(store, id, caller)))
}

pub fn delete(store: &mut Store, p: &Map<String, Value>, caller: u64) -> R {
    let id = task_id(p, TASK_ID_MISSING_DELETE)?;
    let allowed = store
        .tasks
        .get(&id)
        .is_some_and(|t| rights(store, t, caller).remove);
    if !allowed {
        return Err(V2Err::new(400, "1048582", DELETE_NOT_ALLOWED));
    }
    writes::delete(store, id);
    Ok(V2Ok::plain(json!({"task": true})))
}

pub fn start(store: &mut Store, p: &Map<String, Value>, caller: u64) -> R {
    let id = task_id(p, TASK_ID_MISSING)?;
    let allowed = store
        .tasks
        .get(&id)
        .is_some_and(|t| rights(store, t, caller).start);
    if !allowed {
        return Err(V2Err::new(400, "0", ACTION_NOT_ALLOWED));
    }
    writes::set_status(store, id, 3, caller);
    Ok(V2Ok::plain(full(store, id, caller)))
}

/// Completing a task under control as someone other than its director sends it to
/// "supposedly completed" (4) for approval.
pub fn complete(store: &mut Store, p: &Map<String, Value>, caller: u64) -> R {
    let id = task_id(p, TASK_ID_MISSING)?;
    let next = store.tasks.get(&id).and_then(|t| {
        let r = rights(store, t, caller);
        r.complete
            .then_some(if t.task_control && !r.edit { 4 } else { 5 })
    });
    let Some(status) = next else {
        return Err(V2Err::new(400, "0", ACTION_NOT_ALLOWED));
    };
    writes::set_status(store, id, status, caller);
    Ok(V2Ok::plain(full(store, id, caller)))
}
