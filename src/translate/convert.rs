//! Value converters between v2 and REST 3.0, one per [`Converter`] kind.
//!
//! `to_v3` is exact or refuses (the caller then falls back to v2): a value that cannot be
//! carried over without changing its meaning is never guessed at.

use serde_json::{Map, Value};

use crate::decode::value::{int_value, strval, yes_no, PhpArray};
use crate::rules::{Converter, Field, LayoutSource};

/// A v2 request value (filter or write) as v3 expects it.
pub fn to_v3(field: &Field, value: &Value) -> Result<Value, String> {
    match &field.converter {
        Converter::Text => match value {
            Value::Null => Ok(Value::Null),
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err(format!("{} expects text", field.key)),
        },
        // v2 clears a date with an empty value in every body form: `fields[DEADLINE]=`,
        // JSON `""`, `false` or `null`.
        Converter::DateTime => match value {
            Value::Null | Value::Bool(false) => Ok(Value::Null),
            Value::String(s) if s.trim().is_empty() => Ok(Value::Null),
            Value::String(_) => Ok(value.clone()),
            _ => Err(format!("{} expects a date", field.key)),
        },
        Converter::IntString | Converter::Int => match value {
            Value::Null => Ok(Value::Null),
            other => int_value(other)
                .map(Value::from)
                .ok_or_else(|| format!("{} expects an integer, got {}", field.key, brief(other))),
        },
        Converter::YesNo => yes_no(value)
            .map(Value::Bool)
            .ok_or_else(|| format!("{} expects Y or N, got {}", field.key, brief(value))),
        Converter::Bool => yes_no(value)
            .map(Value::Bool)
            .ok_or_else(|| format!("{} expects a boolean, got {}", field.key, brief(value))),
        Converter::Enum { table, .. } => {
            let text = match value {
                Value::String(_) | Value::Number(_) => strval(value),
                _ => None,
            }
            .ok_or_else(|| format!("{} expects a code", field.key))?;
            table
                .to_v3(&text)
                .map(|v| Value::String(v.to_owned()))
                .ok_or_else(|| format!("{} has no v3 value for {text:?}", field.key))
        }
        Converter::IdList | Converter::IntList => {
            let items = PhpArray::of(value)
                .ok_or_else(|| format!("{} expects a list of ids", field.key))?;
            items
                .values()
                .map(|v| int_value(v).map(Value::from))
                .collect::<Option<Vec<_>>>()
                .map(Value::Array)
                .ok_or_else(|| format!("{} expects integer ids", field.key))
        }
        // One text is a list of one, `""` clears the list.
        Converter::TextList => match value {
            Value::Null | Value::Bool(false) => Ok(Value::Array(Vec::new())),
            Value::String(s) if s.is_empty() => Ok(Value::Array(Vec::new())),
            Value::String(_) => Ok(Value::Array(vec![value.clone()])),
            other => PhpArray::of(other)
                .and_then(|items| {
                    items
                        .values()
                        .filter(|v| !v.as_str().is_some_and(str::is_empty))
                        .map(|v| match v {
                            Value::String(_) | Value::Number(_) => strval(v).map(Value::String),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                })
                .map(Value::Array)
                .ok_or_else(|| format!("{} expects texts", field.key)),
        },
        _ => Err(format!("{} cannot be written through v3", field.key)),
    }
}

/// The value of a v3 item at a field's `v3` path (`rights.checklistAdd` reads into an
/// object).
fn v3_value<'a>(item: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = item.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// A field of a v3 item as v2 answers it. `caller` is the calling user's id, for
/// per-user flags; `row` is true in list rows.
pub fn to_v2(field: &Field, item: &Map<String, Value>, caller: Option<u64>, row: bool) -> Value {
    let value = field
        .v3
        .as_deref()
        .and_then(|path| v3_value(item, path))
        .unwrap_or(&Value::Null);
    v2_of(field, value, &|name| item.get(name).cloned(), caller, row)
}

/// A field's v3 `value` as v2 answers it; `sibling` reads another field of the same item
/// (flags that depend on membership read the member lists).
pub fn v2_of(
    field: &Field,
    value: &Value,
    sibling: &dyn Fn(&str) -> Option<Value>,
    caller: Option<u64>,
    row: bool,
) -> Value {
    let is_null = value.is_null() || field.v3_null.as_ref() == Some(value);
    if is_null {
        let null_as = if row {
            field.row_null_as.as_ref().or(field.null_as.as_ref())
        } else {
            field.null_as.as_ref()
        };
        if let Some(null_as) = null_as {
            return null_as.clone();
        }
    }
    match &field.converter {
        Converter::Constant(v) => with_caller(v, caller),
        _ if is_null => match &field.converter {
            Converter::IdList | Converter::IntList | Converter::TextList => {
                Value::Array(Vec::new())
            }
            Converter::UserMap { .. } | Converter::Group { .. } => Value::Array(Vec::new()),
            Converter::MemberFlag => Value::String("N".into()),
            _ => Value::Null,
        },
        Converter::Text | Converter::DateTime | Converter::Int | Converter::Bool => value.clone(),
        Converter::TextList => match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| strval(v).map(Value::String).unwrap_or_else(|| v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        },
        Converter::IntList => match value {
            Value::Array(items) => {
                Value::Array(items.iter().filter_map(id_of).map(Value::from).collect())
            }
            other => other.clone(),
        },
        Converter::BbcodeHtml => match value {
            Value::String(text) => Value::String(super::bbcode::to_html(text)),
            other => other.clone(),
        },
        Converter::IntString => match value {
            Value::Number(n) => Value::String(n.to_string()),
            other => other.clone(),
        },
        Converter::YesNo => match value {
            Value::Bool(b) => Value::String(if *b { "Y" } else { "N" }.into()),
            other => other.clone(),
        },
        Converter::Enum { table, numeric } => {
            match value.as_str().and_then(|text| table.to_v2(text)) {
                Some(v2) if *numeric => v2
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(v2.to_owned())),
                Some(v2) => Value::String(v2.to_owned()),
                None => value.clone(),
            }
        }
        Converter::IdList => match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .filter_map(id_of)
                    .map(|id| Value::String(id.to_string()))
                    .collect(),
            ),
            other => other.clone(),
        },
        Converter::MemberFlag => Value::String(if holds(value, caller) { "Y" } else { "N" }.into()),
        Converter::User { layout } | Converter::Group { layout } => match value {
            Value::Object(obj) => object_with_layout(obj, layout),
            _ => Value::Null,
        },
        Converter::UserMap { layout } => match value {
            Value::Array(users) if !users.is_empty() => Value::Object(
                users
                    .iter()
                    .filter_map(|u| {
                        let obj = u.as_object()?;
                        Some((id_of(u)?.to_string(), object_with_layout(obj, layout)))
                    })
                    .collect(),
            ),
            _ => Value::Array(Vec::new()),
        },
        Converter::Flags { map } => {
            let flags = value.as_object();
            Value::Object(
                map.iter()
                    .map(|(v2, source)| {
                        let on = source.as_ref().is_some_and(|src| {
                            let flag = flags
                                .and_then(|f| f.get(&src.flag))
                                .and_then(Value::as_bool)
                                .unwrap_or(false);
                            let condition = match &src.member_of {
                                None => true,
                                Some((array, wanted)) => {
                                    holds(&sibling(array).unwrap_or(Value::Null), caller) == *wanted
                                }
                            };
                            flag && condition
                        });
                        (v2.clone(), Value::Bool(on))
                    })
                    .collect(),
            )
        }
        Converter::SeParameter { .. } => Value::Null,
    }
}

