//! REST 3.0 answers from the REST 3.0 pages: envelope, strict types, select (basic set,
//! dotted related fields), list filter/order/pagination, writes and their errors, results,
//! field.list, OpenAPI, and the two versions agreeing on one store.

mod support;

use b24emu::{Answer, Caller, Emulator};
use serde_json::{json, Value};
use support::{obj, v2_ids, v3_ids};

const ADMIN: Caller = Caller { user_id: 1 };
const USER7: Caller = Caller { user_id: 7 };

fn call(e: &Emulator, method: &str, body: Value) -> Answer {
    e.call_v3(method, &body, &ADMIN, None)
}

fn code(a: &Answer) -> String {
    a.body["error"]["code"]
        .as_str()
        .unwrap_or("")
        .replace("BITRIX_REST_V3_EXCEPTION_", "")
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

const EXAMPLE_KEYS: [&str; 64] = [
    "id",
    "title",
    "description",
    "deadline",
    "needsControl",
    "startPlan",
    "endPlan",
    "fileIds",
    "checklist",
    "epicId",
    "storyPoints",
    "priority",
    "status",
    "statusChanged",
    "parentId",
    "containsChecklist",
    "containsSubTasks",
    "containsRelatedTasks",
    "containsGanttLinks",
    "containsPlacements",
    "containsResults",
    "numberOfReminders",
    "chatId",
    "plannedDuration",
    "actualDuration",
    "durationType",
    "started",
    "estimatedTime",
    "replicate",
    "changed",
    "closed",
    "activity",
    "guid",
    "xmlId",
    "exchangeId",
    "exchangeModified",
    "outlookVersion",
    "mark",
    "allowsChangeDeadline",
    "allowsTimeTracking",
    "matchesWorkTime",
    "addInReport",
    "isMultitask",
    "siteId",
    "deadlineCount",
    "declineReason",
    "forumTopicId",
    "link",
    "rights",
    "archiveLink",
    "crmItemIds",
    "requireResult",
    "matchesSubTasksTime",
    "autocompleteSubTasks",
    "allowsChangeDatePlan",
    "maxDeadlineChangeDate",
    "maxDeadlineChanges",
    "requireDeadlineChangeReason",
    "inFavorite",
    "inPin",
    "inGroupPin",
    "inMute",
    "dependsOn",
    "scenarios",
];

#[test]
fn get_envelope_basic_set_and_related_select() {
    let e = Emulator::new(42);
    let a = call(&e, "tasks.task.get", json!({"id": 1}));
    assert_eq!(a.status, 200);
    assert_eq!(keys(&a.body), ["result", "time"]);
    assert_eq!(keys(&a.body["result"]), ["item"]);
    assert_eq!(keys(&a.body["result"]["item"]), EXAMPLE_KEYS);
    let item = &a.body["result"]["item"];
    for v2_only in [
        "notViewed",
        "commentsCount",
        "serviceCommentsCount",
        "newCommentsCount",
        "timeSpentInLogs",
        "subordinate",
        "sorting",
        "viewedDate",
    ] {
        assert!(item.get(v2_only).is_none(), "{v2_only} is v2 only");
    }
    let a = call(
        &e,
        "tasks.task.get",
        json!({"id": 1, "select": ["responsible.name", "responsible.email"]}),
    );
    let item = &a.body["result"]["item"];
    assert_eq!(keys(&item["responsible"]), ["name", "email"]);
    let k = keys(item);
    assert_eq!(
        k.iter().position(|x| x == "responsible"),
        Some(3),
        "related fields sit at their DTO place"
    );
    let a = call(
        &e,
        "tasks.task.get",
        json!({"id": 1, "select": ["id", "stageId", "nonsense", "group.image.src", "creator"]}),
    );
    let item = &a.body["result"]["item"];
    assert_eq!(keys(item)[0], "id");
    assert!(item.get("nonsense").is_none());
    assert_eq!(
        keys(&item["creator"]),
        [
            "id",
            "name",
            "role",
            "image",
            "gender",
            "email",
            "externalAuthId",
            "rights"
        ]
    );
    let a = call(
        &e,
        "tasks.task.get",
        json!({"id": 1, "select": ["responsible.stageId"]}),
    );
    assert_eq!(
        (a.status, code(&a)),
        (400, "UNKNOWNDTOPROPERTYEXCEPTION".into())
    );
    assert_eq!(
        a.body["error"]["message"],
        "Unknown field `stageId` for entity `UserDto`"
    );
}

#[test]
fn get_errors() {
    let e = Emulator::new(42);
    let a = call(&e, "tasks.task.get", json!({}));
    assert_eq!(
        (a.status, code(&a)),
        (400, "VALIDATION_REQUESTVALIDATIONEXCEPTION".into())
    );
    assert_eq!(
        a.body["error"]["validation"],
        json!([{"message": "Required field `id` is not specified", "field": "id"}])
    );
    let a = call(&e, "tasks.task.get", json!({"id": "1"}));
    assert_eq!(
        a.body["error"]["validation"][0]["message"],
        "Field `id` requires data type `int` for this request"
    );
    let a = call(&e, "tasks.task.get", json!({"id": 2_000_000}));
    assert_eq!(
        (a.status, code(&a)),
        (400, "ENTITYNOTFOUNDEXCEPTION".into())
    );
    assert_eq!(
        a.body["error"]["message"],
        "Record with ID = `2000000` not found"
    );
    assert!(a.body.get("time").is_none());
    let hidden = e
        .with_store(|s| s.tasks.values().find(|t| !s.can_read(t, 7)).map(|t| t.id))
        .unwrap_or(1);
    let a = e.call_v3("tasks.task.get", &json!({"id": hidden}), &USER7, None);
    assert_eq!((a.status, code(&a)), (403, "ACCESSDENIEDEXCEPTION".into()));
    let a = call(&e, "tasks.task.get", json!({"id": 1, "select": "id"}));
    assert_eq!(code(&a), "INVALIDSELECTEXCEPTION");
}

#[test]
fn list_select_filter_order_pagination() {
    let e = Emulator::new(42);
    let a = call(&e, "tasks.task.list", json!({}));
    let items = a.body["result"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 50);
    assert!(
        items.iter().all(|i| keys(i) == ["id"]),
        "only id without select"
    );
    let ids = v3_ids(&a.body);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "id ascending by default"
    );
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["id", "title", "responsibleId", "deadline", "status"], "filter": [["id", ">", 10]], "order": {"id": "ASC"}, "pagination": {"page": 2, "limit": 20, "offset": 0}}),
    );
    let items = a.body["result"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 20);
    assert_eq!(
        keys(&items[0]),
        ["id", "title", "responsibleId", "deadline", "status"]
    );
    assert!(v3_ids(&a.body).iter().all(|id| *id > 10));
    let a = call(
        &e,
        "tasks.task.list",
        json!({"pagination": {"limit": 5000}}),
    );
    assert_eq!(
        v3_ids(&a.body).len(),
        140,
        "limit is capped at 1000 and the portal has 140"
    );
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["id", "deadline"], "order": {"deadline": "desc", "id": "asc"}, "pagination": {"limit": 1000}}),
    );
    let d: Vec<Option<String>> = a.body["result"]["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["deadline"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert!(d.windows(2).all(|w| w[0] >= w[1]));
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"filter": [["title", "=", "x"]]}),
            "VALIDATION_REQUESTVALIDATIONEXCEPTION",
        ),
        (
            json!({"filter": [["nope", 1]]}),
            "UNKNOWNDTOPROPERTYEXCEPTION",
        ),
        (
            json!({"filter": [["id", "like", 1]]}),
            "UNKNOWNFILTEROPERATOREXCEPTION",
        ),
        (json!({"filter": {"id": 1}}), "INVALIDFILTEREXCEPTION"),
        (
            json!({"order": {"description": "ASC"}}),
            "INVALIDORDEREXCEPTION",
        ),
        (json!({"order": {"id": "UP"}}), "INVALIDORDEREXCEPTION"),
        (
            json!({"pagination": {"limit": "abc"}}),
            "INVALIDPAGINATIONEXCEPTION",
        ),
        (
            json!({"pagination": {"limit": 0}}),
            "INVALIDPAGINATIONEXCEPTION",
        ),
    ];
    for (body, want) in cases {
        let a = call(&e, "tasks.task.list", body.clone());
        assert_eq!((a.status, code(&a)), (400, want.to_string()), "{body}");
    }
    let a = call(
        &e,
        "tasks.task.list",
        json!({"filter": [["title", "=", "x"]]}),
    );
    assert_eq!(
        a.body["error"]["validation"][0]["message"],
        "In DTO `TaskDto`, the `title` field requires the `Filterable` attribute for such a request"
    );
    let a = call(
        &e,
        "tasks.task.list",
        json!({"filter": [{"logic": "or", "conditions": [["id", [1, 2]], ["id", "in", [3, 4, 5]]]}]}),
    );
    let existing: Vec<u64> =
        e.with_store(|s| (1..=5).filter(|id| s.tasks.contains_key(id)).collect());
    assert_eq!(v3_ids(&a.body), existing);
}

