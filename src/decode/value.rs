//! PHP's view of a parameter value, in one place.
//!
//! A v2 method handler is PHP: it reads a parameter by name without caring about case,
//! takes `"5"` and `5` for the same id, `"Y"`, `1` and `true` for the same flag, prints a
//! scalar with `strval`, and sees a JSON list and a JSON object alike as a PHP array. The
//! bridge reads parameters (and writes the queries of batch commands) the same way, so
//! every such reading lives here.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// A parameter by name, as the v2 server binds it (names compared without case).
pub fn param<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    params.get(name).or_else(|| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// PHP's `empty()` for what a request can carry: null, `""`, an empty array.
pub fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
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

/// PHP's `strval` of a scalar: `null` and `false` are `""`, `true` is `"1"`, numbers are
/// their decimal text. Arrays have no string form here (PHP would print "Array").
pub fn strval(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("1".to_owned()),
        Value::Bool(false) | Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A PHP array as JSON shows it: a list when its keys were `0..n-1`, an object otherwise.
/// PHP code cannot tell the two apart, so neither may the bridge.
#[derive(Debug, Clone, Copy)]
pub enum PhpArray<'a> {
    List(&'a [Value]),
    Map(&'a Map<String, Value>),
}

impl<'a> PhpArray<'a> {
    /// The array a value is, or `None` for a scalar.
    pub fn of(v: &'a Value) -> Option<PhpArray<'a>> {
        match v {
            Value::Array(a) => Some(PhpArray::List(a)),
            Value::Object(m) => Some(PhpArray::Map(m)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            PhpArray::List(a) => a.len(),
            PhpArray::Map(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values in order.
    pub fn values(self) -> impl Iterator<Item = &'a Value> {
        let (list, map) = match self {
            PhpArray::List(a) => (Some(a.iter()), None),
            PhpArray::Map(m) => (None, Some(m.values())),
        };
        list.into_iter().flatten().chain(map.into_iter().flatten())
    }

    /// Keys and values in order; a list's keys are its indexes.
    pub fn entries(self) -> impl Iterator<Item = (Cow<'a, str>, &'a Value)> {
        let (list, map) = match self {
            PhpArray::List(a) => (Some(a.iter().enumerate()), None),
            PhpArray::Map(m) => (None, Some(m.iter())),
        };
        let list = list
            .into_iter()
            .flatten()
            .map(|(i, v)| (Cow::Owned(i.to_string()), v));
        let map = map
            .into_iter()
            .flatten()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), v));
        list.chain(map)
    }
}

/// PHP's JSON form of an array built from `entries`: a list when the keys are exactly
/// 0..n-1 in order, an object otherwise, and `[]` when empty.
pub fn php_map(entries: Vec<(String, Value)>) -> Value {
    let is_list = entries
        .iter()
        .enumerate()
        .all(|(i, (k, _))| *k == i.to_string());
    if is_list {
        Value::Array(entries.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(entries.into_iter().collect())
    }
}

/// PHP's `http_build_query`: nested keys in brackets, RFC 1738 encoding, nulls left out.
pub fn php_query(params: &Map<String, Value>) -> String {
    fn encode(s: &str, out: &mut String) {
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    fn walk(prefix: &str, v: &Value, out: &mut Vec<String>) {
        match PhpArray::of(v) {
            Some(array) => array
                .entries()
                .for_each(|(k, v)| walk(&format!("{prefix}[{k}]"), v, out)),
            None if v.is_null() => {}
            None => {
                let mut pair = String::new();
                encode(prefix, &mut pair);
                pair.push('=');
                encode(&strval(v).unwrap_or_default(), &mut pair);
                out.push(pair);
            }
        }
    }
    let mut out = Vec::new();
    for (k, v) in params {
        walk(k, v, &mut out);
    }
    out.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_convert_like_php_strval() {
        assert_eq!(strval(&json!("t")), Some("t".into()));
        assert_eq!(strval(&json!(12)), Some("12".into()));
        assert_eq!(strval(&json!(1.5)), Some("1.5".into()));
        assert_eq!(strval(&json!(true)), Some("1".into()));
        assert_eq!(strval(&json!(false)), Some(String::new()));
        assert_eq!(strval(&json!(null)), Some(String::new()));
        assert_eq!(strval(&json!(["t"])), None);
    }

    #[test]
    fn php_maps_are_lists_only_for_contiguous_keys() {
        assert_eq!(php_map(vec![]), json!([]));
        assert_eq!(
            php_map(vec![("0".into(), json!(1)), ("1".into(), json!(2))]),
            json!([1, 2])
        );
        assert_eq!(php_map(vec![("1".into(), json!(2))]), json!({"1": 2}));
        assert_eq!(php_map(vec![("a".into(), json!(2))]), json!({"a": 2}));
    }

    #[test]
    fn queries_are_built_as_php_does() {
        let p = json!({"filter": {">ID": "5"}, "select": ["ID", "TITLE"], "q": "a b&c"});
        assert_eq!(
            php_query(p.as_object().unwrap()),
            "filter%5B%3EID%5D=5&select%5B0%5D=ID&select%5B1%5D=TITLE&q=a+b%26c"
        );
    }

    #[test]
    fn lists_and_maps_read_alike() {
        let list = json!(["a", "b"]);
        let map = json!({"0": "a", "x": "b"});
        let keys = |v: &Value| -> Vec<String> {
            PhpArray::of(v)
                .unwrap()
                .entries()
                .map(|(k, _)| k.into_owned())
                .collect()
        };
        assert_eq!(keys(&list), ["0", "1"]);
        assert_eq!(keys(&map), ["0", "x"]);
        let values: Vec<&Value> = PhpArray::of(&map).unwrap().values().collect();
        assert_eq!(values, [&json!("a"), &json!("b")]);
        assert!(PhpArray::of(&json!(5)).is_none());
    }

    #[test]
    fn ids_and_flags_read_as_php_does() {
        assert_eq!(int_value(&json!("412")), Some(412));
        assert_eq!(int_value(&json!(" 7 ")), Some(7));
        assert_eq!(int_value(&json!("07")), None);
        assert_eq!(int_value(&json!("1.0")), None);
        assert_eq!(yes_no(&json!("y")), Some(true));
        assert_eq!(yes_no(&json!(0)), Some(false));
        assert_eq!(yes_no(&json!("maybe")), None);
        let params = json!({"TaskId": 5}).as_object().unwrap().clone();
        assert_eq!(param(&params, "taskId"), Some(&json!(5)));
    }
}
