//! Golden facts about legacy Bitrix24 REST v2 task answers, taken from the official
//! documentation (bitrix24/b24restdocs, commit in `source.commit` of the data file), and
//! checks of real answers against them.
//!
//! The data lives in `tests/golden/v2_tasks.json`; this file only interprets it. Include it
//! from an integration test with `#[path = "support/golden.rs"] mod golden;` (or as a
//! submodule of `tests/support/mod.rs`). Only `serde_json` is used.
//!
//! Key order is one of the facts, so the checks need serde_json's `preserve_order` feature
//! (the crate enables it); `load` panics when it is missing rather than checking nothing.

#![allow(dead_code)]

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The golden data file, verbatim.
pub const GOLDEN_JSON: &str = include_str!("../golden/v2_tasks.json");

/// How the keys of an answer object are compared with a documented example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// The same keys as the example, in the same order, nothing more.
    Exact,
    /// Every key of the example, in the example's relative order; other keys may be mixed in.
    Superset,
    /// Only keys of the example, in the example's relative order; some may be left out (an
    /// answer to a narrower `select`).
    Subset,
}

fn data() -> &'static Value {
    static DATA: OnceLock<Value> = OnceLock::new();
    DATA.get_or_init(|| {
        let probe: Value = serde_json::from_str(r#"{"b":0,"a":0}"#).expect("probe parses");
        let first = probe
            .as_object()
            .and_then(|m| m.keys().next().cloned())
            .unwrap_or_default();
        assert_eq!(
            first, "b",
            "golden checks need serde_json's `preserve_order` feature: key order is a checked fact"
        );
        serde_json::from_str(GOLDEN_JSON).expect("tests/golden/v2_tasks.json is not valid JSON")
    })
}

/// The parsed golden data (a copy).
pub fn load() -> Value {
    data().clone()
}

/// The parsed golden data, borrowed.
pub fn golden() -> &'static Value {
    data()
}

/// JSON type name as used by the data: string, integer, number, boolean, null, array, object.
/// `integer` is a number written without fraction or exponent.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `v` has one of the `allowed` types. `any` accepts everything; `number` accepts
/// integers too.
pub fn type_ok(v: &Value, allowed: &[&str]) -> bool {
    let t = json_type(v);
    allowed
        .iter()
        .any(|a| *a == "any" || *a == t || (*a == "number" && t == "integer"))
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A key list with repeated keys removed, first place kept (what a JSON parser keeps of an
/// example that repeats a key).
pub fn effective_keys(keys: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for k in strs(keys) {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn join_path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn finish(errs: Vec<String>) -> Result<(), String> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n"))
    }
}

// ----------------------------------------------------------------------------------------
// Look-ups

/// Ids of all documented example answers.
pub fn example_ids() -> Vec<&'static str> {
    data()["examples"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["id"].as_str()).collect())
        .unwrap_or_default()
}

/// One documented example answer's facts.
pub fn example(id: &str) -> Result<&'static Value, String> {
    data()["examples"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["id"] == id))
        .ok_or_else(|| {
            format!(
                "golden: no example with id {id:?}; known: {:?}",
                example_ids()
            )
        })
}

/// One rule's record (`id`, `page`, `facts`, maybe `note`).
pub fn rule(id: &str) -> Result<&'static Value, String> {
    data()["rules"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == id))
        .ok_or_else(|| format!("golden: no rule with id {id:?}"))
}

/// The `facts` object of one rule.
pub fn rule_facts(id: &str) -> Result<&'static Value, String> {
    rule(id).map(|r| &r["facts"])
}

/// One error record by its unique id (e.g. `add.title_missing.example`, `system.NO_AUTH_FOUND`).
pub fn error_record(id: &str) -> Result<&'static Value, String> {
    data()["errors"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == id))
        .ok_or_else(|| format!("golden: no error record with id {id:?}"))
}

/// All error records documented for `method` and `case`; falls back to the system errors
/// (method `*`) when the method has no such case.
pub fn error_records(method: &str, case_id: &str) -> Vec<&'static Value> {
    let all = data()["errors"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let own: Vec<&Value> = all
        .iter()
        .filter(|r| r["method"] == method && r["case"] == case_id)
        .collect();
    if !own.is_empty() {
        return own;
    }
    all.iter()
        .filter(|r| r["method"] == "*" && r["case"] == case_id)
        .collect()
}

