//! v2 and v3 batches: command forms, halt, references, the PHP shapes of the answer maps,
//! limits, nesting, and the served-by log.

mod support;

use b24emu::{ApiVersion, Caller, Emulator};
use serde_json::{json, Value};
use support::obj;

const ADMIN: Caller = Caller { user_id: 1 };

fn v2_batch(e: &Emulator, body: Value) -> Value {
    let a = e.call_v2("batch", &obj(body), &ADMIN);
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["result"].clone()
}

#[test]
fn named_commands_references_and_list_extras() {
    let e = Emulator::new(4);
    let r = v2_batch(
        &e,
        json!({"halt": 0, "cmd": {
            "me": "user.current",
            "early": "tasks.task.get?taskId=$result[list][tasks][0][id]&select[]=ID",
            "list": "tasks.task.list?select[]=ID&order[ID]=asc",
            "two": "tasks.task.get?taskId=%24result%5Blist%5D%5Btasks%5D%5B1%5D%5Bid%5D&select[]=ID",
            "mine": "tasks.task.list?filter[RESPONSIBLE_ID]=$result[me][ID]&select[]=ID&start=-1",
        }}),
    );
    let keys: Vec<&String> = r
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "result",
            "result_error",
            "result_total",
            "result_next",
            "result_time"
        ]
    );
    assert_eq!(r["result"]["me"]["ID"], "1");
    assert_eq!(
        r["result_error"]["early"]["error"], "0",
        "a reference to a later command is empty"
    );
    assert_eq!(
        r["result"]["two"]["task"]["id"],
        r["result"]["list"]["tasks"][1]["id"]
    );
    assert_eq!(r["result_next"], json!({"list": 50}));
    assert_eq!(r["result_total"]["mine"], 0);
    assert!(r["result_total"]["list"].as_u64().is_some_and(|t| t > 100));
    assert!(r["result_time"]["me"]["operating"].is_number());
    assert!(r["result_time"].get("early").is_none());
}

