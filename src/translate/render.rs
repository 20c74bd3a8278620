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
use crate::rules::{Converter, Entity, Field, JsonStyle, LayoutSource};

/// A v2 value already written as v2 bytes (PHP's escaping, the rules' style).
///
/// The bytes follow the head of v2's envelope, `{"result":`, so that the envelope is
/// finished in the same buffer ([`envelope_json`]) instead of copying a 75 KB page once
/// more.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Json(Vec<u8>);

const ENVELOPE_HEAD: &[u8] = b"{\"result\":";

impl V2Json {
    /// A value as v2 writes it.
    pub fn of(value: &Value, style: JsonStyle) -> V2Json {
        let mut out = V2Json::buffer(256);
        php_json::write_value(&mut out, value, style);
        V2Json(out)
    }

    /// An empty answer's buffer, with room for `capacity` bytes after the envelope's head.
    fn buffer(capacity: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENVELOPE_HEAD.len() + capacity);
        out.extend_from_slice(ENVELOPE_HEAD);
        out
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0[ENVELOPE_HEAD.len()..]
    }

    /// Reads the bytes back (a `$result` reference, a shadow comparison).
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(self.bytes()).unwrap_or(Value::Null)
    }
}

/// Where each field of a shape lies in a page's rows. The portal writes every row of a
/// page with the same keys in the same order, so the places are found once, in the first
/// row, and each later row only has its keys checked against the first's.
struct Template {
    keys: Vec<String>,
    /// Per field of the shape: the place of its `v3` path's first part, if present.
    slots: Vec<Option<usize>>,
}

impl Template {
    fn of(entity: &Entity, shape: &Shape, first: &Fields<'_>) -> Template {
        let keys = (0..first.len())
            .filter_map(|at| first.key_at(at).map(str::to_owned))
            .collect();
        let slots = shape
            .fields
            .iter()
            .map(|&i| {
                let path = entity.fields[i].v3.as_deref()?;
                first.position(path.split('.').next().unwrap_or(path))
            })
            .collect();
        Template { keys, slots }
    }

    /// True when a row has exactly the first row's keys, in its order.
    fn fits(&self, fields: &Fields<'_>) -> bool {
        fields.len() == self.keys.len()
            && self
                .keys
                .iter()
                .enumerate()
                .all(|(at, key)| fields.key_at_is(at, key))
    }
}

