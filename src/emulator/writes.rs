//! Task writes shared by both versions: each version parses its own `fields` into a
//! [`Patch`] of neutral values; creation, update and their business checks live here once.

use super::clock::parse_iso;
use super::fields::{by_f, by_v2, by_v3, set, Kind, Nv, F, FIELDS};
use super::store::{guid_for, Store, Task};
use super::V3Err;
use serde_json::Value;

/// A business-rule failure: v2 shows it as `ERROR_CORE` "<message><br>", v3 as a
/// validation error on `field` (the v3 name).
#[derive(Debug, Clone, PartialEq)]
pub struct Biz {
    pub field: String,
    pub message: String,
}

pub fn biz(field: &str, message: &str) -> Biz {
    Biz {
        field: field.into(),
        message: message.into(),
    }
}

impl Biz {
    pub fn v3(&self) -> V3Err {
        V3Err::validation(&self.field, &self.message)
    }
}

pub type Patch = Vec<(F, Nv)>;

pub const TITLE_MISSING: &str = "Task title is not specified";
pub const RESPONSIBLE_MISSING: &str = "Responsible person is not specified";

// ---------- value readers ----------

/// An integer from a v2 value: JSON numbers, integer strings; `""`/null → None;
/// anything else → Some(0) (PHP `intval`).
pub fn v2_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.trim().parse::<i64>().unwrap_or(0)),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// Strict: a JSON number or a string of digits (with optional sign), nothing else.
pub fn v2_strict_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

pub fn v2_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "1".into(),
        _ => String::new(),
    }
}

pub fn v2_flag(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64() == Some(1),
        Value::String(s) => matches!(s.trim().to_ascii_uppercase().as_str(), "Y" | "1" | "TRUE"),
        _ => false,
    }
}

/// Items of a v2 list: an array, the values of an object (PHP array), or one scalar.
pub fn v2_items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(m) => m.values().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn dedup(ids: impl IntoIterator<Item = u64>) -> Vec<u64> {
    let mut out = Vec::new();
    for i in ids {
        if i > 0 && !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

pub fn status_code_of(v3: &str) -> Option<u8> {
    [
        "pending",
        "in_progress",
        "supposedly_completed",
        "completed",
        "deferred",
        "declined",
    ]
    .iter()
    .position(|s| *s == v3)
    .and_then(|p| u8::try_from(p + 2).ok())
}

pub fn status_name(code: u8) -> &'static str {
    match code {
        2 => "pending",
        3 => "in_progress",
        4 => "supposedly_completed",
        5 => "completed",
        6 => "deferred",
        7 => "declined",
        _ => "pending",
    }
}

pub fn priority_name(code: u8) -> &'static str {
    match code {
        0 => "low",
        2 => "high",
        _ => "average",
    }
}

pub fn mark_name(m: Option<char>) -> &'static str {
    match m {
        Some('P') => "positive",
        Some('N') => "negative",
        _ => "none",
    }
}

// ---------- v2 fields ----------

/// Parses v2 `fields` (UPPER names, any case). Unknown and read-only names are ignored, as
/// the old server does; `SE_PARAMETER` sets the three subtask/result flags.
pub fn parse_v2_fields(
    fields: &serde_json::Map<String, Value>,
    allow_creator: bool,
) -> Result<Patch, Biz> {
    let mut patch = Patch::new();
    for (name, v) in fields {
        let up = name.to_ascii_uppercase();
        if up == "SE_PARAMETER" {
            for item in v2_items(v) {
                let Some(o) = item.as_object() else { continue };
                let code = o
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("CODE"))
                    .and_then(|(_, c)| v2_int(c));
                let val = o
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("VALUE"))
                    .map(|(_, c)| v2_flag(c));
                let f = match code {
                    Some(1) => F::MatchesSubTasksTime,
                    Some(2) => F::AutocompleteSubTasks,
                    Some(3) => F::RequireResult,
                    _ => continue,
                };
                patch.push((f, Nv::Flag(val.unwrap_or(false))));
            }
            continue;
        }
        let Some(def) = by_v2(&up) else { continue };
        if !(def.editable || (def.f == F::CreatedBy && allow_creator)) {
            continue;
        }
        let nv = match def.kind {
            Kind::OptInt | Kind::IdZero | Kind::Int | Kind::RealInt => {
                Nv::Opt(v2_int(v).filter(|n| *n != 0 || def.kind == Kind::Int))
            }
            Kind::Text => Nv::Text(v2_text(v)),
            Kind::OptText => Nv::OptText(Some(v2_text(v)).filter(|s| !s.is_empty())),
            Kind::Flag => Nv::Flag(v2_flag(v)),
            Kind::Date => {
                let s = v2_text(v);
                if s.trim().is_empty() {
                    Nv::Date(None)
                } else {
                    Nv::Date(Some(
                        parse_iso(&s).ok_or_else(|| biz(def.v3, "Incorrect date value"))?,
                    ))
                }
            }
            Kind::Status => match v2_strict_int(v) {
                Some(n @ 2..=7) => Nv::Code(u8::try_from(n).unwrap_or(2)),
                _ => return Err(biz("status", "Incorrect status")),
            },
            Kind::Priority => match v2_strict_int(v) {
                Some(n @ 0..=2) => Nv::Code(u8::try_from(n).unwrap_or(1)),
                _ => return Err(biz("priority", "Incorrect priority")),
            },
            Kind::Mark => match v2_text(v).trim().to_ascii_uppercase().as_str() {
                "" => Nv::Mark(None),
                "P" => Nv::Mark(Some('P')),
                "N" => Nv::Mark(Some('N')),
                _ => return Err(biz("mark", "Incorrect mark")),
            },
            Kind::Users => Nv::Ids(dedup(
                v2_items(v)
                    .into_iter()
                    .filter_map(v2_int)
                    .filter_map(|n| u64::try_from(n).ok()),
            )),
            Kind::Strings => Nv::Strs(
                v2_items(v)
                    .into_iter()
                    .map(v2_text)
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
            Kind::Member | Kind::Checklist | Kind::Rights => continue,
        };
        patch.push((def.f, nv));
    }
    Ok(patch)
}

