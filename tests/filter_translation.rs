//! Where `>=ID` becomes `["id", ">=", …]`: v2 filters against the REST 3.0 grammar, under
//! the built-in tasks rules (REST 3.0 filters tasks by `id` only).

use b24bridge::config::{Config, RawConfig};
use b24bridge::rules::MethodRoute;
use b24bridge::translate::filter::{translate, FilterOptions};
use serde_json::{json, Value};

fn task_entity() -> std::sync::Arc<b24bridge::rules::Entity> {
    let mut raw = RawConfig::builtin().unwrap();
    raw.upstream = Some("http://127.0.0.1:1".into());
    let config = Config::validate(&raw).unwrap();
    match config.rules.route("tasks.task.list") {
        Some(MethodRoute::V3(rule)) => rule.entity.clone(),
        other => panic!("tasks.task.list has no v3 rule: {other:?}"),
    }
}

#[test]
fn v2_filters_that_rest3_can_express_translate_exactly() {
    let entity = task_entity();
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "no prefix is equality",
            json!({"ID": 5}),
            json!([["id", "=", 5]]),
        ),
        ("= prefix", json!({"=ID": "5"}), json!([["id", "=", 5]])),
        (
            "form strings become integers",
            json!({">=ID": "10", "<ID": "20"}),
            json!([["id", ">=", 10], ["id", "<", 20]]),
        ),
        (
            "greater and less",
            json!({">ID": 1, "<=ID": 9}),
            json!([["id", ">", 1], ["id", "<=", 9]]),
        ),
        (
            "! is not equal",
            json!({"!ID": 3}),
            json!([["id", "!=", 3]]),
        ),
        (
            "!= is not equal",
            json!({"!=ID": 3}),
            json!([["id", "!=", 3]]),
        ),
        (
            "array value is IN",
            json!({"ID": [1, "2", 3]}),
            json!([["id", "in", [1, 2, 3]]]),
        ),
        (
            "@ is IN",
            json!({"@ID": [4, 5]}),
            json!([["id", "in", [4, 5]]]),
        ),
        (
            "PHP list object is IN",
            json!({"@ID": {"0": "4", "1": "5"}}),
            json!([["id", "in", [4, 5]]]),
        ),
        (
            "!@ is a chain of inequalities",
            json!({"!@ID": [4, 5]}),
            json!([["id", "!=", 4], ["id", "!=", 5]]),
        ),
        (
            "! with array is NOT IN",
            json!({"!ID": [4, 5]}),
            json!([["id", "!=", 4], ["id", "!=", 5]]),
        ),
        (
            "between",
            json!({"><ID": [10, 20]}),
            json!([["id", "between", [10, 20]]]),
        ),
        (
            "not between is an OR of outside bounds",
            json!({"!><ID": [10, 20]}),
            json!([{"logic": "or", "conditions": [["id", "<", 10], ["id", ">", 20]]}]),
        ),
        (
            "field names are case-insensitive",
            json!({">=id": 7}),
            json!([["id", ">=", 7]]),
        ),
        (
            "an OR group",
            json!({"0": {"logic": "OR", "0": {"ID": 1}, "1": {">ID": 100}}}),
            json!([{"logic": "or", "conditions": [["id", "=", 1], ["id", ">", 100]]}]),
        ),
        (
            "an OR group as PHP decodes filter[0][logic]=OR (a list)",
            json!([{"logic": "or", "0": {"ID": "1"}, "1": {"ID": "2"}}]),
            json!([{"logic": "or", "conditions": [["id", "=", 1], ["id", "=", 2]]}]),
        ),
        (
            "logic at the root",
            json!({"logic": "OR", "ID": 1, ">ID": 50}),
            json!([{"logic": "or", "conditions": [["id", "=", 1], ["id", ">", 50]]}]),
        ),
        (
            "an AND group inside AND is flattened",
            json!({"0": {"logic": "AND", ">ID": 1, "<ID": 9}, "!ID": 5}),
            json!([["id", ">", 1], ["id", "<", 9], ["id", "!=", 5]]),
        ),
        (
            "nested OR inside OR",
            json!({"0": {"logic": "OR", "0": {"ID": 1}, "1": {"logic": "OR", "0": {"ID": 2}, "1": {"ID": 3}}}}),
            json!([{"logic": "or", "conditions": [["id", "=", 1], {"logic": "or", "conditions": [["id", "=", 2], ["id", "=", 3]]}]}]),
        ),
        ("an empty filter", json!({}), json!([])),
        (
            "an empty string filter (form `filter=`)",
            json!(""),
            json!([]),
        ),
    ];
    for (what, v2, v3) in cases {
        let got = translate(&v2, &entity, FilterOptions::default());
        assert_eq!(got, Ok(v3.as_array().unwrap().clone()), "{what}: {v2}");
    }
}

