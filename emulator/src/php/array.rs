//! A PHP array: insertion-ordered entries with integer or string keys, numeric-string keys
//! folded to integers, and the "next free index" that `[]` appends at.

use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Int(i64),
    Str(String),
}

impl Key {
    /// The key PHP stores for `name`: a canonical decimal integer (`0`, `-7`, `42`; no
    /// sign `+`, no leading zeros, no `-0`, within i64) becomes an integer key.
    pub fn from_name(name: &str) -> Key {
        let digits = name.strip_prefix('-').unwrap_or(name);
        let canonical = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'))
            && name != "-0";
        if canonical {
            if let Ok(n) = name.parse::<i64>() {
                return Key::Int(n);
            }
        }
        Key::Str(name.to_string())
    }

    pub fn text(&self) -> String {
        match self {
            Key::Int(n) => n.to_string(),
            Key::Str(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PhpValue {
    /// null, bool, number or string, kept with its JSON type (form values are strings).
    Scalar(Value),
    Array(PhpArray),
}

impl PhpValue {
    pub fn from_json(v: &Value) -> PhpValue {
        match v {
            Value::Array(items) => {
                let mut a = PhpArray::default();
                for item in items {
                    a.push(PhpValue::from_json(item));
                }
                PhpValue::Array(a)
            }
            Value::Object(map) => PhpValue::Array(PhpArray::from_json_object(map)),
            scalar => PhpValue::Scalar(scalar.clone()),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            PhpValue::Scalar(v) => v.clone(),
            PhpValue::Array(a) => a.to_json(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PhpArray {
    entries: Vec<(Key, PhpValue)>,
    index: HashMap<Key, usize>,
    /// The key `[]` appends at; `None` until an integer key has been used.
    next_free: Option<i64>,
}

impl PartialEq for PhpArray {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl PhpArray {
    pub fn from_json_object(map: &Map<String, Value>) -> PhpArray {
        let mut a = PhpArray::default();
        for (k, v) in map {
            a.set(Key::from_name(k), PhpValue::from_json(v));
        }
        a
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[(Key, PhpValue)] {
        &self.entries
    }

    pub fn get(&self, key: &Key) -> Option<&PhpValue> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    fn note_int(&mut self, key: &Key) {
        if let Key::Int(n) = key {
            let after = n.saturating_add(1);
            self.next_free = Some(self.next_free.map_or(after, |f| f.max(after)));
        }
    }

    /// Sets `key`; an existing key keeps its position and takes the new value.
    pub fn set(&mut self, key: Key, value: PhpValue) {
        if let Some(&i) = self.index.get(&key) {
            self.entries[i].1 = value;
            return;
        }
        self.note_int(&key);
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push((key, value));
    }

    /// Appends at the next free integer key (PHP `$a[] = v`); false when no key is left.
    pub fn push(&mut self, value: PhpValue) -> bool {
        let key = self.next_free.unwrap_or(0);
        if self.next_free == Some(i64::MAX) && self.index.contains_key(&Key::Int(i64::MAX)) {
            return false;
        }
        self.set(Key::Int(key), value);
        true
    }

    pub fn remove(&mut self, key: &Key) {
        if let Some(i) = self.index.remove(key) {
            self.entries.remove(i);
            for (_, pos) in self.index.iter_mut() {
                if *pos > i {
                    *pos -= 1;
                }
            }
        }
    }

    /// The array stored at `key` (or appended when `key` is `None`), created empty when
    /// missing and replacing a scalar that was there.
    pub fn child_array(&mut self, key: Option<Key>) -> Option<&mut PhpArray> {
        let key = match key {
            Some(k) => k,
            None => {
                let k = Key::Int(self.next_free.unwrap_or(0));
                if self.index.contains_key(&k) {
                    return None;
                }
                k
            }
        };
        let is_array = matches!(self.get(&key), Some(PhpValue::Array(_)));
        if !is_array {
            self.set(key.clone(), PhpValue::Array(PhpArray::default()));
        }
        let i = *self.index.get(&key)?;
        match &mut self.entries[i].1 {
            PhpValue::Array(a) => Some(a),
            PhpValue::Scalar(_) => None,
        }
    }

    /// PHP `array_merge($self, $other)`: integer keys of both are renumbered from 0, string
    /// keys of `other` overwrite those of `self` in place.
    pub fn merged_with(&self, other: &PhpArray) -> PhpArray {
        let mut out = PhpArray::default();
        for (k, v) in self.entries.iter().chain(other.entries.iter()) {
            match k {
                Key::Int(_) => {
                    out.push(v.clone());
                }
                Key::Str(_) => out.set(k.clone(), v.clone()),
            }
        }
        out
    }

    /// True when the keys are exactly 0..n-1 in order (PHP's `array_is_list`).
    pub fn is_list(&self) -> bool {
        self.entries
            .iter()
            .enumerate()
            .all(|(i, (k, _))| *k == Key::Int(i as i64))
    }

    /// JSON as PHP's `json_encode` writes this array.
    pub fn to_json(&self) -> Value {
        if self.is_list() {
            Value::Array(self.entries.iter().map(|(_, v)| v.to_json()).collect())
        } else {
            Value::Object(self.to_map())
        }
    }

    /// The entries as a JSON object, whatever the keys (the top level of a request).
    pub fn to_map(&self) -> Map<String, Value> {
        self.entries
            .iter()
            .map(|(k, v)| (k.text(), v.to_json()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_strings_fold_to_integer_keys() {
        assert_eq!(Key::from_name("12"), Key::Int(12));
        assert_eq!(Key::from_name("-3"), Key::Int(-3));
        assert_eq!(Key::from_name("0"), Key::Int(0));
        for s in ["012", "+1", "-0", "1.5", " 1", "", "99999999999999999999"] {
            assert_eq!(Key::from_name(s), Key::Str(s.to_string()), "{s}");
        }
    }

    #[test]
    fn appends_go_after_the_largest_integer_key() {
        let mut a = PhpArray::default();
        a.set(Key::Int(5), PhpValue::Scalar(json!("x")));
        a.push(PhpValue::Scalar(json!("y")));
        a.set(Key::Str("k".into()), PhpValue::Scalar(json!("z")));
        a.push(PhpValue::Scalar(json!("w")));
        assert_eq!(a.to_json(), json!({"5": "x", "6": "y", "k": "z", "7": "w"}));
    }

    #[test]
    fn lists_only_when_keys_are_0_to_n_minus_1_in_order() {
        let v = PhpValue::from_json(&json!({"0": "a", "1": "b"}));
        assert_eq!(v.to_json(), json!(["a", "b"]));
        let v = PhpValue::from_json(&json!({"1": "a", "0": "b"}));
        assert_eq!(v.to_json(), json!({"1": "a", "0": "b"}));
        assert_eq!(PhpValue::from_json(&json!({})).to_json(), json!([]));
    }

    #[test]
    fn array_merge_renumbers_integer_keys_and_overwrites_strings() {
        let arr = |v: Value| match PhpValue::from_json(&v) {
            PhpValue::Array(a) => a,
            PhpValue::Scalar(_) => PhpArray::default(),
        };
        let a = arr(json!({"3": "a", "x": "1", "y": "2"}));
        let b = arr(json!({"x": "9", "7": "b"}));
        assert_eq!(
            a.merged_with(&b).to_json(),
            json!({"0": "a", "x": "9", "y": "2", "1": "b"})
        );
    }

    #[test]
    fn remove_keeps_the_index_consistent() {
        let mut a = PhpArray::default();
        for k in ["a", "b", "c"] {
            a.set(Key::Str(k.into()), PhpValue::Scalar(json!(k)));
        }
        a.remove(&Key::Str("a".into()));
        a.set(Key::Str("c".into()), PhpValue::Scalar(json!("C")));
        assert_eq!(a.to_json(), json!({"b": "b", "c": "C"}));
    }
}
