//! REST 3.0 semantics: tasks.task.get/list/add/update/delete, tasks.task.result.list,
//! tasks.task.field.list, rest.documentation.openapi (alias documentation).

use super::clock::format_iso;
use super::fields::{by_v3, get, sort_key, sort_tasks, Kind, Nv, Sc, SortKey, F, FIELDS};
use super::filter_v3::{self, Ty};
use super::store::{rights, Store, Task, TaskResult, ADMIN_ID};
use super::writes::{self, mark_name, parse_v3_fields, priority_name, status_name, Patch};
use super::{openapi, Caller, V3Err};
use serde_json::{json, Map, Value};

type R = Result<Value, V3Err>;

pub const MAX_LIMIT: i64 = 1000;
pub const DEFAULT_LIMIT: i64 = 50;

pub fn is_write(method: &str) -> bool {
    matches!(
        method,
        "tasks.task.add" | "tasks.task.update" | "tasks.task.delete"
    )
}

/// The v3 methods served here, in the order the OpenAPI document lists them.
pub const METHODS: [&str; 9] = [
    "tasks.task.get",
    "tasks.task.list",
    "tasks.task.add",
    "tasks.task.update",
    "tasks.task.delete",
    "tasks.task.result.list",
    "tasks.task.field.list",
    "rest.documentation.openapi",
    "batch",
];

pub fn dispatch(store: &mut Store, method: &str, body: &Value, caller: &Caller) -> R {
    let empty = Map::new();
    let b = match body {
        Value::Object(m) => m,
        Value::Null => &empty,
        _ => {
            return Err(V3Err::validation(
                "body",
                "Request body must be a JSON object",
            ))
        }
    };
    let u = caller.user_id;
    match method {
        "tasks.task.get" => task_get(store, b, u),
        "tasks.task.list" => task_list(store, b, u),
        "tasks.task.add" => task_add(store, b, u),
        "tasks.task.update" => task_update(store, b, u),
        "tasks.task.delete" => task_delete(store, b, u),
        "tasks.task.result.list" => result_list(store, b, u),
        "tasks.task.field.list" => Ok(json!({"items": field_list()})),
        "rest.documentation.openapi" | "documentation" => Ok(openapi::document()),
        _ => Err(V3Err {
            status: 404,
            code: "ERROR_METHOD_NOT_FOUND".into(),
            message: "Method not found".into(),
            validation: Vec::new(),
        }),
    }
}

// ---------- select ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    Creator,
    Responsible,
    Accomplices,
    Auditors,
    ChangedBy,
    StatusChangedBy,
    ClosedBy,
    Group,
}

pub const RELS: [(Rel, &str, &str); 8] = [
    (Rel::Creator, "creator", "Creator"),
    (Rel::Responsible, "responsible", "Assignee"),
    (Rel::Accomplices, "accomplices", "Participants"),
    (Rel::Auditors, "auditors", "Observers"),
    (Rel::ChangedBy, "changedBy", "Modified by"),
    (Rel::StatusChangedBy, "statusChangedBy", "Status changed by"),
    (Rel::ClosedBy, "closedBy", "Closed by"),
    (Rel::Group, "group", "Group"),
];

pub const USER_FIELDS: [&str; 7] = [
    "id",
    "name",
    "role",
    "image",
    "gender",
    "email",
    "externalAuthId",
];
pub const GROUP_FIELDS: [&str; 5] = ["id", "name", "image", "type", "isVisible"];

