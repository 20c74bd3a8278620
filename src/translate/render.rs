//! REST 3.0 answers rebuilt as the v2 server would have written them.
//!
//! Two renderers with one set of rules: [`write_entity`] reads a row as the text the
//! portal sent and writes v2's bytes in one pass, which is what the bridge serves;
//! [`entity`] builds the same answer as a JSON value, from a value. Scalars (texts, dates,
//! numbers, flags, codes) are written straight from the row's text; structured converters
//! (users, groups, flag maps, lists) parse only their own small value and share the
//! value renderer's converter, so both renderers say the same by construction. Tests
//! compare their bytes over every row of the differential corpus.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::convert;
use super::reply::{Fields, Row};
use super::select::{Render, Shape};
use crate::php_json;
use crate::rules::{Converter, Entity, Field, JsonStyle};

/// A v2 value already written as v2 bytes (PHP's escaping, the rules' style).
#[derive(Debug, Clone, PartialEq)]
pub struct V2Json(Vec<u8>);

impl V2Json {
    /// A value as v2 writes it.
    pub fn of(value: &Value, style: JsonStyle) -> V2Json {
        V2Json(php_json::to_vec(value, style))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Reads the bytes back (a `$result` reference, a shadow comparison).
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.0).unwrap_or(Value::Null)
    }
}

/// One row as a v2 entity, wrapped under the rule's key (`{"task": …}`) or bare.
pub fn entity_json(
    wrap: Option<&str>,
    entity: &Entity,
    shape: &Shape,
    row: Option<&Row>,
    caller: Option<u64>,
    style: JsonStyle,
) -> V2Json {
    let mut out = Vec::with_capacity(row.map_or(64, |r| r.weight() + r.weight() / 4));
    let fields = row.map(Row::fields);
    wrapped(&mut out, wrap, style, |out| match &fields {
        Some(fields) => write_entity(out, entity, shape, fields, caller, style),
        None => write_entity(out, entity, shape, &Fields::of("{}"), caller, style),
    });
    V2Json(out)
}

/// Rows as a v2 list of entities, wrapped under the rule's key (`{"tasks": […]}`) or bare.
pub fn rows_json(
    wrap: Option<&str>,
    entity: &Entity,
    shape: &Shape,
    rows: &[Row],
    caller: Option<u64>,
    style: JsonStyle,
) -> V2Json {
    let weight: usize = rows.iter().map(Row::weight).sum();
    let mut out = Vec::with_capacity(weight + weight / 4 + 32);
    wrapped(&mut out, wrap, style, |out| {
        out.push(b'[');
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_entity(out, entity, shape, &row.fields(), caller, style);
        }
        out.push(b']');
    });
    V2Json(out)
}

fn wrapped(
    out: &mut Vec<u8>,
    wrap: Option<&str>,
    style: JsonStyle,
    inner: impl FnOnce(&mut Vec<u8>),
) {
    match wrap {
        Some(key) => {
            out.push(b'{');
            php_json::write_str(out, key, style);
            out.push(b':');
            inner(out);
            out.push(b'}');
        }
        None => inner(out),
    }
}

/// Writes one row's fields as a v2 entity object, keys in the entity's order.
pub fn write_entity(
    out: &mut Vec<u8>,
    entity: &Entity,
    shape: &Shape,
    fields: &Fields<'_>,
    caller: Option<u64>,
    style: JsonStyle,
) {
    if shape.fields.is_empty() {
        // PHP has no empty object.
        out.extend_from_slice(b"[]");
        return;
    }
    let row = shape.render == Render::Row;
    let mut hint = 0;
    out.push(b'{');
    for (n, &i) in shape.fields.iter().enumerate() {
        let field = &entity.fields[i];
        if n > 0 {
            out.push(b',');
        }
        php_json::write_str(out, &field.key, style);
        out.push(b':');
        let raw = field
            .v3
            .as_deref()
            .and_then(|path| raw_at(fields, path, &mut hint));
        write_field(out, field, raw, fields, caller, row, style);
    }
    out.push(b'}');
}

