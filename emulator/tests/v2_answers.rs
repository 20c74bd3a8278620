//! v2 answers from the pages' facts: select rules, list paging and order, filters,
//! visibility, writes, result.list, the pass-through methods, and the v2-only data the
//! store holds (view marks, comment counters, checklists, UF fields).

mod support;

use b24emu::{Answer, Caller, Emulator};
use serde_json::{json, Value};
use support::{obj, v2_ids};

const ADMIN: Caller = Caller { user_id: 1 };
const USER7: Caller = Caller { user_id: 7 };

fn call(e: &Emulator, method: &str, p: Value) -> Answer {
    e.call_v2(method, &obj(p), &ADMIN)
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn all_ids(e: &Emulator, caller: &Caller, filter: Value) -> Vec<u64> {
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let a = e.call_v2(
            "tasks.task.list",
            &obj(
                json!({"filter": filter, "order": {"ID": "asc"}, "select": ["ID"], "start": start}),
            ),
            caller,
        );
        assert_eq!(a.status, 200, "{}", a.body);
        out.extend(v2_ids(&a.body));
        match a.body["next"].as_u64() {
            Some(n) => start = n,
            None => return out,
        }
    }
}

fn expected(
    e: &Emulator,
    caller: u64,
    p: impl Fn(&b24emu::store::Task, &b24emu::store::Store) -> bool,
) -> Vec<u64> {
    e.with_store(|s| {
        s.tasks
            .values()
            .filter(|t| s.can_read(t, caller) && p(t, s))
            .map(|t| t.id)
            .collect()
    })
}

#[test]
fn get_select_companions_and_uf_fields() {
    let e = Emulator::new(42);
    let a = call(
        &e,
        "tasks.task.get",
        json!({"taskId": 2, "select": ["TITLE", "RESPONSIBLE_ID", "nonsense"]}),
    );
    assert_eq!(
        keys(&a.body["result"]["task"]),
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
    let a = call(
        &e,
        "tasks.task.get",
        json!({"taskId": 2, "select": ["UF_MAIL_MESSAGE"]}),
    );
    let task = &a.body["result"]["task"];
    assert!(
        task["ufCrmTask"].is_array()
            && task["ufTaskWebdavFiles"].is_array()
            && task.get("ufMailMessage").is_some()
    );
    let a = call(
        &e,
        "tasks.task.get",
        json!({"taskId": 2, "select": ["*", "UF_*"]}),
    );
    let k = keys(&a.body["result"]["task"]);
    assert_eq!(k.len(), 74);
    assert_eq!(
        &k[71..],
        ["ufCrmTask", "ufTaskWebdavFiles", "ufMailMessage"]
    );
    let a = call(&e, "tasks.task.get", json!({"taskId": 2}));
    let k = keys(&a.body["result"]["task"]);
    assert_eq!(k.len(), 71);
    assert_eq!(k[4], "chatId", "CHAT_ID is in the default set");
    assert!(!k.contains(&"ufCrmTask".to_string()));
    let a = call(
        &e,
        "tasks.task.get",
        json!({"taskId": 2, "select": ["CHECKLIST", "DESCRIPTION"]}),
    );
    assert_eq!(
        keys(&a.body["result"]["task"]),
        [
            "id",
            "description",
            "descriptionInBbcode",
            "favorite",
            "checklist",
            "group",
            "action",
            "checkListTree",
            "checkListCanAdd"
        ]
    );
}

#[test]
fn list_rows_default_star_and_params() {
    let e = Emulator::new(42);
    let a = call(&e, "tasks.task.list", json!({}));
    let row = &a.body["result"]["tasks"][0];
    let k = keys(row);
    for computed in [
        "creator",
        "responsible",
        "action",
        "checkListTree",
        "accomplicesData",
        "newCommentsCount",
    ] {
        assert!(
            !k.contains(&computed.to_string()),
            "{computed} is computed, not stored"
        );
    }
    assert!(k.contains(&"group".to_string()) && k.contains(&"notViewed".to_string()));
    assert_eq!(
        row["mark"].as_str().map(|m| ["", "P", "N"].contains(&m)),
        Some(true),
        "list rows print an unrated mark as \"\""
    );
    let a = call(&e, "tasks.task.list", json!({"select": ["*"]}));
    let k = keys(&a.body["result"]["tasks"][0]);
    assert!(k.contains(&"creator".to_string()) && !k.contains(&"action".to_string()));
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["ID"], "params": {"WITH_RESULT_INFO": "Y", "WITH_PARSED_DESCRIPTION": true}}),
    );
    assert_eq!(
        keys(&a.body["result"]["tasks"][0]),
        [
            "id",
            "group",
            "taskRequireResult",
            "taskHasOpenResult",
            "taskHasResult",
            "parsedDescription"
        ]
    );
    let a = call(&e, "tasks.task.list", json!({"select": "ID"}));
    assert_eq!((a.status, a.body["error"].clone()), (400, json!("100")));
}

