//! Reading v2 parameter values as PHP does: loosely typed (form values are strings, JSON
//! values keep their types), lists given as PHP arrays (JSON lists or objects), and
//! parameter names matched without regard to case (`taskId`, `TASKID`).

use serde_json::{Map, Value};

/// A PHP array as JSON: `[]` when empty, a list when keyed exactly 0..n-1, else an object.
pub fn php_array(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
    let entries: Vec<(String, Value)> = entries.into_iter().collect();
    if entries.is_empty() {
        return Value::Array(Vec::new());
    }
    if entries
        .iter()
        .enumerate()
        .all(|(i, (k, _))| *k == i.to_string())
    {
        return Value::Array(entries.into_iter().map(|(_, v)| v).collect());
    }
    Value::Object(entries.into_iter().collect())
}

/// A parameter by name, any letter case; an exact match wins.
pub fn param<'a>(p: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    p.get(name).or_else(|| {
        p.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// PHP `intval`: leading blanks, an optional sign and digits; anything else stops the
/// number (`"12abc"` is 12, `"abc"` is 0). Floats truncate, `true` is 1, arrays and null 0.
pub fn intval(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .map(|f| f.trunc().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
            })
            .unwrap_or(0),
        Value::String(s) => string_intval(s),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

fn string_intval(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\u{b}', '\u{c}']);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative {
        -n
    } else {
        n
    }
}

/// An integer when the value is one: a JSON integer, or a string of digits with an optional
/// sign and surrounding blanks.
pub fn strict_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

/// The value as PHP would print it in a string context.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "1".into(),
        _ => String::new(),
    }
}

/// `Y`/`N`-style flags: `Y`, `1`, `true` (any case) and JSON `true`/`1` are yes.
pub fn flag(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64() == Some(1),
        Value::String(s) => matches!(s.trim().to_ascii_uppercase().as_str(), "Y" | "1" | "TRUE"),
        _ => false,
    }
}

/// The items of a PHP array given as a JSON list or object; a scalar is a list of one,
/// null an empty list.
pub fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(m) => m.values().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// True for `[]`, `{}`, null and `""`: what PHP's `empty()` says of an array parameter.
pub fn is_empty_param(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Entries of a PHP array as (key, value), lists numbered from 0.
pub fn entries(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    }
}

/// A field-name key normalised for matching: upper case without underscores, so
/// `RESPONSIBLE_ID`, `responsible_id` and `responsibleId` meet.
pub fn norm_name(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intval_follows_php() {
        for (v, want) in [
            (json!("12abc"), 12),
            (json!(" -7"), -7),
            (json!("abc"), 0),
            (json!(""), 0),
            (json!(3.9), 3),
            (json!(true), 1),
            (json!([1]), 0),
            (json!("99999999999999999999999"), i64::MAX),
        ] {
            assert_eq!(intval(&v), want, "{v}");
        }
    }

    #[test]
    fn strict_int_takes_only_whole_numbers() {
        assert_eq!(strict_int(&json!(" 42 ")), Some(42));
        assert_eq!(strict_int(&json!(4.0)), Some(4));
        assert_eq!(strict_int(&json!("4.5")), None);
        assert_eq!(strict_int(&json!("12abc")), None);
        assert_eq!(strict_int(&json!(null)), None);
    }

    #[test]
    fn names_meet_across_spellings() {
        assert_eq!(norm_name("responsibleId"), norm_name("RESPONSIBLE_ID"));
        assert_eq!(norm_name("subStatus"), "SUBSTATUS");
        let p = json!({"TASKID": 5});
        assert_eq!(
            param(p.as_object().unwrap_or(&Map::new()), "taskId"),
            Some(&json!(5))
        );
    }
}
