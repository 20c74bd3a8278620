//! The answer stage, stepped against a table of tasks answered as REST 3.0 would.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::*;
use crate::rules::{MethodRoute, RuleSet};
use crate::translate::{plan, Context};

fn rules() -> RuleSet {
    let raw = crate::config::RawConfig::builtin().expect("built-in rules parse");
    RuleSet::validate(&raw.rules()).expect("built-in rules are valid")
}

fn rule<'r>(rules: &'r RuleSet, method: &str) -> &'r MethodRule {
    match rules.route(method) {
        Some(MethodRoute::V3(rule)) => rule,
        other => panic!("{method} has no v3 rule: {other:?}"),
    }
}

fn params(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn plan_of(rules: &RuleSet, method: &str, p: Value) -> Plan {
    plan(
        rule(rules, method),
        &params(p),
        Context::for_rules(rules, Some(1)),
    )
    .expect("plans")
}

/// Tasks 1..=n, answered as REST 3.0 answers `tasks.task.list` and `tasks.task.get`
/// (filter on `id`, order by `id`, `pagination`); counts the calls it answers.
struct Table {
    n: i64,
    calls: usize,
}

impl Table {
    fn answer(&mut self, call: &V3Call) -> CallReply {
        self.calls += 1;
        let q = &call.query;
        match call.method.as_str() {
            "tasks.task.get" => {
                let id = q["id"].as_i64().unwrap_or(0);
                if (1..=self.n).contains(&id) {
                    CallReply::ok(json!({"item": {"id": id, "title": format!("T{id}")}}))
                } else {
                    CallReply::Err {
                        status: 400,
                        body: json!({"error": {"code": "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION", "message": "not found"}}),
                    }
                }
            }
            "tasks.task.list" => {
                let mut ids: Vec<i64> = (1..=self.n).collect();
                for c in q
                    .get("filter")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let c = c.as_array().unwrap();
                    let (op, v) = (c[1].as_str().unwrap(), c[2].as_i64().unwrap());
                    ids.retain(|&id| match op {
                        ">" => id > v,
                        ">=" => id >= v,
                        "<" => id < v,
                        "<=" => id <= v,
                        _ => true,
                    });
                }
                if q.get("order")
                    .and_then(|o| o.get("id"))
                    .and_then(Value::as_str)
                    == Some("DESC")
                {
                    ids.reverse();
                }
                let offset = q["pagination"]["offset"].as_u64().unwrap() as usize;
                let limit = q["pagination"]["limit"].as_u64().unwrap() as usize;
                let items: Vec<Value> = ids
                    .into_iter()
                    .skip(offset)
                    .take(limit)
                    .map(|id| json!({"id": id, "title": format!("T{id}")}))
                    .collect();
                CallReply::ok(json!({"items": items}))
            }
            "tasks.task.add" => {
                self.n += 1;
                CallReply::ok(json!({"item": {"id": self.n}}))
            }
            "tasks.task.update" | "tasks.task.delete" => CallReply::ok(json!({"result": true})),
            other => panic!("unexpected method {other}"),
        }
    }

    /// Steps a call to its answer, sending each round's calls in order (resolving round
    /// references as a portal resolves `$ref`); returns the answer, what was learned and
    /// the rounds taken.
    fn run(&mut self, mut a: Answering<'_>) -> (Answer, Vec<Learned>, usize) {
        let mut calls = a.first();
        let mut rounds = 0;
        while !calls.is_empty() {
            rounds += 1;
            let mut replies: Vec<CallReply> = Vec::new();
            for mut call in calls {
                resolve_round_refs(&mut call.query, &mut |i, path| match replies.get(i) {
                    Some(CallReply::Ok(r)) => result_at(r, path),
                    _ => None,
                });
                replies.push(self.answer(&call));
            }
            calls = a.next(replies);
        }
        let (answer, learned) = a.into_outcome();
        (answer, learned, rounds)
    }
}

fn reading(rows: u64) -> Reading {
    Reading { read_ahead: rows }
}

fn ok_parts(answer: &Answer) -> (Value, Option<u64>, Option<u64>) {
    match answer {
        Answer::Ok {
            result,
            next,
            total,
        } => (result.to_value(), *next, *total),
        other => panic!("not a success: {other:?}"),
    }
}