#[test]
fn list_commands_give_php_lists_and_halt_stops() {
    let e = Emulator::new(4);
    let r = v2_batch(
        &e,
        json!({"cmd": ["tasks.task.get?taskId=1&select[]=ID", "server.time"]}),
    );
    assert!(
        r["result"].is_array()
            && r["result_error"] == json!([])
            && r["result_next"] == json!([])
            && r["result_total"] == json!([])
    );
    assert!(r["result_time"].is_array());
    let r = v2_batch(
        &e,
        json!({"halt": "1", "cmd": ["server.time", "tasks.task.get", "server.time"]}),
    );
    assert_eq!(r["result"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        r["result_error"],
        json!({"1": {"error": "100", "error_description": "CTaskItem All parameters in the constructor must have real class type (internal error)"}})
    );
    let r = v2_batch(
        &e,
        json!({"halt": false, "cmd": ["server.time", "tasks.task.get", "server.time"]}),
    );
    assert_eq!(
        r["result"],
        json!({"0": "2026-11-02T09:00:00+03:00", "2": "2026-11-02T09:00:00+03:00"})
    );
    assert_eq!(v2_batch(&e, json!({}))["result"], json!([]));
}

#[test]
fn writes_then_reads_and_whole_values() {
    let e = Emulator::new(4);
    let r = v2_batch(
        &e,
        json!({"cmd": {
            "add": "tasks.task.add?fields[TITLE]=From%20batch%20%26%20more&fields[RESPONSIBLE_ID]=2&fields[AUDITORS][]=3&fields[AUDITORS][]=4",
            "get": "tasks.task.get?taskId=$result[add][task][id]&select[]=AUDITORS",
            "copy": "tasks.task.add?fields[TITLE]=Copy of $result[add][task][title]&fields[RESPONSIBLE_ID]=1&fields[ACCOMPLICES]=$result[add][task][auditors]&__order=junk",
        }}),
    );
    assert_eq!(r["result"]["get"]["task"]["auditors"], json!(["3", "4"]));
    assert_eq!(
        r["result"]["copy"]["task"]["title"],
        "Copy of From batch & more"
    );
    assert_eq!(
        r["result"]["copy"]["task"]["accomplices"],
        json!(["3", "4"])
    );
}

#[test]
fn limits_nesting_and_the_served_log() {
    let e = Emulator::new(4);
    let many: Vec<Value> = (0..51).map(|_| json!("server.time")).collect();
    let a = e.call_v2("batch", &obj(json!({"cmd": many})), &ADMIN);
    assert_eq!(
        (a.status, a.body["error"].clone()),
        (400, json!("ERROR_BATCH_LENGTH_EXCEEDED"))
    );
    let fifty: Vec<Value> = (0..50).map(|_| json!("server.time")).collect();
    assert_eq!(
        v2_batch(&e, json!({"cmd": fifty}))["result"]
            .as_array()
            .map(Vec::len),
        Some(50)
    );
    e.clear_served_log();
    let r = v2_batch(
        &e,
        json!({"cmd": {"a": "batch?cmd[0]=server.time", "b": "SERVER.TIME.json", "c": ["not", "a", "string"], "d": "crm.deal.list"}}),
    );
    assert_eq!(
        r["result_error"]["a"]["error"],
        "ERROR_BATCH_METHOD_NOT_ALLOWED"
    );
    assert_eq!(r["result_error"]["c"]["error"], "ERROR_ARGUMENT");
    assert_eq!(r["result_error"]["d"]["error"], "ERROR_METHOD_NOT_FOUND");
    assert!(r["result"]["b"].is_string());
    let log = e.served_log();
    assert_eq!((log[0].method.as_str(), log[0].in_batch), ("batch", false));
    assert_eq!(
        log.iter().filter(|s| s.in_batch).count(),
        3,
        "the command that is not a string runs no method"
    );
    assert!(log.iter().all(|s| s.version == ApiVersion::V2));
}

#[test]
fn v3_batch_runs_in_order_and_fails_whole() {
    let e = Emulator::new(6);
    let a = e.call_v3(
        "batch",
        &json!([
            {"method": "tasks.task.get", "query": {"id": 1, "select": ["id", "title"]}},
            {"method": "tasks.task.list", "query": {"select": ["id"], "pagination": {"limit": 2}}, "as": "page"},
            {"method": "tasks.task.list", "query": {"filter": [["id", "in", {"$refArray": "page.id"}]], "select": ["id", "title"]}}
        ]),
        &ADMIN,
        None,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let keys: Vec<&String> = a
        .body
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["result", "time"]);
    assert_eq!(a.body["result"][0]["item"]["id"], 1);
    assert_eq!(
        a.body["result"][2]["items"].as_array().map(Vec::len),
        Some(2)
    );
    e.clear_served_log();
    let a = e.call_v3(
        "batch",
        &json!([
            {"method": "tasks.task.add", "query": {"fields": {"title": "kept", "creatorId": 1, "responsibleId": 2}}},
            {"method": "tasks.task.get", "query": {"id": 2_000_000}}
        ]),
        &ADMIN,
        None,
    );
    assert_eq!(
        (a.status, a.body["error"]["code"].clone()),
        (
            400,
            json!("BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION")
        )
    );
    assert!(
        e.with_store(|s| s.tasks.values().any(|t| t.title == "kept")),
        "no rollback"
    );
    let log = e.served_log();
    assert_eq!(log.len(), 3);
    assert!(log[1].in_batch && log[2].in_batch && log.iter().all(|s| s.version == ApiVersion::V3));
    let a = e.call_v3(
        "batch",
        &json!({"cmd": {"a": "tasks.task.get?id=1"}}),
        &ADMIN,
        None,
    );
    assert_eq!(
        a.body["error"]["code"],
        "BITRIX_REST_V3_EXCEPTION_INVALIDSELECTEXCEPTION"
    );
}
