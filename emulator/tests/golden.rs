//! The v2 answers checked against the golden facts another engineer derived from the v2
//! pages (tests/golden/v2_tasks.json with its checker), through HTTP so the raw bytes are
//! checked too.
//!
//! Known disagreements with that data: from the tasks.task.start/complete pages, which it
//! does not read, a checklist's root item has `parentId` the integer `0` and an item never
//! toggled has `toggledBy`/`toggledDate` null; and an empty `tags` map is `[]`, as the data's
//! own `bytes.empty_php_array` fact says of every empty map. The checks below accept
//! exactly those and nothing else.

#[path = "../../tests/support/golden.rs"]
mod golden;
mod support;

use b24emu::{start, EmulatorOptions, RunningEmulator};
use golden::KeyMode;
use serde_json::{json, Value};
use support::{send, JSON};

async fn portal() -> RunningEmulator {
    start(EmulatorOptions::new(
        "127.0.0.1:0".parse().expect("addr"),
        42,
    ))
    .await
    .expect("portal starts")
}

async fn v2(p: &RunningEmulator, method: &str, body: Value) -> (u16, Value, String) {
    let r = send(
        p.local_addr(),
        "POST",
        &format!("/rest/1/hook1/{method}"),
        &[JSON],
        &body.to_string(),
    )
    .await;
    (r.status, r.json(), r.raw)
}

fn is_known_disagreement(line: &str) -> bool {
    // an empty tag map is an empty PHP array like every other empty map
    (line.contains(".tags: expected type object") && line.contains("got array []"))
        || (line.contains(".parentId: expected type string") && line.contains("got integer 0"))
        || ((line.contains(".toggledBy: expected type string")
            || line.contains(".toggledDate: expected type string"))
            && line.contains("got null"))
}

/// Passes when the only complaints are the two known disagreements (module comment).
fn known_disagreements_only(result: Result<(), String>) -> Result<(), String> {
    let Err(text) = result else { return Ok(()) };
    let rest: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| !is_known_disagreement(l))
        .collect();
    if rest.is_empty() {
        Ok(())
    } else {
        Err(text)
    }
}

/// Checks a documented error. The add page's table prints its ERROR_CORE texts without the
/// `<br>` its own example and the update page show on every ERROR_CORE text; this portal
/// ends them all with `<br>`, so such a record also passes with `<br>` appended.
fn check_documented(status: u16, body: &Value, method: &str, case: &str) -> Result<(), String> {
    let first = golden::check_error(status, body, method, case);
    if first.is_ok() {
        return first;
    }
    for rec in golden::error_records(method, case) {
        if rec["code"] == "ERROR_CORE" && rec["br_shown"] == false {
            let wanted = format!("{}<br>", rec["description"].as_str().unwrap_or_default());
            if rec["status"].as_u64() == Some(u64::from(status))
                && body["error"] == rec["code"]
                && body["error_description"] == wanted.as_str()
            {
                return Ok(());
            }
        }
    }
    first
}

fn raw_bytes_ok(raw: &str) {
    golden::check_no_raw_angle_brackets(raw).expect("no raw < >");
    golden::check_slashes_escaped(raw).expect("slashes escaped");
}

#[tokio::test]
async fn get_example() {
    let p = portal().await;
    let ex = golden::example("get").expect("example");
    let mut request = ex["request"].clone();
    // a task of this portal with a group, a checklist and CRM links
    let id = p.emulator().with_store(|s| {
        s.tasks
            .values()
            .find(|t| !t.checklist.is_empty() && !t.crm_items.is_empty())
            .or_else(|| s.tasks.values().find(|t| !t.checklist.is_empty()))
            .map(|t| t.id)
            .unwrap_or(1)
    });
    request["taskId"] = json!(id);
    let (status, body, raw) = v2(&p, "tasks.task.get", request).await;
    golden::check_answer(status, &body, "get", KeyMode::Exact).expect("get answer");
    raw_bytes_ok(&raw);
    // every task of the portal, default select: the full object's types
    let ids: Vec<u64> = p
        .emulator()
        .with_store(|s| s.tasks.keys().copied().collect());
    for id in ids.iter().take(60) {
        let (status, body, raw) = v2(&p, "tasks.task.get", json!({"taskId": id})).await;
        known_disagreements_only(golden::check_answer(
            status,
            &body,
            "update",
            KeyMode::Superset,
        ))
        .unwrap_or_else(|e| panic!("task {id}: {e}"));
        known_disagreements_only(golden::check_answer(
            status,
            &body,
            "add",
            KeyMode::Superset,
        ))
        .unwrap_or_else(|e| panic!("task {id}: {e}"));
        raw_bytes_ok(&raw);
    }
}

