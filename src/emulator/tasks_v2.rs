//! v2 semantics: tasks.task.get/list/add/update/delete/start/complete,
//! tasks.task.result.list, user.current, user.get, server.time.

use super::clock::format_iso;
use super::fields::{
    get, sort_tasks, v2_sort_key, FieldDef, Kind, Nv, SortKey, ACTION_MAP, F, FIELDS,
};
use super::filter_v2;
use super::store::{rights, Store, Task, TaskResult, User};
use super::writes::{self, parse_v2_fields, v2_int, v2_items, v2_strict_int, v2_text, Biz};
use super::{Caller, V2Err, V2Ok};
use serde_json::{json, Map, Value};

pub const PAGE: u64 = 50;
pub const DEFAULT_AVATAR: &str = "/bitrix/images/tasks/default_avatar.png";

type R = Result<V2Ok, V2Err>;

/// A parameter by name, any case.
pub fn param<'a>(p: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    p.get(name).or_else(|| {
        p.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn core(b: Biz) -> V2Err {
    V2Err::new(400, "ERROR_CORE", &format!("{}<br>", b.message))
}

pub fn dispatch(store: &mut Store, method: &str, p: &Map<String, Value>, caller: &Caller) -> R {
    match method {
        "tasks.task.get" => task_get(store, p, caller),
        "tasks.task.list" => task_list(store, p, caller),
        "tasks.task.add" => task_add(store, p, caller),
        "tasks.task.update" => task_update(store, p, caller),
        "tasks.task.delete" => task_delete(store, p, caller),
        "tasks.task.start" => task_action(store, p, caller, "start"),
        "tasks.task.complete" => task_action(store, p, caller, "complete"),
        "tasks.task.result.list" => result_list(store, p, caller),
        "user.current" => match store.user(caller.user_id) {
            Some(u) => Ok(V2Ok::plain(user_v2(u))),
            None => Err(V2Err::new(401, "NO_AUTH_FOUND", "Wrong authorization data")),
        },
        "user.get" => user_get(store, p),
        "server.time" => Ok(V2Ok::plain(json!(format_iso(store.now)))),
        "batch" => Err(V2Err::new(
            405,
            "ERROR_BATCH_METHOD_NOT_ALLOWED",
            "Method is not allowed for batch usage",
        )),
        _ => Err(V2Err::new(
            404,
            "ERROR_METHOD_NOT_FOUND",
            "Method not found!",
        )),
    }
}

// ---------- rendering ----------

pub fn render_value(def: &FieldDef, nv: Nv, caller: u64) -> Value {
    let s = |n: i64| json!(n.to_string());
    match (def.kind, nv) {
        (Kind::OptInt, Nv::Opt(n)) => n.map(s).unwrap_or(Value::Null),
        (Kind::IdZero | Kind::Int, Nv::Opt(n)) => s(n.unwrap_or(0)),
        (Kind::RealInt, Nv::Opt(n)) => n.map(|n| json!(n)).unwrap_or(Value::Null),
        (Kind::Text, Nv::Text(t)) => json!(t),
        (Kind::OptText, Nv::OptText(t)) => t.map(Value::String).unwrap_or(Value::Null),
        (Kind::Flag, Nv::Flag(b)) => json!(if b { "Y" } else { "N" }),
        (Kind::Date, Nv::Date(d)) => d.map(|d| json!(format_iso(d))).unwrap_or(Value::Null),
        (Kind::Status | Kind::Priority, Nv::Code(c)) => json!(c.to_string()),
        (Kind::Mark, Nv::Mark(m)) => m.map(|c| json!(c.to_string())).unwrap_or(Value::Null),
        (Kind::Users, Nv::Ids(v)) => Value::Array(v.iter().map(|u| json!(u.to_string())).collect()),
        (Kind::Member, Nv::Ids(v)) => json!(if v.contains(&caller) { "Y" } else { "N" }),
        (Kind::Checklist, _) => json!([]),
        (Kind::Strings, Nv::Strs(v)) => json!(v),
        _ => Value::Null,
    }
}

/// The v2 user object inside tasks (`creator`, `responsible`, `…Data`).
pub fn task_user(store: &Store, id: u64) -> Value {
    let u = store.user(id);
    json!({
        "id": id.to_string(),
        "name": u.map(User::full_name).unwrap_or_default(),
        "link": format!("/company/personal/user/{id}/"),
        "icon": DEFAULT_AVATAR,
        "workPosition": u.map(|u| u.work_position.clone()).unwrap_or_default(),
    })
}

fn users_map(store: &Store, ids: &[u64]) -> Value {
    if ids.is_empty() {
        return json!([]);
    }
    Value::Object(
        ids.iter()
            .map(|id| (id.to_string(), task_user(store, *id)))
            .collect(),
    )
}

/// Which standard fields a v2 select names.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub fields: Vec<F>,
}

impl Select {
    pub fn all() -> Self {
        Select {
            fields: FIELDS.iter().filter(|d| d.v2_std).map(|d| d.f).collect(),
        }
    }
    fn has(&self, f: F) -> bool {
        self.fields.contains(&f)
    }
}