// ---------- v3 fields ----------

fn v3_int(name: &str, v: &Value) -> Result<i64, V3Err> {
    v.as_i64().ok_or_else(|| V3Err::type_error(name, "int"))
}

/// Parses v3 `fields` strictly. `creating` allows `creatorId`.
pub fn parse_v3_fields(fields: &Value, creating: bool) -> Result<Patch, V3Err> {
    let Some(obj) = fields.as_object() else {
        return Err(V3Err::type_error("fields", "array"));
    };
    let mut patch = Patch::new();
    for (name, v) in obj {
        let Some(def) = by_v3(name) else {
            return Err(V3Err::unknown_property(name));
        };
        if !(def.editable || (def.f == F::CreatedBy && creating)) {
            return Err(V3Err::validation(
                name,
                &format!("Field `{name}` requires the Editable attribute"),
            ));
        }
        let nullable = matches!(
            def.kind,
            Kind::OptInt | Kind::IdZero | Kind::OptText | Kind::Date
        );
        if v.is_null() && !nullable {
            return Err(V3Err::validation(
                name,
                &format!("Field `{name}` cannot be null"),
            ));
        }
        let nv = match def.kind {
            Kind::OptInt | Kind::IdZero => {
                if v.is_null() {
                    Nv::Opt(None)
                } else {
                    Nv::Opt(Some(v3_int(name, v)?).filter(|n| *n != 0))
                }
            }
            Kind::Int | Kind::RealInt => Nv::Opt(Some(v3_int(name, v)?)),
            Kind::Text => Nv::Text(
                v.as_str()
                    .ok_or_else(|| V3Err::type_error(name, "string"))?
                    .to_string(),
            ),
            Kind::OptText => Nv::OptText(if v.is_null() {
                None
            } else {
                Some(
                    v.as_str()
                        .ok_or_else(|| V3Err::type_error(name, "string"))?
                        .to_string(),
                )
            }),
            Kind::Flag => Nv::Flag(v.as_bool().ok_or_else(|| V3Err::type_error(name, "bool"))?),
            Kind::Date => {
                if v.is_null() {
                    Nv::Date(None)
                } else {
                    let s = v
                        .as_str()
                        .ok_or_else(|| V3Err::type_error(name, "datetime"))?;
                    Nv::Date(Some(
                        parse_iso(s).ok_or_else(|| V3Err::type_error(name, "datetime"))?,
                    ))
                }
            }
            Kind::Status => Nv::Code(
                v.as_str()
                    .and_then(status_code_of)
                    .ok_or_else(|| V3Err::validation(name, "Incorrect status"))?,
            ),
            Kind::Priority => Nv::Code(match v.as_str() {
                Some("low") => 0,
                Some("average") => 1,
                Some("high") => 2,
                _ => return Err(V3Err::validation(name, "Incorrect priority")),
            }),
            Kind::Mark => Nv::Mark(match v.as_str() {
                Some("none") => None,
                Some("positive") => Some('P'),
                Some("negative") => Some('N'),
                _ => return Err(V3Err::validation(name, "Incorrect mark")),
            }),
            Kind::Users => {
                let arr = v
                    .as_array()
                    .ok_or_else(|| V3Err::type_error(name, "array"))?;
                let mut ids = Vec::new();
                for x in arr {
                    let n = x.as_u64().ok_or_else(|| V3Err::type_error(name, "int[]"))?;
                    ids.push(n);
                }
                Nv::Ids(dedup(ids))
            }
            Kind::Strings => {
                let arr = v
                    .as_array()
                    .ok_or_else(|| V3Err::type_error(name, "array"))?;
                let mut out = Vec::new();
                for x in arr {
                    out.push(
                        x.as_str()
                            .ok_or_else(|| V3Err::type_error(name, "string[]"))?
                            .to_string(),
                    );
                }
                Nv::Strs(out)
            }
            Kind::Member | Kind::Checklist | Kind::Rights => {
                return Err(V3Err::validation(
                    name,
                    &format!("Field `{name}` requires the Editable attribute"),
                ))
            }
        };
        patch.push((def.f, nv));
    }
    Ok(patch)
}

