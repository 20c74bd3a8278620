//! REST 3.0 answers rebuilt as the v2 server would have written them.

use serde_json::{Map, Value};

use super::convert;
use super::select::{Render, Shape};
use crate::rules::Entity;

/// One v3 item as a v2 entity object, keys in the entity's order.
pub fn entity(
    entity: &Entity,
    shape: &Shape,
    item: &Map<String, Value>,
    caller: Option<u64>,
) -> Value {
    // Sized up front: growing an ordered map rehashes and moves every key already in it.
    let mut out = Map::with_capacity(shape.fields.len());
    let row = shape.render == Render::Row;
    for &i in &shape.fields {
        let field = &entity.fields[i];
        out.insert(field.key.clone(), convert::to_v2(field, item, caller, row));
    }
    Value::Object(out)
}

/// Wraps a result under the rule's key (`{"task": …}`), or leaves it bare.
pub fn wrap(key: Option<&str>, value: Value) -> Value {
    match key {
        Some(k) => {
            let mut m = Map::new();
            m.insert(k.to_owned(), value);
            Value::Object(m)
        }
        None => value,
    }
}

/// The v2 success envelope, keys in the server's order: result, next, total, time.
pub fn envelope(result: Value, next: Option<u64>, total: Option<u64>, time: Value) -> Value {
    let mut m = Map::new();
    m.insert("result".into(), result);
    if let Some(next) = next {
        m.insert("next".into(), Value::from(next));
    }
    if let Some(total) = total {
        m.insert("total".into(), Value::from(total));
    }
    m.insert("time".into(), time);
    Value::Object(m)
}

/// One `time` block for a v2 answer served by several v3 calls: the span from the first
/// call's start to the last call's finish, processing summed, limits from the last call.
pub fn merge_times(times: &[Value]) -> Value {
    let blocks: Vec<&Map<String, Value>> = times.iter().filter_map(Value::as_object).collect();
    let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
        return Value::Null;
    };
    if blocks.len() == 1 {
        return Value::Object((*first).clone());
    }
    let num = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_f64);
    let mut out = (*last).clone();
    for key in ["start", "date_start"] {
        if let Some(v) = first.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let (Some(start), Some(finish)) = (num(first, "start"), num(last, "finish")) {
        out.insert("duration".into(), float(finish - start));
    }
    let processing: f64 = blocks.iter().filter_map(|b| num(b, "processing")).sum();
    if out.contains_key("processing") {
        out.insert("processing".into(), float(processing));
    }
    Value::Object(out)
}

fn float(x: f64) -> Value {
    let rounded = (x * 1e6).round() / 1e6;
    serde_json::Number::from_f64(rounded)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}