/// The raw value at a field's `v3` path (`rights.checklistAdd` reads into an object).
fn raw_at<'a>(fields: &Fields<'a>, path: &str, hint: &mut usize) -> Option<&'a RawValue> {
    let mut parts = path.split('.');
    let mut raw = fields.get_from(parts.next()?, hint)?;
    for part in parts {
        raw = Fields::of(raw.get()).get(part)?;
    }
    Some(raw)
}

fn write_field(
    out: &mut Vec<u8>,
    field: &Field,
    raw: Option<&RawValue>,
    fields: &Fields<'_>,
    caller: Option<u64>,
    row: bool,
    style: JsonStyle,
) {
    let text = raw.map_or("null", RawValue::get);
    let plain = text != "null" && field.v3_null.is_none();
    if plain {
        match &field.converter {
            Converter::Text | Converter::DateTime | Converter::Int | Converter::Bool => {
                return write_transcoded(out, text, style);
            }
            Converter::IntString if plain_integer(text) => {
                out.push(b'"');
                out.extend_from_slice(text.as_bytes());
                out.push(b'"');
                return;
            }
            Converter::YesNo if text == "true" || text == "false" => {
                out.extend_from_slice(if text == "true" { b"\"Y\"" } else { b"\"N\"" });
                return;
            }
            Converter::Enum { table, numeric } => {
                if let Some(code) = plain_string(text) {
                    match table.to_v2(code) {
                        Some(v2) if *numeric => match v2.parse::<i64>() {
                            Ok(n) => out.extend_from_slice(n.to_string().as_bytes()),
                            Err(_) => php_json::write_str(out, v2, style),
                        },
                        Some(v2) => php_json::write_str(out, v2, style),
                        None => write_transcoded(out, text, style),
                    }
                    return;
                }
            }
            _ => {}
        }
    }
    // Everything else parses its own value and goes through the value renderer's
    // converter: nulls and their stand-ins, constants, users, groups, lists, flag maps.
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let sibling = |name: &str| -> Option<Value> {
        fields
            .get(name)
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    };
    let v2 = convert::v2_of(field, &value, &sibling, caller, row);
    php_json::write_value(out, &v2, style);
}

/// The text of a JSON string that has no escapes, without its quotes.
fn plain_string(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then_some(inner)
}

/// True for an integer that reads and writes back as the same text (`-0` does not, nor
/// does one too large for 64 bits).
fn plain_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && text != "-0"
}

/// Writes a JSON value read from the portal's text as v2 writes it: strings re-escaped,
/// integers and literals as they are, anything else through a value.
fn write_transcoded(out: &mut Vec<u8>, text: &str, style: JsonStyle) {
    if let Some(inner) = plain_string(text) {
        return php_json::write_str(out, inner, style);
    }
    if text == "true" || text == "false" || text == "null" || plain_integer(text) {
        return out.extend_from_slice(text.as_bytes());
    }
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    php_json::write_value(out, &value, style);
}

/// The v2 success envelope as bytes, keys in the server's order: result, next, total, time.
pub fn envelope_json(
    result: &V2Json,
    next: Option<u64>,
    total: Option<u64>,
    time: &Value,
    style: JsonStyle,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(result.0.len() + 256);
    out.extend_from_slice(b"{\"result\":");
    out.extend_from_slice(&result.0);
    if let Some(next) = next {
        out.extend_from_slice(b",\"next\":");
        out.extend_from_slice(next.to_string().as_bytes());
    }
    if let Some(total) = total {
        out.extend_from_slice(b",\"total\":");
        out.extend_from_slice(total.to_string().as_bytes());
    }
    out.extend_from_slice(b",\"time\":");
    php_json::write_value(&mut out, time, style);
    out.push(b'}');
    out
}

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