fn ids(result: &Value) -> Vec<String> {
    result["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_get_is_one_call_and_a_missing_task_is_an_empty_result() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.get");
    let mut table = Table { n: 10, calls: 0 };
    let a = Answering::new(
        &rules,
        r,
        plan_of(&rules, "tasks.task.get", json!({"taskId": 3})),
        Some(1),
        &Known::default(),
        reading(0),
    );
    let (answer, learned, rounds) = table.run(a);
    assert_eq!((rounds, table.calls), (1, 1));
    assert_eq!(ok_parts(&answer).0["task"]["id"], "3");
    assert!(learned.is_empty());

    let a = Answering::new(
        &rules,
        r,
        plan_of(&rules, "tasks.task.get", json!({"taskId": 99})),
        Some(1),
        &Known::default(),
        reading(0),
    );
    let (answer, _, _) = table.run(a);
    assert_eq!(ok_parts(&answer).0, json!([]));
}

#[test]
fn a_first_page_with_total_is_one_round_and_teaches_the_count_and_a_window() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.list");
    for n in [0, 10, 50, 51, 1000, 5000, 20_000] {
        let mut table = Table { n, calls: 0 };
        let p = plan_of(&rules, "tasks.task.list", json!({"order": {"ID": "asc"}}));
        let a = Answering::new(&rules, r, p, Some(1), &Known::default(), reading(1000));
        let (answer, learned, rounds) = table.run(a);
        assert_eq!(rounds, 1, "n = {n}");
        let (result, next, total) = ok_parts(&answer);
        assert_eq!(total, Some(n as u64), "n = {n}");
        assert_eq!(next, (n > 50).then_some(50), "n = {n}");
        assert_eq!(ids(&result).len(), n.min(50) as usize);
        assert!(learned.contains(&Learned::Total(n as u64)), "{learned:?}");
        assert!(learned
            .iter()
            .any(|l| matches!(l, Learned::Window(w) if w.rows.len() == n.min(1000) as usize)));
    }
}

#[test]
fn a_large_count_takes_a_few_more_rounds() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.list");
    let mut table = Table {
        n: 123_456,
        calls: 0,
    };
    let p = plan_of(&rules, "tasks.task.list", json!({"order": {"ID": "asc"}}));
    let a = Answering::new(&rules, r, p, Some(1), &Known::default(), reading(1000));
    let (answer, _, rounds) = table.run(a);
    assert_eq!(ok_parts(&answer).2, Some(123_456));
    assert!((2..=4).contains(&rounds), "{rounds} rounds");
}

#[test]
fn later_pages_are_answered_from_a_window_and_a_remembered_total() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.list");
    let mut table = Table { n: 5000, calls: 0 };
    let p = plan_of(&rules, "tasks.task.list", json!({"order": {"ID": "asc"}}));
    let (_, learned, _) = table.run(Answering::new(
        &rules,
        r,
        p,
        Some(1),
        &Known::default(),
        reading(1000),
    ));
    let window = learned.iter().find_map(|l| match l {
        Learned::Window(w) => Some(Arc::new(w.clone())),
        _ => None,
    });
    let known = Known {
        total: Some(5000),
        window,
    };
    let before = table.calls;
    let p = plan_of(
        &rules,
        "tasks.task.list",
        json!({"order": {"ID": "asc"}, "start": 900}),
    );
    let (answer, _, rounds) =
        table.run(Answering::new(&rules, r, p, Some(1), &known, reading(1000)));
    assert_eq!((rounds, table.calls - before), (0, 0), "served from memory");
    let (result, next, total) = ok_parts(&answer);
    assert_eq!(ids(&result).first().map(String::as_str), Some("901"));
    assert_eq!((next, total), (Some(950), Some(5000)));
    // A page past the window's end is read, with the next cell.
    let p = plan_of(
        &rules,
        "tasks.task.list",
        json!({"order": {"ID": "asc"}, "start": 1000}),
    );
    let (answer, _, rounds) =
        table.run(Answering::new(&rules, r, p, Some(1), &known, reading(1000)));
    assert_eq!(rounds, 1);
    assert_eq!(
        ids(&ok_parts(&answer).0).first().map(String::as_str),
        Some("1001")
    );
}