/// Allowed JSON types of `key` in objects of `kind` (task, user, action, group,
/// checkListTree, checkListTree.fields, checklist_item, checklist_item_action, counter,
/// counter.counters, tag, task_result, delete_result).
pub fn allowed_types(kind: &str, key: &str) -> Option<Vec<&'static str>> {
    let t = &data()["allowed_types"][kind]["types"][key];
    if t.is_array() {
        Some(strs(t))
    } else {
        None
    }
}

/// Keys of `kind` whose empty value shows as `[]` although the key holds an object.
pub fn empty_as_array(kind: &str) -> Vec<&'static str> {
    strs(&data()["allowed_types"][kind]["empty_as_array"])
}

/// Item types of non-empty arrays, gathered over every example of `kind`.
fn array_item_types(kind: &str) -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut add = |ai: &'static Value| {
        if let Some(m) = ai.as_object() {
            for (k, v) in m {
                let ts = if v.is_array() {
                    strs(v)
                } else {
                    v.as_str().into_iter().collect()
                };
                let e = out.entry(k.as_str()).or_default();
                for t in ts {
                    if !e.contains(&t) {
                        e.push(t);
                    }
                }
            }
        }
    };
    for e in data()["examples"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        if e["kind"] == kind {
            add(&e["array_items"]);
        }
        if let Some(n) = e["nested"].as_object() {
            for spec in n.values() {
                if spec["kind"] == kind {
                    add(&spec["array_items"]);
                }
            }
        }
    }
    out
}

// ----------------------------------------------------------------------------------------
// Objects

fn check_keys(
    actual: &Map<String, Value>,
    expected: &[&str],
    mode: KeyMode,
    path: &str,
    errs: &mut Vec<String>,
) {
    let got: Vec<&str> = actual.keys().map(String::as_str).collect();
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|k| !actual.contains_key(*k))
        .collect();
    if !missing.is_empty() && mode != KeyMode::Subset {
        errs.push(format!(
            "{path}: missing key(s) {missing:?} (expected keys {expected:?}, got {got:?})"
        ));
    }
    if mode != KeyMode::Superset {
        let extra: Vec<&str> = got
            .iter()
            .copied()
            .filter(|k| !expected.contains(k))
            .collect();
        if !extra.is_empty() {
            errs.push(format!(
                "{path}: unexpected key(s) {extra:?} in {mode:?} mode (expected keys {expected:?})"
            ));
        }
    }
    // Relative order of the keys both sides have.
    let got_common: Vec<&str> = got
        .iter()
        .copied()
        .filter(|k| expected.contains(k))
        .collect();
    let exp_common: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|k| actual.contains_key(*k))
        .collect();
    if got_common != exp_common {
        let at = got_common
            .iter()
            .zip(&exp_common)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        errs.push(format!(
            "{path}: key order differs at position {at} among shared keys: expected {:?}, got {:?} \
             (expected order {exp_common:?}, got order {got_common:?})",
            exp_common.get(at),
            got_common.get(at)
        ));
    }
}

fn check_types(actual: &Map<String, Value>, kind: &str, path: &str, errs: &mut Vec<String>) {
    let empties = empty_as_array(kind);
    let items = array_item_types(kind);
    for (k, v) in actual {
        let p = join_path(path, k);
        if let Some(allowed) = allowed_types(kind, k) {
            let empty_ok = v.as_array().is_some_and(Vec::is_empty) && empties.contains(&k.as_str());
            if !type_ok(v, &allowed) && !empty_ok {
                let mut exp = allowed.join("|");
                if empties.contains(&k.as_str()) {
                    exp.push_str(" (or [] when empty)");
                }
                errs.push(format!(
                    "{p}: expected type {exp} (golden kind {kind:?}), got {} {}",
                    json_type(v),
                    short(v)
                ));
            }
        }
        if let (Some(arr), Some(its)) = (v.as_array(), items.get(k.as_str())) {
            for (i, it) in arr.iter().enumerate() {
                if !type_ok(it, its) {
                    errs.push(format!(
                        "{p}[{i}]: expected item type {} (golden kind {kind:?}), got {} {}",
                        its.join("|"),
                        json_type(it),
                        short(it)
                    ));
                }
            }
        }
    }
}

