//! A sweep of odd parameter values through every method of both versions: every answer is
//! a JSON object with a status between 200 and 599, and nothing panics.

mod support;

use b24emu::{Caller, Emulator};
use serde_json::{json, Value};
use support::obj;

const ADMIN: Caller = Caller { user_id: 1 };
const USER7: Caller = Caller { user_id: 7 };

fn odd_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(""),
        json!(" "),
        json!("abc"),
        json!("-1"),
        json!(-1),
        json!(0),
        json!(1.5),
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(true),
        json!([]),
        json!({}),
        json!([[]]),
        json!([null, 1, "x"]),
        json!({"0": {"0": {"logic": 5}}}),
        json!(["%", "_", "!><ID", "*", "UF_*", "creator.image.src.x"]),
        json!({">=DEADLINE": ["x"], "><ID": 3, "=%TITLE": null, "!@ID": {}, "LOGIC": []}),
        json!("2026-02-30T25:61:00+99:99"),
        json!("$result[a][b][c"),
        json!({"$ref": "x.y"}),
        json!([["id", "between", [1]], {"logic": "or"}, ["id", "in", "x"]]),
        json!({"page": -5, "limit": "many"}),
        json!("n12345"),
        json!("\u{0}\u{ffff}😀"),
    ]
}

fn ok(a: &b24emu::Answer) -> bool {
    (200..600).contains(&a.status) && a.body.is_object() && !a.to_bytes().is_empty()
}

#[test]
fn v2_sweep() {
    let e = Emulator::new(2);
    let methods = [
        "tasks.task.get",
        "tasks.task.list",
        "tasks.task.add",
        "tasks.task.update",
        "tasks.task.delete",
        "tasks.task.start",
        "tasks.task.complete",
        "tasks.task.result.list",
        "user.get",
        "user.current",
        "server.time",
        "batch",
        "nope",
    ];
    let params = [
        "taskId", "select", "filter", "order", "start", "fields", "params", "cmd", "halt",
        "FILTER", "sort",
    ];
    for x in odd_values() {
        for m in methods {
            for k in params {
                let a = e.call_v2(m, &obj(json!({ k: x, "taskId": 2 })), &USER7);
                assert!(ok(&a), "{m} {k}={x}");
                let a = e.call_v2(m, &obj(json!({ k: x })), &ADMIN);
                assert!(ok(&a), "{m} {k}={x}");
                let a = e.call_v2(m, &obj(json!({"taskId": 3, "fields": { "TITLE": x, "DEADLINE": x, "ACCOMPLICES": x, "STATUS": x, "UF_TASK_WEBDAV_FILES": x, "SE_PARAMETER": x, "PARENT_ID": x }})), &ADMIN);
                assert!(ok(&a), "{m} fields={x}");
            }
            let cmd = json!({"cmd": {"a": format!("{m}?taskId={x}&select[]={x}"), "b": x}});
            assert!(ok(&e.call_v2("batch", &obj(cmd), &ADMIN)));
        }
    }
}

#[test]
fn v3_sweep() {
    let e = Emulator::new(2);
    let methods = [
        "tasks.task.get",
        "tasks.task.list",
        "tasks.task.add",
        "tasks.task.update",
        "tasks.task.delete",
        "tasks.task.result.list",
        "tasks.task.field.list",
        "rest.documentation.openapi",
        "batch",
        "nope",
    ];
    let params = ["id", "select", "filter", "order", "pagination", "fields"];
    for x in odd_values() {
        for m in methods {
            for k in params {
                let a = e.call_v3(m, &json!({ k: x, "id": 3 }), &USER7, Some("key"));
                assert!(ok(&a), "{m} {k}={x}");
                let a = e.call_v3(m, &json!({"id": 4, "fields": {"title": x, "deadline": x, "accomplices": x, "status": x, "creatorId": x, "responsibleId": x}}), &ADMIN, None);
                assert!(ok(&a), "{m} fields={x}");
                let a = e.call_v3(
                    m,
                    &json!({"filter": [["taskId", x]], "select": x}),
                    &ADMIN,
                    None,
                );
                assert!(ok(&a), "{m} results={x}");
            }
            assert!(ok(&e.call_v3(m, &x, &ADMIN, None)), "{m} body={x}");
            let batch = json!([{"method": m, "query": {"id": x, "filter": [["id", "in", {"$refArray": x}]]}}]);
            assert!(ok(&e.call_v3("batch", &batch, &ADMIN, None)));
        }
    }
}