pub fn parse_select(v: Option<&Value>) -> Result<Select, V2Err> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Select::all()),
        Some(Value::String(s)) if s.is_empty() => return Ok(Select::all()),
        Some(v @ (Value::Array(_) | Value::Object(_) | Value::String(_))) => v2_items(v),
        Some(other) => {
            return Err(V2Err::new(
                400,
                "100",
                &format!(
                    "Invalid value {} to match with parameter {{select}}. Should be value of type array. (internal error)",
                    v2_text(other)
                ),
            ))
        }
    };
    if items.is_empty() {
        return Ok(Select::all());
    }
    let mut sel = Select { fields: Vec::new() };
    for it in items {
        let name = v2_text(it);
        if name.trim() == "*" {
            for f in Select::all().fields {
                if !sel.has(f) {
                    sel.fields.push(f);
                }
            }
        } else if let Some(d) = super::fields::by_v2(name.trim()).filter(|d| !d.key.is_empty()) {
            if !sel.has(d.f) {
                sel.fields.push(d.f);
            }
        }
    }
    Ok(sel)
}

/// One task as v2 renders it. `single`: get/add/update answers (with `favorite`, `action`).
pub fn render_task(store: &Store, t: &Task, sel: &Select, caller: u64, single: bool) -> Value {
    let mut m = Map::new();
    for def in FIELDS.iter().filter(|d| !d.key.is_empty()) {
        let wanted = def.f == F::Id || sel.has(def.f) || (single && def.f == F::Favorite);
        if wanted {
            m.insert(def.key.into(), render_value(def, get(t, def.f), caller));
        }
    }
    let group = t
        .group_id
        .and_then(|g| store.group(g))
        .map(|g| {
            json!({"id": g.id.to_string(), "name": g.name, "opened": g.opened, "membersCount": g.members_count,
                   "image": "", "additionalData": []})
        })
        .unwrap_or_else(|| json!([]));
    m.insert("group".into(), group);
    if sel.has(F::CreatedBy) {
        m.insert("creator".into(), task_user(store, t.created_by));
    }
    if sel.has(F::ResponsibleId) {
        m.insert("responsible".into(), task_user(store, t.responsible_id));
    }
    if sel.has(F::Accomplices) {
        m.insert("accomplicesData".into(), users_map(store, &t.accomplices));
    }
    if sel.has(F::Auditors) {
        m.insert("auditorsData".into(), users_map(store, &t.auditors));
    }
    if single {
        m.insert("action".into(), action(store, t, caller));
    }
    Value::Object(m)
}

/// v2 `action` from the v3 rights (tasks-mapping §3.8).
pub fn action(store: &Store, t: &Task, caller: u64) -> Value {
    let r = rights(store, t, caller);
    let has = |k: &str| r.iter().any(|(n, v)| *n == k && *v);
    let fav = t.favorite_of.contains(&caller);
    Value::Object(
        ACTION_MAP
            .iter()
            .map(|(k, src)| {
                let v = match *src {
                    "" => false,
                    "favorite+" => has("favorite") && !fav,
                    "favorite-" => has("favorite") && fav,
                    other => has(other),
                };
                (k.to_string(), json!(v))
            })
            .collect(),
    )
}

// ---------- task methods ----------

/// `taskId`: missing → 100, not a positive integer → 0.
fn task_id(p: &Map<String, Value>) -> Result<u64, V2Err> {
    let Some(v) = param(p, "taskId").filter(|v| !v.is_null()) else {
        return Err(V2Err::new(
            400,
            "100",
            "CTaskItem All parameters in the constructor must have real class type (internal error)",
        ));
    };
    v2_strict_int(v)
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| V2Err::new(400, "0", "wrong task id"))
}

fn not_found() -> V2Err {
    V2Err::new(400, "ERROR_NOT_FOUND", "Task not found")
}

fn full(store: &Store, id: u64, caller: u64) -> Value {
    match store.tasks.get(&id) {
        Some(t) => json!({"task": render_task(store, t, &Select::all(), caller, true)}),
        None => json!([]),
    }
}

fn task_get(store: &mut Store, p: &Map<String, Value>, caller: &Caller) -> R {
    let id = task_id(p)?;
    let sel = parse_select(param(p, "select"))?;
    match store
        .tasks
        .get(&id)
        .filter(|t| store.can_read(t, caller.user_id))
    {
        Some(t) => Ok(V2Ok::plain(
            json!({"task": render_task(store, t, &sel, caller.user_id, true)}),
        )),
        None => Ok(V2Ok::plain(json!([]))),
    }
}

pub fn parse_order(v: Option<&Value>) -> Result<Vec<(SortKey, bool)>, V2Err> {
    let mut keys = Vec::new();
    if let Some(Value::Object(m)) = v {
        for (k, dir) in m {
            let key = v2_sort_key(k.trim())
                .ok_or_else(|| V2Err::new(400, "0", "Invalid sorting key (internal error)"))?;
            keys.push((key, v2_text(dir).trim().eq_ignore_ascii_case("desc")));
        }
    }
    if keys.is_empty() {
        keys.push((SortKey::Field(F::Id), true));
    }
    Ok(keys)
}

/// `start`: absent/invalid → 0; -1 → no count.
pub fn parse_start(v: Option<&Value>) -> (u64, bool) {
    match v.and_then(v2_int) {
        Some(-1) => (0, false),
        Some(n) if n > 0 => (u64::try_from(n).unwrap_or(0), true),
        _ => (0, true),
    }
}