#[test]
fn paging_by_fifty_with_next_and_total() {
    let e = Emulator::new(5);
    let total = e.with_store(|s| s.tasks.len()) as u64;
    let a = call(&e, "tasks.task.list", json!({"select": ["ID"]}));
    assert_eq!(keys(&a.body), ["result", "next", "total", "time"]);
    assert_eq!(
        (
            v2_ids(&a.body).len(),
            a.body["next"].as_u64(),
            a.body["total"].as_u64()
        ),
        (50, Some(50), Some(total))
    );
    let first = v2_ids(&a.body);
    assert!(
        first.windows(2).all(|w| w[0] > w[1]),
        "default order ID desc"
    );
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["ID"], "start": "75"}),
    );
    assert_eq!(
        a.body["next"].as_u64(),
        Some(100),
        "75 falls in the second page"
    );
    let second = v2_ids(&a.body);
    assert_eq!(second.len(), 50);
    assert!(second[0] < first[49]);
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["ID"], "start": 100}),
    );
    assert_eq!(v2_ids(&a.body).len() as u64, total - 100);
    assert!(a.body.get("next").is_none());
    assert_eq!(keys(&a.body), ["result", "total", "time"]);
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["ID"], "start": -1}),
    );
    assert_eq!(
        (
            v2_ids(&a.body),
            a.body["total"].as_u64(),
            a.body.get("next").is_none()
        ),
        (first, Some(0), true)
    );
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["ID"], "start": 100_000}),
    );
    assert!(v2_ids(&a.body).is_empty());
}

