//! Self-test of the golden v2 task facts (tests/golden/v2_tasks.json) and their checker
//! (tests/support/golden.rs): values built here from the data must pass, and deliberately
//! broken ones must fail with a message that names the problem. This guards the checker
//! against asserting nothing.

#[path = "support/golden.rs"]
mod golden;

use golden::KeyMode::{Exact, Superset};
use serde_json::{json, Map, Value};

// ----------------------------------------------------------------------------------------
// Builders: values made from the golden data itself.

fn sample(t: &str, item: Option<&str>) -> Value {
    match t {
        "string" => json!("s"),
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        "array" => match item {
            Some(it) => Value::Array(vec![sample(it, None)]),
            None => json!([]),
        },
        "object" => json!({}),
        other => panic!("golden data uses unknown type {other:?}"),
    }
}

fn item_type<'a>(array_items: &'a Value, key: &str) -> Option<&'a str> {
    match &array_items[key] {
        Value::String(s) => Some(s.as_str()),
        Value::Array(a) => a.first().and_then(Value::as_str),
        _ => None,
    }
}

fn spec_at<'a>(nested: &'a Value, path: &[&str]) -> Option<&'a Value> {
    nested.as_object()?.values().find(|spec| {
        spec["path"].as_array().is_some_and(|p| {
            p.iter()
                .map(|s| s.as_str().unwrap_or(""))
                .eq(path.iter().copied())
        })
    })
}

