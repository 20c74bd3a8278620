//! Snapshots of the REST 3.0 requests representative v2 calls become.
//!
//! The expected requests live in `tests/snapshots/v3_requests.json`; a change in
//! translation shows up as a diff there. Run with `UPDATE_SNAPSHOTS=1` to accept one.

use b24bridge::config::{Config, RawConfig};
use b24bridge::decode::{decode_request, DecodeLimits};
use b24bridge::rules::MethodRoute;
use b24bridge::translate::{self, Context};
use serde_json::{json, Map, Value};

/// (name, v2 method, query string, JSON body)
const CALLS: &[(&str, &str, &str, &str)] = &[
    ("get by id (b24pysdk)", "tasks.task.get", "", r#"{"taskId": 1}"#),
    ("get with select (form)", "tasks.task.get", "taskId=412&select[]=ID&select[]=TITLE&select[]=RESPONSIBLE_ID&select[]=CREATED_BY", ""),
    ("get with select *", "tasks.task.get", "taskId=7&select[]=*", ""),
    ("list, first page (fast_bitrix24)", "tasks.task.list", "", r#"{"select":["ID","TITLE"],"filter":{"RESPONSIBLE_ID":1},"order":{"ID":"ASC"}}"#),
    ("list by id range, page 2", "tasks.task.list", "", r#"{"order":{"ID":"desc"},"filter":{">=ID":1000,"<ID":2000},"select":["ID","TITLE","STATUS","DEADLINE","RESPONSIBLE_ID"],"start":50}"#),
    ("list keyset paging (b24jssdk)", "tasks.task.list", "", r#"{"select":["ID","TITLE"],"order":{"ID":"ASC"},"filter":{">ID":50},"start":-1}"#),
    ("list with IN and OR", "tasks.task.list", "filter%5B%40ID%5D%5B%5D=1&filter%5B%40ID%5D%5B%5D=2&filter%5B0%5D%5Blogic%5D=OR&filter%5B0%5D%5B0%5D%5BID%5D=3&filter%5B0%5D%5B1%5D%5B%3E%3DID%5D=100&select%5B%5D=ID", ""),
    ("list ordered by status and deadline", "tasks.task.list", "order[REAL_STATUS]=asc&order[DEADLINE]=desc&select[]=ID", ""),
    ("add with defaults from the caller", "tasks.task.add", "", r#"{"fields":{"TITLE":"Call the supplier","RESPONSIBLE_ID":15,"DEADLINE":"2026-04-10T17:00:00+03:00","PRIORITY":2,"ACCOMPLICES":[22],"AUDITORS":["31"],"TASK_CONTROL":"Y","ALLOW_CHANGE_DEADLINE":"N","SE_PARAMETER":[{"CODE":3,"VALUE":"Y"}]}}"#),
    ("add with junk parameter (fast_bitrix24 batch)", "tasks.task.add", "__order=order0000000000&fields[TITLE]=Hello%20%26%20%5Bx%5D&fields[RESPONSIBLE_ID]=1", ""),
    ("update", "tasks.task.update", "", r#"{"taskId":1290,"fields":{"TITLE":"Call the supplier (2nd try)","PRIORITY":"0","START_DATE_PLAN":"2026-04-02T09:00:00+03:00","END_DATE_PLAN":"2026-04-02T18:00:00+03:00","ALLOW_TIME_TRACKING":"Y","AUDITORS":["31","40"]}}"#),
    ("delete", "tasks.task.delete", "taskId=1290", ""),
    ("result list", "tasks.task.result.list", "", r#"{"taskId":1290}"#),
];

fn rules() -> b24bridge::rules::RuleSet {
    let mut raw = RawConfig::builtin().unwrap();
    raw.upstream = Some("http://127.0.0.1:1".into());
    (*Config::validate(&raw).unwrap().rules).clone()
}

fn snapshot() -> Value {
    let rules = rules();
    let mut out = Map::new();
    for (name, method, query, body) in CALLS {
        let Some(MethodRoute::V3(rule)) = rules.route(method) else {
            panic!("{method} has no v3 rule");
        };
        let ct = (!body.is_empty()).then_some("application/json");
        let decoded =
            decode_request(Some(query), ct, body.as_bytes(), &DecodeLimits::default()).unwrap();
        let entry =
            match translate::plan(rule, &decoded.params, Context::for_rules(&rules, Some(7))) {
                Ok(plan) => Value::Array(
                    translate::answer::first_round(&rules, rule, plan, Some(7))
                        .into_iter()
                        .map(|call| json!({"method": call.method, "body": call.query}))
                        .collect(),
                ),
                Err(why) => json!({"fallback": why.0}),
            };
        out.insert((*name).to_owned(), entry);
    }
    Value::Object(out)
}

#[test]
fn v3_requests_match_the_snapshot() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/v3_requests.json"
    );
    let actual = snapshot();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("snapshot file exists"))
            .unwrap();
    for (name, requests) in actual.as_object().unwrap() {
        assert_eq!(
            Some(requests),
            expected.get(name),
            "snapshot of {name:?} differs"
        );
    }
    assert_eq!(
        actual.as_object().unwrap().len(),
        expected.as_object().unwrap().len()
    );
}