/// One page of `items` with the v2 `next`/`total` arithmetic.
pub fn page<T: Clone>(items: &[T], start: u64, count: bool) -> (Vec<T>, Option<u64>, Option<u64>) {
    let total = items.len() as u64;
    let from = usize::try_from(start.min(total)).unwrap_or(0);
    let to = usize::try_from((start + PAGE).min(total)).unwrap_or(0);
    let rows = items.get(from..to).map(<[T]>::to_vec).unwrap_or_default();
    if !count {
        return (rows, None, Some(0));
    }
    let next = (total > start + PAGE).then_some(start + PAGE);
    (rows, next, Some(total))
}

fn task_list(store: &mut Store, p: &Map<String, Value>, caller: &Caller) -> R {
    let order = parse_order(param(p, "order"))?;
    let sel = parse_select(param(p, "select"))?;
    let filter = filter_v2::parse(param(p, "filter"));
    let (start, count) = parse_start(param(p, "start"));
    let u = caller.user_id;
    let mut ids: Vec<u64> = store
        .tasks
        .values()
        .filter(|t| store.can_read(t, u) && filter_v2::matches(&filter, t, u, store.now))
        .map(|t| t.id)
        .collect();
    sort_tasks(store, &mut ids, &order, u);
    let (rows, next, total) = page(&ids, start, count);
    let tasks: Vec<Value> = rows
        .iter()
        .filter_map(|id| store.tasks.get(id))
        .map(|t| render_task(store, t, &sel, u, false))
        .collect();
    Ok(V2Ok {
        result: json!({"tasks": tasks}),
        next,
        total,
    })
}

fn fields_param(p: &Map<String, Value>) -> Result<Map<String, Value>, V2Err> {
    match param(p, "fields") {
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(Value::Array(a)) if a.is_empty() => Ok(Map::new()),
        _ => Err(V2Err::new(
            400,
            "100",
            "Could not find value for parameter {fields} (internal error)",
        )),
    }
}

fn task_add(store: &mut Store, p: &Map<String, Value>, caller: &Caller) -> R {
    let fields = fields_param(p)?;
    let patch = parse_v2_fields(&fields, true).map_err(core)?;
    let id = writes::create(store, patch, caller.user_id).map_err(core)?;
    Ok(V2Ok::plain(full(store, id, caller.user_id)))
}

fn task_update(store: &mut Store, p: &Map<String, Value>, caller: &Caller) -> R {
    let id = task_id(p)?;
    let fields = fields_param(p)?;
    let Some(t) = store.tasks.get(&id) else {
        return Err(not_found());
    };
    if !super::store::right(store, t, caller.user_id, "edit") {
        return Err(V2Err::new(
            400,
            "0",
            "Action on the task is not allowed (internal error)",
        ));
    }
    let patch = parse_v2_fields(&fields, true).map_err(core)?;
    writes::update(store, id, patch, caller.user_id).map_err(core)?;
    Ok(V2Ok::plain(full(store, id, caller.user_id)))
}

fn task_delete(store: &mut Store, p: &Map<String, Value>, caller: &Caller) -> R {
    let id = task_id(p)?;
    let Some(t) = store.tasks.get(&id) else {
        return Err(not_found());
    };
    if !super::store::right(store, t, caller.user_id, "remove") {
        return Err(V2Err::new(400, "1048582", "No access to delete the task"));
    }
    writes::delete(store, id);
    Ok(V2Ok::plain(json!({"task": true})))
}

fn task_action(store: &mut Store, p: &Map<String, Value>, caller: &Caller, what: &str) -> R {
    let id = task_id(p)?;
    let u = caller.user_id;
    let Some(t) = store.tasks.get(&id) else {
        return Err(not_found());
    };
    if !super::store::right(store, t, u, what) {
        return Err(V2Err::new(
            400,
            "0",
            "Action on the task is not allowed (internal error)",
        ));
    }
    let status = if what == "start" {
        3
    } else if t.task_control && t.created_by != u && u != super::store::ADMIN_ID {
        4
    } else {
        5
    };
    writes::update(store, id, vec![(F::Status, Nv::Code(status))], u).map_err(core)?;
    Ok(V2Ok::plain(full(store, id, u)))
}

// ---------- results ----------

/// `[b] [i] [u] [s]` BBCode → HTML, after escaping.
pub fn formatted(text: &str) -> String {
    let mut s = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    for tag in ["b", "i", "u", "s"] {
        for (from, to) in [
            (format!("[{tag}]"), format!("<{tag}>")),
            (format!("[/{tag}]"), format!("</{tag}>")),
        ] {
            s = s.replace(&from, &to).replace(&from.to_uppercase(), &to);
        }
    }
    s
}

pub fn result_v2(r: &TaskResult) -> Value {
    json!({
        "id": r.id,
        "taskId": r.task_id,
        "commentId": 0,
        "createdBy": r.author_id,
        "createdAt": format_iso(r.created_at),
        "updatedAt": format_iso(r.updated_at),
        "status": r.status,
        "text": r.text,
        "formattedText": formatted(&r.text),
        "files": r.files,
    })
}