#[test]
fn v2_filters_rest3_cannot_express_are_refused_not_approximated() {
    let entity = task_entity();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "LIKE substring on a field v3 cannot filter",
            json!({"%TITLE": "report"}),
            "cannot filter on TITLE",
        ),
        ("LIKE on a filterable field", json!({"%ID": "1"}), "LIKE"),
        ("LIKE with pattern", json!({"=%ID": "1%"}), "LIKE"),
        (
            "LIKE with pattern, other spelling",
            json!({"%=ID": "1%"}),
            "LIKE",
        ),
        ("NOT LIKE", json!({"!%ID": "1"}), "LIKE"),
        ("NOT LIKE with pattern", json!({"!=%ID": "1%"}), "LIKE"),
        ("null test", json!({"?ID": ""}), "null"),
        ("equals-or-null", json!({"+ID": 1}), "null"),
        (
            "a field v3 cannot filter on",
            json!({"RESPONSIBLE_ID": 1}),
            "cannot filter on RESPONSIBLE_ID",
        ),
        ("status", json!({"REAL_STATUS": 2}), "REAL_STATUS"),
        ("a field unknown to REST 3.0", json!({"TAG": "x"}), "TAG"),
        (
            "the favourites subfilter",
            json!({"::SUBFILTER-PARAMS": {"FAVORITE": "Y"}}),
            "SUBFILTER",
        ),
        ("a value that is not an id", json!({"ID": "abc"}), "integer"),
        (
            "an empty comparison (is-filled test)",
            json!({"!=ID": ""}),
            "integer",
        ),
        ("an empty IN list", json!({"@ID": []}), "empty list"),
        ("between with one bound", json!({"><ID": [1]}), "two bounds"),
        ("unknown logic", json!({"logic": "XOR", "ID": 1}), "logic"),
        (
            "an OR member with two conditions needs an AND group",
            json!({"0": {"logic": "OR", "0": {">ID": 1, "<ID": 5}, "1": {"ID": 9}}}),
            "AND",
        ),
        (
            "one untranslatable member spoils the group",
            json!({"0": {"logic": "OR", "0": {"ID": 1}, "1": {"%ID": "x"}}}),
            "LIKE",
        ),
        ("a scalar filter", json!(5), "object"),
    ];
    for (what, v2, needle) in cases {
        match translate(&v2, &entity, FilterOptions::default()) {
            Ok(v3) => panic!("{what}: {v2} must be refused, got {v3:?}"),
            Err(why) => assert!(
                why.0.contains(needle),
                "{what}: reason {:?} lacks {needle:?}",
                why.0
            ),
        }
    }
}

#[test]
fn sdk_and_groups_are_used_only_when_allowed() {
    let entity = task_entity();
    let v2 = json!({"0": {"logic": "OR", "0": {">ID": 1, "<ID": 5}, "1": {"ID": 9}}});
    let got = translate(&v2, &entity, FilterOptions { and_groups: true }).unwrap();
    assert_eq!(
        Value::Array(got),
        json!([{"logic": "or", "conditions": [
            {"logic": "and", "conditions": [["id", ">", 1], ["id", "<", 5]]},
            ["id", "=", 9]
        ]}])
    );
}