fn rel_fields(r: Rel) -> &'static [&'static str] {
    if r == Rel::Group {
        &GROUP_FIELDS
    } else {
        &USER_FIELDS
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Select {
    pub own: Vec<F>,
    pub rels: Vec<(Rel, Vec<&'static str>)>,
}

impl Select {
    fn add_rel(&mut self, r: Rel, subs: &[&'static str]) {
        if let Some((_, have)) = self.rels.iter_mut().find(|(x, _)| *x == r) {
            for s in subs {
                if !have.contains(s) {
                    have.push(s);
                }
            }
        } else {
            self.rels.push((r, subs.to_vec()));
        }
    }
}

fn invalid_select(msg: &str) -> V3Err {
    V3Err::new(400, "INVALIDSELECTEXCEPTION", msg)
}

pub fn parse_select(v: Option<&Value>, default: &[F]) -> Result<Select, V3Err> {
    let items = match v {
        None | Some(Value::Null) => {
            return Ok(Select {
                own: default.to_vec(),
                rels: Vec::new(),
            })
        }
        Some(Value::Array(a)) => a,
        Some(_) => return Err(invalid_select("Select must be an array of field names")),
    };
    let mut sel = Select::default();
    for it in items {
        let Some(name) = it.as_str() else {
            return Err(invalid_select("Select must be an array of field names"));
        };
        if let Some((head, tail)) = name.split_once('.') {
            let Some((rel, _, _)) = RELS.iter().find(|(_, n, _)| *n == head) else {
                continue; // not a relation: dropped like an unknown own field
            };
            let fields = rel_fields(*rel);
            let Some(sub) = fields.iter().find(|f| **f == tail) else {
                return Err(V3Err::unknown_property(name));
            };
            sel.add_rel(*rel, &[sub]);
        } else if let Some((rel, _, _)) = RELS.iter().find(|(_, n, _)| *n == name) {
            let whole: &[&'static str] = match rel {
                Rel::Accomplices | Rel::Auditors => &["id", "name"],
                r => rel_fields(*r),
            };
            sel.add_rel(*rel, whole);
        } else if let Some(d) = by_v3(name) {
            if !sel.own.contains(&d.f) {
                sel.own.push(d.f);
            }
        }
    }
    // sub-fields in DTO order
    for (r, subs) in &mut sel.rels {
        let order = rel_fields(*r);
        subs.sort_by_key(|s| order.iter().position(|o| o == s));
    }
    Ok(sel)
}

// ---------- rendering ----------

pub fn user_obj(store: &Store, id: u64, subs: &[&str]) -> Value {
    let u = store.user(id);
    let mut m = Map::new();
    for s in subs {
        let v = match *s {
            "id" => json!(id),
            "name" => json!(u.map(|u| u.full_name()).unwrap_or_default()),
            "role" => json!(if id == ADMIN_ID { "admin" } else { "employee" }),
            "email" => json!(u.map(|u| u.email.clone())),
            _ => Value::Null,
        };
        m.insert((*s).to_string(), v);
    }
    Value::Object(m)
}

fn group_obj(store: &Store, id: Option<u64>, subs: &[&str]) -> Value {
    let Some(g) = id.and_then(|g| store.group(g)) else {
        return Value::Null;
    };
    let mut m = Map::new();
    for s in subs {
        let v = match *s {
            "id" => json!(g.id),
            "name" => json!(g.name),
            "type" => json!("group"),
            "isVisible" => json!(g.opened),
            _ => Value::Null,
        };
        m.insert((*s).to_string(), v);
    }
    Value::Object(m)
}

pub fn rights_obj(store: &Store, t: &Task, caller: u64) -> Value {
    Value::Object(
        rights(store, t, caller)
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect(),
    )
}

pub fn value(store: &Store, t: &Task, f: F, caller: u64) -> Value {
    let Some(def) = super::fields::by_f(f) else {
        return Value::Null;
    };
    match (def.kind, get(t, f)) {
        (_, Nv::Opt(n)) => n.map(|n| json!(n)).unwrap_or(Value::Null),
        (_, Nv::Text(s)) => json!(s),
        (_, Nv::OptText(s)) => s.map(Value::String).unwrap_or(Value::Null),
        (_, Nv::Flag(b)) => json!(b),
        (_, Nv::Date(d)) => d.map(|d| json!(format_iso(d))).unwrap_or(Value::Null),
        (Kind::Status, Nv::Code(c)) => json!(status_name(c)),
        (_, Nv::Code(c)) => json!(priority_name(c)),
        (_, Nv::Mark(m)) => json!(mark_name(m)),
        (Kind::Member, Nv::Ids(v)) => {
            if v.contains(&caller) {
                json!([caller])
            } else {
                json!([])
            }
        }
        (_, Nv::Ids(v)) => json!(v),
        (_, Nv::Strs(v)) => json!(v),
        (Kind::Rights, Nv::Computed) => rights_obj(store, t, caller),
        (_, Nv::Computed) => json!([]),
    }
}

pub fn render(store: &Store, t: &Task, sel: &Select, caller: u64) -> Value {
    let mut m = Map::new();
    for def in FIELDS.iter() {
        if sel.own.contains(&def.f) && !matches!(def.f, F::Accomplices | F::Auditors) {
            m.insert(def.v3.into(), value(store, t, def.f, caller));
        }
    }
    for (rel, name, _) in RELS {
        let Some((_, subs)) = sel.rels.iter().find(|(r, _)| *r == rel) else {
            continue;
        };
        let one = |id: Option<u64>| {
            id.map(|id| user_obj(store, id, subs))
                .unwrap_or(Value::Null)
        };
        let v = match rel {
            Rel::Creator => one(Some(t.created_by)),
            Rel::Responsible => one(Some(t.responsible_id)),
            Rel::ChangedBy => one(Some(t.changed_by)),
            Rel::StatusChangedBy => one(t.status_changed_by),
            Rel::ClosedBy => one(t.closed_by),
            Rel::Accomplices => Value::Array(
                t.accomplices
                    .iter()
                    .map(|u| user_obj(store, *u, subs))
                    .collect(),
            ),
            Rel::Auditors => Value::Array(
                t.auditors
                    .iter()
                    .map(|u| user_obj(store, *u, subs))
                    .collect(),
            ),
            Rel::Group => group_obj(store, t.group_id, subs),
        };
        m.insert(name.into(), v);
    }
    Value::Object(m)
}

fn basic() -> Vec<F> {
    FIELDS.iter().filter(|d| d.basic).map(|d| d.f).collect()
}

// ---------- common parameters ----------

fn id_param(b: &Map<String, Value>) -> Result<u64, V3Err> {
    match b.get("id") {
        None | Some(Value::Null) => Err(V3Err::required("id")),
        Some(v) => v.as_u64().ok_or_else(|| V3Err::type_error("id", "int")),
    }
}

fn invalid_order(msg: &str) -> V3Err {
    V3Err::new(400, "INVALIDORDEREXCEPTION", msg)
}

/// `order`: `{field: ASC|DESC}` over `sortable`; default `id` ascending.
pub fn parse_order<T: Copy>(
    v: Option<&Value>,
    sortable: &dyn Fn(&str) -> Option<T>,
    default: T,
) -> Result<Vec<(T, bool)>, V3Err> {
    let mut keys = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, dir) in m {
                let key = sortable(k)
                    .ok_or_else(|| invalid_order(&format!("Field `{k}` is not sortable")))?;
                let desc = match dir.as_str().map(str::to_ascii_uppercase).as_deref() {
                    Some("ASC") => false,
                    Some("DESC") => true,
                    _ => return Err(invalid_order(&format!("Invalid sort direction for `{k}`"))),
                };
                keys.push((key, desc));
            }
        }
        Some(_) => return Err(invalid_order("Order must be an object")),
    }
    if keys.is_empty() {
        keys.push((default, false));
    }
    Ok(keys)
}

fn invalid_pagination(msg: &str) -> V3Err {
    V3Err::new(400, "INVALIDPAGINATIONEXCEPTION", msg)
}

/// `pagination {page, limit, offset}` → (offset, limit).
pub fn parse_pagination(v: Option<&Value>) -> Result<(usize, usize), V3Err> {
    let m = match v {
        None | Some(Value::Null) => return Ok((0, DEFAULT_LIMIT as usize)),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(invalid_pagination("Pagination must be an object")),
    };
    let num = |k: &str| -> Result<Option<i64>, V3Err> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| invalid_pagination(&format!("`{k}` must be an integer"))),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| invalid_pagination(&format!("`{k}` must be an integer"))),
            Some(_) => Err(invalid_pagination(&format!("`{k}` must be an integer"))),
        }
    };
    let limit = num("limit")?.unwrap_or(DEFAULT_LIMIT);
    if limit <= 0 {
        return Err(invalid_pagination("`limit` must be positive"));
    }
    let limit = limit.min(MAX_LIMIT);
    let page = num("page")?.unwrap_or(1);
    let offset = num("offset")?.unwrap_or(0);
    if page < 1 || offset < 0 {
        return Err(invalid_pagination(
            "`page` must be at least 1 and `offset` not negative",
        ));
    }
    let total = (page - 1).saturating_mul(limit).saturating_add(offset);
    Ok((
        usize::try_from(total).unwrap_or(usize::MAX),
        usize::try_from(limit).unwrap_or(50),
    ))
}