fn result_list(store: &mut Store, p: &Map<String, Value>, caller: &Caller) -> R {
    let Some(v) = param(p, "taskId").filter(|v| !v.is_null()) else {
        return Err(V2Err::new(
            400,
            "100",
            "Could not find value for parameter {taskId} (internal error)",
        ));
    };
    let Some(id) = v2_strict_int(v).and_then(|n| u64::try_from(n).ok()) else {
        return Err(V2Err::new(
            400,
            "100",
            &format!(
                "Invalid value {} to match with parameter {{taskId}}. Should be value of type int. (internal error)",
                v2_text(v)
            ),
        ));
    };
    if !store
        .tasks
        .get(&id)
        .is_some_and(|t| store.can_read(t, caller.user_id))
    {
        return Err(V2Err::new(400, "0", "Access denied (internal error)"));
    }
    let mut rows: Vec<&TaskResult> = store.results.iter().filter(|r| r.task_id == id).collect();
    rows.sort_by_key(|r| r.id);
    Ok(V2Ok::plain(Value::Array(
        rows.into_iter().map(result_v2).collect(),
    )))
}

// ---------- users ----------

pub fn user_v2(u: &User) -> Value {
    json!({
        "ID": u.id.to_string(),
        "ACTIVE": u.active,
        "NAME": u.name,
        "LAST_NAME": u.last_name,
        "SECOND_NAME": "",
        "EMAIL": u.email,
        "WORK_POSITION": u.work_position,
        "PERSONAL_PHOTO": null,
        "USER_TYPE": "employee",
    })
}