/// An object with `spec`'s keys (duplicates dropped) and a value of each key's type; object
/// keys with a nested spec in `nested` are built from it.
fn build(spec: &Value, nested: &Value, path: &[&str], empty_as: &Value) -> Value {
    let mut m = Map::new();
    for k in golden::effective_keys(&spec["keys"]) {
        let t = spec["types"][k].as_str().expect("every key has a type");
        let mut p: Vec<&str> = path.to_vec();
        p.push(k);
        let v = if t == "object" {
            if let Some(s) = spec_at(nested, &p) {
                build(s, nested, &p, &Value::Null)
            } else {
                let mut pm = p.clone();
                pm.push("*");
                if let Some(s) = spec_at(nested, &pm) {
                    let mut entry = build(s, nested, &pm, &Value::Null);
                    if s["key_is_id"] == true {
                        entry["id"] = if s["types"]["id"] == "integer" {
                            json!(1)
                        } else {
                            json!("1")
                        };
                    }
                    json!({ "1": entry })
                } else {
                    json!({})
                }
            }
        } else if empty_as.get(k).is_some() {
            json!([])
        } else {
            sample(t, item_type(&spec["array_items"], k))
        };
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

fn built_object(id: &str) -> Value {
    let ex = golden::example(id).unwrap();
    build(ex, &ex["nested"], &[], &ex["empty_as"])
}

fn built_time() -> Value {
    let f = golden::rule_facts("time.keys").unwrap();
    let mut m = Map::new();
    for k in golden::effective_keys(&f["keys"]) {
        let v = match k {
            "start" => json!(100.25),
            "finish" => json!(100.75),
            "duration" => json!(0.5),
            "processing" => json!(0.25),
            "operating_reset_at" => json!(700),
            "operating" => json!(0),
            _ => match f["json_types"][k].as_str().unwrap() {
                "string" => json!("2025-01-01T00:00:00+02:00"),
                t => sample(t, None),
            },
        };
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// A whole answer: the object wrapped along the example's object path, then the envelope.
fn built_answer(id: &str) -> Value {
    let ex = golden::example(id).unwrap();
    let mut v = built_object(id);
    for seg in ex["object_path"].as_array().unwrap().iter().rev() {
        v = match seg {
            Value::Number(_) => json!([v]),
            Value::String(k) => json!({ k.as_str(): v }),
            _ => unreachable!(),
        };
    }
    let mut m = Map::new();
    for k in golden::effective_keys(&ex["envelope"]) {
        let val = match k {
            "result" => v["result"].clone(),
            "total" => json!(1),
            "time" => built_time(),
            other => panic!("unexpected envelope key {other}"),
        };
        m.insert(k.to_string(), val);
    }
    Value::Object(m)
}

fn obj(v: &mut Value) -> &mut Map<String, Value> {
    v.as_object_mut().expect("object")
}

fn rebuild(m: &Map<String, Value>, order: &[String]) -> Value {
    let mut out = Map::new();
    for k in order {
        out.insert(k.clone(), m[k].clone());
    }
    Value::Object(out)
}

fn must_fail(r: Result<(), String>, needles: &[&str], what: &str) {
    match r {
        Ok(()) => panic!("{what}: expected a failure, the checker passed it"),
        Err(e) => {
            for n in needles {
                assert!(e.contains(n), "{what}: message lacks {n:?}:\n{e}");
            }
        }
    }
}

fn must_pass(r: Result<(), String>, what: &str) {
    if let Err(e) = r {
        panic!("{what}: expected to pass:\n{e}");
    }
}

// ----------------------------------------------------------------------------------------
// Data sanity

#[test]
fn source_and_sections_are_present() {
    let g = golden::load();
    assert_eq!(g["source"]["repo"], "bitrix24/b24restdocs");
    let commit = g["source"]["commit"].as_str().unwrap();
    assert_eq!(commit.len(), 40);
    assert!(commit.chars().all(|c| c.is_ascii_hexdigit()));
    for section in [
        "examples",
        "fields",
        "rules",
        "errors",
        "bytes",
        "allowed_types",
    ] {
        assert!(!g[section].is_null(), "section {section} missing");
    }
    assert_eq!(
        golden::example_ids(),
        ["get", "list", "add", "update", "delete", "result.list"]
    );
}

#[test]
fn every_example_type_is_an_allowed_type() {
    let g = golden::load();
    for ex in g["examples"].as_array().unwrap() {
        let id = ex["id"].as_str().unwrap();
        let kind = ex["kind"].as_str().unwrap();
        let keys = golden::effective_keys(&ex["keys"]);
        let typed: Vec<&str> = ex["types"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, typed, "{id}: keys and types disagree");
        let empties = golden::empty_as_array(kind);
        for (k, t) in ex["types"].as_object().unwrap() {
            let allowed = golden::allowed_types(kind, k)
                .unwrap_or_else(|| panic!("{id}: no allowed types for {kind}.{k}"));
            let t = t.as_str().unwrap();
            assert!(
                allowed.contains(&t)
                    || allowed.contains(&"any")
                    || (t == "array" && empties.contains(&k.as_str())),
                "{id}: {k} is {t} in the example but allowed {allowed:?}"
            );
        }
        for (name, spec) in ex["nested"].as_object().into_iter().flatten() {
            let nk = spec["kind"].as_str().unwrap();
            for (k, t) in spec["types"].as_object().unwrap() {
                let allowed = golden::allowed_types(nk, k)
                    .unwrap_or_else(|| panic!("{id}: no allowed types for {nk}.{k}"));
                assert!(
                    allowed.contains(&t.as_str().unwrap()),
                    "{id}: {name}.{k} is {t} but allowed {allowed:?}"
                );
            }
        }
    }
}

#[test]
fn records_have_ids_pages_and_unique_ids() {
    let g = golden::load();
    let pages: Vec<&str> = g["source"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let page_ok = |p: &Value| match p {
        Value::String(s) => pages.contains(&s.as_str()),
        Value::Array(a) => a.iter().all(|s| pages.contains(&s.as_str().unwrap_or(""))),
        _ => false,
    };
    for section in ["rules", "errors"] {
        let mut seen = std::collections::HashSet::new();
        for r in g[section].as_array().unwrap() {
            let id = r["id"].as_str().expect("id");
            assert!(seen.insert(id.to_string()), "{section}: duplicate id {id}");
            assert!(
                page_ok(&r["page"]),
                "{section} {id}: page not in source.pages"
            );
        }
    }
    for e in g["examples"].as_array().unwrap() {
        assert!(page_ok(&e["page"]), "example {}: page not listed", e["id"]);
    }
    for e in g["errors"].as_array().unwrap() {
        let d = e["description"].as_str().unwrap();
        assert!(e["code"].is_string() && e["status"].is_u64(), "{}", e["id"]);
        assert_eq!(e["br_shown"] == true, d.contains("<br>"), "{}", e["id"]);
    }
}

#[test]
fn data_carries_the_disagreements_between_examples() {
    let keys = |id: &str| -> Vec<String> {
        golden::example(id).unwrap()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    let has = |id: &str, k: &str| keys(id).iter().any(|x| x == k);
    assert!(has("add", "parentId") && !has("update", "parentId"));
    assert!(has("update", "sprintId") && has("update", "backlogId") && !has("add", "sprintId"));
    assert_eq!(
        keys("update")
            .iter()
            .filter(|k| *k == "description")
            .count(),
        2
    );
    let action = |id: &str| golden::example(id).unwrap()["nested"]["action"]["keys"].clone();
    assert!(action("update")
        .as_array()
        .unwrap()
        .contains(&json!("take")));
    assert!(!action("add").as_array().unwrap().contains(&json!("take")));
    let ty = |id: &str, k: &str| golden::example(id).unwrap()["types"][k].clone();
    assert_eq!(ty("add", "mark"), "null");
    assert_eq!(ty("list", "mark"), "string");
    assert_eq!(
        golden::example("list").unwrap()["empty_values_shown"]["mark"],
        ""
    );
    assert_eq!(ty("add", "closedBy"), "null");
    assert_eq!(
        golden::example("update").unwrap()["empty_values_shown"]["closedBy"],
        "0"
    );
    assert_eq!(ty("result.list", "id"), "integer");
    assert_eq!(
        golden::example("get").unwrap()["array_items"]["ufTaskWebdavFiles"],
        "integer"
    );
    assert_eq!(
        golden::rule_facts("list.filter_prefixes").unwrap()["prefixes"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["!", "<", "<=", ">", ">="]
    );
}

// ----------------------------------------------------------------------------------------
// Objects and answers

#[test]
fn built_examples_pass_exact_and_superset() {
    for id in golden::example_ids() {
        let o = built_object(id);
        must_pass(golden::check_object(&o, id, Exact), &format!("{id} exact"));
        must_pass(
            golden::check_object(&o, id, Superset),
            &format!("{id} superset"),
        );
        let a = built_answer(id);
        must_pass(
            golden::check_answer(200, &a, id, Exact),
            &format!("{id} answer"),
        );
        must_pass(
            golden::check_answer(200, &a, id, Superset),
            &format!("{id} answer superset"),
        );
    }
}

#[test]
fn missing_key_fails() {
    for id in golden::example_ids() {
        let mut o = built_object(id);
        let first = obj(&mut o).keys().next().unwrap().clone();
        obj(&mut o).shift_remove(&first);
        for mode in [Exact, Superset] {
            must_fail(
                golden::check_object(&o, id, mode),
                &["missing key", &first],
                &format!("{id} without {first} ({mode:?})"),
            );
        }
    }
}

#[test]
fn swapped_order_fails() {
    for id in golden::example_ids() {
        let mut o = built_object(id);
        let m = obj(&mut o);
        if m.len() < 2 {
            continue; // delete's result has one key
        }
        let mut order: Vec<String> = m.keys().cloned().collect();
        order.swap(0, 1);
        let swapped = rebuild(m, &order);
        for mode in [Exact, Superset] {
            must_fail(
                golden::check_object(&swapped, id, mode),
                &["order", &order[0], &order[1]],
                &format!("{id} swapped ({mode:?})"),
            );
        }
    }
}

#[test]
fn extra_key_fails_only_in_exact_mode() {
    for id in golden::example_ids() {
        let mut o = built_object(id);
        obj(&mut o).insert("bogusKey".into(), json!("x"));
        must_fail(
            golden::check_object(&o, id, Exact),
            &["unexpected key", "bogusKey"],
            &format!("{id} extra key"),
        );
        must_pass(
            golden::check_object(&o, id, Superset),
            &format!("{id} extra superset"),
        );
    }
}

#[test]
fn wrong_type_fails() {
    for id in golden::example_ids() {
        let ex = golden::example(id).unwrap();
        let mut o = built_object(id);
        // Replace the first key's value with a value of a type no source allows for it.
        let key = golden::effective_keys(&ex["keys"])[0].to_string();
        let allowed = golden::allowed_types(ex["kind"].as_str().unwrap(), &key).unwrap();
        let wrong = if allowed.contains(&"object") {
            json!(7)
        } else {
            json!({"x": 1})
        };
        obj(&mut o).insert(key.clone(), wrong);
        for mode in [Exact, Superset] {
            must_fail(
                golden::check_object(&o, id, mode),
                &["expected type", &key],
                &format!("{id} wrong type of {key}"),
            );
        }
    }
}

#[test]
fn null_is_checked_per_key() {
    // title never is null; deadline may be (add shows it null, fields.md lists it as string).
    let mut o = built_object("get");
    obj(&mut o).insert("title".into(), Value::Null);
    must_fail(
        golden::check_object(&o, "get", Exact),
        &["title", "expected type string", "got null"],
        "null title",
    );
    let mut o = built_object("get");
    obj(&mut o).insert("deadline".into(), Value::Null);
    must_pass(golden::check_object(&o, "get", Exact), "null deadline");
    // closedBy: null in add, "0" in update; both pass both examples.
    for id in ["add", "update"] {
        for v in [Value::Null, json!("0")] {
            let mut o = built_object(id);
            obj(&mut o).insert("closedBy".into(), v.clone());
            must_pass(
                golden::check_object(&o, id, Exact),
                &format!("{id} closedBy {v}"),
            );
        }
    }
}

#[test]
fn empty_array_for_object_keys_only_when_empty() {
    let mut o = built_object("get");
    assert_eq!(o["group"], json!([]));
    obj(&mut o).insert("group".into(), json!([1]));
    must_fail(
        golden::check_object(&o, "get", Exact),
        &["group", "or [] when empty"],
        "non-empty array as group",
    );
    // A real group object is accepted and its keys are type-checked against fields.md.
    let mut o = built_object("get");
    obj(&mut o).insert(
        "group".into(),
        json!({"id": "5", "name": "G", "opened": true}),
    );
    must_pass(golden::check_object(&o, "get", Exact), "group object");
    obj(&mut o).insert("group".into(), json!({"id": "5", "opened": "Y"}));
    must_fail(
        golden::check_object(&o, "get", Exact),
        &["group.opened", "boolean"],
        "group.opened as string",
    );
}

#[test]
fn wrong_nested_key_fails() {
    for id in golden::example_ids() {
        let ex = golden::example(id).unwrap();
        let Some(nested) = ex["nested"].as_object() else {
            continue;
        };
        for (name, spec) in nested {
            let path: Vec<&str> = spec["path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            let first = golden::effective_keys(&spec["keys"])[0].to_string();
            let mut o = built_object(id);
            // Walk to the nested object (through "*" = the single built entry "1").
            let mut cur = &mut o;
            for seg in &path {
                cur = if *seg == "*" {
                    cur.get_mut("1").unwrap()
                } else {
                    cur.get_mut(*seg).unwrap()
                };
            }
            let m = obj(cur);
            let v = m.shift_remove(&first).unwrap();
            m.insert("bogusNested".into(), v);
            must_fail(
                golden::check_object(&o, id, Superset),
                &["missing key", &first],
                &format!("{id} {name} renamed {first}"),
            );
            must_fail(
                golden::check_object(&o, id, Exact),
                &["bogusNested"],
                &format!("{id} {name} renamed {first} (exact)"),
            );
        }
    }
}

#[test]
fn nested_wrong_type_and_map_key_fail() {
    let mut o = built_object("get");
    o["action"]["take"] = json!("N");
    must_fail(
        golden::check_object(&o, "get", Exact),
        &["action.take", "boolean", "\"N\""],
        "action flag as string",
    );
    let mut o = built_object("list");
    let entry = o["auditorsData"]["1"].clone();
    obj(&mut o["auditorsData"]).insert("2".into(), entry);
    must_fail(
        golden::check_object(&o, "list", Exact),
        &["auditorsData.2", "map key"],
        "auditorsData key differs from id",
    );
    let mut o = built_object("list");
    o["tags"]["1"]["id"] = json!("1");
    must_fail(
        golden::check_object(&o, "list", Exact),
        &["tags.1.id", "integer"],
        "tag id as string",
    );
}

#[test]
fn array_item_types_are_checked() {
    let mut o = built_object("get");
    obj(&mut o).insert("ufTaskWebdavFiles".into(), json!(["n12"]));
    must_fail(
        golden::check_object(&o, "get", Exact),
        &["ufTaskWebdavFiles[0]", "integer"],
        "file ids as strings",
    );
    let mut o = built_object("result.list");
    obj(&mut o).insert("files".into(), json!([1, "2"]));
    must_fail(
        golden::check_object(&o, "result.list", Exact),
        &["files[1]"],
        "result files",
    );
}

#[test]
fn duplicate_key_of_update_is_compared_once() {
    let ex = golden::example("update").unwrap();
    assert_eq!(ex["duplicate_keys"], json!(["description"]));
    let o = built_object("update");
    assert_eq!(
        obj(&mut o.clone())
            .keys()
            .filter(|k| *k == "description")
            .count(),
        1
    );
    must_pass(golden::check_object(&o, "update", Exact), "update");
}

#[test]
fn answer_envelope_is_checked() {
    let a = built_answer("list");
    // next (documented on the general list pages) sits between result and total.
    let m = a.as_object().unwrap();
    let mut with_next = Map::new();
    for (k, v) in m {
        with_next.insert(k.clone(), v.clone());
        if k == "result" {
            with_next.insert("next".into(), json!(50));
        }
    }
    must_pass(
        golden::check_answer(200, &Value::Object(with_next.clone()), "list", Exact),
        "list with next",
    );
    let mut late_next = m.clone();
    late_next.insert("next".into(), json!(50));
    must_fail(
        golden::check_answer(200, &Value::Object(late_next), "list", Exact),
        &["next", "between"],
        "next after time",
    );
    with_next.insert("next".into(), json!("50"));
    must_fail(
        golden::check_answer(200, &Value::Object(with_next), "list", Exact),
        &["next", "integer"],
        "next as string",
    );
    let mut a = built_answer("get");
    obj(&mut a).shift_remove("time");
    must_fail(
        golden::check_answer(200, &a, "get", Exact),
        &["missing key", "time"],
        "no time",
    );
    must_fail(
        golden::check_answer(400, &built_answer("get"), "get", Exact),
        &["HTTP status", "400"],
        "status",
    );
    let mut a = built_answer("list");
    obj(&mut a).insert("total".into(), json!("1"));
    must_fail(
        golden::check_answer(200, &a, "list", Exact),
        &["total"],
        "total",
    );
    // Every element of a list is checked.
    let mut a = built_answer("list");
    let bad = json!({"id": "1"});
    a["result"]["tasks"].as_array_mut().unwrap().push(bad);
    must_fail(
        golden::check_answer(200, &a, "list", Superset),
        &["result.tasks[1]", "missing key"],
        "second task",
    );
    let mut a = built_answer("result.list");
    a["result"] = json!({"0": built_object("result.list")});
    must_fail(
        golden::check_answer(200, &a, "result.list", Exact),
        &["result", "array"],
        "result.list result as object",
    );
    let mut a = built_answer("delete");
    a["result"]["task"] = json!("Y");
    must_fail(
        golden::check_answer(200, &a, "delete", Exact),
        &["result.task", "boolean"],
        "delete result",
    );
}

#[test]
fn get_not_found_answer() {
    let ok = json!({"result": [], "time": built_time()});
    must_pass(golden::check_get_not_found(200, &ok), "not found");
    must_fail(
        golden::check_get_not_found(400, &ok),
        &["HTTP status"],
        "status",
    );
    let obj_result = json!({"result": {}, "time": built_time()});
    must_fail(
        golden::check_get_not_found(200, &obj_result),
        &["result", "expected []"],
        "object result",
    );
}

// ----------------------------------------------------------------------------------------
// time

#[test]
fn time_block() {
    let t = built_time();
    must_pass(golden::check_time_block(&t), "built time");
    for ex in golden::load()["examples"].as_array().unwrap() {
        assert_eq!(
            ex["time_keys"],
            golden::rule_facts("time.keys").unwrap()["keys"],
            "{}: time keys",
            ex["id"]
        );
    }
    let mut m = t.as_object().unwrap().clone();
    m.shift_remove("operating");
    must_fail(
        golden::check_time_block(&Value::Object(m)),
        &["missing key", "operating"],
        "missing operating",
    );
    let mut order: Vec<String> = t.as_object().unwrap().keys().cloned().collect();
    order.swap(0, 1);
    must_fail(
        golden::check_time_block(&rebuild(t.as_object().unwrap(), &order)),
        &["order", "start", "finish"],
        "order",
    );
    let mut bad = t.clone();
    bad["start"] = json!("100");
    must_fail(
        golden::check_time_block(&bad),
        &["time.start", "number"],
        "start string",
    );
    let mut bad = t.clone();
    bad["date_start"] = json!("2025-01-01 00:00:00");
    must_fail(
        golden::check_time_block(&bad),
        &["time.date_start"],
        "date format",
    );
    let mut bad = t.clone();
    bad["duration"] = json!(3.0);
    must_fail(
        golden::check_time_block(&bad),
        &["time.duration"],
        "duration",
    );
    let mut bad = t;
    bad["operating_reset_at"] = json!(1.5);
    must_fail(
        golden::check_time_block(&bad),
        &["time.operating_reset_at", "integer"],
        "reset as fraction",
    );
}

// ----------------------------------------------------------------------------------------
// Errors

fn body_for(rec: &Value) -> Value {
    let desc = match rec["template_parts"].as_array() {
        Some(parts) => parts
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("X"),
        None => rec["description"].as_str().unwrap().to_string(),
    };
    json!({"error": rec["code"], "error_description": desc})
}

#[test]
fn every_error_record_passes_and_variants_fail() {
    let g = golden::load();
    for rec in g["errors"].as_array().unwrap() {
        let id = rec["id"].as_str().unwrap();
        let method = rec["method"].as_str().unwrap();
        let case = rec["case"].as_str().unwrap();
        let status = rec["status"].as_u64().unwrap() as u16;
        let body = body_for(rec);
        must_pass(golden::check_error(status, &body, method, case), id);
        must_pass(golden::check_error_record(status, &body, id), id);
        if method == "*" {
            // System errors apply to every method.
            must_pass(
                golden::check_error(status, &body, "tasks.task.update", case),
                &format!("{id} via update"),
            );
        }
        if rec["template_parts"].is_null() {
            // The documented text is the body's text itself.
            assert_eq!(body["error_description"], rec["description"]);
        }

        let mut wrong_code = body.clone();
        wrong_code["error"] = json!("WRONG_CODE");
        must_fail(
            golden::check_error(status, &wrong_code, method, case),
            &["error: expected", "WRONG_CODE", id],
            &format!("{id} wrong code"),
        );
        let mut numeric_code = body.clone();
        if let Ok(n) = rec["code"].as_str().unwrap().parse::<u64>() {
            numeric_code["error"] = json!(n);
            must_fail(
                golden::check_error(status, &numeric_code, method, case),
                &["error: expected the string"],
                &format!("{id} numeric code"),
            );
        }
        must_fail(
            golden::check_error(status + 1, &body, method, case),
            &["HTTP status", &status.to_string()],
            &format!("{id} wrong status"),
        );
        let mut with_time = body.clone();
        obj(&mut with_time).insert("time".into(), built_time());
        must_fail(
            golden::check_error(status, &with_time, method, case),
            &["unexpected key", "time"],
            &format!("{id} with time"),
        );
        let mut swapped = Map::new();
        swapped.insert(
            "error_description".into(),
            body["error_description"].clone(),
        );
        swapped.insert("error".into(), body["error"].clone());
        must_fail(
            golden::check_error(status, &Value::Object(swapped), method, case),
            &["order"],
            &format!("{id} swapped keys"),
        );
        let mut other_text = body.clone();
        other_text["error_description"] = json!("Something else");
        must_fail(
            golden::check_error_record(status, &other_text, id),
            &["error_description"],
            &format!("{id} other text"),
        );
        if rec["br_shown"] == true {
            let mut no_br = body.clone();
            no_br["error_description"] = json!(body["error_description"]
                .as_str()
                .unwrap()
                .replace("<br>", ""));
            must_fail(
                golden::check_error_record(status, &no_br, id),
                &["error_description", "<br>"],
                &format!("{id} without <br>"),
            );
        }
    }
}

#[test]
fn disagreeing_docs_are_both_recorded() {
    // add: the table and the example word the missing-title error differently.
    for text in [
        "Task title not specified",
        "Task title is not specified<br>",
    ] {
        let body = json!({"error": "ERROR_CORE", "error_description": text});
        must_pass(
            golden::check_error(400, &body, "tasks.task.add", "title_missing"),
            text,
        );
    }
    let body = json!({"error": "ERROR_CORE", "error_description": "Task title not specified<br>"});
    must_fail(
        golden::check_error(400, &body, "tasks.task.add", "title_missing"),
        &["add.title_missing.table", "add.title_missing.example"],
        "mixed form",
    );
    // delete's table has no "(internal error)" suffix, get's does.
    let ct = "CTaskItem All parameters in the constructor must have real class type";
    let plain = json!({"error": "100", "error_description": ct});
    must_pass(
        golden::check_error(400, &plain, "tasks.task.delete", "taskid_missing"),
        "delete",
    );
    must_fail(
        golden::check_error(400, &plain, "tasks.task.get", "taskid_missing"),
        &["(internal error)"],
        "get",
    );
    // Templates: any value inside the braces.
    let body = json!({"error": "100", "error_description":
        "Invalid value {abc} to match with parameter {commentId}. Should be value of type int."});
    must_pass(
        golden::check_error(400, &body, "tasks.task.result.list", "taskid_wrong_type"),
        "template",
    );
    let body = json!({"error": "100", "error_description":
        "Invalid value {abc} to match with parameter {taskId}. Should be value of type int."});
    must_fail(
        golden::check_error(400, &body, "tasks.task.result.list", "taskid_wrong_type"),
        &["template parts"],
        "template with other parameter",
    );
    must_fail(
        golden::check_error(400, &body, "tasks.task.result.list", "no_such_case"),
        &["no documented error"],
        "unknown case",
    );
    // System errors keep their own statuses.
    let body = json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"});
    must_pass(
        golden::check_error(503, &body, "tasks.task.list", "QUERY_LIMIT_EXCEEDED"),
        "limit",
    );
    must_fail(
        golden::check_error(400, &body, "tasks.task.list", "QUERY_LIMIT_EXCEEDED"),
        &["HTTP status: expected 503"],
        "limit 400",
    );
}

// ----------------------------------------------------------------------------------------
// Raw bytes

#[test]
fn raw_escapes() {
    must_pass(
        golden::check_no_raw_angle_brackets(r#"{"error_description":"x\u003Cbr\u003E"}"#),
        "escaped",
    );
    must_fail(
        golden::check_no_raw_angle_brackets(r#"{"error_description":"x<br>"}"#),
        &["literal \"<\""],
        "raw <",
    );
    must_pass(
        golden::check_slashes_escaped(r#"{"t":"[\/B]"}"#),
        "escaped slash",
    );
    must_fail(
        golden::check_slashes_escaped(r#"{"t":"[/B]"}"#),
        &["unescaped '/'"],
        "plain slash",
    );
    let b = &golden::load()["bytes"];
    assert_eq!(
        b["error_body"]["keys"],
        json!(["error", "error_description"])
    );
    assert_eq!(b["error_body"]["time"], false);
}