fn window<T: Clone>(items: &[T], offset: usize, limit: usize) -> Vec<T> {
    items.iter().skip(offset).take(limit).cloned().collect()
}

fn task_schema(name: &str) -> Option<(bool, Ty)> {
    by_v3(name).map(|d| (d.filterable, Ty::Int))
}

// ---------- tasks ----------

fn readable(store: &Store, id: u64, caller: u64) -> Result<&Task, V3Err> {
    let t = store
        .tasks
        .get(&id)
        .ok_or_else(|| V3Err::not_found("Task"))?;
    if !store.can_read(t, caller) {
        return Err(V3Err::access_denied());
    }
    Ok(t)
}

fn task_get(store: &mut Store, b: &Map<String, Value>, u: u64) -> R {
    let id = id_param(b)?;
    let sel = parse_select(b.get("select"), &basic())?;
    let t = readable(store, id, u)?;
    Ok(json!({"item": render(store, t, &sel, u)}))
}

fn task_list(store: &mut Store, b: &Map<String, Value>, u: u64) -> R {
    let sel = parse_select(b.get("select"), &[F::Id])?;
    let filter = match b.get("filter") {
        None | Some(Value::Null) => filter_v3::Node::All(Vec::new()),
        Some(f) => filter_v3::parse(f, &task_schema)?,
    };
    let order = parse_order(
        b.get("order"),
        &|k| by_v3(k).filter(|d| d.sortable).map(|d| SortKey::Field(d.f)),
        SortKey::Field(F::Id),
    )?;
    let (offset, limit) = parse_pagination(b.get("pagination"))?;
    let mut ids: Vec<u64> = store
        .tasks
        .values()
        .filter(|t| store.can_read(t, u))
        .filter(|t| {
            filter_v3::matches(&filter, &|name| {
                by_v3(name).map(|d| sort_key(t, d.f, u)).unwrap_or(Sc::Null)
            })
        })
        .map(|t| t.id)
        .collect();
    sort_tasks(store, &mut ids, &order, u);
    let items: Vec<Value> = window(&ids, offset, limit)
        .iter()
        .filter_map(|id| store.tasks.get(id))
        .map(|t| render(store, t, &sel, u))
        .collect();
    Ok(json!({ "items": items }))
}