#[test]
fn ordering() {
    let e = Emulator::new(8);
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["ID", "DEADLINE"], "order": {"DEADLINE": "asc"}, "start": -1}),
    );
    let rows = a.body["result"]["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(rows.iter().all(|r| r.get("lengthDeadline").is_some()));
    let deadlines: Vec<Option<&str>> = rows.iter().map(|r| r["deadline"].as_str()).collect();
    let first_none = deadlines
        .iter()
        .position(Option::is_none)
        .unwrap_or(deadlines.len());
    assert!(deadlines[..first_none].windows(2).all(|w| w[0] <= w[1]));
    assert!(
        deadlines[first_none..].iter().all(Option::is_none),
        "tasks without a deadline last"
    );
    let a = call(
        &e,
        "tasks.task.list",
        json!({"select": ["ID", "TITLE"], "order": {"TITLE": "DESC", "ID": "asc"}, "start": -1}),
    );
    let titles: Vec<String> = a.body["result"]["tasks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| t["title"].as_str().unwrap_or("").to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    assert!(titles.windows(2).all(|w| w[0] >= w[1]));
    let a = call(&e, "tasks.task.list", json!({"order": {"STATUS": "asc"}}));
    assert_eq!(
        (a.status, a.body["error_description"].clone()),
        (400, json!("Invalid sorting key (internal error)"))
    );
}

#[test]
fn filters() {
    let e = Emulator::new(11);
    let now = e.with_store(|s| s.now);
    let all = expected(&e, 1, |_, _| true);
    let mid = all[all.len() / 2];
    let cases: Vec<(Value, Vec<u64>)> = vec![
        (json!({"ID": mid}), vec![mid]),
        (json!({"!ID": mid}), expected(&e, 1, |t, _| t.id != mid)),
        (
            json!({">ID": mid, "<=ID": mid + 5}),
            expected(&e, 1, |t, _| t.id > mid && t.id <= mid + 5),
        ),
        (json!({"ID": [all[0], all[1]]}), vec![all[0], all[1]]),
        (
            json!({"RESPONSIBLE_ID": "7"}),
            expected(&e, 1, |t, _| t.responsible_id == 7),
        ),
        (json!({"!STATUS": 6}), expected(&e, 1, |t, _| t.status != 6)),
        (
            json!({"REAL_STATUS": [2, 3]}),
            expected(&e, 1, |t, _| matches!(t.status, 2 | 3)),
        ),
        (
            json!({"STATUS": -1}),
            expected(&e, 1, |t, _| {
                matches!(t.status, 2 | 3) && t.deadline.is_some_and(|d| d < now)
            }),
        ),
        (
            json!({"GROUP_ID": 0}),
            expected(&e, 1, |t, _| t.group_id.is_none()),
        ),
        (
            json!({"ACCOMPLICE": 3}),
            expected(&e, 1, |t, _| t.accomplices.contains(&3)),
        ),
        (
            json!({"AUDITOR": [2, 4]}),
            expected(&e, 1, |t, _| t.auditors.iter().any(|a| *a == 2 || *a == 4)),
        ),
        (
            json!({"TITLE": "%report%"}),
            expected(&e, 1, |t, _| t.title.to_lowercase().contains("report")),
        ),
        (
            json!({"TITLE": "Prepare%"}),
            expected(&e, 1, |t, _| t.title.starts_with("Prepare")),
        ),
        (
            json!({"%TITLE": "отчёт"}),
            expected(&e, 1, |t, _| t.title.contains("отчёт")),
        ),
        (
            json!({"MARK": "P"}),
            expected(&e, 1, |t, _| t.mark == Some(b24emu::store::Mark::Positive)),
        ),
        (
            json!({"DEADLINE": ""}),
            expected(&e, 1, |t, _| t.deadline.is_none()),
        ),
        (
            json!({">=DEADLINE": "2026-10-15"}),
            expected(&e, 1, |t, _| {
                t.deadline
                    .is_some_and(|d| d >= b24emu::clock::portal_ts(2026, 10, 15, 0, 0, 0))
            }),
        ),
        (
            json!({"ONLY_ROOT_TASKS": "Y"}),
            expected(&e, 1, |t, _| t.parent_id.is_none()),
        ),
        (
            json!({"!UF_CRM_TASK": ""}),
            expected(&e, 1, |t, _| !t.crm_items.is_empty()),
        ),
        (
            json!({"TAG": "urgent"}),
            expected(&e, 1, |t, s| {
                t.tags
                    .iter()
                    .any(|id| s.tag(*id).is_some_and(|g| g.title == "urgent"))
            }),
        ),
        (
            json!({"::SUBFILTER-PARAMS": {"FAVORITE": "Y"}}),
            expected(&e, 1, |t, _| t.favorite_of.contains(&1)),
        ),
        (
            json!({"0": {"LOGIC": "OR", "0": {"RESPONSIBLE_ID": 2}, "1": {"CREATED_BY": 3}}, ">ID": 20}),
            expected(&e, 1, |t, _| {
                t.id > 20 && (t.responsible_id == 2 || t.created_by == 3)
            }),
        ),
        (json!({"NONSENSE": 1}), all.clone()),
        (json!("not a filter"), all.clone()),
    ];
    for (filter, want) in cases {
        assert_eq!(all_ids(&e, &ADMIN, filter.clone()), want, "{filter}");
    }
    assert!(!expected(&e, 1, |t, _| t.title.contains("отчёт")).is_empty());
}

#[test]
fn managers_see_their_teams_and_others_only_their_own() {
    let e = Emulator::new(42);
    let seen = all_ids(&e, &USER7, json!({}));
    let want = e.with_store(|s| {
        s.tasks
            .values()
            .filter(|t| s.can_read(t, 7))
            .map(|t| t.id)
            .collect::<Vec<_>>()
    });
    assert_eq!(seen, want);
    let via_team = e.with_store(|s| {
        s.tasks.values().any(|t| {
            !t.is_member(7)
                && (t.responsible_id == 4 || t.responsible_id == 8)
                && t.group_id != Some(1)
                && t.group_id != Some(3)
                && s.can_read(t, 7)
        })
    });
    assert!(via_team, "user 7 reads tasks of users 4 and 8");
    assert!(seen.len() < e.with_store(|s| s.tasks.len()));
}

#[test]
fn v2_only_data_is_rendered() {
    let e = Emulator::new(42);
    let (with_comments, with_list, with_files) = e.with_store(|s| {
        (
            s.tasks
                .values()
                .find(|t| !t.comments.is_empty())
                .map(|t| t.id)
                .unwrap_or(1),
            s.tasks
                .values()
                .find(|t| !t.checklist.is_empty())
                .map(|t| t.id)
                .unwrap_or(1),
            s.tasks
                .values()
                .find(|t| !t.files.is_empty() && !t.crm_items.is_empty())
                .or_else(|| s.tasks.values().find(|t| !t.files.is_empty()))
                .map(|t| t.id)
                .unwrap_or(1),
        )
    });
    let t =
        call(&e, "tasks.task.get", json!({"taskId": with_comments})).body["result"]["task"].clone();
    assert!(
        t["commentsCount"].is_string() && t["forumTopicId"].is_string() && t["forumId"] == "11"
    );
    assert!(t["newCommentsCount"].is_u64());
    let t = call(&e, "tasks.task.get", json!({"taskId": with_list})).body["result"]["task"].clone();
    let list = t["checklist"].as_object().cloned().unwrap_or_default();
    assert!(!list.is_empty());
    for (id, item) in &list {
        assert_eq!(item["id"], json!(id));
        assert!(item["isComplete"] == "Y" || item["isComplete"] == "N");
    }
    assert!(list.values().any(|i| i["parentId"] == json!(0)));
    let tree = &t["checkListTree"];
    assert_eq!(tree["nodeId"], 0);
    assert!(tree["descendants"][0]["fields"]["id"].is_u64());
    assert_eq!(tree["descendants"][0]["nodeId"], 1);
    let t = call(
        &e,
        "tasks.task.get",
        json!({"taskId": with_files, "select": ["UF_TASK_WEBDAV_FILES"]}),
    )
    .body["result"]["task"]
        .clone();
    assert!(t["ufTaskWebdavFiles"]
        .as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_u64)));
    assert!(t["ufCrmTask"]
        .as_array()
        .is_some_and(|a| a.iter().all(Value::is_string)));
    // view marks are per caller
    let (task, viewer) = e.with_store(|s| {
        s.tasks
            .values()
            .find_map(|t| {
                t.viewed
                    .iter()
                    .find(|(u, _)| *u == 7 && t.created_by != 7)
                    .map(|_| (t.id, 7))
            })
            .unwrap_or((1, 1))
    });
    let seen = e
        .call_v2(
            "tasks.task.get",
            &obj(json!({"taskId": task})),
            &Caller { user_id: viewer },
        )
        .body["result"]["task"]
        .clone();
    assert_eq!(seen["notViewed"], "N");
    assert!(seen["viewedDate"].is_string());
}

