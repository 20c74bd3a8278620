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

/// The visits of JSON's scalars (booleans, numbers, strings, null), each read as a
/// [`Value`] and made the visitor's value by `$wrap`: the readers below keep what is not a
/// row or a result as a value.
macro_rules! scalars_as_values {
    ($wrap:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(($wrap)(Value::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(($wrap)(Value::from(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(($wrap)(Value::from(v)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(($wrap)(Value::from(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(($wrap)(Value::String(v.to_owned())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(($wrap)(Value::Null))
        }
    };
}

/// One v3 row, kept as the JSON text it arrived as (validated), with the places of its
/// top-level fields in that text when it was read from a page.
#[derive(Clone)]
pub struct Row {
    text: Arc<str>,
    /// Key and value spans of the top-level fields, in the text's order; empty when the
    /// row was not indexed (it is then indexed when read).
    index: Arc<[Span]>,
}

/// Where one field's key (without quotes) and value lie in a row's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    key: (u32, u32),
    value: (u32, u32),
}

impl Row {
    fn unindexed(text: Arc<str>) -> Row {
        Row {
            text,
            index: Arc::from(Vec::new()),
        }
    }

    /// A row made from a value (tests, and rows the bridge makes itself).
    pub fn from_value(value: &Value) -> Row {
        Row::unindexed(Arc::from(value.to_string()))
    }

    /// The row's JSON text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Bytes the row holds, for memory bounds.
    pub fn weight(&self) -> usize {
        self.text.len() + self.index.len() * std::mem::size_of::<Span>()
    }

    /// The whole row as a value.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The row's top-level fields, borrowed; none when the row is not an object.
    pub fn fields(&self) -> Fields<'_> {
        if self.index.is_empty() {
            return Fields::of(&self.text);
        }
        Fields {
            pairs: Pairs::Indexed {
                text: &self.text,
                index: &self.index,
            },
        }
    }

    /// The row's `id`, when it is an integer.
    pub fn id(&self) -> Option<i64> {
        // Rows usually begin with their id: read it without indexing the row.
        if let Some(rest) = self.text.strip_prefix("{\"id\":") {
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
        serde_json::from_str::<Value>(raw).ok()?.as_i64()
    }

    /// One top-level field as a value.
    pub fn get(&self, key: &str) -> Option<Value> {
        let raw = self.fields().get(key)?;
        serde_json::from_str(raw).ok()
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Row({})", self.text)
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        self.text == other.text
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Row, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text: Box<str> = raw.into();
        Ok(Row::unindexed(Arc::from(text)))
    }
}

/// Reads one row of a page in a single pass: its fields are indexed while they are
/// validated, and its text is then cut out of the page. `page` is the whole answer the
/// borrowed keys and values point into.
#[derive(Clone, Copy)]
struct RowSeed<'p> {
    page: &'p str,
}

impl<'de, 'p> DeserializeSeed<'de> for RowSeed<'p> {
    type Value = Row;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Row, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 'p> Visitor<'de> for RowSeed<'p> {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let mut pairs: Vec<(&'de str, &'de str)> = Vec::with_capacity(64);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let value = map.next_value::<&'de RawValue>()?.get();
            match key {
                Cow::Borrowed(key) => pairs.push((key, value)),
                // A key with escapes has no place in the page to point at.
                Cow::Owned(_) => return Err(de::Error::custom(NOT_INDEXABLE)),
            }
        }
        let (Some(first), Some(last)) = (pairs.first(), pairs.last()) else {
            return Ok(Row::unindexed(Arc::from("{}")));
        };
        let page = self.page;
        let at = |s: &str| -> Option<usize> {
            let offset = (s.as_ptr() as usize).checked_sub(page.as_ptr() as usize)?;
            (offset + s.len() <= page.len()).then_some(offset)
        };
        let not_indexable = || de::Error::custom(NOT_INDEXABLE);
        // The row runs from the `{` before its first key's quote to the `}` after its last
        // value, with only white space in between.
        let key_at = at(first.0).ok_or_else(not_indexable)?;
        let bytes = page.as_bytes();
        let open = bytes[..key_at.saturating_sub(1)]
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .filter(|&i| bytes[i] == b'{')
            .ok_or_else(not_indexable)?;
        let value_end = at(last.1).ok_or_else(not_indexable)? + last.1.len();
        let close = bytes[value_end..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|i| value_end + i)
            .filter(|&i| bytes[i] == b'}')
            .ok_or_else(not_indexable)?;
        // `{` and `}` are ASCII, so both ends are character boundaries.
        let text = page.get(open..=close).ok_or_else(not_indexable)?;
        let mut index = Vec::with_capacity(pairs.len());
        for (key, value) in &pairs {
            let span = |s: &str| -> Option<(u32, u32)> {
                let from = u32::try_from(at(s)?.checked_sub(open)?).ok()?;
                Some((from, from + u32::try_from(s.len()).ok()?))
            };
            index.push(Span {
                key: span(key).ok_or_else(not_indexable)?,
                value: span(value).ok_or_else(not_indexable)?,
            });
        }
        Ok(Row {
            text: Arc::from(text),
            index: Arc::from(index),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Row::from_value(&Value::Array(items)))
    }

    scalars_as_values!(|v| Row::from_value(&v));
}

/// Why a page was read again the plain way.
const NOT_INDEXABLE: &str = "a row that cannot be indexed in place";

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
/// still as its JSON text.
pub struct Fields<'a> {
    pairs: Pairs<'a>,
}

enum Pairs<'a> {
    /// Read from the text just now.
    Read(Vec<(Cow<'a, str>, &'a str)>),
    /// Read when the row was: their places in its text.
    Indexed { text: &'a str, index: &'a [Span] },
}

impl<'a> Pairs<'a> {
    fn len(&self) -> usize {
        match self {
            Pairs::Read(pairs) => pairs.len(),
            Pairs::Indexed { index, .. } => index.len(),
        }
    }

    fn key(&self, at: usize) -> &str {
        match self {
            Pairs::Read(pairs) => &pairs[at].0,
            Pairs::Indexed { text, index } => slice(text, index[at].key),
        }
    }

    fn key_is(&self, at: usize, key: &str) -> bool {
        match self {
            Pairs::Read(pairs) => pairs[at].0 == key,
            Pairs::Indexed { text, index } => {
                let (from, to) = index[at].key;
                (to - from) as usize == key.len()
                    && text
                        .as_bytes()
                        .get(from as usize..to as usize)
                        .is_some_and(|k| same_bytes(k, key.as_bytes()))
            }
        }
    }

    fn value(&self, at: usize) -> &'a str {
        match self {
            Pairs::Read(pairs) => pairs[at].1,
            Pairs::Indexed { text, index } => slice(text, index[at].value),
        }
    }
}

/// Byte equality for the short keys of a row, without a `memcmp` call for each: the
/// renderer compares every key of every row of a page against the first row's.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    match n {
        // Two words that overlap cover every byte.
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        0..8 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

fn slice(text: &str, (from, to): (u32, u32)) -> &str {
    text.get(from as usize..to as usize).unwrap_or("")
}

impl<'a> Fields<'a> {
    /// The fields of `json`; none when it is not an object.
    pub fn of(json: &'a str) -> Fields<'a> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Vec<(Cow<'de, str>, &'de str)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    pairs.push((key, map.next_value::<&'de RawValue>()?.get()));
                }
                Ok(pairs)
            }
        }
        let mut de = serde_json::Deserializer::from_str(json);
        let pairs = de.deserialize_map(FieldsVisitor).unwrap_or_default();
        Fields {
            pairs: Pairs::Read(pairs),
        }
    }

    /// The value of `key`. A key written twice is read at its first place: the portal
    /// (PHP's `json_encode`) never writes one twice, and checking every row for it would
    /// cost more than the rest of the reading.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        (0..self.pairs.len())
            .find(|&at| self.pairs.key_is(at, key))
            .map(|at| self.pairs.value(at))
    }

    /// Like [`Fields::get`], searching from `hint` onwards first: a renderer asking for the
    /// fields in the order the portal wrote them finds each at once.
    pub fn get_from(&self, key: &str, hint: &mut usize) -> Option<&'a str> {
        let n = self.pairs.len();
        for step in 0..n {
            let at = (*hint + step) % n;
            if self.pairs.key_is(at, key) {
                *hint = at + 1;
                return Some(self.pairs.value(at));
            }
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.len() == 0
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// The place of `key` among the fields.
    pub fn position(&self, key: &str) -> Option<usize> {
        (0..self.pairs.len()).find(|&at| self.pairs.key_is(at, key))
    }

    /// The key at a place.
    pub fn key_at(&self, at: usize) -> Option<&str> {
        (at < self.pairs.len()).then(|| self.pairs.key(at))
    }

    /// True when the field at `at` has this key.
    pub fn key_at_is(&self, at: usize, key: &str) -> bool {
        at < self.pairs.len() && self.pairs.key_is(at, key)
    }

    /// The value at a place.
    pub fn value_at(&self, at: usize) -> Option<&'a str> {
        (at < self.pairs.len()).then(|| self.pairs.value(at))
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
        let (first, rest) = split_first(path);
        match first {
            "item" => walk(self.item.as_ref()?.to_value(), rest),
            "items" => {
                let rows = self.items.as_ref()?;
                // Into one row: only that row is parsed.
                let row = rest
                    .map(split_first)
                    .and_then(|(index, after)| Some((index.parse::<usize>().ok()?, after)));
                match row {
                    Some((index, after)) => walk(rows.get(index)?.to_value(), after),
                    None => walk(Value::Array(rows.iter().map(Row::to_value).collect()), rest),
                }
            }
            key => walk(self.rest.get(key)?.clone(), rest),
        }
    }
}

/// `a.b.c` as `a` and `Some("b.c")`.
fn split_first(path: &str) -> (&str, Option<&str>) {
    match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
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

/// Reads one call's result; with the page at hand, its rows are indexed as they are read.
#[derive(Clone, Copy)]
struct ResultVisitor<'p> {
    page: Option<&'p str>,
}

impl<'de, 'p> DeserializeSeed<'de> for ResultVisitor<'p> {
    type Value = V3Result;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V3Result, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 'p> Visitor<'de> for ResultVisitor<'p> {
    type Value = V3Result;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a REST 3.0 result")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V3Result, A::Error> {
        let mut out = V3Result::default();
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "items" => match map.next_value_seed(RowsSeed { page: self.page })? {
                    RowsOrValue::Rows(rows) => out.items = Some(rows),
                    RowsOrValue::Value(v) => {
                        rest.insert(key, v);
                    }
                },
                "item" => {
                    out.item = Some(match self.page {
                        Some(page) => map.next_value_seed(RowSeed { page })?,
                        None => map.next_value::<Row>()?,
                    })
                }
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

    scalars_as_values!(scalar);
}

fn scalar(rest: Value) -> V3Result {
    V3Result {
        rest,
        ..V3Result::default()
    }
}

impl<'de> Deserialize<'de> for V3Result {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<V3Result, D::Error> {
        deserializer.deserialize_any(ResultVisitor { page: None })
    }
}

/// `items` as rows when it is an array, else as the value it is.
enum RowsOrValue {
    Rows(Vec<Row>),
    Value(Value),
}

/// Reads `items` in the same pass as the rest of the answer: each row is scanned once.
struct RowsSeed<'p> {
    page: Option<&'p str>,
}

impl<'de, 'p> DeserializeSeed<'de> for RowsSeed<'p> {
    type Value = RowsOrValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RowsOrValue, D::Error> {
        struct RowsVisitor<'p> {
            page: Option<&'p str>,
        }
        impl<'de, 'p> Visitor<'de> for RowsVisitor<'p> {
            type Value = RowsOrValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RowsOrValue, A::Error> {
                let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(64));
                loop {
                    let row = match self.page {
                        Some(page) => seq.next_element_seed(RowSeed { page })?,
                        None => seq.next_element::<Row>()?,
                    };
                    match row {
                        Some(row) => rows.push(row),
                        None => break,
                    }
                }
                Ok(RowsOrValue::Rows(rows))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RowsOrValue, A::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RowsOrValue::Value)
            }
            scalars_as_values!(RowsOrValue::Value);
        }
        deserializer.deserialize_any(RowsVisitor { page: self.page })
    }
}