fn fields_of(b: &Map<String, Value>) -> Result<&Value, V3Err> {
    match b.get("fields") {
        None | Some(Value::Null) => Err(V3Err::required("fields")),
        Some(f) => Ok(f),
    }
}

fn task_add(store: &mut Store, b: &Map<String, Value>, u: u64) -> R {
    let patch: Patch = parse_v3_fields(fields_of(b)?, true)?;
    let Some(creator) = patch.iter().find_map(|(f, v)| match (f, v) {
        (F::CreatedBy, Nv::Opt(Some(n))) => u64::try_from(*n).ok(),
        _ => None,
    }) else {
        return Err(V3Err::required("creatorId"));
    };
    let id = writes::create(store, patch, creator).map_err(|e| e.v3())?;
    let t = store
        .tasks
        .get(&id)
        .ok_or_else(|| V3Err::not_found("Task"))?;
    Ok(json!({"item": render(store, t, &Select { own: basic(), rels: Vec::new() }, u)}))
}

fn task_update(store: &mut Store, b: &Map<String, Value>, u: u64) -> R {
    let id = id_param(b)?;
    let patch = parse_v3_fields(fields_of(b)?, false)?;
    let t = readable(store, id, u)?;
    if !super::store::right(store, t, u, "edit") {
        return Err(V3Err::access_denied());
    }
    writes::update(store, id, patch, u).map_err(|e| e.v3())?;
    Ok(json!({"result": true}))
}

fn task_delete(store: &mut Store, b: &Map<String, Value>, u: u64) -> R {
    let id = id_param(b)?;
    let t = readable(store, id, u)?;
    if !super::store::right(store, t, u, "remove") {
        return Err(V3Err::access_denied());
    }
    writes::delete(store, id);
    Ok(json!({"result": true}))
}

// ---------- results ----------

pub const RESULT_FIELDS: [&str; 11] = [
    "id",
    "taskId",
    "text",
    "authorId",
    "author",
    "createdAt",
    "updatedAt",
    "status",
    "fileIds",
    "rights",
    "messageId",
];
const RESULT_FILTERABLE: [&str; 5] = ["taskId", "id", "authorId", "status", "messageId"];
const RESULT_SORTABLE: [&str; 6] = [
    "id",
    "authorId",
    "createdAt",
    "updatedAt",
    "status",
    "messageId",
];

fn result_sc(r: &TaskResult, name: &str) -> Sc {
    let i = |n: u64| Sc::Int(i64::try_from(n).unwrap_or(i64::MAX));
    match name {
        "id" => i(r.id),
        "taskId" => i(r.task_id),
        "authorId" => i(r.author_id),
        "messageId" => i(r.message_id),
        "createdAt" => Sc::Int(r.created_at),
        "updatedAt" => Sc::Int(r.updated_at),
        "status" => Sc::Str(if r.status == 1 { "closed" } else { "open" }.into()),
        _ => Sc::Null,
    }
}

