//! Realistic REST 3.0 task items and typical v2 request bodies, shared by the criterion
//! benches (`benches/hot_path.rs`) and the canned upstream of the load benchmark
//! (`examples/canned_portal.rs`), so both measure the same payloads.
//!
//! An item carries every field the built-in `tasks.task.list` rule selects by default
//! (nested `creator`, `responsible`, `accomplices`, `auditors`, `group` objects included),
//! with values that vary per task the way a real portal's do: some nulls, some empty
//! lists, a few members, dates in the portal's `+03:00` offset.

#![allow(dead_code)]

use serde_json::{json, Value};

const NAMES: [&str; 6] = [
    "Anna Smirnova",
    "Ivan Petrov",
    "Olga Kuznetsova",
    "Dmitry Sokolov",
    "Maria Popova",
    "Sergey Lebedev",
];

const TITLES: [&str; 5] = [
    "Prepare the quarterly report for the board",
    "Call the client about the delivery delay",
    "Update the price list on the website",
    "Review the new contract draft",
    "Fix the invoice numbering in 1C export",
];

const STATUSES: [&str; 5] = [
    "pending",
    "in_progress",
    "supposedly_completed",
    "completed",
    "deferred",
];

fn user(id: u64) -> Value {
    let name = NAMES[(id as usize) % NAMES.len()];
    json!({
        "id": id,
        "name": name,
        "image": {"src": format!("/upload/resize_cache/main/{:03x}/100_100_2/avatar_{id}.jpg", id * 37)},
    })
}

fn date(day: u64, hour: u64) -> String {
    format!(
        "2025-{:02}-{:02}T{:02}:{:02}:00+03:00",
        1 + day % 12,
        1 + day % 28,
        8 + hour % 10,
        (day * 7) % 60
    )
}

/// One REST 3.0 task as `tasks.task.get`/`.list` answer it for the default v2 select.
pub fn task(id: u64) -> Value {
    let k = id % 5;
    let creator = 1 + id % 6;
    let responsible = 1 + (id / 3) % 6;
    let accomplices: Vec<Value> = (0..(id % 3)).map(|j| user(1 + (id + j) % 6)).collect();
    let auditors: Vec<Value> = (0..(id % 2)).map(|j| user(1 + (id + 2 + j) % 6)).collect();
    let closed = STATUSES[k as usize] == "completed";
    // Two halves: one `json!` of ~45 keys is over the macro's recursion limit.
    let mut item = json!({
        "id": id,
        "parentId": if id % 7 == 0 { json!(id - 3) } else { Value::Null },
        "title": format!("{} #{id}", TITLES[k as usize]),
        "description": "Collect the figures from the sales and finance departments, check them against last quarter's and send the summary to the board before Friday.",
        "mark": if k == 3 { "positive" } else { "none" },
        "priority": if k == 1 { "high" } else { "average" },
        "isMultitask": false,
        "replicate": false,
        "stageId": if id % 4 == 0 { json!(10 + k) } else { Value::Null },
        "creatorId": creator,
        "created": date(id, 1),
        "responsibleId": responsible,
        "changedById": creator,
        "changed": date(id + 3, 2),
        "statusChangedById": responsible,
        "statusChanged": date(id + 3, 4),
        "closedById": if closed { json!(responsible) } else { Value::Null },
        "closed": if closed { json!(date(id + 5, 3)) } else { Value::Null },
        "activity": date(id + 5, 5),
        "started": if k == 1 { json!(date(id + 1, 6)) } else { Value::Null },
        "deadline": date(id + 10, 7),
        "startPlan": Value::Null,
        "endPlan": Value::Null,
        "guid": format!("{{6F1A{id:04X}-2B3C-4D5E-8F90-A1B2C3D4{id:04X}}}"),
        "xmlId": Value::Null,
    });
    let rest = json!({
        "allowsChangeDeadline": true,
        "allowsTimeTracking": k == 2,
        "needsControl": k == 4,
        "addInReport": false,
        "forkedByTemplateId": Value::Null,
        "estimatedTime": if k == 2 { 3600 } else { 0 },
        "matchesWorkTime": false,
        "siteId": "s1",
        "plannedDuration": Value::Null,
        "actualDuration": Value::Null,
        "durationType": "days",
        "inMute": [],
        "inPin": if k == 0 { json!([1]) } else { json!([]) },
        "inGroupPin": [],
        "flowId": 0,
        "status": STATUSES[k as usize],
        "groupId": if id % 3 == 0 { json!(12) } else { json!(0) },
        "auditors": auditors,
        "accomplices": accomplices,
        "group": if id % 3 == 0 { json!({"id": 12, "name": "Marketing"}) } else { Value::Null },
        "creator": user(creator),
        "responsible": user(responsible),
    });
    if let (Some(first), Value::Object(second)) = (item.as_object_mut(), rest) {
        first.extend(second);
    }
    item
}

/// `n` tasks with descending ids, as a list ordered by v2's default `ID DESC` answers.
pub fn tasks(n: usize) -> Vec<Value> {
    (0..n as u64).map(|i| task(1000 - i)).collect()
}

/// The `time` block of a REST answer.
pub fn time_block() -> Value {
    json!({
        "start": 1741940813.123456,
        "finish": 1741940813.171819,
        "duration": 0.048363,
        "processing": 0.031022,
        "date_start": "2025-03-14T11:26:53+03:00",
        "date_finish": "2025-03-14T11:26:53+03:00",
        "operating_reset_at": 1741941413,
        "operating": 0
    })
}

/// A REST 3.0 list answer (`{"result":{"items":[…]},"time":{…}}`) of `n` tasks.
pub fn list_answer(n: usize) -> Value {
    json!({"result": {"items": tasks(n)}, "time": time_block()})
}

/// A typical `tasks.task.list` call as a PHP SDK sends it: a form body with bracket names,
/// the webhook's telemetry, a filter on ids, a short select and an order.
pub const LIST_FORM_BODY: &str = "filter%5B%3E%3DID%5D=100&filter%5B%3CID%5D=5000&filter%5B%21ID%5D%5B%5D=13&filter%5B%21ID%5D%5B%5D=14&select%5B%5D=ID&select%5B%5D=TITLE&select%5B%5D=STATUS&select%5B%5D=DEADLINE&select%5B%5D=RESPONSIBLE_ID&select%5B%5D=CREATED_BY&order%5BID%5D=desc&start=50&bx24_request_id=9f1c2e7a&bx24_sdk_ver=1.2.0&bx24_sdk_type=b24phpsdk";

/// The same call as the JS SDK sends it: a JSON body.
pub const LIST_JSON_BODY: &str = r#"{"filter":{">=ID":100,"<ID":5000,"!ID":[13,14]},"select":["ID","TITLE","STATUS","DEADLINE","RESPONSIBLE_ID","CREATED_BY"],"order":{"ID":"desc"},"start":50,"bx24_request_id":"9f1c2e7a","bx24_sdk_ver":"1.2.0","bx24_sdk_type":"b24jssdk"}"#;

/// A v2 filter with every operator family REST 3.0 can express on task ids.
pub fn typical_filter() -> Value {
    json!({
        ">=ID": "100",
        "<ID": "5000",
        "!ID": ["13", "14"],
        "0": {"logic": "OR", "ID": [1, 2, 3], "><ID": [900, 950]},
    })
}