/// A REST 3.0 answer's `result`: one call's, or a batch's list of them.
#[derive(Debug, Clone, PartialEq)]
pub enum V3Results {
    One(V3Result),
    Many(Vec<V3Result>),
}

/// Reads `result`: one call's, or a batch's list of them.
struct ResultsSeed<'p> {
    page: Option<&'p str>,
}

impl<'de> Deserialize<'de> for V3Results {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<V3Results, D::Error> {
        ResultsSeed { page: None }.deserialize(deserializer)
    }
}

impl<'de, 'p> DeserializeSeed<'de> for ResultsSeed<'p> {
    type Value = V3Results;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V3Results, D::Error> {
        struct ResultsVisitor<'p> {
            page: Option<&'p str>,
        }
        impl<'de, 'p> Visitor<'de> for ResultsVisitor<'p> {
            type Value = V3Results;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a REST 3.0 result or a batch's results")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V3Results, A::Error> {
                let mut all = Vec::new();
                let one = ResultVisitor { page: self.page };
                while let Some(r) = seq.next_element_seed(one)? {
                    all.push(r);
                }
                Ok(V3Results::Many(all))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V3Results, A::Error> {
                ResultVisitor { page: self.page }
                    .visit_map(map)
                    .map(V3Results::One)
            }
            scalars_as_values!(|v| V3Results::One(scalar(v)));
        }
        deserializer.deserialize_any(ResultsVisitor { page: self.page })
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
        // Checked as UTF-8 once, so that reading borrowed keys and values checks nothing
        // again; in one pass, indexing rows in place; a page with a row that cannot be (a
        // key with escapes) is read again the plain way.
        let text = std::str::from_utf8(bytes).ok()?;
        Self::parse_with(text, Some(text)).or_else(|| Self::parse_with(text, None))
    }

    fn parse_with(text: &str, page: Option<&str>) -> Option<V3Body> {
        let mut de = serde_json::Deserializer::from_str(text);
        let body = BodySeed { page }.deserialize(&mut de).ok()?;
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

struct BodySeed<'p> {
    page: Option<&'p str>,
}