#[test]
fn writes() {
    let e = Emulator::new(42);
    let a = call(
        &e,
        "tasks.task.add",
        json!({"fields": {"TITLE": "New <task> & 'quotes'", "RESPONSIBLE_ID": "2", "DEADLINE": "2026-12-01T10:00:00+03:00", "ACCOMPLICES": ["3", "99"], "TAGS": ["fresh", "urgent"], "UNKNOWN_FIELD": 1, "ID": 5, "UF_CRM_TASK": ["D_12"]}}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let t = a.body["result"]["task"].clone();
    let id = t["id"].as_str().unwrap_or("0").to_string();
    assert_eq!(
        (
            t["title"].clone(),
            t["createdBy"].clone(),
            t["responsibleId"].clone()
        ),
        (json!("New <task> & 'quotes'"), json!("1"), json!("2"))
    );
    assert_eq!(t["accomplices"], json!(["3"]), "unknown users are dropped");
    assert_eq!(
        (
            t["status"].clone(),
            t["closedBy"].clone(),
            t["statusChangedBy"].clone()
        ),
        (json!("2"), json!("0"), json!(null))
    );
    assert_eq!(t["deadline"], "2026-12-01T10:00:00+03:00");
    assert_ne!(t["id"], "5");
    let a = call(
        &e,
        "tasks.task.update",
        json!({"taskId": id, "fields": {"DEADLINE": "", "TITLE": "Renamed", "STATUS": 3}}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let t = a.body["result"]["task"].clone();
    assert_eq!(
        (
            t["deadline"].clone(),
            t["title"].clone(),
            t["status"].clone()
        ),
        (json!(null), json!("Renamed"), json!("3"))
    );
    assert!(t["dateStart"].is_string());
    let a = call(
        &e,
        "tasks.task.update",
        json!({"taskId": id, "fields": {"NONSENSE": 1}}),
    );
    assert_eq!(a.status, 200, "unknown fields are ignored");
    let a = call(&e, "tasks.task.complete", json!({"taskId": id}));
    assert_eq!(a.body["result"]["task"]["status"], "5");
    assert_eq!(a.body["result"]["task"]["closedBy"], "1");
    let a = call(&e, "tasks.task.start", json!({"taskId": id}));
    assert_eq!(
        (a.status, a.body["error_description"].clone()),
        (400, json!("Action on the task is not allowed"))
    );
    let a = call(&e, "tasks.task.delete", json!({"taskId": id}));
    assert_eq!(a.body["result"], json!({"task": true}));
    let a = call(&e, "tasks.task.get", json!({"taskId": id}));
    assert_eq!(a.body["result"], json!([]));
}

#[test]
fn control_sends_a_doer_completion_to_review() {
    let e = Emulator::new(42);
    let a = call(
        &e,
        "tasks.task.add",
        json!({"fields": {"TITLE": "Under control", "RESPONSIBLE_ID": 2, "TASK_CONTROL": "Y"}}),
    );
    let id = a.body["result"]["task"]["id"].clone();
    let doer = Caller { user_id: 2 };
    let a = e.call_v2("tasks.task.complete", &obj(json!({"taskId": id})), &doer);
    assert_eq!(a.body["result"]["task"]["status"], "4", "{}", a.body);
    let a = call(
        &e,
        "tasks.task.get",
        json!({"taskId": id, "select": ["ID"]}),
    );
    assert_eq!(a.body["result"]["task"]["action"]["approve"], true);
}

#[test]
fn results_newest_first_with_html() {
    let e = Emulator::new(42);
    let task = e
        .with_store(|s| s.results.iter().find(|(_, r)| r.len() > 1).map(|(t, _)| *t))
        .unwrap_or(1);
    let a = call(
        &e,
        "tasks.task.result.list",
        json!({"taskId": task.to_string()}),
    );
    let rows = a.body["result"].as_array().cloned().unwrap_or_default();
    assert!(rows.len() > 1);
    let created: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["createdAt"].as_str())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]));
    for r in &rows {
        assert!(
            r["id"].is_u64()
                && r["taskId"].is_u64()
                && r["status"].is_u64()
                && r["commentId"].is_u64()
        );
        let text = r["text"].as_str().unwrap_or_default();
        if text.contains("[B]") {
            assert!(r["formattedText"]
                .as_str()
                .unwrap_or_default()
                .contains("<b>"));
        }
        if text.contains('<') {
            assert!(r["formattedText"]
                .as_str()
                .unwrap_or_default()
                .contains("&lt;"));
        }
    }
}

#[test]
fn pass_through_methods() {
    let e = Emulator::new(42);
    let a = e.call_v2("user.current", &obj(json!({})), &USER7);
    assert_eq!(a.body["result"]["ID"], "7");
    assert_eq!(a.body["result"]["NAME"], "Elena");
    let a = call(&e, "user.get", json!({"FILTER": {"ID": [1, 7]}}));
    assert_eq!(a.body["total"], 2);
    let a = call(&e, "server.time", json!({}));
    assert_eq!(a.body["result"], "2026-11-02T09:00:00+03:00");
    let a = call(&e, "tasks.task.field.list", json!({}));
    assert_eq!(
        (a.status, a.body["error"].clone()),
        (404, json!("ERROR_METHOD_NOT_FOUND"))
    );
}