#[test]
fn a_start_between_pages_rounds_down_to_its_page() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.list");
    let mut table = Table { n: 200, calls: 0 };
    let p = plan_of(
        &rules,
        "tasks.task.list",
        json!({"order": {"ID": "asc"}, "start": 75}),
    );
    let (answer, _, _) = table.run(Answering::new(
        &rules,
        r,
        p,
        Some(1),
        &Known::default(),
        reading(0),
    ));
    let (result, next, total) = ok_parts(&answer);
    assert_eq!(ids(&result).first().map(String::as_str), Some("51"));
    assert_eq!((next, total), (Some(100), Some(200)));
}

#[test]
fn a_page_past_the_end_still_counts_what_lies_before_it() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.list");
    let mut table = Table { n: 120, calls: 0 };
    let p = plan_of(&rules, "tasks.task.list", json!({"start": 5000}));
    let (answer, _, rounds) = table.run(Answering::new(
        &rules,
        r,
        p,
        Some(1),
        &Known::default(),
        reading(1000),
    ));
    let (result, next, total) = ok_parts(&answer);
    assert!(ids(&result).is_empty());
    assert_eq!((next, total), (None, Some(120)));
    assert!(rounds >= 2);
}

#[test]
fn keyset_pages_need_no_count_and_continue_from_a_window() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.list");
    let mut table = Table { n: 5000, calls: 0 };
    let page = |after: i64| {
        plan_of(
            &rules,
            "tasks.task.list",
            json!({"order": {"ID": "ASC"}, "filter": {">ID": after}, "start": -1}),
        )
    };
    let (answer, learned, rounds) = table.run(Answering::new(
        &rules,
        r,
        page(0),
        Some(1),
        &Known::default(),
        reading(1000),
    ));
    assert_eq!(rounds, 1);
    let (result, next, total) = ok_parts(&answer);
    assert_eq!(ids(&result).len(), 50);
    assert_eq!((next, total), (None, Some(0)));
    let window = learned.into_iter().find_map(|l| match l {
        Learned::Window(w) => Some(Arc::new(w)),
        _ => None,
    });
    assert_eq!(table.calls, 1, "no counting for start=-1");
    // The next keyset pages come from the window until it runs out.
    let known = Known {
        total: None,
        window,
    };
    let (answer, _, rounds) = table.run(Answering::new(
        &rules,
        r,
        page(50),
        Some(1),
        &known,
        reading(1000),
    ));
    assert_eq!(rounds, 0);
    assert_eq!(
        ids(&ok_parts(&answer).0).first().map(String::as_str),
        Some("51")
    );
    let (_, _, rounds) = table.run(Answering::new(
        &rules,
        r,
        page(980),
        Some(1),
        &known,
        reading(1000),
    ));
    assert_eq!(rounds, 1, "beyond the window");
    // The window's key does not depend on the bound.
    let keys = |after| Answering::keys(r, &page(after)).unwrap();
    assert_eq!(keys(0).window, keys(950).window);
    assert_ne!(keys(0).count, keys(950).count);
}

#[test]
fn without_read_ahead_a_page_reads_one_row_more_than_it_shows() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.list");
    let p = plan_of(&rules, "tasks.task.list", json!({"start": 50}));
    let calls = Answering::new(
        &rules,
        r,
        p,
        Some(1),
        &Known {
            total: Some(10),
            window: None,
        },
        reading(0),
    )
    .first();
    assert_eq!(calls.len(), 1, "the total is known: no counting");
    assert_eq!(
        calls[0].query["pagination"],
        json!({"offset": 50, "limit": 51})
    );
}

#[test]
fn an_add_is_the_write_and_its_reread_referring_to_it() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.add");
    let p = plan_of(
        &rules,
        "tasks.task.add",
        json!({"fields": {"TITLE": "x", "RESPONSIBLE_ID": 1}}),
    );
    assert!(add_fingerprint(r, &p).is_some());
    let mut a = Answering::new(&rules, r, p, Some(1), &Known::default(), reading(0));
    let calls = a.first();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].write && !calls[1].write);
    assert_eq!(calls[1].query["id"], round_ref(0, "id"));
    let mut table = Table { n: 10, calls: 0 };
    let (answer, learned, rounds) = table.run(Answering::new(
        &rules,
        r,
        plan_of(
            &rules,
            "tasks.task.add",
            json!({"fields": {"TITLE": "x", "RESPONSIBLE_ID": 1}}),
        ),
        Some(1),
        &Known::default(),
        reading(0),
    ));
    assert_eq!(rounds, 1);
    assert_eq!(ok_parts(&answer).0["task"]["id"], "11");
    assert_eq!(learned, vec![Learned::Forget("task".into())]);
}