fn user_get(store: &mut Store, p: &Map<String, Value>) -> R {
    // filter: FILTER/filter object, or filter keys at top level
    let mut conds: Vec<(String, Value)> = Vec::new();
    if let Some(Value::Object(f)) = param(p, "filter") {
        conds.extend(f.iter().map(|(k, v)| (k.to_ascii_uppercase(), v.clone())));
    }
    for k in [
        "ID",
        "NAME",
        "LAST_NAME",
        "ACTIVE",
        "WORK_POSITION",
        "EMAIL",
    ] {
        if let Some(v) = p.get(k) {
            conds.push((k.into(), v.clone()));
        }
    }
    let mut users: Vec<&User> = store
        .users
        .iter()
        .filter(|u| {
            conds.iter().all(|(k, v)| {
                let (op, negate, name) = filter_v2::split_prefix(k);
                let field = match name {
                    "ID" => u.id.to_string(),
                    "NAME" => u.name.clone(),
                    "LAST_NAME" => u.last_name.clone(),
                    "WORK_POSITION" => u.work_position.clone(),
                    "EMAIL" => u.email.clone(),
                    "ACTIVE" => (if u.active { "Y" } else { "N" }).to_string(),
                    _ => return true,
                };
                let want: Vec<String> = v2_items(v)
                    .into_iter()
                    .map(|x| match (name, x) {
                        ("ACTIVE", Value::Bool(b)) => (if *b { "Y" } else { "N" }).to_string(),
                        ("ACTIVE", other) => (if super::writes::v2_flag(other) {
                            "Y"
                        } else {
                            "N"
                        })
                        .to_string(),
                        (_, other) => v2_text(other),
                    })
                    .collect();
                let hit = match op {
                    filter_v2::Op::Contains => want
                        .iter()
                        .any(|w| field.to_lowercase().contains(&w.to_lowercase())),
                    filter_v2::Op::Pattern => want.iter().any(|w| filter_v2::like(&field, w)),
                    _ => want.iter().any(|w| w.eq_ignore_ascii_case(&field)),
                };
                hit != negate
            })
        })
        .collect();
    let sort = param(p, "sort")
        .map(v2_text)
        .unwrap_or_else(|| "ID".into())
        .to_ascii_uppercase();
    let desc = param(p, "order")
        .map(v2_text)
        .is_some_and(|o| o.eq_ignore_ascii_case("desc"));
    users.sort_by(|a, b| {
        let o = match sort.as_str() {
            "NAME" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "LAST_NAME" => a.last_name.to_lowercase().cmp(&b.last_name.to_lowercase()),
            _ => a.id.cmp(&b.id),
        };
        let o = if desc { o.reverse() } else { o };
        o.then(a.id.cmp(&b.id))
    });
    let (start, count) = parse_start(param(p, "start"));
    let (rows, next, total) = page(&users, start, count);
    Ok(V2Ok {
        result: Value::Array(rows.into_iter().map(user_v2).collect()),
        next,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::Emulator;
    use super::*;

    fn call(e: &Emulator, m: &str, p: Value) -> super::super::Answer {
        e.call_v2(m, &obj(p), &ADMIN)
    }

    fn ids(a: &super::super::Answer) -> Vec<u64> {
        a.body["result"]["tasks"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|t| t["id"].as_str().and_then(|s| s.parse().ok()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn all_ids(e: &Emulator, filter: Value) -> Vec<u64> {
        let mut out = Vec::new();
        let mut start = 0;
        loop {
            let a = call(
                e,
                "tasks.task.list",
                json!({"filter": filter, "order": {"ID": "asc"}, "select": ["ID"], "start": start}),
            );
            assert_eq!(a.status, 200, "{}", a.body);
            out.extend(ids(&a));
            match a.body["next"].as_u64() {
                Some(n) => start = n,
                None => return out,
            }
        }
    }

    fn store_of(e: &Emulator) -> Store {
        e.lock().store.clone()
    }

    #[test]
    fn get_renders_strings_flags_and_extras() {
        let e = Emulator::new(3);
        let s = store_of(&e);
        let t = s
            .tasks
            .values()
            .find(|t| !t.accomplices.is_empty() && t.group_id.is_some())
            .cloned();
        let Some(t) = t else {
            panic!("seed has no task with accomplices in a group")
        };
        let a = call(&e, "tasks.task.get", json!({"taskId": t.id.to_string()}));
        assert_eq!(a.status, 200);
        let task = &a.body["result"]["task"];
        assert_eq!(task["id"], json!(t.id.to_string()));
        assert_eq!(task["status"], json!(t.status.to_string()));
        assert_eq!(task["priority"], json!(t.priority.to_string()));
        assert_eq!(task["createdBy"], json!(t.created_by.to_string()));
        assert_eq!(task["chatId"], json!(3000 + t.id));
        assert!(matches!(task["taskControl"].as_str(), Some("Y" | "N")));
        assert!(matches!(task["favorite"].as_str(), Some("Y" | "N")));
        assert_eq!(
            task["group"]["id"],
            json!(t.group_id.map(|g| g.to_string()))
        );
        assert_eq!(
            task["creator"]["link"],
            json!(format!("/company/personal/user/{}/", t.created_by))
        );
        assert_eq!(task["responsible"]["icon"], DEFAULT_AVATAR);
        assert_eq!(
            task["accomplices"].as_array().map(Vec::len),
            Some(t.accomplices.len())
        );
        assert!(task["accomplicesData"]
            .get(t.accomplices[0].to_string())
            .is_some());
        assert_eq!(task["action"].as_object().map(|m| m.len()), Some(27));
        assert_eq!(task["action"]["edit"], true);
        assert!(task["createdDate"]
            .as_str()
            .is_some_and(|d| d.ends_with("+03:00")));
        // canonical order: id first, action last
        let keys: Vec<&String> = task
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.first().map(|s| s.as_str()), Some("id"));
        assert_eq!(keys.last().map(|s| s.as_str()), Some("action"));
        assert!(a.body["time"]["operating_reset_at"].is_number());
    }

    #[test]
    fn get_with_select_adds_only_the_documented_extras() {
        let e = Emulator::new(3);
        let a = call(
            &e,
            "tasks.task.get",
            json!({"taskId": 2, "select": ["title", "RESPONSIBLE_ID", "nonsense"]}),
        );
        let keys: Vec<String> = a.body["result"]["task"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "id",
                "title",
                "responsibleId",
                "favorite",
                "group",
                "responsible",
                "action"
            ]
        );
    }

    #[test]
    fn get_errors_and_missing_tasks() {
        let e = Emulator::new(3);
        let a = call(&e, "tasks.task.get", json!({}));
        assert_eq!((a.status, a.body["error"].as_str()), (400, Some("100")));
        let a = call(&e, "tasks.task.get", json!({"taskId": "abc"}));
        assert_eq!((a.status, a.body["error"].as_str()), (400, Some("0")));
        let a = call(&e, "tasks.task.get", json!({"taskId": 999_999}));
        assert_eq!((a.status, &a.body["result"]), (200, &json!([])));
        let a = call(&e, "tasks.task.get", json!({"taskId": 1, "select": 5}));
        assert_eq!(a.body["error"], "100");
        // a task user 7 cannot see
        let s = store_of(&e);
        let hidden = s
            .tasks
            .values()
            .find(|t| !s.can_read(t, 7))
            .map(|t| t.id)
            .unwrap_or(0);
        let a = e.call_v2("tasks.task.get", &obj(json!({"taskId": hidden})), &USER7);
        assert_eq!((a.status, &a.body["result"]), (200, &json!([])));
    }

    #[test]
    fn list_paging_arithmetic() {
        let e = Emulator::new(5);
        let total = store_of(&e).tasks.len() as u64;
        assert!(total > 100 && total < 150);
        let a = call(&e, "tasks.task.list", json!({}));
        assert_eq!(ids(&a).len(), 50);
        assert_eq!(
            (a.body["next"].as_u64(), a.body["total"].as_u64()),
            (Some(50), Some(total))
        );
        let keys: Vec<&String> = a
            .body
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["result", "next", "total", "time"]);
        // default order: ID desc
        let first = ids(&a);
        assert!(first.windows(2).all(|w| w[0] > w[1]));
        let a = call(&e, "tasks.task.list", json!({"start": "50"}));
        assert_eq!((ids(&a).len(), a.body["next"].as_u64()), (50, Some(100)));
        let a = call(&e, "tasks.task.list", json!({"start": 100}));
        assert_eq!(ids(&a).len() as u64, total - 100);
        assert!(a.body.get("next").is_none());
        assert_eq!(a.body["total"].as_u64(), Some(total));
        let a = call(&e, "tasks.task.list", json!({"start": total}));
        assert!(ids(&a).is_empty());
        let a = call(&e, "tasks.task.list", json!({"start": -1}));
        assert_eq!((ids(&a).len(), a.body["total"].as_u64()), (50, Some(0)));
        assert!(a.body.get("next").is_none());
        assert_eq!(ids(&a), first);
    }

    #[test]
    fn list_entries_have_group_but_no_action_or_favorite() {
        let e = Emulator::new(5);
        let a = call(&e, "tasks.task.list", json!({"select": ["ID", "TITLE"]}));
        let t = &a.body["result"]["tasks"][0];
        let keys: Vec<&String> = t
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["id", "title", "group"]);
        let a = call(
            &e,
            "tasks.task.list",
            json!({"select": ["*", "UF_CRM_TASK"]}),
        );
        let t = &a.body["result"]["tasks"][0];
        assert!(
            t.get("ufCrmTask").is_some()
                && t.get("creator").is_some()
                && t.get("auditorsData").is_some()
        );
        assert!(t.get("action").is_none() && t.get("favorite").is_none());
    }

    #[test]
    fn every_filter_operator() {
        let e = Emulator::new(11);
        let s = store_of(&e);
        let all: Vec<u64> = s.tasks.keys().copied().collect();
        let want = |p: &dyn Fn(&Task) -> bool| -> Vec<u64> {
            s.tasks.values().filter(|t| p(t)).map(|t| t.id).collect()
        };
        let mid = all[all.len() / 2];
        assert_eq!(all_ids(&e, json!({"ID": mid})), vec![mid]);
        assert_eq!(all_ids(&e, json!({"=ID": mid.to_string()})), vec![mid]);
        assert_eq!(all_ids(&e, json!({"!ID": mid})).len(), all.len() - 1);
        assert_eq!(all_ids(&e, json!({"!=ID": mid})).len(), all.len() - 1);
        assert_eq!(all_ids(&e, json!({">ID": mid})), want(&|t| t.id > mid));
        assert_eq!(all_ids(&e, json!({">=ID": mid})), want(&|t| t.id >= mid));
        assert_eq!(all_ids(&e, json!({"<ID": mid})), want(&|t| t.id < mid));
        assert_eq!(all_ids(&e, json!({"<=ID": mid})), want(&|t| t.id <= mid));
        assert_eq!(
            all_ids(&e, json!({"@ID": [all[0], all[1], 999_999]})),
            vec![all[0], all[1]]
        );
        assert_eq!(
            all_ids(&e, json!({"ID": [all[0], all[1]]})),
            vec![all[0], all[1]]
        );
        assert_eq!(
            all_ids(&e, json!({"!@ID": [all[0], all[1]]})).len(),
            all.len() - 2
        );
        assert_eq!(
            all_ids(&e, json!({"!ID": [all[0], all[1]]})).len(),
            all.len() - 2
        );
        assert_eq!(
            all_ids(&e, json!({"><ID": [all[3], all[6]]})),
            all[3..=6].to_vec()
        );
        assert_eq!(
            all_ids(&e, json!({"!><ID": [all[3], all[6]]})).len(),
            all.len() - 4
        );
        assert_eq!(
            all_ids(&e, json!({"%TITLE": "REPORT"})),
            want(&|t| t.title.to_lowercase().contains("report"))
        );
        assert_eq!(
            all_ids(&e, json!({"!%TITLE": "report"})),
            want(&|t| !t.title.to_lowercase().contains("report"))
        );
        assert_eq!(
            all_ids(&e, json!({"=%TITLE": "prepare%"})),
            want(&|t| t.title.starts_with("Prepare"))
        );
        assert_eq!(
            all_ids(&e, json!({"%=TITLE": "%report"})),
            want(&|t| t.title.ends_with("report"))
        );
        assert_eq!(
            all_ids(&e, json!({"TITLE": "%отчёт%"})),
            want(&|t| t.title.contains("отчёт"))
        );
        assert!(!want(&|t| t.title.contains("отчёт")).is_empty());
        assert_eq!(
            all_ids(&e, json!({"!=%TITLE": "prepare%"})),
            want(&|t| !t.title.starts_with("Prepare"))
        );
        // other keys, strings from forms
        assert_eq!(
            all_ids(&e, json!({"RESPONSIBLE_ID": "7"})),
            want(&|t| t.responsible_id == 7)
        );
        assert_eq!(
            all_ids(&e, json!({"REAL_STATUS": ["2", "3"]})),
            want(&|t| t.status == 2 || t.status == 3)
        );
        assert_eq!(all_ids(&e, json!({"STATUS": 5})), want(&|t| t.status == 5));
        assert_eq!(
            all_ids(&e, json!({"GROUP_ID": 0})),
            want(&|t| t.group_id.is_none())
        );
        assert_eq!(
            all_ids(&e, json!({"ACCOMPLICE": 3})),
            want(&|t| t.accomplices.contains(&3))
        );
        assert_eq!(
            all_ids(&e, json!({"AUDITOR": [2, 4]})),
            want(&|t| t.auditors.iter().any(|a| *a == 2 || *a == 4))
        );
        assert_eq!(
            all_ids(&e, json!({"PRIORITY": "2", "CREATED_BY": 1})),
            want(&|t| t.priority == 2 && t.created_by == 1)
        );
        assert_eq!(
            all_ids(&e, json!({"MARK": "P"})),
            want(&|t| t.mark == Some('P'))
        );
        assert_eq!(
            all_ids(&e, json!({"DEADLINE": ""})),
            want(&|t| t.deadline.is_none())
        );
        assert_eq!(
            all_ids(&e, json!({"!DEADLINE": ""})),
            want(&|t| t.deadline.is_some())
        );
        let cut = super::super::clock::portal_ts(2026, 10, 15, 0, 0, 0);
        assert_eq!(
            all_ids(&e, json!({">=DEADLINE": "2026-10-15"})),
            want(&|t| t.deadline.is_some_and(|d| d >= cut))
        );
        assert_eq!(
            all_ids(&e, json!({"<CREATED_DATE": "2026-10-14T21:00:00Z"})),
            want(&|t| t.created < cut)
        );
        assert_eq!(
            all_ids(&e, json!({"ONLY_ROOT_TASKS": "Y"})),
            want(&|t| t.parent_id.is_none())
        );
        assert_eq!(all_ids(&e, json!({"nonsense": 1})), all);
        let now = s.now;
        assert_eq!(
            all_ids(&e, json!({"STATUS": -1})),
            want(&|t| matches!(t.status, 2 | 3 | 6) && t.deadline.is_some_and(|d| d < now))
        );
    }

    #[test]
    fn or_and_nested_groups() {
        let e = Emulator::new(11);
        let s = store_of(&e);
        let want = |p: &dyn Fn(&Task) -> bool| -> Vec<u64> {
            s.tasks.values().filter(|t| p(t)).map(|t| t.id).collect()
        };
        let f = json!({"0": {"logic": "OR", "0": {"RESPONSIBLE_ID": 2}, "1": {"CREATED_BY": 3}}, ">ID": 20});
        assert_eq!(
            all_ids(&e, f),
            want(&|t| t.id > 20 && (t.responsible_id == 2 || t.created_by == 3))
        );
        let f = json!({"LOGIC": "or", "0": {"PRIORITY": 2, "REAL_STATUS": 5},
                       "1": {"logic": "and", "0": {"ID": 3}, "1": {"<=ID": 3}}});
        assert_eq!(
            all_ids(&e, f),
            want(&|t| (t.priority == 2 && t.status == 5) || t.id == 3)
        );
        // form-style list filter
        let f = json!([{"logic": "OR", "0": {"ID": 1}, "1": {"ID": 2}}]);
        assert_eq!(all_ids(&e, f), want(&|t| t.id <= 2));
    }

    #[test]
    fn order_keys_and_errors() {
        let e = Emulator::new(11);
        let a = call(
            &e,
            "tasks.task.list",
            json!({"order": {"deadline": "ASC", "ID": "desc"}, "select": ["ID", "DEADLINE"]}),
        );
        let rows = a.body["result"]["tasks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(rows[0]["deadline"].is_null());
        let a = call(
            &e,
            "tasks.task.list",
            json!({"order": {"TITLE": "asc"}, "select": ["TITLE"], "start": 0}),
        );
        let titles: Vec<String> = a.body["result"]["tasks"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|t| t["title"].as_str().map(str::to_lowercase))
                    .collect()
            })
            .unwrap_or_default();
        assert!(titles.windows(2).all(|w| w[0] <= w[1]));
        let a = call(&e, "tasks.task.list", json!({"order": {"NOPE": "asc"}}));
        assert_eq!(a.status, 400);
        assert_eq!(
            a.body,
            json!({"error": "0", "error_description": "Invalid sorting key (internal error)"})
        );
    }

    #[test]
    fn add_get_round_trip_and_errors() {
        let e = Emulator::new(5);
        let last = store_of(&e).last_task_id;
        let a = call(
            &e,
            "tasks.task.add",
            json!({"fields": {"TITLE": "Call the supplier", "RESPONSIBLE_ID": "2", "DEADLINE": "2026-12-10T17:00:00+03:00",
                   "PRIORITY": 2, "ACCOMPLICES": [3], "AUDITORS": ["4"], "TASK_CONTROL": "Y", "GROUP_ID": 1}}),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        let t = &a.body["result"]["task"];
        assert_eq!(t["id"], json!((last + 1).to_string()));
        assert_eq!(t["createdBy"], "1");
        assert_eq!(t["createdDate"], "2026-11-02T09:01:00+03:00");
        assert_eq!(t["status"], "2");
        assert_eq!(t["auditors"], json!(["4"]));
        assert!(t.get("action").is_some() && t.get("creator").is_some());
        let g = call(&e, "tasks.task.get", json!({"taskId": last + 1}));
        assert_eq!(g.body["result"]["task"], *t);
        for (fields, code, desc) in [
            (
                json!({"RESPONSIBLE_ID": 1}),
                "ERROR_CORE",
                "Task title is not specified<br>",
            ),
            (
                json!({"TITLE": "x"}),
                "ERROR_CORE",
                "Responsible person is not specified<br>",
            ),
            (
                json!({"TITLE": "x", "RESPONSIBLE_ID": 99}),
                "ERROR_CORE",
                "Responsible person not found<br>",
            ),
        ] {
            let a = call(&e, "tasks.task.add", json!({ "fields": fields }));
            assert_eq!(
                (
                    a.status,
                    a.body["error"].as_str(),
                    a.body["error_description"].as_str()
                ),
                (400, Some(code), Some(desc))
            );
        }
        let a = call(&e, "tasks.task.add", json!({}));
        assert_eq!(a.body["error"], "100");
    }

    #[test]
    fn update_answers_the_full_task_and_checks_rights() {
        let e = Emulator::new(5);
        let a = call(
            &e,
            "tasks.task.update",
            json!({"taskId": 2, "fields": {"TITLE": "Renamed", "STATUS": "5"}}),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        let t = &a.body["result"]["task"];
        assert_eq!(
            (
                t["title"].as_str(),
                t["status"].as_str(),
                t["closedBy"].as_str()
            ),
            (Some("Renamed"), Some("5"), Some("1"))
        );
        assert_eq!(t["changedDate"], "2026-11-02T09:01:00+03:00");
        let a = call(&e, "tasks.task.update", json!({"taskId": 2}));
        assert_eq!(a.body["error"], "100");
        let a = call(
            &e,
            "tasks.task.update",
            json!({"taskId": 999_999, "fields": {"TITLE": "x"}}),
        );
        assert_eq!(a.body["error"], "ERROR_NOT_FOUND");
        let s = store_of(&e);
        let foreign = s
            .tasks
            .values()
            .find(|t| s.can_read(t, 7) && t.created_by != 7)
            .map(|t| t.id)
            .unwrap_or(0);
        let a = e.call_v2(
            "tasks.task.update",
            &obj(json!({"taskId": foreign, "fields": {"TITLE": "x"}})),
            &USER7,
        );
        assert_eq!(
            a.body["error_description"],
            "Action on the task is not allowed (internal error)"
        );
    }

    #[test]
    fn delete_then_get_is_empty_and_ids_are_not_reused() {
        let e = Emulator::new(5);
        let last = store_of(&e).last_task_id;
        let a = call(&e, "tasks.task.delete", json!({"taskId": last}));
        assert_eq!(a.body["result"], json!({"task": true}));
        assert_eq!(
            call(&e, "tasks.task.get", json!({"taskId": last})).body["result"],
            json!([])
        );
        let a = call(
            &e,
            "tasks.task.add",
            json!({"fields": {"TITLE": "n", "RESPONSIBLE_ID": 1}}),
        );
        assert_eq!(
            a.body["result"]["task"]["id"],
            json!((last + 1).to_string())
        );
        let s = store_of(&e);
        let foreign = s
            .tasks
            .values()
            .find(|t| t.created_by != 7)
            .map(|t| t.id)
            .unwrap_or(0);
        let a = e.call_v2(
            "tasks.task.delete",
            &obj(json!({"taskId": foreign})),
            &USER7,
        );
        assert_eq!(
            a.body,
            json!({"error": "1048582", "error_description": "No access to delete the task"})
        );
    }

    #[test]
    fn result_list_is_a_bare_array_with_real_numbers() {
        let e = Emulator::new(5);
        let s = store_of(&e);
        let Some(r) = s.results.first() else {
            panic!("no results seeded")
        };
        let a = call(
            &e,
            "tasks.task.result.list",
            json!({"taskId": r.task_id.to_string()}),
        );
        let first = &a.body["result"][0];
        assert_eq!(first["id"], json!(r.id));
        assert_eq!(first["taskId"], json!(r.task_id));
        assert_eq!(first["commentId"], 0);
        assert!(first["status"].is_number() && first["createdBy"].is_number());
        assert!(first["formattedText"]
            .as_str()
            .is_some_and(|t| t.contains("<b>")));
        let keys: Vec<&String> = first
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "id",
                "taskId",
                "commentId",
                "createdBy",
                "createdAt",
                "updatedAt",
                "status",
                "text",
                "formattedText",
                "files"
            ]
        );
        assert_eq!(
            call(&e, "tasks.task.result.list", json!({})).body["error"],
            "100"
        );
        assert_eq!(
            call(&e, "tasks.task.result.list", json!({"taskId": 999_999})).body["error"],
            "0"
        );
    }

    #[test]
    fn v2_only_methods() {
        let e = Emulator::new(5);
        let a = e.call_v2("user.current", &Map::new(), &USER7);
        assert_eq!(a.body["result"]["ID"], "7");
        let a = call(&e, "user.get", json!({"FILTER": {"ID": ["2", "3"]}}));
        assert_eq!(a.body["result"].as_array().map(Vec::len), Some(2));
        assert_eq!(a.body["total"], 2);
        let a = call(&e, "user.get", json!({"ID": 5}));
        assert_eq!(a.body["result"][0]["NAME"], "Мария");
        assert_eq!(
            call(&e, "server.time", json!({})).body["result"],
            "2026-11-02T09:00:00+03:00"
        );
        let s = store_of(&e);
        let todo = s
            .tasks
            .values()
            .find(|t| t.status == 2)
            .map(|t| t.id)
            .unwrap_or(0);
        let a = call(&e, "tasks.task.start", json!({"taskId": todo}));
        assert_eq!(a.body["result"]["task"]["status"], "3");
        let a = call(&e, "tasks.task.complete", json!({"taskId": todo}));
        assert_eq!(a.body["result"]["task"]["status"], "5");
        let a = call(&e, "tasks.task.start", json!({"taskId": todo}));
        assert_eq!(a.status, 400);
    }
}
