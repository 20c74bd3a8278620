//! REST 3.0 answers as the bridge reads them: the envelope and small results as JSON
//! values, the rows (`result.item`, `result.items[…]`) as the JSON text the portal sent.
//!
//! A page of 50 full task rows is ~75 KB of JSON; as a `serde_json::Value` tree it weighs
//! several times that and costs more to build than to render. Rows are therefore only
//! validated and kept as text, indexed field by field when rendered
//! ([`render::write_entity`](super::render::write_entity)), and parsed whole only where a
//! value is really needed (a `$result` reference, recovery, a shadow comparison).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// One v3 row, kept as the JSON text it arrived as (validated).
#[derive(Clone)]
pub struct Row(Arc<str>);

impl Row {
    fn from_raw(raw: Box<RawValue>) -> Row {
        let text: Box<str> = raw.into();
        Row(Arc::from(text))
    }

    /// A row made from a value (tests, and rows the bridge makes itself).
    pub fn from_value(value: &Value) -> Row {
        Row(Arc::from(value.to_string()))
    }

    /// The row's JSON text.
    pub fn text(&self) -> &str {
        &self.0
    }

    /// Bytes the row holds, for memory bounds.
    pub fn weight(&self) -> usize {
        self.0.len()
    }

    /// The whole row as a value.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The row's top-level fields, borrowed; none when the row is not an object.
    pub fn fields(&self) -> Fields<'_> {
        Fields::of(&self.0)
    }

    /// The row's `id`, when it is an integer.
    pub fn id(&self) -> Option<i64> {
        // Rows usually begin with their id: read it without indexing the row.
        if let Some(rest) = self.0.strip_prefix("{\"id\":") {
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '-'))
                .unwrap_or(rest.len());
            if matches!(rest.as_bytes().get(end), Some(b',' | b'}')) {
                if let Ok(id) = rest[..end].parse::<i64>() {
                    return Some(id);
                }
            }
        }
        let raw = self.fields().get("id")?;
        serde_json::from_str::<Value>(raw.get()).ok()?.as_i64()
    }

    /// One top-level field as a value.
    pub fn get(&self, key: &str) -> Option<Value> {
        let raw = self.fields().get(key)?;
        serde_json::from_str(raw.get()).ok()
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Row({})", self.0)
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        self.0 == other.0
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Row, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Row::from_raw)
    }
}

/// An object key, borrowed from the text unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The top-level fields of a JSON object, in the order they were written, each value
/// still as text.
pub struct Fields<'a> {
    pairs: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Fields<'a> {
    /// The fields of `json`; none when it is not an object.
    pub fn of(json: &'a str) -> Fields<'a> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Vec<(Cow<'de, str>, &'de RawValue)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(64));
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    pairs.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(pairs)
            }
        }
        let mut de = serde_json::Deserializer::from_str(json);
        let pairs = de.deserialize_map(FieldsVisitor).unwrap_or_default();
        Fields { pairs }
    }

    /// The value of `key`. A key written twice is read at its first place: the portal
    /// (PHP's `json_encode`) never writes one twice, and checking every row for it would
    /// cost more than the rest of the reading.
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Like [`Fields::get`], searching from `hint` onwards first: a renderer asking for the
    /// fields in the order the portal wrote them finds each at once.
    pub fn get_from(&self, key: &str, hint: &mut usize) -> Option<&'a RawValue> {
        let n = self.pairs.len();
        for step in 0..n {
            let at = (*hint + step) % n;
            if self.pairs[at].0 == key {
                *hint = at + 1;
                return Some(self.pairs[at].1);
            }
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// One call's `result`: its rows as text, the rest as a value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct V3Result {
    /// `result.items`.
    pub items: Option<Vec<Row>>,
    /// `result.item`.
    pub item: Option<Row>,
    /// Every other key of the result; or the result itself when it is not an object.
    pub rest: Value,
}

impl V3Result {
    /// A result from a value: `items` and `item` become rows.
    pub fn from_value(value: Value) -> V3Result {
        let Value::Object(mut map) = value else {
            return V3Result {
                rest: value,
                ..V3Result::default()
            };
        };
        let items = match map.remove("items") {
            Some(Value::Array(rows)) => Some(rows.iter().map(Row::from_value).collect()),
            Some(other) => {
                map.insert("items".into(), other);
                None
            }
            None => None,
        };
        let item = map.remove("item").map(|v| Row::from_value(&v));
        V3Result {
            items,
            item,
            rest: Value::Object(map),
        }
    }

    /// The whole result as a value.
    pub fn to_value(&self) -> Value {
        let mut map = match &self.rest {
            Value::Object(m) => m.clone(),
            other if self.items.is_none() && self.item.is_none() => return other.clone(),
            _ => Map::new(),
        };
        if let Some(rows) = &self.items {
            map.insert(
                "items".into(),
                Value::Array(rows.iter().map(Row::to_value).collect()),
            );
        }
        if let Some(item) = &self.item {
            map.insert("item".into(), item.to_value());
        }
        Value::Object(map)
    }

    /// The rows of a list result (none when it has none).
    pub fn rows(&self) -> &[Row] {
        self.items.as_deref().unwrap_or(&[])
    }