// ---------- shared business logic ----------

fn v3name(f: F) -> &'static str {
    by_f(f).map(|d| d.v3).unwrap_or("")
}

fn check(store: &Store, task: &Task, patch: &Patch) -> Result<(), Biz> {
    for (f, _) in patch {
        match f {
            F::Title if task.title.trim().is_empty() => return Err(biz("title", TITLE_MISSING)),
            F::ResponsibleId if store.user(task.responsible_id).is_none() => {
                return Err(biz("responsibleId", "Responsible person not found"))
            }
            F::CreatedBy if store.user(task.created_by).is_none() => {
                return Err(biz("creatorId", "Task creator not found"))
            }
            F::ParentId => {
                if let Some(p) = task.parent_id {
                    if p == task.id {
                        return Err(biz("parentId", "A task cannot be its own parent"));
                    }
                    if !store.tasks.contains_key(&p) {
                        return Err(biz("parentId", "Parent task not found"));
                    }
                }
            }
            F::GroupId => {
                if let Some(g) = task.group_id {
                    if store.group(g).is_none() {
                        return Err(biz("groupId", "Group not found"));
                    }
                }
            }
            F::Accomplices | F::Auditors => {
                let list = if *f == F::Accomplices {
                    &task.accomplices
                } else {
                    &task.auditors
                };
                if list.iter().any(|u| store.user(*u).is_none()) {
                    return Err(biz(v3name(*f), "User not found"));
                }
            }
            F::StartPlan | F::EndPlan => {
                if let (Some(s), Some(e)) = (task.start_plan, task.end_plan) {
                    if e < s {
                        return Err(biz(
                            "endPlan",
                            "Planned end date cannot be earlier than planned start date",
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Status bookkeeping after `t.status` changed from `old`.
pub fn status_changed(t: &mut Task, old: u8, now: i64, by: u64) {
    if t.status == old {
        return;
    }
    t.status_changed = now;
    t.status_changed_by = Some(by);
    if t.status == 5 {
        t.closed = Some(now);
        t.closed_by = Some(by);
    } else if old == 5 {
        t.closed = None;
        t.closed_by = None;
    }
    if t.status == 3 && t.started.is_none() {
        t.started = Some(now);
    }
}

/// Creates a task; `creator` is used when the patch has no creator.
pub fn create(store: &mut Store, patch: Patch, creator: u64) -> Result<u64, Biz> {
    if !patch
        .iter()
        .any(|(f, v)| *f == F::Title && matches!(v, Nv::Text(s) if !s.trim().is_empty()))
    {
        return Err(biz("title", TITLE_MISSING));
    }
    if !patch
        .iter()
        .any(|(f, v)| *f == F::ResponsibleId && matches!(v, Nv::Opt(Some(_))))
    {
        return Err(biz("responsibleId", RESPONSIBLE_MISSING));
    }
    let id = store.last_task_id + 1;
    let now = store.now + 60;
    let mut t = Task {
        id,
        parent_id: None,
        title: String::new(),
        description: String::new(),
        chat_id: Some(3000 + id),
        mark: None,
        priority: 1,
        multitask: false,
        replicate: false,
        stage_id: None,
        created_by: creator,
        created: now,
        responsible_id: 0,
        accomplices: Vec::new(),
        auditors: Vec::new(),
        changed_by: creator,
        changed: now,
        status_changed_by: None,
        status_changed: now,
        closed_by: None,
        closed: None,
        activity: now,
        started: None,
        deadline: None,
        start_plan: None,
        end_plan: None,
        guid: guid_for(id),
        xml_id: None,
        allow_change_deadline: false,
        allow_time_tracking: false,
        task_control: false,
        add_in_report: false,
        forked_by_template_id: None,
        time_estimate: 0,
        match_work_time: false,
        site_id: "s1".into(),
        exchange_modified: None,
        exchange_id: None,
        outlook_version: 1,
        duration_plan: None,
        duration_fact: None,
        duration_type: "days".into(),
        muted_by: Vec::new(),
        pinned_by: Vec::new(),
        pinned_in_group_by: Vec::new(),
        favorite_of: Vec::new(),
        flow_id: None,
        status: 2,
        group_id: None,
        crm_items: Vec::new(),
        require_result: false,
        matches_subtasks_time: false,
        autocomplete_subtasks: false,
    };
    for (f, v) in patch.iter().cloned() {
        set(&mut t, f, v);
    }
    let mut checked = patch.clone();
    checked.push((F::CreatedBy, Nv::Computed));
    check(store, &t, &checked)?;
    t.changed_by = t.created_by;
    if t.status != 2 {
        let by = t.created_by;
        status_changed(&mut t, 2, now, by);
    }
    store.now = now;
    store.last_task_id = id;
    store.tasks.insert(id, t);
    Ok(id)
}

/// Applies a patch to an existing task (rights already checked).
pub fn update(store: &mut Store, id: u64, patch: Patch, by: u64) -> Result<(), Biz> {
    let Some(old) = store.tasks.get(&id) else {
        return Err(biz("id", "Task not found"));
    };
    let mut t = old.clone();
    for (f, v) in patch.iter().cloned() {
        set(&mut t, f, v);
    }
    check(store, &t, &patch)?;
    if patch.is_empty() {
        return Ok(());
    }
    let now = store.tick();
    t.changed = now;
    t.changed_by = by;
    t.activity = now;
    let old_status = store.tasks.get(&id).map(|o| o.status).unwrap_or(t.status);
    status_changed(&mut t, old_status, now, by);
    store.tasks.insert(id, t);
    Ok(())
}

/// Deletes a task and its results.
pub fn delete(store: &mut Store, id: u64) {
    store.tasks.remove(&id);
    store.results.retain(|r| r.task_id != id);
    store.tick();
}

/// Every v3 field that the v2 writer can also set (for tests and docs).
#[allow(dead_code)]
pub fn writable_v3_names() -> Vec<&'static str> {
    FIELDS.iter().filter(|d| d.editable).map(|d| d.v3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v2_and_v3_fields_parse_to_the_same_patch() {
        let v2 = json!({"TITLE": "Call", "responsible_id": "2", "PRIORITY": "2", "TASK_CONTROL": "Y",
            "DEADLINE": "2026-04-10T17:00:00+03:00", "ACCOMPLICES": ["3", 4], "MARK": "P", "GROUP_ID": "0",
            "STATUS": 3, "UF_CRM_TASK": ["D_88"], "SE_PARAMETER": [{"CODE": 3, "VALUE": "Y"}], "NOT_A_FIELD": 1});
        let v3 = json!({"title": "Call", "responsibleId": 2, "priority": "high", "needsControl": true,
            "deadline": "2026-04-10T17:00:00+03:00", "accomplices": [3, 4], "mark": "positive", "groupId": null,
            "status": "in_progress", "crmItemIds": ["D_88"], "requireResult": true});
        let a = parse_v2_fields(v2.as_object().unwrap_or(&serde_json::Map::new()), true)
            .unwrap_or_default();
        let b = parse_v3_fields(&v3, true).unwrap_or_default();
        let mut a: Vec<String> = a.iter().map(|x| format!("{x:?}")).collect();
        let mut b: Vec<String> = b.iter().map(|x| format!("{x:?}")).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn v3_fields_are_strict() {
        let e = parse_v3_fields(&json!({"responsibleId": "2"}), true).err();
        assert_eq!(
            e.map(|e| e.validation),
            Some(vec![(
                "responsibleId".into(),
                "Field `responsibleId` requires data type `int`".into()
            )])
        );
        let e = parse_v3_fields(&json!({"creatorId": 2}), false).err();
        assert_eq!(
            e.map(|e| e.validation[0].1.clone()),
            Some("Field `creatorId` requires the Editable attribute".into())
        );
        let e = parse_v3_fields(&json!({"bogus": 2}), true).err();
        assert_eq!(
            e.map(|e| e.code),
            Some("BITRIX_REST_V3_EXCEPTION_UNKNOWNDTOPROPERTYEXCEPTION".into())
        );
    }
}