/// The `"key":` prefix of each field of a shape, written once per answer rather than once
/// per row.
fn key_prefixes(entity: &Entity, shape: &Shape, style: JsonStyle) -> Vec<Vec<u8>> {
    shape
        .fields
        .iter()
        .map(|&i| {
            let mut key = Vec::with_capacity(entity.fields[i].key.len() + 3);
            write_key(&mut key, &entity.fields[i].key, style);
            key
        })
        .collect()
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
    let mut out = V2Json::buffer(row.map_or(64, |r| r.weight() + r.weight() / 4));
    let fields = row.map(Row::fields);
    let none = Fields::of("{}");
    // One row: its keys are written as they come, not prepared first.
    wrapped(&mut out, wrap, style, |out| {
        let fields = fields.as_ref().unwrap_or(&none);
        write_entity(out, entity, shape, &[], None, fields, caller, style)
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
    let mut out = V2Json::buffer(weight + weight / 4 + 32);
    let keys = key_prefixes(entity, shape, style);
    let template = rows
        .first()
        .map(|row| Template::of(entity, shape, &row.fields()));
    wrapped(&mut out, wrap, style, |out| {
        out.push(b'[');
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let fields = row.fields();
            let slots = template
                .as_ref()
                .filter(|t| t.fits(&fields))
                .map(|t| t.slots.as_slice());
            write_entity(out, entity, shape, &keys, slots, &fields, caller, style);
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

/// Writes one row's fields as a v2 entity object, keys in the entity's order; `keys` are
/// the shape's written key prefixes ([`key_prefixes`]), or empty to write them here.
#[allow(clippy::too_many_arguments)]
fn write_entity(
    out: &mut Vec<u8>,
    entity: &Entity,
    shape: &Shape,
    keys: &[Vec<u8>],
    slots: Option<&[Option<usize>]>,
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
        match keys.get(n) {
            Some(key) => out.extend_from_slice(key),
            None => write_key(out, &field.key, style),
        }
        let raw = field.v3.as_deref().and_then(|path| match slots {
            Some(slots) => {
                let top = fields.value_at(slots[n]?)?;
                match path.bytes().position(|b| b == b'.') {
                    None => Some(top),
                    Some(dot) => nested(top, &path[dot + 1..]),
                }
            }
            None => raw_at(fields, path, &mut hint),
        });
        write_field(out, field, raw, fields, caller, row, style);
    }
    out.push(b'}');
}

/// Writes `"key":`. Keys are mostly identifiers, which no style escapes: those are copied
/// without the escaper's byte-by-byte look (a single answer writes some 70).
fn write_key(out: &mut Vec<u8>, key: &str, style: JsonStyle) {
    if key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
    } else {
        php_json::write_str(out, key, style);
        out.push(b':');
    }
}

/// The raw value at a field's `v3` path (`rights.checklistAdd` reads into an object).
fn raw_at<'a>(fields: &Fields<'a>, path: &str, hint: &mut usize) -> Option<&'a str> {
    // Paths are short: a plain loop finds the dot sooner than a vectorised search.
    let Some(dot) = path.bytes().position(|b| b == b'.') else {
        return fields.get_from(path, hint);
    };
    nested(fields.get_from(&path[..dot], hint)?, &path[dot + 1..])
}

/// The raw value at a dotted path inside a raw object.
fn nested<'a>(mut raw: &'a str, path: &str) -> Option<&'a str> {
    for part in path.split('.') {
        raw = Fields::of(raw).get(part)?;
    }
    Some(raw)
}

fn write_field(
    out: &mut Vec<u8>,
    field: &Field,
    raw: Option<&str>,
    fields: &Fields<'_>,
    caller: Option<u64>,
    row: bool,
    style: JsonStyle,
) {
    let text = raw.unwrap_or("null");
    if field.v3_null.is_none() && text == "null" {
        // What v2 answers for an empty value: the rule's stand-in, or the converter's.
        let null_as = if row {
            field.row_null_as.as_ref().or(field.null_as.as_ref())
        } else {
            field.null_as.as_ref()
        };
        let written: &[u8] = match (&field.converter, null_as) {
            (_, Some(null_as)) => return php_json::write_value(out, null_as, style),
            (Converter::Constant(v), None) => return write_constant(out, v, caller, style),
            (
                Converter::IdList
                | Converter::IntList
                | Converter::TextList
                | Converter::UserMap { .. }
                | Converter::Group { .. },
                None,
            ) => b"[]",
            (Converter::MemberFlag, None) => b"\"N\"",
            (_, None) => b"null",
        };
        return out.extend_from_slice(written);
    }
    // Empty values were answered above, unless the rule names a v3 value that means empty.
    if field.v3_null.is_none() {
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
            Converter::Constant(v) => return write_constant(out, v, caller, style),
            Converter::BbcodeHtml => {
                if let Some(inner) = plain_string(text) {
                    return php_json::write_str(out, &super::bbcode::to_html(inner), style);
                }
            }
            Converter::IdList | Converter::IntList | Converter::MemberFlag
                if text.starts_with('[') =>
            {
                let mark = out.len();
                if write_id_list(out, text, &field.converter, caller) {
                    return;
                }
                out.truncate(mark);
            }
            Converter::User { layout } | Converter::Group { layout } if text.starts_with('{') => {
                let mark = out.len();
                if write_layout(out, &Fields::of(text), layout, style) {
                    return;
                }
                out.truncate(mark);
            }
            Converter::UserMap { layout } if text.starts_with('[') => {
                let mark = out.len();
                if write_user_map(out, text, layout, style) {
                    return;
                }
                out.truncate(mark);
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
            .and_then(|raw| serde_json::from_str(raw).ok())
    };
    let v2 = convert::v2_of(field, &value, &sibling, caller, row);
    php_json::write_value(out, &v2, style);
}

/// Writes a v2 object from a v3 object's fields, key by key. False (with part written,
/// for the caller to take back) where a value is unusual enough to need the value
/// renderer: a number that does not write back as its text, an id with escapes.
fn write_layout(
    out: &mut Vec<u8>,
    object: &Fields<'_>,
    layout: &[(String, LayoutSource)],
    style: JsonStyle,
) -> bool {
    if layout.is_empty() {
        out.extend_from_slice(b"[]");
        return true;
    }
    let mut hint = 0;
    out.push(b'{');
    for (n, (key, source)) in layout.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        php_json::write_str(out, key, style);
        out.push(b':');
        match source {
            LayoutSource::Literal(v) => php_json::write_value(out, v, style),
            LayoutSource::Pattern(pattern) => {
                let raw = object.get("id").unwrap_or("null");
                let id = if plain_integer(raw) {
                    raw
                } else if let Some(text) = plain_string(raw) {
                    text
                } else if raw.starts_with('"') || is_number(raw) {
                    return false;
                } else {
                    ""
                };
                php_json::write_str(out, &pattern.replace("{id}", id), style);
            }
            LayoutSource::Field {
                name,
                as_string,
                default,
            } => {
                let mut raw = object.get_from(name, &mut hint).unwrap_or("null");
                if raw.starts_with('{') {
                    raw = Fields::of(raw).get("src").unwrap_or("null");
                }
                match default {
                    Some(d) if raw == "null" => php_json::write_str(out, d, style),
                    _ if *as_string && is_number(raw) => {
                        if !plain_integer(raw) {
                            return false;
                        }
                        out.push(b'"');
                        out.extend_from_slice(raw.as_bytes());
                        out.push(b'"');
                    }
                    _ => write_transcoded(out, raw, style),
                }
            }
        }
    }
    out.push(b'}');
    true
}