fn result_item(
    store: &Store,
    r: &TaskResult,
    own: &[&str],
    author: Option<&[&'static str]>,
    u: u64,
) -> Value {
    let mut m = Map::new();
    for f in RESULT_FIELDS {
        let v = match f {
            "author" => match author {
                Some(subs) => user_obj(store, r.author_id, subs),
                None => continue,
            },
            _ if !own.contains(&f) => continue,
            "id" => json!(r.id),
            "taskId" => json!(r.task_id),
            "text" => json!(r.text),
            "authorId" => json!(r.author_id),
            "createdAt" => json!(format_iso(r.created_at)),
            "updatedAt" => json!(format_iso(r.updated_at)),
            "status" => json!(if r.status == 1 { "closed" } else { "open" }),
            "fileIds" => json!(r.files),
            "rights" => {
                let mine = u == ADMIN_ID || r.author_id == u;
                json!({"edit": mine, "remove": mine})
            }
            "messageId" => json!(r.message_id),
            _ => continue,
        };
        m.insert(f.into(), v);
    }
    Value::Object(m)
}

fn result_list(store: &mut Store, b: &Map<String, Value>, u: u64) -> R {
    let filter_v = match b.get("filter") {
        None | Some(Value::Null) => {
            return Err(V3Err::validation(
                "filter",
                "Field `filter` cannot be empty",
            ))
        }
        Some(Value::Array(a)) if a.is_empty() => {
            return Err(V3Err::validation(
                "filter",
                "Field `filter` cannot be empty",
            ))
        }
        Some(f) => f,
    };
    let schema = |name: &str| -> Option<(bool, Ty)> {
        match name {
            "status" => Some((true, Ty::Enum(&["open", "closed"]))),
            n if RESULT_FIELDS.contains(&n) => Some((RESULT_FILTERABLE.contains(&n), Ty::Int)),
            _ => None,
        }
    };
    let filter = filter_v3::parse(filter_v, &schema)?;
    let Some(task_ids) = filter_v3::top_level_values(&filter, "taskId") else {
        return Err(V3Err::new(
            400,
            "VALIDATION_REQUESTFILTERVALIDATIONEXCEPTION",
            "Filter must contain a `taskId` condition",
        ));
    };
    for t in &task_ids {
        let ok = match t {
            Sc::Int(n) => u64::try_from(*n)
                .ok()
                .and_then(|id| store.tasks.get(&id))
                .is_some_and(|t| store.can_read(t, u)),
            _ => false,
        };
        if !ok {
            return Err(V3Err::access_denied());
        }
    }
    // select: own result fields, `author` / `author.x`
    let (own, author): (Vec<&str>, Option<Vec<&'static str>>) = match b.get("select") {
        None | Some(Value::Null) => (
            RESULT_FIELDS
                .iter()
                .copied()
                .filter(|f| *f != "author")
                .collect(),
            None,
        ),
        Some(Value::Array(items)) => {
            let mut own = Vec::new();
            let mut author: Option<Vec<&'static str>> = None;
            for it in items {
                let Some(name) = it.as_str() else {
                    return Err(invalid_select("Select must be an array of field names"));
                };
                if name == "author" {
                    author = Some(USER_FIELDS.to_vec());
                } else if let Some(sub) = name.strip_prefix("author.") {
                    let Some(s) = USER_FIELDS.iter().find(|f| **f == sub) else {
                        return Err(V3Err::unknown_property(name));
                    };
                    let a = author.get_or_insert_with(Vec::new);
                    if !a.contains(s) {
                        a.push(s);
                    }
                } else if let Some(f) = RESULT_FIELDS.iter().find(|f| **f == name) {
                    own.push(*f);
                }
            }
            if let Some(a) = &mut author {
                a.sort_by_key(|s| USER_FIELDS.iter().position(|o| o == s));
            }
            (own, author)
        }
        Some(_) => return Err(invalid_select("Select must be an array of field names")),
    };
    let order = parse_order(
        b.get("order"),
        &|k| RESULT_SORTABLE.iter().find(|f| **f == k).copied(),
        "id",
    )?;
    let (offset, limit) = parse_pagination(b.get("pagination"))?;
    let mut rows: Vec<&TaskResult> = store
        .results
        .iter()
        .filter(|r| filter_v3::matches(&filter, &|n| result_sc(r, n)))
        .collect();
    rows.sort_by(|a, c| {
        for (k, desc) in &order {
            let o = result_sc(a, k).cmp_to(&result_sc(c, k));
            let o = if *desc { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        a.id.cmp(&c.id)
    });
    let items: Vec<Value> = window(&rows, offset, limit)
        .into_iter()
        .map(|r| result_item(store, r, &own, author.as_deref(), u))
        .collect();
    Ok(json!({ "items": items }))
}

// ---------- field metadata ----------

pub fn v3_type(kind: Kind) -> &'static str {
    match kind {
        Kind::OptInt | Kind::IdZero | Kind::Int | Kind::RealInt => "integer",
        Kind::Text | Kind::OptText | Kind::Status | Kind::Priority | Kind::Mark => "string",
        Kind::Flag => "boolean",
        Kind::Date => "datetime",
        Kind::Users | Kind::Member | Kind::Checklist | Kind::Strings => "array",
        Kind::Rights => "object",
    }
}

pub fn required(name: &str) -> bool {
    matches!(name, "title" | "creatorId" | "responsibleId")
}

/// `tasks.task.field.list` items: every own field, then the single-object relations.
pub fn field_list() -> Vec<Value> {
    let mut out: Vec<Value> = FIELDS
        .iter()
        .map(|d| {
            let ty = v3_type(d.kind);
            json!({"name": d.v3, "type": ty, "title": d.title, "filterable": d.filterable, "sortable": d.sortable,
                   "editable": d.editable, "multiple": ty == "array", "required": required(d.v3)})
        })
        .collect();
    for (rel, name, title) in RELS {
        if matches!(rel, Rel::Accomplices | Rel::Auditors) {
            continue;
        }
        out.push(json!({"name": name, "type": "object", "title": title, "filterable": false, "sortable": false,
                        "editable": false, "multiple": false, "required": false}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{Answer, Emulator};
    use super::*;

    fn call(e: &Emulator, m: &str, b: Value) -> Answer {
        e.call_v3(m, &b, &ADMIN, None)
    }

    fn code(a: &Answer) -> String {
        a.body["error"]["code"]
            .as_str()
            .unwrap_or("")
            .replace("BITRIX_REST_V3_EXCEPTION_", "")
    }

    fn list_ids(a: &Answer) -> Vec<u64> {
        a.body["result"]["items"]
            .as_array()
            .map(|v| v.iter().filter_map(|t| t["id"].as_u64()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn get_types_and_basic_set() {
        let e = Emulator::new(3);
        let a = call(&e, "tasks.task.get", json!({"id": 2}));
        assert_eq!(a.status, 200, "{}", a.body);
        let item = &a.body["result"]["item"];
        assert_eq!(item["id"], 2);
        assert!(item["needsControl"].is_boolean());
        assert!(matches!(
            item["priority"].as_str(),
            Some("low" | "average" | "high")
        ));
        assert!(item["status"]
            .as_str()
            .is_some_and(|s| writes::status_code_of(s).is_some()));
        assert!(item.get("creatorId").is_none() && item.get("responsibleId").is_none());
        assert!(item["inFavorite"].is_array());
        assert!(a.body["time"]["date_start"].is_string());
    }

    #[test]
    fn get_related_select_nested() {
        let e = Emulator::new(3);
        let s = e.lock().store.clone();
        let t = s
            .tasks
            .values()
            .find(|t| t.group_id.is_some() && !t.auditors.is_empty())
            .cloned();
        let Some(t) = t else { panic!("seed") };
        let a = call(
            &e,
            "tasks.task.get",
            json!({"id": t.id, "select": ["id", "groupId", "creator.name", "creator.id", "responsible", "group.name",
                   "auditors", "accomplices.name", "bogus", "bogus.x", "rights"]}),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        let item = &a.body["result"]["item"];
        let keys: Vec<&String> = item
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "id",
                "groupId",
                "rights",
                "creator",
                "responsible",
                "accomplices",
                "auditors",
                "group"
            ]
        );
        assert_eq!(
            item["creator"],
            json!({"id": t.created_by, "name": s.user(t.created_by).map(|u| u.full_name())})
        );
        assert_eq!(item["responsible"]["image"], Value::Null);
        assert_eq!(item["responsible"].as_object().map(|m| m.len()), Some(7));
        assert_eq!(
            item["group"],
            json!({"name": s.group(t.group_id.unwrap_or(0)).map(|g| g.name.clone())})
        );
        assert_eq!(item["auditors"][0]["id"], json!(t.auditors[0]));
        assert_eq!(item["auditors"][0].as_object().map(|m| m.len()), Some(2));
        assert_eq!(item["rights"].as_object().map(|m| m.len()), Some(22));
        let a = call(
            &e,
            "tasks.task.get",
            json!({"id": t.id, "select": ["responsible.foo"]}),
        );
        assert_eq!(
            (a.status, code(&a).as_str()),
            (400, "UNKNOWNDTOPROPERTYEXCEPTION")
        );
        let a = call(
            &e,
            "tasks.task.get",
            json!({"id": t.id, "select": ["creator.image.src"]}),
        );
        assert_eq!(code(&a), "UNKNOWNDTOPROPERTYEXCEPTION");
        let a = call(&e, "tasks.task.get", json!({"id": t.id, "select": "id"}));
        assert_eq!(code(&a), "INVALIDSELECTEXCEPTION");
    }

    #[test]
    fn get_errors() {
        let e = Emulator::new(3);
        let a = call(&e, "tasks.task.get", json!({"id": "2"}));
        assert_eq!(
            (a.status, code(&a).as_str()),
            (400, "VALIDATION_REQUESTVALIDATIONEXCEPTION")
        );
        assert_eq!(a.body["error"]["validation"][0]["field"], "id");
        assert!(a.body.get("result").is_none() && a.body.get("time").is_none());
        let a = call(&e, "tasks.task.get", json!({}));
        assert_eq!(
            a.body["error"]["validation"][0]["message"],
            "Required field `id` is not specified"
        );
        let a = call(&e, "tasks.task.get", json!({"id": 999_999}));
        assert_eq!(
            (a.status, code(&a).as_str()),
            (400, "ENTITYNOTFOUNDEXCEPTION")
        );
        let s = e.lock().store.clone();
        let hidden = s
            .tasks
            .values()
            .find(|t| !s.can_read(t, 7))
            .map(|t| t.id)
            .unwrap_or(0);
        let a = e.call_v3("tasks.task.get", &json!({"id": hidden}), &USER7, None);
        assert_eq!(
            (a.status, code(&a).as_str()),
            (403, "ACCESSDENIEDEXCEPTION")
        );
    }

    #[test]
    fn list_defaults_filters_order_and_pagination() {
        let e = Emulator::new(3);
        let all: Vec<u64> = e.lock().store.tasks.keys().copied().collect();
        let a = call(&e, "tasks.task.list", json!({}));
        assert_eq!(list_ids(&a), all[..50].to_vec());
        assert_eq!(
            a.body["result"]["items"][0].as_object().map(|m| m.len()),
            Some(1)
        );
        assert!(a.body.get("total").is_none() && a.body.get("next").is_none());
        let a = call(
            &e,
            "tasks.task.list",
            json!({"filter": [["id", ">=", all[10]], ["id", "<", all[20]]], "order": {"id": "DESC"}}),
        );
        let mut want = all[10..20].to_vec();
        want.reverse();
        assert_eq!(list_ids(&a), want);
        let a = call(
            &e,
            "tasks.task.list",
            json!({"filter": [{"logic": "or", "conditions": [["id", all[0]], ["id", "in", [all[5], all[6]]]]}]}),
        );
        assert_eq!(list_ids(&a), vec![all[0], all[5], all[6]]);
        let a = call(
            &e,
            "tasks.task.list",
            json!({"filter": [["id", "between", [all[1], all[3]]]]}),
        );
        assert_eq!(list_ids(&a), all[1..=3].to_vec());
        let a = call(
            &e,
            "tasks.task.list",
            json!({"pagination": {"page": 2, "limit": 10}}),
        );
        assert_eq!(list_ids(&a), all[10..20].to_vec());
        let a = call(
            &e,
            "tasks.task.list",
            json!({"pagination": {"limit": 5, "offset": 7}}),
        );
        assert_eq!(list_ids(&a), all[7..12].to_vec());
        let a = call(
            &e,
            "tasks.task.list",
            json!({"pagination": {"limit": 5000}}),
        );
        assert_eq!(list_ids(&a), all);
        for bad in [
            json!({"limit": 0}),
            json!({"limit": "x"}),
            json!({"page": 0}),
            json!([1]),
        ] {
            let a = call(&e, "tasks.task.list", json!({ "pagination": bad }));
            assert_eq!(code(&a), "INVALIDPAGINATIONEXCEPTION");
        }
        let a = call(
            &e,
            "tasks.task.list",
            json!({"filter": [["title", "=", "x"]]}),
        );
        assert_eq!(code(&a), "VALIDATION_REQUESTVALIDATIONEXCEPTION");
        assert!(a.body["error"]["validation"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Filterable")));
        assert_eq!(
            code(&call(
                &e,
                "tasks.task.list",
                json!({"filter": [["id", "like", 1]]})
            )),
            "UNKNOWNFILTEROPERATOREXCEPTION"
        );
        assert_eq!(
            code(&call(
                &e,
                "tasks.task.list",
                json!({"filter": [["nope", 1]]})
            )),
            "UNKNOWNDTOPROPERTYEXCEPTION"
        );
        assert_eq!(
            code(&call(
                &e,
                "tasks.task.list",
                json!({"order": {"guid": "ASC"}})
            )),
            "INVALIDORDEREXCEPTION"
        );
        assert_eq!(
            code(&call(&e, "tasks.task.list", json!({"order": {"id": "UP"}}))),
            "INVALIDORDEREXCEPTION"
        );
        let a = call(
            &e,
            "tasks.task.list",
            json!({"select": ["id", "deadline"], "order": {"deadline": "ASC"}, "pagination": {"limit": 1}}),
        );
        assert!(a.body["result"]["items"][0]["deadline"].is_null());
        let a = call(
            &e,
            "tasks.task.list",
            json!({"select": ["id", "creator.name"], "pagination": {"limit": 1}}),
        );
        assert!(a.body["result"]["items"][0]["creator"]["name"].is_string());
    }

    #[test]
    fn add_update_delete() {
        let e = Emulator::new(3);
        let last = e.lock().store.last_task_id;
        let a = call(
            &e,
            "tasks.task.add",
            json!({"fields": {"title": "T", "creatorId": 7, "responsibleId": 2,
            "priority": "high", "accomplices": [3], "needsControl": true, "deadline": "2026-12-01T10:00:00+03:00"}}),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        let item = &a.body["result"]["item"];
        assert_eq!(
            (
                item["id"].as_u64(),
                item["priority"].as_str(),
                item["mark"].as_str()
            ),
            (Some(last + 1), Some("high"), Some("none"))
        );
        assert_eq!(item["status"], "pending");
        let a = call(
            &e,
            "tasks.task.add",
            json!({"fields": {"title": "T", "responsibleId": 2}}),
        );
        assert_eq!(a.body["error"]["validation"][0]["field"], "creatorId");
        let a = call(
            &e,
            "tasks.task.add",
            json!({"fields": {"creatorId": 1, "responsibleId": 2}}),
        );
        assert_eq!(
            a.body["error"]["validation"][0],
            json!({"field": "title", "message": "Task title is not specified"})
        );
        let a = call(&e, "tasks.task.add", json!({}));
        assert_eq!(a.body["error"]["validation"][0]["field"], "fields");

        let a = call(
            &e,
            "tasks.task.update",
            json!({"id": last + 1, "fields": {"title": "T2", "status": "completed"}}),
        );
        assert_eq!(a.body["result"], json!({"result": true}));
        let g = call(
            &e,
            "tasks.task.get",
            json!({"id": last + 1, "select": ["title", "status", "closedById", "closed"]}),
        );
        assert_eq!(g.body["result"]["item"]["title"], "T2");
        assert_eq!(g.body["result"]["item"]["closedById"], 1);
        let a = call(
            &e,
            "tasks.task.update",
            json!({"id": last + 1, "fields": {"creatorId": 2}}),
        );
        assert!(a.body["error"]["validation"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Editable")));
        let a = e.call_v3(
            "tasks.task.update",
            &json!({"id": 2, "fields": {"title": "x"}}),
            &USER7,
            None,
        );
        assert!(matches!(code(&a).as_str(), "ACCESSDENIEDEXCEPTION"));
        let a = call(&e, "tasks.task.delete", json!({"id": last + 1}));
        assert_eq!(a.body["result"], json!({"result": true}));
        assert_eq!(
            code(&call(&e, "tasks.task.get", json!({"id": last + 1}))),
            "ENTITYNOTFOUNDEXCEPTION"
        );
        assert_eq!(
            code(&call(&e, "tasks.task.delete", json!({"id": last + 1}))),
            "ENTITYNOTFOUNDEXCEPTION"
        );
    }

    #[test]
    fn result_list_needs_a_task_filter() {
        let e = Emulator::new(5);
        let s = e.lock().store.clone();
        let Some(r) = s.results.first().cloned() else {
            panic!("seed")
        };
        let a = call(
            &e,
            "tasks.task.result.list",
            json!({"filter": [["taskId", r.task_id]]}),
        );
        let item = &a.body["result"]["items"][0];
        assert_eq!(item["id"], r.id);
        assert!(matches!(item["status"].as_str(), Some("open" | "closed")));
        assert_eq!(item["rights"]["edit"], true);
        let a = call(
            &e,
            "tasks.task.result.list",
            json!({"filter": [["taskId", r.task_id]], "select": ["id", "author.name"]}),
        );
        assert_eq!(
            a.body["result"]["items"][0].as_object().map(|m| m.len()),
            Some(2)
        );
        assert_eq!(
            code(&call(&e, "tasks.task.result.list", json!({}))),
            "VALIDATION_REQUESTVALIDATIONEXCEPTION"
        );
        assert_eq!(
            code(&call(
                &e,
                "tasks.task.result.list",
                json!({"filter": [["id", r.id]]})
            )),
            "VALIDATION_REQUESTFILTERVALIDATIONEXCEPTION"
        );
        assert_eq!(
            code(&call(
                &e,
                "tasks.task.result.list",
                json!({"filter": [["taskId", 999_999]]})
            )),
            "ACCESSDENIEDEXCEPTION"
        );
        assert_eq!(
            code(&call(
                &e,
                "tasks.task.result.list",
                json!({"filter": [["text", "x"]]})
            )),
            "VALIDATION_REQUESTVALIDATIONEXCEPTION"
        );
    }

    #[test]
    fn field_list_is_the_rule_source() {
        let e = Emulator::new(3);
        let a = call(&e, "tasks.task.field.list", json!({}));
        let items = a.body["result"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let id = items
            .iter()
            .find(|i| i["name"] == "id")
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            id,
            json!({"name": "id", "type": "integer", "title": "ID", "filterable": true, "sortable": true,
                               "editable": false, "multiple": false, "required": false})
        );
        let creator_id = items
            .iter()
            .find(|i| i["name"] == "creatorId")
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            (
                creator_id["editable"].as_bool(),
                creator_id["required"].as_bool()
            ),
            (Some(false), Some(true))
        );
        assert!(items
            .iter()
            .any(|i| i["name"] == "creator" && i["type"] == "object"));
    }
}