#[tokio::test]
async fn list_example() {
    let p = portal().await;
    let ex = golden::example("list").expect("example");
    let mut request = ex["request"].clone();
    // the example filters one responsible's favourites from today on; keep its shape, with
    // a filter this portal has matches for
    request["filter"] = json!({"!STATUS": 6, ">=DEADLINE": "2026-01-01", "RESPONSIBLE_ID": 2});
    let (status, body, raw) = v2(&p, "tasks.task.list", request).await;
    assert!(
        !body["result"]["tasks"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{body}"
    );
    known_disagreements_only(golden::check_answer(status, &body, "list", KeyMode::Exact))
        .expect("list answer");
    raw_bytes_ok(&raw);
    // pages with next
    let (status, body, _) = v2(&p, "tasks.task.list", json!({"select": ["ID", "TITLE"]})).await;
    assert!(body.get("next").is_some());
    if let Err(e) = golden::check_answer(status, &body, "list", KeyMode::Superset) {
        assert!(!e.contains("(envelope)"), "{e}");
    }
}

#[tokio::test]
async fn add_update_delete_examples() {
    let p = portal().await;
    let add = golden::example("add").expect("example");
    let mut request = add["request"].clone();
    request["fields"]["CREATED_BY"] = json!(1);
    request["fields"]["RESPONSIBLE_ID"] = json!(2);
    let (status, body, raw) = v2(&p, "tasks.task.add", request).await;
    golden::check_answer(status, &body, "add", KeyMode::Superset).expect("add answer");
    raw_bytes_ok(&raw);
    let id = body["result"]["task"]["id"]
        .as_str()
        .unwrap_or("0")
        .to_string();
    assert!(
        body["result"]["task"].get("ufCrmTask").is_none(),
        "UF fields only when selected"
    );

    let update = golden::example("update").expect("example");
    let mut request = update["request"].clone();
    request["taskId"] = json!(id);
    request["fields"]["RESPONSIBLE_ID"] = json!(7);
    let (status, body, raw) = v2(&p, "tasks.task.update", request).await;
    golden::check_answer(status, &body, "update", KeyMode::Superset).expect("update answer");
    raw_bytes_ok(&raw);
    let (status, body, _) = v2(
        &p,
        "tasks.task.get",
        json!({"taskId": id, "select": ["UF_TASK_WEBDAV_FILES"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["result"]["task"]["ufCrmTask"],
        json!(["L_4", "C_7", "CO_5", "D_10"])
    );
    assert_eq!(
        body["result"]["task"]["ufTaskWebdavFiles"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let (status, body, _) = v2(&p, "tasks.task.delete", json!({"taskId": id})).await;
    golden::check_answer(status, &body, "delete", KeyMode::Exact).expect("delete answer");
    let (status, body, _) = v2(&p, "tasks.task.get", json!({"taskId": id})).await;
    golden::check_get_not_found(status, &body).expect("gone");
}

#[tokio::test]
async fn result_list_example() {
    let p = portal().await;
    let task = p
        .emulator()
        .with_store(|s| s.results.keys().next().copied())
        .expect("seeded results");
    let (status, body, raw) = v2(&p, "tasks.task.result.list", json!({"taskId": task})).await;
    golden::check_answer(status, &body, "result.list", KeyMode::Exact).expect("result.list");
    raw_bytes_ok(&raw);
}

#[tokio::test]
async fn not_found_and_no_access() {
    let p = portal().await;
    let (status, body, _) = v2(&p, "tasks.task.get", json!({"taskId": 999_999})).await;
    golden::check_get_not_found(status, &body).expect("missing task");
    let hidden = p.emulator().with_store(|s| {
        s.tasks
            .values()
            .find(|t| !s.can_read(t, 7))
            .map(|t| t.id)
            .expect("a task user 7 cannot see")
    });
    let r = send(
        p.local_addr(),
        "POST",
        "/rest/7/hook7/tasks.task.get",
        &[JSON],
        &json!({"taskId": hidden}).to_string(),
    )
    .await;
    golden::check_get_not_found(r.status, &r.json()).expect("hidden task");
}

#[tokio::test]
async fn every_documented_error() {
    let p = portal().await;
    let hidden = p.emulator().with_store(|s| {
        s.tasks
            .values()
            .find(|t| !s.can_read(t, 7))
            .map(|t| t.id)
            .unwrap_or(1)
    });
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "tasks.task.get",
            "taskid_wrong_type",
            json!({"taskId": "abc"}),
        ),
        ("tasks.task.get", "taskid_missing", json!({})),
        (
            "tasks.task.get",
            "select_invalid",
            json!({"taskId": 1, "select": ""}),
        ),
        (
            "tasks.task.list",
            "bad_order_key",
            json!({"order": {"NONSENSE": "asc"}}),
        ),
        ("tasks.task.add", "fields_missing", json!({})),
        ("tasks.task.add", "fields_missing", json!({"fields": {}})),
        (
            "tasks.task.add",
            "responsible_not_found",
            json!({"fields": {"TITLE": "x", "RESPONSIBLE_ID": 999}}),
        ),
        (
            "tasks.task.add",
            "responsible_missing",
            json!({"fields": {"TITLE": "x"}}),
        ),
        (
            "tasks.task.add",
            "title_missing",
            json!({"fields": {"TITLE": "", "RESPONSIBLE_ID": 2}}),
        ),
        (
            "tasks.task.add",
            "bad_status",
            json!({"fields": {"TITLE": "x", "RESPONSIBLE_ID": 2, "STATUS": 99}}),
        ),
        (
            "tasks.task.add",
            "parent_not_found",
            json!({"fields": {"TITLE": "x", "RESPONSIBLE_ID": 2, "PARENT_ID": 999_999}}),
        ),
        (
            "tasks.task.add",
            "plan_end_before_start",
            json!({"fields": {"TITLE": "x", "RESPONSIBLE_ID": 2, "START_DATE_PLAN": "2026-05-02T10:00:00+03:00", "END_DATE_PLAN": "2026-05-01T10:00:00+03:00"}}),
        ),
        (
            "tasks.task.add",
            "plan_too_long",
            json!({"fields": {"TITLE": "x", "RESPONSIBLE_ID": 2, "START_DATE_PLAN": "2026-05-02T10:00:00+03:00", "END_DATE_PLAN": "2099-05-01T10:00:00+03:00"}}),
        ),
        (
            "tasks.task.update",
            "taskid_wrong_type",
            json!({"taskId": "abc", "fields": {"TITLE": "x"}}),
        ),
        (
            "tasks.task.update",
            "taskid_missing",
            json!({"fields": {"TITLE": "x"}}),
        ),
        (
            "tasks.task.update",
            "not_allowed",
            json!({"taskId": 999_999, "fields": {"TITLE": "x"}}),
        ),
        ("tasks.task.update", "fields_missing", json!({"taskId": 1})),
        (
            "tasks.task.update",
            "responsible_not_found",
            json!({"taskId": 1, "fields": {"RESPONSIBLE_ID": 999}}),
        ),
        (
            "tasks.task.update",
            "bad_status",
            json!({"taskId": 1, "fields": {"STATUS": "nine"}}),
        ),
        (
            "tasks.task.update",
            "parent_not_found",
            json!({"taskId": 1, "fields": {"PARENT_ID": 999_999}}),
        ),
        (
            "tasks.task.update",
            "parent_is_self",
            json!({"taskId": 1, "fields": {"PARENT_ID": 1}}),
        ),
        (
            "tasks.task.update",
            "plan_end_before_start",
            json!({"taskId": 1, "fields": {"START_DATE_PLAN": "2026-05-02T10:00:00+03:00", "END_DATE_PLAN": "2026-05-01T10:00:00+03:00"}}),
        ),
        (
            "tasks.task.update",
            "plan_too_long",
            json!({"taskId": 1, "fields": {"START_DATE_PLAN": "2026-05-02T10:00:00+03:00", "END_DATE_PLAN": "2099-05-01T10:00:00+03:00"}}),
        ),
        (
            "tasks.task.delete",
            "taskid_wrong_type",
            json!({"taskId": "abc"}),
        ),
        ("tasks.task.delete", "taskid_missing", json!({})),
        ("tasks.task.delete", "no_access", json!({"taskId": 999_999})),
        (
            "tasks.task.result.list",
            "access_denied",
            json!({"taskId": 999_999}),
        ),
        (
            "tasks.task.result.list",
            "taskid_wrong_type",
            json!({"taskId": "abc"}),
        ),
    ];
    for (method, case, body) in cases {
        let (status, answer, raw) = v2(&p, method, body.clone()).await;
        check_documented(status, &answer, method, case)
            .unwrap_or_else(|e| panic!("{method} {body}: {e}"));
        golden::check_no_raw_angle_brackets(&raw).expect("escaped");
    }
    // the cycle needs a subtask
    let (_, child, _) = v2(
        &p,
        "tasks.task.add",
        json!({"fields": {"TITLE": "child", "RESPONSIBLE_ID": 2, "PARENT_ID": 1}}),
    )
    .await;
    let child = child["result"]["task"]["id"].clone();
    let (status, answer, _) = v2(
        &p,
        "tasks.task.update",
        json!({"taskId": 1, "fields": {"PARENT_ID": child}}),
    )
    .await;
    golden::check_error(status, &answer, "tasks.task.update", "parent_cycle").expect("cycle");
    // no right, no access
    for (method, case) in [
        ("tasks.task.update", "not_allowed"),
        ("tasks.task.delete", "no_access"),
        ("tasks.task.result.list", "access_denied"),
    ] {
        let body = if method == "tasks.task.update" {
            json!({"taskId": hidden, "fields": {"TITLE": "x"}})
        } else {
            json!({"taskId": hidden})
        };
        let r = send(
            p.local_addr(),
            "POST",
            &format!("/rest/7/hook7/{method}"),
            &[JSON],
            &body.to_string(),
        )
        .await;
        golden::check_error(r.status, &r.json(), method, case)
            .unwrap_or_else(|e| panic!("{method}: {e}"));
    }
    // system errors
    let r = send(
        p.local_addr(),
        "POST",
        "/rest/1/wrong/tasks.task.get",
        &[JSON],
        "{}",
    )
    .await;
    golden::check_error(r.status, &r.json(), "*", "NO_AUTH_FOUND").expect("auth");
    let r = send(
        p.local_addr(),
        "POST",
        "/rest/tasks.task.get",
        &[JSON],
        r#"{"auth":"nope"}"#,
    )
    .await;
    golden::check_error(r.status, &r.json(), "*", "NO_AUTH_FOUND").expect("token");
    let many: Vec<String> = (0..51).map(|_| "server.time".to_string()).collect();
    let (status, answer, _) = v2(&p, "batch", json!({"cmd": many})).await;
    golden::check_error(status, &answer, "*", "ERROR_BATCH_LENGTH_EXCEEDED").expect("batch length");
    p.faults().set_rate_limit(Some(b24emu::RateLimit {
        burst: 1.0,
        per_second: 0.001,
    }));
    let _ = v2(&p, "server.time", json!({})).await;
    let (status, answer, _) = v2(&p, "server.time", json!({})).await;
    golden::check_error(status, &answer, "*", "QUERY_LIMIT_EXCEEDED").expect("rate limit");
    p.faults().set_rate_limit(None);
    p.faults().set_fail_every(1);
    let (status, answer, _) = v2(&p, "server.time", json!({})).await;
    golden::check_error(status, &answer, "*", "INTERNAL_SERVER_ERROR").expect("5xx");
}

#[tokio::test]
async fn time_blocks_everywhere() {
    let p = portal().await;
    for (method, body) in [
        ("server.time", json!({})),
        ("user.current", json!({})),
        ("tasks.task.list", json!({"start": -1})),
        ("batch", json!({"cmd": {"a": "server.time"}})),
    ] {
        let (status, answer, _) = v2(&p, method, body).await;
        assert_eq!(status, 200);
        golden::check_time_block(&answer["time"]).unwrap_or_else(|e| panic!("{method}: {e}"));
        if method == "batch" {
            golden::check_time_block(&answer["result"]["result_time"]["a"]).expect("command time");
        }
    }
}