/// Writes v3 user objects as v2's object keyed by user id (`[]` when none). False where
/// the value renderer must decide (ids written twice, or not as plain numbers).
fn write_user_map(
    out: &mut Vec<u8>,
    text: &str,
    layout: &[(String, LayoutSource)],
    style: JsonStyle,
) -> bool {
    let Ok(users) = serde_json::from_str::<Vec<&RawValue>>(text) else {
        return false;
    };
    let mut entries: Vec<(&str, Fields<'_>)> = Vec::with_capacity(users.len());
    for user in users {
        if !user.get().starts_with('{') {
            continue;
        }
        let fields = Fields::of(user.get());
        let Some(id) = fields.get("id") else {
            continue;
        };
        if !plain_integer(id) || id.starts_with('-') {
            return false;
        }
        if entries.iter().any(|(seen, _)| *seen == id) {
            return false;
        }
        entries.push((id, fields));
    }
    if entries.is_empty() {
        out.extend_from_slice(b"[]");
        return true;
    }
    out.push(b'{');
    for (n, (id, fields)) in entries.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        php_json::write_str(out, id, style);
        out.push(b':');
        if !write_layout(out, fields, layout, style) {
            return false;
        }
    }
    out.push(b'}');
    true
}

/// A v3 list of plain ids as v2 writes it: `["22"]` (id list), `[22]` (integer list), or
/// `"Y"`/`"N"` for whether it holds the caller. False where the value renderer must decide
/// (user objects, ids as text).
fn write_id_list(
    out: &mut Vec<u8>,
    text: &str,
    converter: &Converter,
    caller: Option<u64>,
) -> bool {
    if let Some(ids) = bare_ids(text) {
        write_ids(out, ids, converter, caller);
        return true;
    }
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(text) else {
        return false;
    };
    // v3 answers ids, or user objects with their ids.
    let mut ids: Vec<&str> = Vec::with_capacity(items.len());
    for item in &items {
        let text = item.get();
        let id = if text.starts_with('{') {
            match Fields::of(text).get("id") {
                Some(id) => id,
                None => return false,
            }
        } else {
            text
        };
        if !plain_integer(id) || id.starts_with('-') {
            return false;
        }
        ids.push(id);
    }
    write_ids(out, ids.into_iter(), converter, caller);
    true
}