    /// Takes the rows out.
    pub fn take_rows(&mut self) -> Vec<Row> {
        self.items.take().unwrap_or_default()
    }

    /// The value at a dotted path (`item.id`, `items.0.id`), parsing only the row the
    /// path goes into.
    pub fn at(&self, path: &str) -> Option<Value> {
        let (first, rest) = match path.split_once('.') {
            Some((f, r)) => (f, Some(r)),
            None => (path, None),
        };
        let start = match first {
            "item" => self.item.as_ref()?.to_value(),
            "items" => match rest.and_then(|r| r.split_once('.').map(|(i, _)| i).or(Some(r))) {
                Some(index) if index.parse::<usize>().is_ok() => {
                    let row = self.items.as_ref()?.get(index.parse::<usize>().ok()?)?;
                    let after = rest?.split_once('.').map(|(_, a)| a);
                    return walk(row.to_value(), after);
                }
                _ => Value::Array(self.items.as_ref()?.iter().map(Row::to_value).collect()),
            },
            key => self.rest.get(key)?.clone(),
        };
        walk(start, rest)
    }
}

fn walk(mut value: Value, path: Option<&str>) -> Option<Value> {
    for part in path.into_iter().flat_map(|p| p.split('.')) {
        value = match value {
            Value::Object(mut m) => m.remove(part)?,
            Value::Array(mut a) => {
                let i: usize = part.parse().ok()?;
                if i >= a.len() {
                    return None;
                }
                a.swap_remove(i)
            }
            _ => return None,
        };
    }
    Some(value)
}

struct ResultVisitor;