impl<'de, 'p> DeserializeSeed<'de> for BodySeed<'p> {
    type Value = V3Body;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V3Body, D::Error> {
        struct BodyVisitor<'p> {
            page: Option<&'p str>,
        }
        impl<'de, 'p> Visitor<'de> for BodyVisitor<'p> {
            type Value = V3Body;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON answer")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V3Body, A::Error> {
                let mut result = None;
                let mut rest = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "result" {
                        result = Some(map.next_value_seed(ResultsSeed { page: self.page })?);
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
            scalars_as_values!(other);
        }
        fn other(rest: Value) -> V3Body {
            V3Body { result: None, rest }
        }
        deserializer.deserialize_any(BodyVisitor { page: self.page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_equal_only_when_every_byte_is() {
        let keys = [
            "",
            "a",
            "id",
            "title",
            "createdBy",
            "accomplices",
            "responsibleId",
            "dateFinishPlanned1",
        ];
        for a in keys {
            assert!(same_bytes(a.as_bytes(), a.as_bytes()), "{a}");
            for b in keys.iter().filter(|b| **b != a) {
                assert!(!same_bytes(a.as_bytes(), b.as_bytes()), "{a} {b}");
            }
            // One byte changed anywhere, at every length the word compare handles.
            for at in 0..a.len() {
                let mut changed = a.as_bytes().to_vec();
                changed[at] ^= 0x20;
                assert!(!same_bytes(a.as_bytes(), &changed), "{a} at {at}");
            }
        }
    }

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
    fn rows_read_from_a_page_are_indexed_in_place_whatever_the_white_space() {
        let page = b" { \"result\" : { \"items\" : [ { \"id\" : 7 , \"t\" : \"x\\\"y\" } ,{}, 3 ],\n \"item\":{\"k\":[1, 2]} } } ";
        let result = V3Body::parse(page).unwrap().result.unwrap().into_one();
        let rows = result.rows();
        assert_eq!(rows[0].text(), r#"{ "id" : 7 , "t" : "x\"y" }"#);
        assert!(!rows[0].index.is_empty());
        let fields = rows[0].fields();
        assert_eq!(fields.get("id"), Some("7"));
        assert_eq!(fields.get("t"), Some(r#""x\"y""#));
        assert_eq!(rows[0].id(), Some(7));
        assert_eq!(rows[1].text(), "{}");
        assert_eq!(rows[2].to_value(), json!(3));
        assert_eq!(
            result.item.as_ref().unwrap().fields().get("k"),
            Some("[1, 2]")
        );
    }

    #[test]
    fn a_page_with_an_escaped_key_is_read_the_plain_way() {
        let page = br#"{"result":{"items":[{"id":1},{"i\u0064":2}]}}"#;
        let rows = V3Body::parse(page)
            .unwrap()
            .result
            .unwrap()
            .into_one()
            .take_rows();
        assert!(rows.iter().all(|r| r.index.is_empty()));
        assert_eq!(rows[1].id(), Some(2));
        assert_eq!(rows[1].fields().get("id"), Some("2"));
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
        assert_eq!(fields.get_from("a", &mut hint), Some("1"));
        assert_eq!(fields.get_from("cA", &mut hint), Some("[1]"));
        assert_eq!(fields.get_from("b", &mut hint), Some("\"x\""));
        assert_eq!(fields.get("b"), Some("\"x\""));
        assert!(fields.get("z").is_none());
        assert!(Fields::of("[1,2]").is_empty());
    }
}