#[test]
fn writes_and_their_errors() {
    let e = Emulator::new(42);
    let a = call(
        &e,
        "tasks.task.add",
        json!({"fields": {"title": "Prepare a report", "responsibleId": 2, "creatorId": 1, "crmItemIds": ["D_6529"], "deadline": "2026-01-01T00:59:59+03:00"}}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let item = &a.body["result"]["item"];
    assert_eq!(keys(item), EXAMPLE_KEYS);
    assert_eq!(
        (
            item["crmItemIds"].clone(),
            item["status"].clone(),
            item["mark"].clone()
        ),
        (json!(["D_6529"]), json!("pending"), json!("none"))
    );
    let id = item["id"].as_u64().unwrap_or(0);
    let a = call(
        &e,
        "tasks.task.update",
        json!({"id": id, "fields": {"title": "Renamed", "priority": "high", "deadline": null}}),
    );
    assert_eq!(a.body["result"], json!({"result": true}));
    let a = call(
        &e,
        "tasks.task.get",
        json!({"id": id, "select": ["title", "priority", "deadline"]}),
    );
    assert_eq!(
        a.body["result"]["item"],
        json!({"title": "Renamed", "deadline": null, "priority": "high"})
    );
    let v2 = e.call_v2("tasks.task.get", &obj(json!({"taskId": id})), &ADMIN);
    assert_eq!(
        v2.body["result"]["task"]["priority"], "2",
        "one store for both versions"
    );
    type Case<'a> = (&'a str, Value, u16, &'a str, Option<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        ("tasks.task.add", json!({}), 400, "VALIDATION_REQUESTVALIDATIONEXCEPTION", Some(("fields", "Required field `fields` is not specified"))),
        ("tasks.task.add", json!({"fields": {"title": "x", "creatorId": 1}}), 400, "VALIDATION_REQUESTVALIDATIONEXCEPTION", Some(("responsibleId", "Required field `responsibleId` is not specified"))),
        ("tasks.task.add", json!({"fields": {"title": "x", "creatorId": 1, "responsibleId": 999}}), 400, "VALIDATION_REQUESTVALIDATIONEXCEPTION", Some(("responsibleId", "User specified in the \"Executor\" field not found"))),
        ("tasks.task.add", json!({"fields": {"title": "x", "creatorId": 1, "responsibleId": 2, "deadline": "soon"}}), 400, "VALIDATION_REQUESTVALIDATIONEXCEPTION", Some(("deadline", "Field `deadline` requires data type `DateTime` for this request"))),
        ("tasks.task.add", json!({"fields": {"title": "x", "creatorId": 1, "responsibleId": 2, "notViewed": "Y"}}), 400, "UNKNOWNDTOPROPERTYEXCEPTION", None),
        ("tasks.task.update", json!({"id": id, "fields": {"creatorId": 2}}), 400, "VALIDATION_REQUESTVALIDATIONEXCEPTION", Some(("creatorId", "In DTO `TaskDto`, the field `creatorId` requires the presence of the `Editable` attribute for such a request"))),
        ("tasks.task.update", json!({"id": id, "fields": {"parentId": id}}), 400, "VALIDATION_REQUESTVALIDATIONEXCEPTION", Some(("parentId", "Cannot bind a node to itself"))),
        ("tasks.task.update", json!({"id": 2_000_000, "fields": {"title": "x"}}), 403, "ACCESSDENIEDEXCEPTION", None),
        ("tasks.task.delete", json!({"id": 2_000_000}), 403, "ACCESSDENIEDEXCEPTION", None),
        ("tasks.task.delete", json!({"id": "1"}), 400, "VALIDATION_REQUESTVALIDATIONEXCEPTION", None),
    ];
    for (method, body, status, want, validation) in cases {
        let a = call(&e, method, body.clone());
        assert_eq!(
            (a.status, code(&a)),
            (status, want.to_string()),
            "{method} {body}: {}",
            a.body
        );
        if let Some((field, message)) = validation {
            assert_eq!(
                a.body["error"]["validation"][0],
                json!({"message": message, "field": field}),
                "{method} {body}"
            );
        }
    }
    let a = call(&e, "tasks.task.delete", json!({"id": id}));
    assert_eq!(a.body["result"], json!({"result": true}));
}

#[test]
fn results_list() {
    let e = Emulator::new(42);
    let task = e
        .with_store(|s| s.results.keys().next().copied())
        .unwrap_or(1);
    let a = call(
        &e,
        "tasks.task.result.list",
        json!({"filter": [["taskId", task]]}),
    );
    let items = a.body["result"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!items.is_empty());
    assert_eq!(
        keys(&items[0]),
        [
            "id",
            "taskId",
            "text",
            "authorId",
            "createdAt",
            "status",
            "messageId"
        ]
    );
    assert!(items[0]["status"] == "open" || items[0]["status"] == "closed");
    let a = call(
        &e,
        "tasks.task.result.list",
        json!({"filter": [["taskId", task]], "select": ["id", "author.name", "fileIds", "rights"], "order": {"id": "DESC"}}),
    );
    let first = &a.body["result"]["items"][0];
    assert_eq!(keys(first), ["id", "author", "fileIds", "rights"]);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({}), 400, "VALIDATION_REQUESTVALIDATIONEXCEPTION"),
        (
            json!({"filter": [["id", ">", 1]]}),
            400,
            "VALIDATION_REQUESTFILTERVALIDATIONEXCEPTION",
        ),
        (
            json!({"filter": [["taskId", 2_000_000]]}),
            403,
            "ACCESSDENIEDEXCEPTION",
        ),
        (
            json!({"filter": [["taskId", "x"]]}),
            400,
            "VALIDATION_REQUESTVALIDATIONEXCEPTION",
        ),
        (
            json!({"filter": [["taskId", task]], "select": ["nope"]}),
            400,
            "UNKNOWNDTOPROPERTYEXCEPTION",
        ),
        (
            json!({"filter": [["taskId", task]], "order": {"text": "ASC"}}),
            400,
            "INVALIDORDEREXCEPTION",
        ),
        (
            json!({"filter": [["taskId", task], ["status", "maybe"]]}),
            400,
            "VALIDATION_REQUESTVALIDATIONEXCEPTION",
        ),
    ];
    for (body, status, want) in cases {
        let a = call(&e, "tasks.task.result.list", body.clone());
        assert_eq!((a.status, code(&a)), (status, want.to_string()), "{body}");
    }
}