/// Values at `path` below `v`; `*` walks every value of an object. Yields (printable path,
/// value, key under the last `*`). Paths that do not exist yield nothing (the parent's key
/// and type checks report those).
fn resolve<'a>(
    v: &'a Value,
    path: &[&str],
    prefix: String,
    map_key: Option<String>,
    out: &mut Vec<(String, &'a Value, Option<String>)>,
) {
    let Some((seg, rest)) = path.split_first() else {
        out.push((prefix, v, map_key));
        return;
    };
    let Some(m) = v.as_object() else { return };
    if *seg == "*" {
        for (k, child) in m {
            resolve(child, rest, join_path(&prefix, k), Some(k.clone()), out);
        }
    } else if let Some(child) = m.get(*seg) {
        resolve(child, rest, join_path(&prefix, seg), map_key, out);
    }
}

fn check_nested_spec(
    root: &Value,
    name: &str,
    spec: &Value,
    mode: Option<KeyMode>,
    path: &str,
    errs: &mut Vec<String>,
) {
    let segs: Vec<&str> = if spec["path"].is_array() {
        strs(&spec["path"])
    } else {
        name.split('.').collect()
    };
    let kind = spec["kind"].as_str().unwrap_or(name);
    let mut found = Vec::new();
    resolve(root, &segs, path.to_string(), None, &mut found);
    for (p, v, map_key) in found {
        let Some(m) = v.as_object() else { continue };
        if let Some(mode) = mode {
            let keys = effective_keys(&spec["keys"]);
            check_keys(m, &keys, mode, &p, errs);
        }
        check_types(m, kind, &p, errs);
        if spec["key_is_id"] == true {
            if let (Some(k), Some(id)) = (map_key, m.get("id")) {
                let id_s = match id {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if id_s != k {
                    errs.push(format!(
                        "{p}: map key {k:?} should equal the entry's id, got id {}",
                        short(id)
                    ));
                }
            }
        }
    }
}

fn check_object_at(actual: &Value, ex: &Value, mode: KeyMode, path: &str, errs: &mut Vec<String>) {
    let id = ex["id"].as_str().unwrap_or("?");
    let kind = ex["kind"].as_str().unwrap_or("task");
    let Some(m) = actual.as_object() else {
        errs.push(format!(
            "{path}: expected an object (example {id:?}), got {} {}",
            json_type(actual),
            short(actual)
        ));
        return;
    };
    let keys = effective_keys(&ex["keys"]);
    check_keys(m, &keys, mode, path, errs);
    check_types(m, kind, path, errs);
    let nested = ex["nested"].as_object();
    if let Some(n) = nested {
        for (name, spec) in n {
            check_nested_spec(actual, name, spec, Some(mode), path, errs);
        }
    }
    // Nested objects the example does not show (e.g. a real group where the example has
    // []): type-check the keys the docs know; key presence is not asserted.
    if let Some(kinds) = data()["nested_kinds"][kind].as_object() {
        for (name, k) in kinds {
            if nested.is_some_and(|n| n.contains_key(name)) {
                continue;
            }
            let spec = serde_json::json!({ "kind": k });
            check_nested_spec(actual, name, &spec, None, path, errs);
        }
    }
}

/// Checks one answer object (a task, a task result, delete's `result`) against the example
/// `example_id`: key set and order per `mode`, every key's JSON type against the types
/// allowed for it (all examples plus fields.md), array item types, and nested objects
/// (creator, responsible, action, checkListTree, auditorsData entries, …) the same way.
pub fn check_object(actual: &Value, example_id: &str, mode: KeyMode) -> Result<(), String> {
    let ex = example(example_id)?;
    let path = object_path_string(ex);
    let mut errs = Vec::new();
    check_object_at(actual, ex, mode, &path, &mut errs);
    finish(errs).map_err(|e| format!("golden example {example_id:?} ({mode:?}):\n{e}"))
}

fn object_path_string(ex: &Value) -> String {
    let mut s = String::new();
    for seg in ex["object_path"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        match seg {
            Value::Number(n) => s.push_str(&format!("[{n}]")),
            Value::String(k) => s = join_path(&s, k),
            _ => {}
        }
    }
    s
}

/// Checks a whole success answer: HTTP status, envelope keys and order (documented optional
/// keys such as list's `next` allowed in their place), the `time` block, the keys of
/// `result`, and every answer object at the example's object path (every element where the
/// path goes through an array).
pub fn check_answer(
    status: u16,
    body: &Value,
    example_id: &str,
    mode: KeyMode,
) -> Result<(), String> {
    let ex = example(example_id)?;
    let mut errs = Vec::new();
    if ex["status"].as_u64() != Some(u64::from(status)) {
        errs.push(format!(
            "HTTP status: expected {}, got {status}",
            ex["status"]
        ));
    }
    let Some(m) = body.as_object() else {
        return Err(format!(
            "golden example {example_id:?}: body is not an object: {}",
            short(body)
        ));
    };
    let envelope = strs(&ex["envelope"]);
    let optional: Vec<&Value> = ex["optional_envelope"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut core = Map::new();
    for (k, v) in m {
        if optional.iter().any(|o| o["key"] == k.as_str()) {
            continue;
        }
        core.insert(k.clone(), v.clone());
    }
    check_keys(&core, &envelope, mode, "(envelope)", &mut errs);
    let keys: Vec<&String> = m.keys().collect();
    for o in optional {
        let key = o["key"].as_str().unwrap_or_default();
        let Some(pos) = keys.iter().position(|k| *k == key) else {
            continue;
        };
        let after = o["after"]
            .as_str()
            .and_then(|a| keys.iter().position(|k| *k == a));
        let before = o["before"]
            .as_str()
            .and_then(|b| keys.iter().position(|k| *k == b));
        if after.is_some_and(|a| a > pos) || before.is_some_and(|b| b < pos) {
            errs.push(format!(
                "(envelope).{key}: expected between {:?} and {:?}, got key order {keys:?}",
                o["after"], o["before"]
            ));
        }
        if let Some(t) = o["type"].as_str() {
            if !type_ok(&m[key], &[t]) {
                errs.push(format!(
                    "{key}: expected type {t}, got {} {}",
                    json_type(&m[key]),
                    short(&m[key])
                ));
            }
        }
    }
    if envelope.contains(&"total") {
        if let Some(t) = m.get("total") {
            if !t.is_u64() {
                errs.push(format!(
                    "total: expected a non-negative integer, got {}",
                    short(t)
                ));
            }
        }
    }
    // A missing `time` is reported by the envelope check.
    if let Some(t) = m.get("time") {
        if let Err(e) = check_time_block(t) {
            errs.push(e);
        }
    }
    if let (Some(rk), Some(result)) = (ex["result_keys"].as_array(), m.get("result")) {
        let rk: Vec<&str> = rk.iter().filter_map(Value::as_str).collect();
        match result.as_object() {
            Some(r) => check_keys(r, &rk, mode, "result", &mut errs),
            None => errs.push(format!(
                "result: expected an object with keys {rk:?}, got {} {}",
                json_type(result),
                short(result)
            )),
        }
    }
    if ex["result_type"] == "array" {
        if let Some(r) = m.get("result") {
            if !r.is_array() {
                errs.push(format!("result: expected an array, got {}", short(r)));
            }
        }
    }
    // Objects at object_path; an integer segment means "every element".
    let segs = ex["object_path"].as_array().cloned().unwrap_or_default();
    let mut current: Vec<(String, &Value)> = vec![(String::new(), body)];
    for seg in &segs {
        let mut next = Vec::new();
        for (p, v) in current {
            match seg {
                Value::String(k) => match v.get(k) {
                    Some(c) => next.push((join_path(&p, k), c)),
                    None => errs.push(format!("{}: missing", join_path(&p, k))),
                },
                Value::Number(_) => match v.as_array() {
                    Some(a) => {
                        for (i, c) in a.iter().enumerate() {
                            next.push((format!("{p}[{i}]"), c));
                        }
                    }
                    None => errs.push(format!(
                        "{p}: expected an array, got {} {}",
                        json_type(v),
                        short(v)
                    )),
                },
                _ => {}
            }
        }
        current = next;
    }
    for (p, v) in current {
        check_object_at(v, ex, mode, &p, &mut errs);
    }
    finish(errs).map_err(|e| format!("golden answer {example_id:?} ({mode:?}):\n{e}"))
}

/// Checks the documented answer of tasks.task.get for a task that does not exist or is not
/// accessible: HTTP 200, `result` an empty array, then `time`.
pub fn check_get_not_found(status: u16, body: &Value) -> Result<(), String> {
    let facts = rule_facts("get.not_found_is_200_empty_array")?;
    let mut errs = Vec::new();
    if facts["status"].as_u64() != Some(u64::from(status)) {
        errs.push(format!(
            "HTTP status: expected {}, got {status}",
            facts["status"]
        ));
    }
    match body.as_object() {
        None => errs.push(format!("body: expected an object, got {}", short(body))),
        Some(m) => {
            check_keys(
                m,
                &["result", "time"],
                KeyMode::Exact,
                "(envelope)",
                &mut errs,
            );
            match m.get("result") {
                Some(Value::Array(a)) if a.is_empty() => {}
                Some(other) => errs.push(format!("result: expected [], got {}", short(other))),
                None => {}
            }
            if let Some(t) = m.get("time") {
                if let Err(e) = check_time_block(t) {
                    errs.push(e);
                }
            }
        }
    }
    finish(errs).map_err(|e| format!("golden rule get.not_found_is_200_empty_array:\n{e}"))
}

// ----------------------------------------------------------------------------------------
// Errors

fn description_matches(actual: &str, rec: &Value) -> bool {
    let parts = strs(&rec["template_parts"]);
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return rec["description"].as_str() == Some(actual);
    };
    if parts.len() == 1 {
        return actual == *first;
    }
    if actual.len() < first.len() + last.len()
        || !actual.starts_with(first)
        || !actual.ends_with(last)
    {
        return false;
    }
    // The placeholders sit between the parts; the middle parts must appear in order.
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn check_error_against(actual_status: u16, body: &Value, rec: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    if rec["status"].as_u64() != Some(u64::from(actual_status)) {
        errs.push(format!(
            "HTTP status: expected {}, got {actual_status}",
            rec["status"]
        ));
    }
    let Some(m) = body.as_object() else {
        errs.push(format!("body: expected an object, got {}", short(body)));
        return errs;
    };
    check_keys(
        m,
        &["error", "error_description"],
        KeyMode::Exact,
        "(error body)",
        &mut errs,
    );
    match m.get("error") {
        Some(Value::String(c)) if Some(c.as_str()) == rec["code"].as_str() => {}
        Some(other) => errs.push(format!(
            "error: expected the string {}, got {}",
            rec["code"],
            short(other)
        )),
        None => {}
    }
    match m.get("error_description") {
        Some(Value::String(d)) if description_matches(d, rec) => {}
        Some(other) => {
            let how = if rec["template_parts"].is_array() {
                format!("text fitting the template parts {}", rec["template_parts"])
            } else {
                format!("exactly {}", rec["description"])
            };
            errs.push(format!(
                "error_description: expected {how}, got {}",
                short(other)
            ));
        }
        None => {}
    }
    errs
}

/// Checks an error answer against the documented error(s) of `method` for `case_id` (the
/// `case` field of the data; system errors by their code, e.g. `QUERY_LIMIT_EXCEEDED`).
/// Passes when the answer fits any of the documented variants (a table and an example may
/// disagree); the error text names each variant tried.
pub fn check_error(
    actual_status: u16,
    actual_body: &Value,
    method: &str,
    case_id: &str,
) -> Result<(), String> {
    let recs = error_records(method, case_id);
    if recs.is_empty() {
        return Err(format!(
            "golden: no documented error for method {method:?}, case {case_id:?}"
        ));
    }
    let mut report = Vec::new();
    for rec in &recs {
        let errs = check_error_against(actual_status, actual_body, rec);
        if errs.is_empty() {
            return Ok(());
        }
        report.push(format!(
            "  variant {} ({}):\n    {}",
            rec["id"],
            rec["page"].as_str().unwrap_or("?"),
            errs.join("\n    ")
        ));
    }
    Err(format!(
        "golden error {method} / {case_id}: the answer fits no documented variant:\n{}",
        report.join("\n")
    ))
}

/// Checks an error answer against one error record (by id), with no other variant accepted.
pub fn check_error_record(
    actual_status: u16,
    actual_body: &Value,
    record_id: &str,
) -> Result<(), String> {
    let rec = error_record(record_id)?;
    finish(check_error_against(actual_status, actual_body, rec))
        .map_err(|e| format!("golden error record {record_id}:\n{e}"))
}

// ----------------------------------------------------------------------------------------
// time block

fn is_iso_datetime(s: &str) -> bool {
    // YYYY-MM-DDThh:mm:ss+hh:mm (or -hh:mm)
    let b = s.as_bytes();
    if b.len() != 25 {
        return false;
    }
    let digits = [
        0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24,
    ];
    digits.iter().all(|&i| b[i].is_ascii_digit())
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && (b[19] == b'+' || b[19] == b'-')
        && b[22] == b':'
}

/// Checks a `time` object (the value of the answer's `time` key): all eight documented keys
/// in documented order, their JSON types, ISO dates with offset, and duration = finish - start.
pub fn check_time_block(v: &Value) -> Result<(), String> {
    let facts = rule_facts("time.keys")?;
    let keys = strs(&facts["keys"]);
    let mut errs = Vec::new();
    let Some(m) = v.as_object() else {
        return Err(format!("time: expected an object, got {}", short(v)));
    };
    check_keys(m, &keys, KeyMode::Exact, "time", &mut errs);
    for (k, val) in m {
        if let Some(t) = facts["json_types"][k.as_str()].as_str() {
            if !type_ok(val, &[t]) {
                errs.push(format!(
                    "time.{k}: expected type {t}, got {} {}",
                    json_type(val),
                    short(val)
                ));
            } else if t == "string" && !is_iso_datetime(val.as_str().unwrap_or_default()) {
                errs.push(format!(
                    "time.{k}: expected YYYY-MM-DDThh:mm:ss+hh:mm, got {}",
                    short(val)
                ));
            }
        }
    }
    if let (Some(s), Some(f), Some(d)) = (
        m.get("start").and_then(Value::as_f64),
        m.get("finish").and_then(Value::as_f64),
        m.get("duration").and_then(Value::as_f64),
    ) {
        if f < s {
            errs.push(format!("time: finish {f} is before start {s}"));
        }
        if ((f - s) - d).abs() > 0.001 {
            errs.push(format!(
                "time.duration: expected finish - start = {}, got {d}",
                f - s
            ));
        }
    }
    finish(errs)
}

// ----------------------------------------------------------------------------------------
// Raw bytes

fn around(raw: &str, i: usize) -> String {
    let mut start = i.saturating_sub(20);
    while !raw.is_char_boundary(start) {
        start -= 1;
    }
    raw[start..].chars().take(40).collect()
}

/// Fails when the raw body has a literal `<` or `>`: every documented answer shows them as
/// `\u003C` / `\u003E`.
pub fn check_no_raw_angle_brackets(raw: &str) -> Result<(), String> {
    match raw.find(['<', '>']) {
        None => Ok(()),
        Some(i) => Err(format!(
            "raw body has a literal {:?} at byte {i}; the docs show \\u003C / \\u003E: …{}…",
            &raw[i..i + 1],
            around(raw, i)
        )),
    }
}

/// Fails when the raw body has a `/` not written as `\/` (the form the result.list example
/// shows; the task examples show plain slashes, see `bytes.escaped_slash`).
pub fn check_slashes_escaped(raw: &str) -> Result<(), String> {
    let b = raw.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'/' && (i == 0 || b[i - 1] != b'\\') {
            return Err(format!(
                "raw body has an unescaped '/' at byte {i}: …{}…",
                around(raw, i)
            ));
        }
    }
    Ok(())
}