impl<'de> Visitor<'de> for ResultVisitor {
    type Value = V3Result;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a REST 3.0 result")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V3Result, A::Error> {
        let mut out = V3Result::default();
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "items" => match map.next_value::<RowsOrValue>()? {
                    RowsOrValue::Rows(rows) => out.items = Some(rows),
                    RowsOrValue::Value(v) => {
                        rest.insert(key, v);
                    }
                },
                "item" => out.item = Some(map.next_value::<Row>()?),
                _ => {
                    rest.insert(key, map.next_value::<Value>()?);
                }
            }
        }
        out.rest = Value::Object(rest);
        Ok(out)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V3Result, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(scalar(Value::Array(items)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V3Result, E> {
        Ok(scalar(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V3Result, E> {
        Ok(scalar(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V3Result, E> {
        Ok(scalar(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V3Result, E> {
        Ok(scalar(Value::from(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V3Result, E> {
        Ok(scalar(Value::String(v.to_owned())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<V3Result, E> {
        Ok(scalar(Value::Null))
    }
}

fn scalar(rest: Value) -> V3Result {
    V3Result {
        rest,
        ..V3Result::default()
    }
}

impl<'de> Deserialize<'de> for V3Result {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<V3Result, D::Error> {
        deserializer.deserialize_any(ResultVisitor)
    }
}

/// `items` as rows when it is an array, else as the value it is.
enum RowsOrValue {
    Rows(Vec<Row>),
    Value(Value),
}

impl<'de> Deserialize<'de> for RowsOrValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RowsOrValue, D::Error> {
        let raw = <&RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        if text.starts_with('[') {
            serde_json::from_str::<Vec<Row>>(text)
                .map(RowsOrValue::Rows)
                .map_err(de::Error::custom)
        } else {
            serde_json::from_str::<Value>(text)
                .map(RowsOrValue::Value)
                .map_err(de::Error::custom)
        }
    }
}

/// A REST 3.0 answer's `result`: one call's, or a batch's list of them.
#[derive(Debug, Clone, PartialEq)]
pub enum V3Results {
    One(V3Result),
    Many(Vec<V3Result>),
}

impl<'de> Deserialize<'de> for V3Results {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<V3Results, D::Error> {
        struct ResultsVisitor;
        impl<'de> Visitor<'de> for ResultsVisitor {
            type Value = V3Results;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a REST 3.0 result or a batch's results")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V3Results, A::Error> {
                let mut all = Vec::new();
                while let Some(r) = seq.next_element::<V3Result>()? {
                    all.push(r);
                }
                Ok(V3Results::Many(all))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V3Results, A::Error> {
                ResultVisitor.visit_map(map).map(V3Results::One)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<V3Results, E> {
                Ok(V3Results::One(scalar(Value::Bool(v))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<V3Results, E> {
                Ok(V3Results::One(scalar(Value::from(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<V3Results, E> {
                Ok(V3Results::One(scalar(Value::from(v))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<V3Results, E> {
                Ok(V3Results::One(scalar(Value::from(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<V3Results, E> {
                Ok(V3Results::One(scalar(Value::String(v.to_owned()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<V3Results, E> {
                Ok(V3Results::One(scalar(Value::Null)))
            }
        }
        deserializer.deserialize_any(ResultsVisitor)
    }
}

impl V3Results {
    /// As one call's result (a batch's list read as one value).
    pub fn into_one(self) -> V3Result {
        match self {
            V3Results::One(r) => r,
            V3Results::Many(all) => {
                scalar(Value::Array(all.iter().map(V3Result::to_value).collect()))
            }
        }
    }

    /// A batch's results, one per call; `None` for one call's result.
    pub fn as_many(&self) -> Option<&[V3Result]> {
        match self {
            V3Results::Many(all) => Some(all),
            V3Results::One(_) => None,
        }
    }

    /// As a batch's results, one per call; `None` for one call's result.
    pub fn into_many(self) -> Option<Vec<V3Result>> {
        match self {
            V3Results::Many(all) => Some(all),
            V3Results::One(_) => None,
        }
    }
}

/// A whole REST 3.0 answer body: `result` read as above, the rest (`time`, `error`) as a
/// value.
#[derive(Debug, Clone, PartialEq)]
pub struct V3Body {
    pub result: Option<V3Results>,
    /// The body without `result`.
    pub rest: Value,
}

impl V3Body {
    /// Reads a body; `None` when it is not JSON.
    pub fn parse(bytes: &[u8]) -> Option<V3Body> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let body = BodySeed.deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(body)
    }

    /// A body from a value (tests, and answers the bridge makes itself).
    pub fn from_value(value: Value) -> V3Body {
        match value {
            Value::Object(mut map) => {
                let result = map.remove("result").map(|r| match r {
                    Value::Array(all) => {
                        V3Results::Many(all.into_iter().map(V3Result::from_value).collect())
                    }
                    other => V3Results::One(V3Result::from_value(other)),
                });
                V3Body {
                    result,
                    rest: Value::Object(map),
                }
            }
            other => V3Body {
                result: None,
                rest: other,
            },
        }
    }
}

struct BodySeed;

impl<'de> DeserializeSeed<'de> for BodySeed {
    type Value = V3Body;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V3Body, D::Error> {
        struct BodyVisitor;
        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = V3Body;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON answer")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V3Body, A::Error> {
                let mut result = None;
                let mut rest = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "result" {
                        result = Some(map.next_value::<V3Results>()?);
                    } else {
                        rest.insert(key, map.next_value::<Value>()?);
                    }
                }
                Ok(V3Body {
                    result,
                    rest: Value::Object(rest),
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V3Body, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element::<Value>()? {
                    items.push(v);
                }
                Ok(other(Value::Array(items)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<V3Body, E> {
                Ok(other(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<V3Body, E> {
                Ok(other(Value::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<V3Body, E> {
                Ok(other(Value::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<V3Body, E> {
                Ok(other(Value::from(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<V3Body, E> {
                Ok(other(Value::String(v.to_owned())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<V3Body, E> {
                Ok(other(Value::Null))
            }
        }
        fn other(rest: Value) -> V3Body {
            V3Body { result: None, rest }
        }
        deserializer.deserialize_any(BodyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_stay_text_and_the_rest_is_a_value() {
        let body = br#"{"result":{"items":[{"id":7,"title":"a\/b"},{"id":8}]},"time":{"start":1}}"#;
        let body = V3Body::parse(body).unwrap();
        assert_eq!(body.rest, json!({"time": {"start": 1}}));
        let result = body.result.unwrap().into_one();
        let rows = result.rows();
        assert_eq!(rows[0].text(), r#"{"id":7,"title":"a\/b"}"#);
        assert_eq!(rows[0].id(), Some(7));
        assert_eq!(rows[1].to_value(), json!({"id": 8}));
        assert_eq!(result.at("items.1.id"), Some(json!(8)));
    }

    #[test]
    fn a_batch_answers_a_list_of_results() {
        let body = br#"{"result":[{"item":{"id":1}},{"result":true}]}"#;
        let all = V3Body::parse(body)
            .unwrap()
            .result
            .unwrap()
            .into_many()
            .unwrap();
        assert_eq!(all[0].at("item.id"), Some(json!(1)));
        assert_eq!(all[1].rest, json!({"result": true}));
        assert_eq!(all[1].to_value(), json!({"result": true}));
    }

    #[test]
    fn what_is_not_a_row_list_is_kept_as_a_value() {
        let r = V3Result::from_value(json!({"items": 3, "total": 2}));
        assert!(r.items.is_none());
        assert_eq!(r.to_value(), json!({"items": 3, "total": 2}));
        assert_eq!(V3Body::parse(b"[1]").unwrap().rest, json!([1]));
        assert!(V3Body::parse(b"{\"result\":").is_none());
        assert!(V3Body::parse(b"{} x").is_none());
    }

    #[test]
    fn fields_are_found_in_order_and_escaped_keys_are_read() {
        let text = r#"{"a":1,"b":"x","c\u0041":[1]}"#;
        let fields = Fields::of(text);
        let mut hint = 0;
        assert_eq!(fields.get_from("a", &mut hint).unwrap().get(), "1");
        assert_eq!(fields.get_from("cA", &mut hint).unwrap().get(), "[1]");
        assert_eq!(fields.get_from("b", &mut hint).unwrap().get(), "\"x\"");
        assert_eq!(fields.get("b").unwrap().get(), "\"x\"");
        assert!(fields.get("z").is_none());
        assert!(Fields::of("[1,2]").is_empty());
    }
}
