//! REST 3.0 tasks.task.result.list (its page): `filter` is required and must hold a
//! top-level `taskId` condition (`=` or `in`); every named task must be readable (else
//! `ACCESSDENIEDEXCEPTION`, 403 as the page states). Filterable: `taskId`, `id`,
//! `authorId`, `status` (`open`/`closed`), `messageId`; sortable: `id`, `authorId`,
//! `createdAt`, `updatedAt`, `status`, `messageId`; an unknown field in `filter`, `select`
//! or `order` is `UNKNOWNDTOPROPERTYEXCEPTION` for `ResultDto`. Without `select` the
//! example's seven fields; default order `id` ascending.

use super::dto::{Dto, RESULT_DEFAULT, RESULT_FIELDS, RESULT_FILTERABLE, RESULT_SORTABLE};
use super::filter::{self, Schema, Ty, Val};
use super::paging::{order, pagination};
use super::render;
use super::select::Selection;
use super::V3Err;
use crate::clock::iso;
use crate::store::{Store, TaskResult, ADMIN_ID};
use serde_json::{json, Map, Value};

const ENTITY: &str = "ResultDto";

fn field(name: &str) -> Option<(bool, Ty)> {
    if name == "status" {
        return Some((true, Ty::Enum(&["open", "closed"])));
    }
    RESULT_FIELDS
        .contains(&name)
        .then(|| (RESULT_FILTERABLE.contains(&name), Ty::Int))
}

fn not_filterable(field: &str) -> String {
    format!("In DTO `{ENTITY}`, the `{field}` field requires the `Filterable` attribute for such a request")
}

fn value(r: &TaskResult, name: &str) -> Val {
    let int = |n: u64| Val::Int(i64::try_from(n).unwrap_or(i64::MAX));
    match name {
        "id" => int(r.id),
        "taskId" => int(r.task_id),
        "authorId" => int(r.author_id),
        "messageId" => r.message_id.map(int).unwrap_or(Val::Null),
        "createdAt" => Val::Int(r.created_at),
        "updatedAt" => Val::Int(r.updated_at),
        "status" => Val::Text(if r.closed { "closed" } else { "open" }.into()),
        _ => Val::Null,
    }
}

struct ResultSelect {
    own: Vec<&'static str>,
    author: Option<Selection>,
}

fn parse_select(v: Option<&Value>) -> Result<ResultSelect, V3Err> {
    let items = match v {
        None | Some(Value::Null) => {
            return Ok(ResultSelect {
                own: RESULT_DEFAULT.to_vec(),
                author: None,
            })
        }
        Some(Value::Array(a)) => a,
        Some(other) => return Err(V3Err::invalid_select(other)),
    };
    let mut own = Vec::new();
    let mut author: Option<Selection> = None;
    for item in items {
        let Some(name) = item.as_str() else {
            return Err(V3Err::invalid_select(v.unwrap_or(&Value::Null)));
        };
        if name == "author" {
            author = Some(Selection::whole(Dto::User, 0));
        } else if let Some(sub) = name.strip_prefix("author.") {
            let Some(f) = Dto::User.field(sub) else {
                return Err(V3Err::unknown_field(sub, Dto::User.entity()));
            };
            let a = author.get_or_insert_with(Selection::default);
            if !a.own.contains(&f.name) {
                a.own.push(f.name);
            }
        } else if let Some(f) = RESULT_FIELDS.iter().find(|f| **f == name) {
            if !own.contains(f) {
                own.push(*f);
            }
        } else {
            return Err(V3Err::unknown_field(name, ENTITY));
        }
    }
    Ok(ResultSelect { own, author })
}

fn item(store: &Store, r: &TaskResult, sel: &ResultSelect, caller: u64) -> Value {
    let mut m = Map::new();
    for name in RESULT_FIELDS {
        let v = match name {
            "author" => match &sel.author {
                Some(a) => render::user(store, Some(r.author_id), a),
                None => continue,
            },
            n if !sel.own.contains(&n) => continue,
            "id" => json!(r.id),
            "taskId" => json!(r.task_id),
            "text" => json!(r.text),
            "authorId" => json!(r.author_id),
            "createdAt" => json!(iso(r.created_at)),
            "updatedAt" => json!(iso(r.updated_at)),
            "status" => json!(if r.closed { "closed" } else { "open" }),
            "fileIds" => json!(r.files),
            "rights" => {
                let mine = caller == ADMIN_ID || r.author_id == caller;
                json!({"edit": mine, "remove": mine})
            }
            "messageId" => json!(r.message_id),
            _ => continue,
        };
        m.insert(name.into(), v);
    }
    Value::Object(m)
}

pub fn list(store: &mut Store, b: &Map<String, Value>, caller: u64) -> Result<Value, V3Err> {
    let raw = match b.get("filter") {
        None | Some(Value::Null) => {
            return Err(V3Err::validation(
                "filter",
                "The field value cannot be empty",
            ))
        }
        Some(Value::Array(a)) if a.is_empty() => {
            return Err(V3Err::validation(
                "filter",
                "The field value cannot be empty",
            ))
        }
        Some(f) => f,
    };
    let schema = Schema {
        entity: ENTITY,
        field: &field,
        not_filterable: &not_filterable,
    };
    let filter = filter::parse(raw, &schema)?;
    let Some(task_ids) = filter::top_level_values(&filter, "taskId") else {
        let mut e = V3Err::new(
            400,
            "VALIDATION_REQUESTFILTERVALIDATIONEXCEPTION",
            super::VALIDATION_MESSAGE,
        );
        e.validation.push((
            "filter.taskId".into(),
            "A filter for the required field `taskId` must be specified".into(),
        ));
        return Err(e);
    };
    let sel = parse_select(b.get("select"))?;
    let sortable = |name: &str| -> Option<&'static str> {
        RESULT_SORTABLE.iter().find(|f| **f == name).copied()
    };
    let bad_order = |_: &Value, field: Option<&str>| match field {
        Some(f) if !RESULT_FIELDS.contains(&f) => V3Err::unknown_field(f, ENTITY),
        _ => V3Err::new(
            400,
            "INVALIDORDEREXCEPTION",
            "Unable to recognize the sorting expression",
        ),
    };
    let keys = order(b.get("order"), &sortable, &bad_order)?;
    let window = pagination(b.get("pagination"))?;
    let mut tasks = Vec::new();
    for v in task_ids {
        let readable = match v {
            Val::Int(n) => u64::try_from(n)
                .ok()
                .and_then(|id| store.tasks.get(&id))
                .filter(|t| store.can_read(t, caller))
                .map(|t| t.id),
            _ => None,
        };
        match readable {
            Some(id) => tasks.push(id),
            None => return Err(V3Err::access_denied()),
        }
    }
    tasks.sort_unstable();
    tasks.dedup();
    let mut rows: Vec<&TaskResult> = tasks
        .iter()
        .flat_map(|id| store.results_of(*id).iter())
        .filter(|r| filter::matches(&filter, &|n| value(r, n)))
        .collect();
    rows.sort_by(|a, c| {
        for (k, desc) in &keys {
            let o = value(a, k).cmp(&value(c, k));
            let o = if *desc { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        a.id.cmp(&c.id)
    });
    let items: Vec<Value> = rows
        .into_iter()
        .skip(usize::try_from(window.offset).unwrap_or(usize::MAX))
        .take(window.limit as usize)
        .map(|r| item(store, r, &sel, caller))
        .collect();
    Ok(json!({ "items": items }))
}
