//! REST 3.0 tasks.task.get / list / add / update / delete.
//!
//! * get: `id` required and an integer; a missing task is `ENTITYNOTFOUNDEXCEPTION`
//!   (400, "Record with ID = `2` not found"), one the caller cannot see
//!   `ACCESSDENIEDEXCEPTION` (403, the overview's status).
//! * list: `select` (only `id` without it), filter on `id` only, order over the list
//!   page's sortable fields (missing values first when ascending), pagination.
//! * add: `fields` with `title`, `creatorId`, `responsibleId` required; answers the new
//!   task's basic set as the add example shows.
//! * update/delete: a missing task and one without the right are both
//!   `ACCESSDENIEDEXCEPTION` (the update page: "No access to the task or the task does not
//!   exist"); both answer `{"result": true}`.

use super::dto::{Dto, Kind};
use super::fields_in;
use super::filter::{self, Schema, Ty, Val};
use super::paging::{order, pagination};
use super::render::{self, Ctx};
use super::select::{self, Selection};
use super::V3Err;
use crate::store::{rights, writes, Biz, Mark, Store, Task};
use serde_json::{json, Map, Value};

type R = Result<Value, V3Err>;

pub fn id_param(b: &Map<String, Value>) -> Result<u64, V3Err> {
    match b.get("id") {
        None | Some(Value::Null) => Err(V3Err::required("id")),
        Some(v) => match v.as_i64() {
            Some(n) => Ok(u64::try_from(n).unwrap_or(0)),
            None => Err(V3Err::wrong_type("id", "int")),
        },
    }
}

fn fields_param(b: &Map<String, Value>) -> Result<&Map<String, Value>, V3Err> {
    match b.get("fields") {
        None | Some(Value::Null) => Err(V3Err::required("fields")),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(V3Err::wrong_type("fields", "array")),
    }
}

pub fn get(store: &mut Store, b: &Map<String, Value>, caller: u64) -> R {
    let id = id_param(b)?;
    let sel = select::parse(b.get("select"), Dto::Task, &Selection::basic())?;
    let t = store.tasks.get(&id).ok_or_else(|| V3Err::not_found(id))?;
    if !store.can_read(t, caller) {
        return Err(V3Err::access_denied());
    }
    let ctx = Ctx::new(store, caller);
    Ok(json!({ "item": render::task(&ctx, t, &sel) }))
}

fn not_filterable(field: &str) -> String {
    format!("In DTO `TaskDto`, the `{field}` field requires the `Filterable` attribute for such a request")
}

fn task_field(name: &str) -> Option<(bool, Ty)> {
    Dto::Task.field(name).map(|f| (f.filterable, Ty::Int))
}

fn invalid_order(v: &Value, _field: Option<&str>) -> V3Err {
    V3Err::new(
        400,
        "INVALIDORDEREXCEPTION",
        &format!("Unable to recognize sorting parameter `{v}`"),
    )
}

fn sortable(name: &str) -> Option<&'static str> {
    Dto::Task
        .field(name)
        .filter(|f| f.sortable && matches!(f.kind, Kind::Scalar(_)))
        .map(|f| f.name)
}

/// A sort key: missing values sort first, text without regard to case.
fn sort_value(store: &Store, t: &Task, name: &str) -> Val {
    let int = |n: Option<u64>| {
        n.and_then(|x| i64::try_from(x).ok())
            .map(Val::Int)
            .unwrap_or(Val::Null)
    };
    let date = |d: Option<i64>| d.map(Val::Int).unwrap_or(Val::Null);
    match name {
        "id" => int(Some(t.id)),
        "title" => Val::Text(t.title.to_lowercase()),
        "creatorId" => int(Some(t.created_by)),
        "created" => Val::Int(t.created),
        "responsibleId" => int(Some(t.responsible_id)),
        "deadline" => date(t.deadline),
        "startPlan" => date(t.start_plan),
        "endPlan" => date(t.end_plan),
        "groupId" => int(t.group_id),
        "priority" => Val::Int(i64::from(t.priority)),
        "status" => Val::Int(i64::from(t.status)),
        "started" => date(t.started),
        "estimatedTime" => Val::Int(t.time_estimate),
        "changed" => Val::Int(t.changed),
        "closed" => date(t.closed),
        "activity" => Val::Int(t.activity),
        "mark" => match t.mark {
            None => Val::Null,
            Some(Mark::Negative) => Val::Int(1),
            Some(Mark::Positive) => Val::Int(2),
        },
        "allowsChangeDeadline" => Val::Int(i64::from(t.allow_change_deadline)),
        "allowsTimeTracking" => Val::Int(i64::from(t.allow_time_tracking)),
        _ => {
            let _ = store;
            Val::Null
        }
    }
}