#[test]
fn field_list_and_openapi() {
    let e = Emulator::new(42);
    let a = call(
        &e,
        "tasks.task.field.list",
        json!({"select": ["name", "type", "filterable", "sortable"]}),
    );
    let items = a.body["result"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let filterable: Vec<&str> = items
        .iter()
        .filter(|i| i["filterable"] == true)
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(filterable, ["id"]);
    assert!(items.iter().any(|i| i["name"] == "crmItemIds"));
    assert!(!items.iter().any(|i| i["name"] == "notViewed"));
    for name in ["rest.documentation.openapi", "documentation"] {
        let a = call(&e, name, json!({}));
        assert_eq!(a.body["result"]["openapi"], "3.0.0");
        assert!(a.body["result"]["paths"]["/tasks.task.list"].is_object());
    }
    let a = call(&e, "user.current", json!({}));
    assert_eq!(
        (a.status, a.body["error"]["code"].clone()),
        (404, json!("ERROR_METHOD_NOT_FOUND"))
    );
}

#[test]
fn both_versions_render_one_store() {
    let e = Emulator::new(21);
    for caller in [ADMIN, USER7] {
        let v2 = e.call_v2(
            "tasks.task.list",
            &obj(json!({"select": ["*", "UF_*"], "order": {"ID": "asc"}})),
            &caller,
        );
        let v3 = e.call_v3(
            "tasks.task.list",
            &json!({"select": ["id", "title", "status", "priority", "creatorId", "responsibleId", "deadline", "groupId", "crmItemIds", "checklist", "inFavorite", "accomplices", "chatId"], "pagination": {"limit": 50}}),
            &caller,
            None,
        );
        assert_eq!(v2_ids(&v2.body), v3_ids(&v3.body));
        let statuses = [
            "",
            "",
            "pending",
            "in_progress",
            "supposedly_completed",
            "completed",
            "deferred",
            "declined",
        ];
        for (a, b) in v2.body["result"]["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(v3.body["result"]["items"].as_array().into_iter().flatten())
        {
            assert_eq!(a["id"], json!(b["id"].to_string()));
            assert_eq!(a["title"], b["title"]);
            let s: usize = a["status"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            assert_eq!(statuses.get(s).copied(), b["status"].as_str());
            assert_eq!(a["createdBy"], json!(b["creatorId"].to_string()));
            assert_eq!(a["deadline"], b["deadline"]);
            assert_eq!(
                a["groupId"],
                json!(b["groupId"].as_u64().unwrap_or(0).to_string())
            );
            assert_eq!(a["ufCrmTask"], b["crmItemIds"]);
            assert_eq!(a["chatId"], b["chatId"]);
            let ids: Vec<String> = b["checklist"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| i.to_string())
                .collect();
            let mut keys2: Vec<String> = a["checklist"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let mut ids_sorted = ids.clone();
            keys2.sort();
            ids_sorted.sort();
            assert_eq!(keys2, ids_sorted);
            assert_eq!(
                a["favorite"] == "Y",
                b["inFavorite"] == json!([caller.user_id])
            );
            let acc: Vec<String> = b["accomplices"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|u| u["id"].to_string())
                .collect();
            assert_eq!(a["accomplices"], json!(acc));
        }
    }
}