#[test]
fn an_update_rereads_its_task_and_a_delete_answers_v2s_result() {
    let rules = rules();
    let mut table = Table { n: 10, calls: 0 };
    let r = rule(&rules, "tasks.task.update");
    let p = plan_of(
        &rules,
        "tasks.task.update",
        json!({"taskId": 4, "fields": {"TITLE": "y"}}),
    );
    let (answer, learned, _) = table.run(Answering::new(
        &rules,
        r,
        p,
        Some(1),
        &Known::default(),
        reading(0),
    ));
    assert_eq!(ok_parts(&answer).0["task"]["id"], "4");
    assert_eq!(table.calls, 2);
    assert_eq!(learned, vec![Learned::Forget("task".into())]);
    let r = rule(&rules, "tasks.task.delete");
    let p = plan_of(&rules, "tasks.task.delete", json!({"taskId": 4}));
    let (answer, _, _) = table.run(Answering::new(
        &rules,
        r,
        p,
        Some(1),
        &Known::default(),
        reading(0),
    ));
    assert_eq!(ok_parts(&answer).0, json!({"task": true}));
}

#[test]
fn a_write_the_portal_refuses_is_v2s_error_and_forgets() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.update");
    let p = plan_of(
        &rules,
        "tasks.task.update",
        json!({"taskId": 4, "fields": {"TITLE": "y"}}),
    );
    let mut a = Answering::new(&rules, r, p, Some(1), &Known::default(), reading(0));
    let _ = a.first();
    let denied = json!({"error": {"code": "BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION", "message": "Access denied"}});
    assert!(a
        .next(vec![
            CallReply::Err {
                status: 403,
                body: denied
            },
            CallReply::NotRun
        ])
        .is_empty());
    let (answer, learned) = a.into_outcome();
    assert_eq!(
        answer,
        Answer::Error {
            status: 400,
            code: "0".into(),
            description: "Action on the task is not allowed (internal error)".into()
        }
    );
    assert_eq!(learned, vec![Learned::Forget("task".into())]);
}

#[test]
fn a_method_that_answers_every_row_reads_until_a_short_page() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.result.list");
    let p = plan_of(&rules, "tasks.task.result.list", json!({"taskId": 5}));
    let mut a = Answering::new(&rules, r, p, Some(1), &Known::default(), reading(1000));
    let first = a.first();
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].query["pagination"],
        json!({"offset": 0, "limit": 1000})
    );
    let full: Vec<Value> = (0..1000).map(|i| json!({"id": i})).collect();
    let second = a.next(vec![CallReply::ok(json!({"items": full}))]);
    assert_eq!(
        second[0].query["pagination"],
        json!({"offset": 1000, "limit": 1000})
    );
    assert!(a
        .next(vec![CallReply::ok(json!({"items": [{"id": 1000}]}))])
        .is_empty());
    let (answer, _) = a.into_outcome();
    assert_eq!(ok_parts(&answer).0.as_array().unwrap().len(), 1001);
}

#[test]
fn a_malformed_call_is_answered_without_any_call() {
    let rules = rules();
    let r = rule(&rules, "tasks.task.get");
    let p = plan_of(&rules, "tasks.task.get", json!({"taskId": "abc"}));
    let mut a = Answering::new(&rules, r, p, Some(1), &Known::default(), reading(0));
    assert!(a.first().is_empty());
    assert!(matches!(a.answer(), Some(Answer::Error { code, .. }) if code == "0"));
}

#[test]
fn adds_that_ran_are_found_among_new_rows_in_order() {
    let f = |title: &str| params(json!({"title": title, "responsibleId": 1}));
    let rows = vec![
        json!({"id": 20, "title": "a", "responsibleId": 1}),
        json!({"id": 21, "title": "other writer", "responsibleId": 3}),
        json!({"id": 22, "title": "b", "responsibleId": 1}),
    ];
    assert_eq!(
        committed_adds(&[f("a"), f("b"), f("c")], &rows),
        vec![20, 22]
    );
    assert_eq!(committed_adds(&[f("b"), f("a")], &rows), vec![22]);
    assert!(committed_adds(&[f("z")], &rows).is_empty());
}