/// True when a v3 array of ids (or objects with ids) holds the caller.
fn holds(value: &Value, caller: Option<u64>) -> bool {
    match (value, caller) {
        (Value::Array(items), Some(me)) => items.iter().filter_map(id_of).any(|id| id == me),
        _ => false,
    }
}

/// Rebuilds a v2 object from a v3 object, key by key.
fn object_with_layout(obj: &Map<String, Value>, layout: &[(String, LayoutSource)]) -> Value {
    let id = id_text(obj.get("id"));
    // Sized up front: growing an ordered map rehashes and moves every key already in it.
    let mut out = Map::with_capacity(layout.len());
    for (key, source) in layout {
        let v = match source {
            LayoutSource::Literal(v) => v.clone(),
            LayoutSource::Pattern(p) => {
                Value::String(p.replace("{id}", id.as_str().unwrap_or_default()))
            }
            LayoutSource::Field {
                name,
                as_string,
                default,
            } => {
                let raw = obj.get(name).unwrap_or(&Value::Null);
                let raw = match raw {
                    Value::Object(o) => o.get("src").unwrap_or(&Value::Null),
                    other => other,
                };
                match (raw, default) {
                    (Value::Null, Some(d)) => Value::String(d.clone()),
                    (Value::Number(n), _) if *as_string => Value::String(n.to_string()),
                    (other, _) => other.clone(),
                }
            }
        };
        out.insert(key.clone(), v);
    }
    Value::Object(out)
}

fn id_text(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Number(n)) => Value::String(n.to_string()),
        Some(Value::String(s)) => Value::String(s.clone()),
        _ => Value::Null,
    }
}

/// The integer id of a value that is an id or an object with an `id`.
pub fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::Object(m) => m.get("id").and_then(id_of),
        other => int_value(other).and_then(|i| u64::try_from(i).ok()),
    }
}

fn brief(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// A constant with every `"{caller}"` string replaced by the caller's id (`null` when the
/// caller is not known).
pub fn with_caller(value: &Value, caller: Option<u64>) -> Value {
    match value {
        Value::String(s) if s == "{caller}" => caller.map(Value::from).unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.iter().map(|v| with_caller(v, caller)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), with_caller(v, caller)))
                .collect(),
        ),
        other => other.clone(),
    }
}
