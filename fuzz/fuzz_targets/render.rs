//! REST 3.0 task items rendered in the v2 shape. Input: a JSON object with an optional v2
//! `select` and either `item` (a get answer) or `items` (list rows); any other object is
//! taken as one item without `select`.
#![no_main]

use std::sync::{Arc, LazyLock};

use b24bridge::config::{Config, RawConfig};
use b24bridge::fuzzing::{render_entity, render_wrap, select_names, shape, Render};
use b24bridge::rules::{MethodRoute, MethodRule};
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

fn render(items: &[&Map<String, Value>], select: Option<&Value>, how: Render) {
    let Ok(names) = select_names(select) else {
        return;
    };
    let Ok((shape, _v3_select)) = shape(&RULE.entity, &names, how) else {
        return;
    };
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
        let _ = render_wrap(Some("task"), first);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let select = input.get("select");
    match (input.get("item"), input.get("items")) {
        (Some(Value::Object(item)), _) => render(&[item], select, Render::Single),
        (_, Some(Value::Array(rows))) => {
            let rows: Vec<&Map<String, Value>> = rows.iter().filter_map(Value::as_object).collect();
            render(&rows, select, Render::Row);
        }
        _ => render(&[&input], None, Render::Single),
    }
});
