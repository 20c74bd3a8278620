//! Value converters between v2 and REST 3.0, one per [`Converter`] kind.
//!
//! `to_v3` is exact or refuses (the caller then falls back to v2): a value that cannot be
//! carried over without changing its meaning is never guessed at.

use serde_json::{Map, Value};

use crate::rules::{Converter, Field};

/// A v2 request value (filter or write) as v3 expects it.
pub fn to_v3(field: &Field, value: &Value) -> Result<Value, String> {
    match &field.converter {
        Converter::Text => match value {
            Value::Null => Ok(Value::Null),
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err(format!("{} expects text", field.key)),
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
        Converter::Enum(table) => {
            let text = scalar_text(value).ok_or_else(|| format!("{} expects a code", field.key))?;
            table
                .to_v3(&text)
                .map(|v| Value::String(v.to_owned()))
                .ok_or_else(|| format!("{} has no v3 value for {text:?}", field.key))
        }
        Converter::IdList => {
            let items: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                Value::Object(m) => m.values().collect(),
                _ => return Err(format!("{} expects a list of ids", field.key)),
            };
            items
                .into_iter()
                .map(|v| int_value(v).map(Value::from))
                .collect::<Option<Vec<_>>>()
                .map(Value::Array)
                .ok_or_else(|| format!("{} expects integer ids", field.key))
        }
        _ => Err(format!("{} cannot be written through v3", field.key)),
    }
}

/// A v3 answer value as v2 answers it. `caller` is the calling user's id, for per-user flags.
pub fn to_v2(field: &Field, value: Option<&Value>, caller: Option<u64>) -> Value {
    let value = value.unwrap_or(&Value::Null);
    let is_null = value.is_null()
        || field
            .v3_null
            .as_deref()
            .is_some_and(|n| value.as_str() == Some(n));
    if is_null {
        if let Some(null_as) = &field.null_as {
            return null_as.clone();
        }
    }
    match &field.converter {
        Converter::Constant(v) => v.clone(),
        _ if is_null => match &field.converter {
            Converter::IdList => Value::Array(Vec::new()),
            Converter::UserMap { .. } | Converter::Group { .. } => Value::Array(Vec::new()),
            Converter::MemberFlag => Value::String("N".into()),
            _ => Value::Null,
        },
        Converter::Text | Converter::Int => value.clone(),
        Converter::IntString => match value {
            Value::Number(n) => Value::String(n.to_string()),
            other => other.clone(),
        },
        Converter::YesNo => match value {
            Value::Bool(b) => Value::String(if *b { "Y" } else { "N" }.into()),
            other => other.clone(),
        },
        Converter::Enum(table) => match value.as_str() {
            Some(text) => table
                .to_v2(text)
                .map(|v| Value::String(v.to_owned()))
                .unwrap_or_else(|| value.clone()),
            None => value.clone(),
        },
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
        Converter::MemberFlag => {
            let member = match (value, caller) {
                (Value::Array(items), Some(me)) => {
                    items.iter().filter_map(id_of).any(|id| id == me)
                }
                _ => false,
            };
            Value::String(if member { "Y" } else { "N" }.into())
        }
        Converter::User {
            link,
            icon_default,
            neutral,
        } => user_object(value, link, icon_default, neutral),
        Converter::UserMap {
            link,
            icon_default,
            neutral,
        } => match value {
            Value::Array(users) if !users.is_empty() => Value::Object(
                users
                    .iter()
                    .filter_map(|u| {
                        id_of(u)
                            .map(|id| (id.to_string(), user_object(u, link, icon_default, neutral)))
                    })
                    .collect(),
            ),
            _ => Value::Array(Vec::new()),
        },
        Converter::Group { neutral } => match value {
            Value::Object(group) => {
                let mut out = Map::with_capacity(2 + neutral.len());
                out.insert("id".into(), id_text(group.get("id")));
                out.insert(
                    "name".into(),
                    group.get("name").cloned().unwrap_or(Value::Null),
                );
                for (k, v) in neutral {
                    out.insert(k.clone(), v.clone());
                }
                Value::Object(out)
            }
            _ => Value::Array(Vec::new()),
        },
        Converter::Flags { map } => {
            let source = value.as_object();
            Value::Object(
                map.iter()
                    .map(|(v2, v3)| {
                        let flag = v3
                            .as_deref()
                            .and_then(|k| source.and_then(|s| s.get(k)))
                            .and_then(Value::as_bool)
                            .unwrap_or(false);
                        (v2.clone(), Value::Bool(flag))
                    })
                    .collect(),
            )
        }
        Converter::SeParameter { .. } => Value::Null,
    }
}

fn user_object(
    value: &Value,
    link: &str,
    icon_default: &str,
    neutral: &Map<String, Value>,
) -> Value {
    let Some(user) = value.as_object() else {
        return Value::Null;
    };
    let id = id_text(user.get("id"));
    let link = Value::String(link.replace("{id}", id.as_str().unwrap_or_default()));
    let mut out = Map::with_capacity(4 + neutral.len());
    out.insert("id".into(), id);
    out.insert(
        "name".into(),
        user.get("name").cloned().unwrap_or(Value::Null),
    );
    out.insert("link".into(), link);
    let icon = user
        .get("image")
        .and_then(|i| i.get("src").or(Some(i)))
        .and_then(Value::as_str)
        .unwrap_or(icon_default);
    out.insert("icon".into(), Value::String(icon.to_owned()));
    for (k, v) in neutral {
        out.insert(k.clone(), v.clone());
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

/// An integer from a JSON number or a canonical decimal string, as PHP would read an id.
pub fn int_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix('-').unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            if digits.len() > 1 && digits.starts_with('0') {
                return None;
            }
            t.parse().ok()
        }
        _ => None,
    }
}

/// A v2 boolean in any of its spellings.
pub fn yes_no(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_uppercase().as_str() {
            "Y" | "1" | "TRUE" => Some(true),
            "N" | "0" | "FALSE" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
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
