//! REST 3.0 task items rendered in the v2 shape, by both renderers. Input: a JSON object
//! with an optional v2 `select` and either `item` (a get answer) or `items` (list rows);
//! any other object is taken as one item without `select`. The same text is read as the
//! portal's `result` by the one-pass renderer (rows kept as text) and as a value by the
//! value renderer: their bytes must be equal.
#![no_main]

use std::sync::{Arc, LazyLock};

use b24bridge::config::{Config, RawConfig};
use b24bridge::fuzzing::{has_duplicate_keys, render_entity, render_wrap, select_names, shape, Render};
use b24bridge::rules::{JsonStyle, MethodRoute, MethodRule};
use b24bridge::translate::render::{entity_json, rows_json, V2Json};
use b24bridge::translate::reply::V3Body;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// The built-in `tasks.task.list` rule, loaded as the server loads it.
static RULE: LazyLock<Arc<MethodRule>> = LazyLock::new(|| {
    let mut raw = RawConfig::builtin().expect("built-in rules");
    raw.upstream = Some("http://127.0.0.1:1".into());
    let config = Config::validate(&raw).expect("built-in config");
    match config.rules.route("tasks.task.list") {
        Some(MethodRoute::V3(rule)) => rule.clone(),
        _ => panic!("tasks.task.list has no v3 rule"),
    }
});

const STYLE: JsonStyle = JsonStyle {
    escape_unicode: true,
    escape_slashes: true,
};

/// `page`: the same input as the portal's answer, for the one-pass renderer.
fn render(page: &[u8], items: &[&Map<String, Value>], select: Option<&Value>, how: Render) {
    let Ok(names) = select_names(select) else {
        return;
    };
    let Ok((shape, _v3_select)) = shape(&RULE.entity, &names, how) else {
        return;
    };
    let mut by_value = Vec::new();
    for item in items {
        let first = render_entity(&RULE.entity, &shape, item, Some(7));
        assert_eq!(first, render_entity(&RULE.entity, &shape, item, Some(7)));
        let Value::Object(out) = &first else {
            panic!("an entity renders as an object: {first}");
        };
        assert!(
            out.len() <= shape.fields.len(),
            "more keys than the shape has"
        );
        by_value.push(first);
    }
    // The one-pass renderer reads the input's own text as the portal's result. A key
    // written twice is read at its first place there and at its last by a value: the
    // portal never writes one twice, so such inputs are not compared.
    if has_duplicate_keys(page) {
        return;
    }
    let Some(result) = V3Body::parse(page).and_then(|b| b.result).map(|r| r.into_one()) else {
        panic!("the one-pass reader refused what the value reader took");
    };
    let (value, one_pass) = match how {
        Render::Single => {
            let Some(value) = by_value.into_iter().next() else { return };
            let row = result.item.as_ref();
            assert!(row.is_some(), "the item was lost");
            (render_wrap(Some("task"), value), entity_json(Some("task"), &RULE.entity, &shape, row, Some(7), STYLE))
        }
        Render::Row => (
            render_wrap(Some("tasks"), Value::Array(by_value)),
            rows_json(Some("tasks"), &RULE.entity, &shape, result.rows(), Some(7), STYLE),
        ),
    };
    assert_eq!(
        String::from_utf8_lossy(V2Json::of(&value, STYLE).bytes()),
        String::from_utf8_lossy(one_pass.bytes()),
        "the renderers differ"
    );
}

/// `{"result": <prefix> data <suffix>}`.
fn page(prefix: &[u8], data: &[u8], suffix: &[u8]) -> Vec<u8> {
    [b"{\"result\":".as_slice(), prefix, data, suffix, b"}"].concat()
}

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let select = input.get("select");
    match (input.get("item"), input.get("items")) {
        (Some(Value::Object(item)), _) => {
            render(&page(b"", data, b""), &[item], select, Render::Single)
        }
        (_, Some(Value::Array(rows))) if rows.iter().all(Value::is_object) => {
            let rows: Vec<&Map<String, Value>> = rows.iter().filter_map(Value::as_object).collect();
            render(&page(b"", data, b""), &rows, select, Render::Row);
        }
        (Some(_), _) | (_, Some(_)) => {}
        _ => render(&page(b"{\"item\":", data, b"}"), &[&input], None, Render::Single),
    }
});