/// The ids of a list of bare ids (`[22,5]`, the usual v3 answer), read without a JSON
/// parser; none for anything else (user objects, spaces). `text` is valid JSON (rows are
/// checked when read), so pieces of digits between commas are exactly its elements.
fn bare_ids(text: &str) -> Option<impl Iterator<Item = &str> + Clone> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let ids = inner.split(',').filter(|id| !id.is_empty());
    ids.clone()
        .all(|id| plain_integer(id) && !id.starts_with('-'))
        .then_some(ids)
}

fn write_ids<'a>(
    out: &mut Vec<u8>,
    ids: impl Iterator<Item = &'a str> + Clone,
    converter: &Converter,
    caller: Option<u64>,
) {
    match converter {
        Converter::MemberFlag => {
            let me = caller.map(|c| c.to_string());
            let holds = me.is_some_and(|me| ids.clone().any(|id| id == me));
            out.extend_from_slice(if holds { b"\"Y\"" } else { b"\"N\"" });
        }
        _ => {
            let quote: &[u8] = if matches!(converter, Converter::IdList) {
                b"\""
            } else {
                b""
            };
            out.push(b'[');
            for (n, id) in ids.enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(quote);
                out.extend_from_slice(id.as_bytes());
                out.extend_from_slice(quote);
            }
            out.push(b']');
        }
    }
}

fn is_number(text: &str) -> bool {
    text.starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// Writes a rule's constant, with every `"{caller}"` string as the caller's id (`null`
/// when not known), as [`convert::with_caller`] makes it, without building it first.
fn write_constant(out: &mut Vec<u8>, value: &Value, caller: Option<u64>, style: JsonStyle) {
    match value {
        Value::String(s) if s == "{caller}" => match caller {
            Some(id) => out.extend_from_slice(id.to_string().as_bytes()),
            None => out.extend_from_slice(b"null"),
        },
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_constant(out, item, caller, style);
            }
            out.push(b']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                php_json::write_str(out, key, style);
                out.push(b':');
                write_constant(out, item, caller, style);
            }
            out.push(b'}');
        }
        other => php_json::write_value(out, other, style),
    }
}

/// The text of a JSON string that has no escapes, without its quotes.
fn plain_string(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    memchr::memchr(b'\\', inner.as_bytes())
        .is_none()
        .then_some(inner)
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
    result: V2Json,
    next: Option<u64>,
    total: Option<u64>,
    time: &Value,
    style: JsonStyle,
) -> Vec<u8> {
    // The result was written after the envelope's head: the rest goes on after it.
    let mut out = result.0;
    out.reserve(256);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Option<Vec<&str>> {
        bare_ids(text).map(Iterator::collect)
    }

    #[test]
    fn bare_id_lists_are_read_without_a_parser_and_anything_else_is_left_to_it() {
        assert_eq!(ids("[22,5]"), Some(vec!["22", "5"]));
        assert_eq!(ids("[7]"), Some(vec!["7"]));
        assert_eq!(ids("[]"), Some(vec![]));
        for other in [
            r#"[{"id":1}]"#,
            "[1, 2]",
            r#"["1"]"#,
            "[-1]",
            "[1.5]",
            "{}",
            "null",
        ] {
            assert_eq!(ids(other), None, "{other}");
        }
    }

    #[test]
    fn a_bare_id_list_is_written_as_each_converter_says() {
        let write = |converter: &Converter, caller| {
            let mut out = Vec::new();
            assert!(write_id_list(&mut out, "[22,5]", converter, caller));
            String::from_utf8(out).unwrap()
        };
        assert_eq!(write(&Converter::IdList, None), r#"["22","5"]"#);
        assert_eq!(write(&Converter::IntList, None), "[22,5]");
        assert_eq!(write(&Converter::MemberFlag, Some(5)), r#""Y""#);
        assert_eq!(write(&Converter::MemberFlag, Some(2)), r#""N""#);
        assert_eq!(write(&Converter::MemberFlag, None), r#""N""#);
    }
}