pub fn list(store: &mut Store, b: &Map<String, Value>, caller: u64) -> R {
    let sel = select::parse(b.get("select"), Dto::Task, &Selection::only(&["id"]))?;
    let schema = Schema {
        entity: Dto::Task.entity(),
        field: &task_field,
        not_filterable: &not_filterable,
    };
    let filter = match b.get("filter") {
        None | Some(Value::Null) => filter::Node::All(Vec::new()),
        Some(f) => filter::parse(f, &schema)?,
    };
    let keys = order(b.get("order"), &sortable, &invalid_order)?;
    let window = pagination(b.get("pagination"))?;
    let store: &Store = store;
    let mut rows: Vec<(Vec<Val>, u64)> = store
        .tasks
        .values()
        .filter(|t| store.can_read(t, caller))
        .filter(|t| {
            filter::matches(&filter, &|name| match name {
                "id" => Val::Int(t.id as i64),
                _ => Val::Null,
            })
        })
        .map(|t| {
            (
                keys.iter().map(|(k, _)| sort_value(store, t, k)).collect(),
                t.id,
            )
        })
        .collect();
    rows.sort_by(|a, b| {
        for (i, (_, desc)) in keys.iter().enumerate() {
            let o = a.0[i].cmp(&b.0[i]);
            let o = if *desc { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        a.1.cmp(&b.1)
    });
    let ctx = Ctx::new(store, caller);
    let items: Vec<Value> = rows
        .iter()
        .skip(usize::try_from(window.offset).unwrap_or(usize::MAX))
        .take(window.limit as usize)
        .filter_map(|(_, id)| store.tasks.get(id))
        .map(|t| render::task(&ctx, t, &sel))
        .collect();
    Ok(json!({ "items": items }))
}

fn add_error(b: Biz) -> V3Err {
    match b {
        Biz::TitleMissing => V3Err::required("title"),
        Biz::ResponsibleMissing => V3Err::required("responsibleId"),
        Biz::ResponsibleNotFound => V3Err::validation(
            "responsibleId",
            "User specified in the \"Executor\" field not found",
        ),
        Biz::CreatorNotFound => V3Err::validation("creatorId", ""),
        Biz::ParentNotFound => V3Err::validation(
            "parentId",
            "Task specified in the \"Parent Task\" field not found",
        ),
        Biz::ParentIsSelf => V3Err::validation("parentId", "Cannot bind a node to itself"),
        Biz::ParentCycle => {
            V3Err::validation("parentId", "Creating cyclic links in tasks is prohibited")
        }
        Biz::PlanEndBeforeStart => V3Err::validation(
            "endPlan",
            "The end date specified in the planning is earlier than the start date",
        ),
        Biz::PlanTooLong => {
            V3Err::validation("endPlan", "The planning duration specified is too long")
        }
        Biz::BadStatus => V3Err::wrong_type("status", "TaskStatus"),
    }
}

fn update_error(b: Biz) -> V3Err {
    match b {
        Biz::ResponsibleNotFound | Biz::ResponsibleMissing => V3Err::validation(
            "responsibleId",
            "The user specified in the \"Responsible\" field was not found",
        ),
        Biz::ParentNotFound => V3Err::validation(
            "parentId",
            "The task specified in the \"Parent Task\" field was not found",
        ),
        Biz::PlanEndBeforeStart => V3Err::validation(
            "endPlan",
            "The specified end date is earlier than the start date in the planning",
        ),
        Biz::PlanTooLong => {
            V3Err::validation("endPlan", "The specified duration of the task is too long")
        }
        other => add_error(other),
    }
}

pub fn add(store: &mut Store, b: &Map<String, Value>, caller: u64) -> R {
    let fields = fields_param(b)?;
    for required in ["title", "creatorId", "responsibleId"] {
        if fields.get(required).is_none_or(Value::is_null) {
            return Err(V3Err::required(required));
        }
    }
    let changes = fields_in::read(fields, true)?;
    let creator = changes.created_by.unwrap_or(caller);
    let id = writes::create(store, &changes, creator).map_err(add_error)?;
    let t = store.tasks.get(&id).ok_or_else(|| V3Err::not_found(id))?;
    let ctx = Ctx::new(store, caller);
    Ok(json!({ "item": render::task(&ctx, t, &Selection::basic()) }))
}

pub fn update(store: &mut Store, b: &Map<String, Value>, caller: u64) -> R {
    let id = id_param(b)?;
    let fields = fields_param(b)?;
    let changes = fields_in::read(fields, false)?;
    let allowed = store
        .tasks
        .get(&id)
        .is_some_and(|t| rights(store, t, caller).edit);
    if !allowed {
        return Err(V3Err::access_denied());
    }
    writes::update(store, id, &changes, caller).map_err(update_error)?;
    Ok(json!({ "result": true }))
}

pub fn delete(store: &mut Store, b: &Map<String, Value>, caller: u64) -> R {
    let id = id_param(b)?;
    let allowed = store
        .tasks
        .get(&id)
        .is_some_and(|t| rights(store, t, caller).remove);
    if !allowed {
        return Err(V3Err::access_denied());
    }
    writes::delete(store, id);
    Ok(json!({ "result": true }))
}
