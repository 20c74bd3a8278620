//! PHP's reading of `name=value` pairs: the rules of `parse_str`, `$_GET` and `$_POST`.
//!
//! The old server never saw a flat list of pairs; PHP folded every pair into a nested,
//! insertion-ordered array, using the bracket syntax of the name. A handler's view of the
//! request is that array, so the bridge rebuilds it the same way before anything else looks at
//! the parameters. The steps mirror PHP's variable registration:
//!
//! 1. the name and the value are percent-decoded separately (`+` is a space);
//! 2. the name is cut at a NUL byte (PHP handles names as C strings);
//! 3. the name is split into a base name and bracket segments ([`parse_name`]);
//! 4. the value is stored in an ordered PHP array ([`PhpArray`]), creating and replacing
//!    intermediate arrays like PHP does;
//! 5. at the end the tree becomes JSON: a PHP array whose keys are exactly `0..n-1` in
//!    insertion order is a JSON list, anything else an object.
//!
//! Nothing here can panic on hostile input: all slicing goes through `get`, and the only
//! recursion (turning the tree into JSON) is bounded by the nesting limit.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{DecodeError, DecodeLimits};

/// A PHP array key. Canonical decimal integers are integer keys, everything else a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Int(i64),
    Str(String),
}

impl Key {
    /// The key PHP would use for these bytes (its "symtable" rule), text decoded lossily.
    pub(crate) fn from_bytes(raw: &[u8]) -> Key {
        let text = String::from_utf8_lossy(raw);
        match canonical_int(&text) {
            Some(n) => Key::Int(n),
            None => Key::Str(text.into_owned()),
        }
    }

    fn into_string(self) -> String {
        match self {
            Key::Int(n) => n.to_string(),
            Key::Str(s) => s,
        }
    }
}

/// `Some(n)` when `text` is how PHP writes the integer `n`: an optional `-`, then digits
/// without a leading zero (`0` itself is fine, `-0` is not), within the 64-bit range.
pub(crate) fn canonical_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.starts_with('0') && text.len() > 1 {
        return None;
    }
    text.parse::<i64>().ok()
}

/// A value in the tree: a string leaf or a nested array.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Leaf(String),
    Array(PhpArray),
}

/// An insertion-ordered PHP array.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PhpArray {
    entries: Vec<(Key, Node)>,
    /// Position of each key in `entries`. Entries are never removed, so positions stay valid.
    positions: HashMap<Key, usize>,
    /// Where `[]` appends: one past the largest integer key seen, `None` before any.
    next_index: Option<i64>,
}

impl PhpArray {
    /// Stores `node` under `key`: an existing key keeps its position, a new one goes last.
    fn set(&mut self, key: Key, node: Node) {
        if let Some(slot) = self
            .positions
            .get(&key)
            .copied()
            .and_then(|pos| self.entries.get_mut(pos))
        {
            slot.1 = node;
            return;
        }
        self.push_new(key, node);
    }

    fn push_new(&mut self, key: Key, node: Node) {
        if let Key::Int(n) = key {
            // One past the largest integer key; PHP clamps at i64::MAX instead of wrapping.
            let after = n.saturating_add(1);
            if self.next_index.is_none_or(|next| after > next) {
                self.next_index = Some(after);
            }
        }
        self.positions.insert(key.clone(), self.entries.len());
        self.entries.push((key, node));
    }

    /// The key `[]` would use, or `None` when it is taken (only possible at i64::MAX, where
    /// PHP refuses the append and the value is dropped).
    fn append_key(&self) -> Option<Key> {
        let key = Key::Int(self.next_index.unwrap_or(0));
        (!self.positions.contains_key(&key)).then_some(key)
    }

    /// `[]` with a leaf. Returns false when PHP would refuse the append.
    fn append(&mut self, node: Node) -> bool {
        match self.append_key() {
            Some(key) => {
                self.push_new(key, node);
                true
            }
            None => false,
        }
    }

    /// `[]` followed by more brackets: a new empty array at the end.
    fn append_array(&mut self) -> Option<&mut PhpArray> {
        let key = self.append_key()?;
        self.child_array(key)
    }

    /// The array under `key`, created when missing; a string found there is replaced by an
    /// empty array in the same position (PHP: `a=1&a[x]=2` gives `a = [x => 2]`).
    fn child_array(&mut self, key: Key) -> Option<&mut PhpArray> {
        let pos = match self.positions.get(&key) {
            Some(&pos) => pos,
            None => {
                self.push_new(key, Node::Array(PhpArray::default()));
                self.entries.len().checked_sub(1)?
            }
        };
        let (_, node) = self.entries.get_mut(pos)?;
        if matches!(node, Node::Leaf(_)) {
            *node = Node::Array(PhpArray::default());
        }
        match node {
            Node::Array(array) => Some(array),
            Node::Leaf(_) => None,
        }
    }

    fn is_list(&self) -> bool {
        self.entries
            .iter()
            .zip(0i64..)
            .all(|((key, _), n)| *key == Key::Int(n))
    }

    fn into_value(self) -> Value {
        if self.is_list() {
            Value::Array(
                self.entries
                    .into_iter()
                    .map(|(_, node)| node.into_value())
                    .collect(),
            )
        } else {
            Value::Object(self.into_map())
        }
    }

    /// The array as a JSON object whatever its keys (used for the top level).
    fn into_map(self) -> Map<String, Value> {
        self.entries
            .into_iter()
            .map(|(key, node)| (key.into_string(), node.into_value()))
            .collect()
    }
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Leaf(text) => Value::String(text),
            Node::Array(array) => array.into_value(),
        }
    }
}

/// One bracket segment of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// `[]` (or a bracket holding a single whitespace character).
    Append,
    /// `[k]`, the key bytes verbatim.
    Key(Vec<u8>),
}

/// A variable name taken apart: `fields[PHONE][0]` is base `fields`, path `[PHONE, 0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedName {
    pub(crate) base: Vec<u8>,
    pub(crate) path: Vec<Segment>,
}

const HOST_PREFIX: &[u8] = b"__Host-";
const SECURE_PREFIX: &[u8] = b"__Secure-";

/// Splits a decoded name the way PHP does. `Ok(None)`: PHP ignores the variable.
///
/// * Leading spaces go; in the base name (before the first `[`) `.` and space become `_`.
/// * A name whose base name ends up empty is ignored, and so is one that the mangling turned
///   into a `__Host-`/`__Secure-` name (a cookie-prefix guard PHP applies to all input).
/// * `[` opens a segment that ends at the next `]`; the key inside is kept byte for byte. If
///   the segment starts with one whitespace character directly followed by `]`, it appends.
/// * After `]`, anything but `[` ends the name; the rest is ignored.
/// * A `[` without a closing `]`: in the first segment it becomes `_` and the rest of the
///   name joins the base name (with ` `, `.` and `[` turned into `_`); in a later segment the
///   rest is ignored.
/// * More than `max_depth` segments is an error (PHP drops such a variable with a warning).
pub(crate) fn parse_name(name: &[u8], max_depth: usize) -> Result<Option<ParsedName>, DecodeError> {
    let skip = name.iter().take_while(|&&b| b == b' ').count();
    let name = name.get(skip..).unwrap_or_default();

    let mut base = Vec::with_capacity(name.len());
    let mut first_open = None;
    for (i, &b) in name.iter().enumerate() {
        match b {
            b' ' | b'.' => base.push(b'_'),
            b'[' => {
                first_open = Some(i);
                break;
            }
            _ => base.push(b),
        }
    }

    for prefix in [HOST_PREFIX, SECURE_PREFIX] {
        if base.starts_with(prefix) && !name.starts_with(prefix) {
            return Ok(None);
        }
    }
    if base.is_empty() {
        return Ok(None);
    }

    let mut path = Vec::new();
    let Some(mut open) = first_open else {
        return Ok(Some(ParsedName { base, path }));
    };
    let mut level = 0usize;
    loop {
        level += 1;
        if level > max_depth {
            return Err(DecodeError::TooDeep { limit: max_depth });
        }
        let key_start = open + 1;
        let mut probe = key_start;
        if name.get(probe).is_some_and(|&b| is_c_space(b)) {
            probe += 1;
        }
        let close = if name.get(probe) == Some(&b']') {
            path.push(Segment::Append);
            probe
        } else {
            let found = name
                .get(probe..)
                .and_then(|rest| rest.iter().position(|&b| b == b']'));
            match found {
                Some(offset) => {
                    let close = probe + offset;
                    let key = name.get(key_start..close).unwrap_or_default();
                    path.push(Segment::Key(key.to_vec()));
                    close
                }
                None => {
                    if path.is_empty() {
                        base.push(b'_');
                        let rest = name.get(key_start..).unwrap_or_default();
                        base.extend(rest.iter().map(|&b| match b {
                            b' ' | b'.' | b'[' => b'_',
                            other => other,
                        }));
                    }
                    break;
                }
            }
        };
        if name.get(close + 1) == Some(&b'[') {
            open = close + 1;
        } else {
            break;
        }
    }
    Ok(Some(ParsedName { base, path }))
}

/// C `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Collects variables into one PHP array, the way PHP fills `$_GET` or `$_POST`.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    root: PhpArray,
    max_depth: usize,
}

impl Registry {
    pub(crate) fn new(max_depth: usize) -> Self {
        Registry {
            root: PhpArray::default(),
            max_depth,
        }
    }

    /// Registers one decoded name with its value.
    pub(crate) fn register(&mut self, name: &[u8], value: String) -> Result<(), DecodeError> {
        let name = name.split(|&b| b == 0).next().unwrap_or_default();
        if let Some(parsed) = parse_name(name, self.max_depth)? {
            self.insert(parsed, value);
        }
        Ok(())
    }

    fn insert(&mut self, name: ParsedName, value: String) {
        let base = Key::from_bytes(&name.base);
        let Some((last, inner)) = name.path.split_last() else {
            self.root.set(base, Node::Leaf(value));
            return;
        };
        let Some(mut current) = self.root.child_array(base) else {
            return;
        };
        for segment in inner {
            let next = match segment {
                Segment::Append => current.append_array(),
                Segment::Key(key) => current.child_array(Key::from_bytes(key)),
            };
            match next {
                Some(array) => current = array,
                None => return,
            }
        }
        match last {
            Segment::Append => {
                current.append(Node::Leaf(value));
            }
            Segment::Key(key) => current.set(Key::from_bytes(key), Node::Leaf(value)),
        }
    }

    /// The collected variables; the top level is always an object.
    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.root.into_map()
    }
}

/// PHP's `urldecode`: `+` is a space, `%` with two hex digits is a byte, any other `%` stays.
pub(crate) fn url_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let high = input.get(i + 1).and_then(|&h| hex_value(h));
                let low = input.get(i + 2).and_then(|&l| hex_value(l));
                match (high, low) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A query string or form body read like PHP: split on `&` (empty pieces skipped), then at
/// the first `=`; every piece counts against `max_vars`.
pub(crate) fn parse_urlencoded(
    input: &[u8],
    limits: &DecodeLimits,
) -> Result<Map<String, Value>, DecodeError> {
    let mut registry = Registry::new(limits.max_depth);
    let mut count = 0usize;
    for piece in input
        .split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
    {
        count += 1;
        if count > limits.max_vars {
            return Err(DecodeError::TooManyVariables {
                limit: limits.max_vars,
            });
        }
        let mut halves = piece.splitn(2, |&b| b == b'=');
        let name = url_decode(halves.next().unwrap_or_default());
        let value = url_decode(halves.next().unwrap_or_default());
        registry.register(&name, String::from_utf8_lossy(&value).into_owned())?;
    }
    Ok(registry.into_map())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> String {
        let map = parse_urlencoded(input.as_bytes(), &DecodeLimits::default()).unwrap();
        serde_json::to_string(&map).unwrap()
    }

    fn name(input: &str) -> Option<(String, Vec<String>)> {
        parse_name(input.as_bytes(), 64).unwrap().map(|parsed| {
            let path = parsed
                .path
                .iter()
                .map(|segment| match segment {
                    Segment::Append => "[]".to_owned(),
                    Segment::Key(key) => String::from_utf8_lossy(key).into_owned(),
                })
                .collect();
            (String::from_utf8_lossy(&parsed.base).into_owned(), path)
        })
    }

    #[test]
    fn integer_keys_are_canonical_decimal_only() {
        assert_eq!(canonical_int("0"), Some(0));
        assert_eq!(canonical_int("17"), Some(17));
        assert_eq!(canonical_int("-3"), Some(-3));
        assert_eq!(canonical_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(canonical_int("9223372036854775807"), Some(i64::MAX));
        for not_int in [
            "",
            "-",
            "-0",
            "01",
            "+1",
            "1.0",
            " 1",
            "1 ",
            "1e3",
            "9223372036854775808",
        ] {
            assert_eq!(canonical_int(not_int), None, "{not_int:?}");
        }
    }

    #[test]
    fn url_decoding_follows_php_urldecode() {
        assert_eq!(url_decode(b"a+b%20c"), b"a b c");
        assert_eq!(url_decode(b"%2B%26%3d"), b"+&=");
        assert_eq!(url_decode(b"100%"), b"100%");
        assert_eq!(url_decode(b"%zz%4"), b"%zz%4");
        assert_eq!(url_decode(b"%D0%A2"), "Т".as_bytes());
    }

    #[test]
    fn names_split_into_base_and_segments() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(name("ID"), Some(("ID".into(), s(&[]))));
        assert_eq!(
            name("fields[PHONE][0][VALUE]"),
            Some(("fields".into(), s(&["PHONE", "0", "VALUE"])))
        );
        assert_eq!(name("a[]"), Some(("a".into(), s(&["[]"]))));
        assert_eq!(name("a[ ]"), Some(("a".into(), s(&["[]"]))));
        assert_eq!(name("a[\t]"), Some(("a".into(), s(&["[]"]))));
        assert_eq!(name("a[  ]"), Some(("a".into(), s(&["  "]))));
        assert_eq!(name("a[ k]"), Some(("a".into(), s(&[" k"]))));
        assert_eq!(
            name("  x.y z[a.b c]"),
            Some(("x_y_z".into(), s(&["a.b c"])))
        );
        assert_eq!(name("a[b[c]"), Some(("a".into(), s(&["b[c"]))));
        assert_eq!(name("a[b]c[d]"), Some(("a".into(), s(&["b"]))));
        assert_eq!(name("a["), Some(("a_".into(), s(&[]))));
        assert_eq!(name("a[b.c d[e"), Some(("a_b_c_d_e".into(), s(&[]))));
        assert_eq!(name("a[b][c"), Some(("a".into(), s(&["b"]))));
        assert_eq!(name("a]b"), Some(("a]b".into(), s(&[]))));
        assert_eq!(name(""), None);
        assert_eq!(name("   "), None);
        assert_eq!(name("[a]"), None);
        assert_eq!(name("[a"), None);
        assert_eq!(name(".Host-x"), Some(("_Host-x".into(), s(&[]))));
        assert_eq!(name("..Host-x"), None);
        assert_eq!(name("_.Secure-x[a]"), None);
        assert_eq!(name("__Host-x"), Some(("__Host-x".into(), s(&[]))));
    }

    #[test]
    fn nesting_limit_counts_bracket_segments() {
        assert!(parse_name(b"a[1][2]", 2).unwrap().is_some());
        assert_eq!(
            parse_name(b"a[1][2][3]", 2),
            Err(DecodeError::TooDeep { limit: 2 })
        );
        // PHP checks the level before it finds out that the last `[` is unmatched.
        assert_eq!(
            parse_name(b"a[1][2][3", 2),
            Err(DecodeError::TooDeep { limit: 2 })
        );
        assert_eq!(
            parse_name(b"a[1]", 0),
            Err(DecodeError::TooDeep { limit: 0 })
        );
        assert!(parse_name(b"a", 0).unwrap().is_some());
        // Text after `]` ends the name, so it adds no level.
        assert!(parse_name(b"a[1]x[2][3]", 1).unwrap().is_some());
    }

    #[test]
    fn appends_follow_the_largest_integer_key() {
        assert_eq!(parse("a[]=x&a[]=y"), r#"{"a":["x","y"]}"#);
        assert_eq!(parse("a[5]=x&a[]=y"), r#"{"a":{"5":"x","6":"y"}}"#);
        assert_eq!(
            parse("a[5]=x&a[2]=y&a[]=z"),
            r#"{"a":{"5":"x","2":"y","6":"z"}}"#
        );
        assert_eq!(parse("a[-3]=x&a[]=y"), r#"{"a":{"-3":"x","-2":"y"}}"#);
        assert_eq!(parse("a[k]=x&a[]=y"), r#"{"a":{"k":"x","0":"y"}}"#);
        assert_eq!(
            parse("a[9223372036854775807]=x&a[]=y&a[][z]=w"),
            r#"{"a":{"9223372036854775807":"x"}}"#
        );
    }

    #[test]
    fn collisions_replace_in_place() {
        assert_eq!(parse("a=1&b=2&a=3"), r#"{"a":"3","b":"2"}"#);
        assert_eq!(parse("a=1&b=2&a[x]=3"), r#"{"a":{"x":"3"},"b":"2"}"#);
        assert_eq!(parse("a[x]=1&b=2&a=3"), r#"{"a":"3","b":"2"}"#);
        assert_eq!(parse("a[x]=1&a[x][y]=2"), r#"{"a":{"x":{"y":"2"}}}"#);
        assert_eq!(parse("a[]=1&a[0][]=2"), r#"{"a":[["2"]]}"#);
    }

    #[test]
    fn lists_need_keys_zero_to_n_in_order() {
        assert_eq!(parse("a[0]=x&a[1]=y"), r#"{"a":["x","y"]}"#);
        assert_eq!(parse("a[1]=x&a[0]=y"), r#"{"a":{"1":"x","0":"y"}}"#);
        assert_eq!(parse("a[0]=x&a[2]=y"), r#"{"a":{"0":"x","2":"y"}}"#);
        assert_eq!(parse("a[00]=x"), r#"{"a":{"00":"x"}}"#);
        // The top level is an object even when its keys are 0..n-1.
        assert_eq!(parse("0=x&1=y"), r#"{"0":"x","1":"y"}"#);
    }

    #[test]
    fn names_are_cut_at_nul() {
        assert_eq!(parse("a%00b=1"), r#"{"a":"1"}"#);
        assert_eq!(parse("%00a=1"), r#"{}"#);
        assert_eq!(parse("a=x%00y"), r#"{"a":"x\u0000y"}"#);
    }

    #[test]
    fn variable_limit_counts_non_empty_pieces() {
        let limits = DecodeLimits {
            max_vars: 2,
            ..DecodeLimits::default()
        };
        assert!(parse_urlencoded(b"&a=1&&b=2&", &limits).is_ok());
        // Pieces PHP ignores (empty name) still count, as in PHP.
        assert_eq!(
            parse_urlencoded(b"a=1&=2&b=3", &limits),
            Err(DecodeError::TooManyVariables { limit: 2 })
        );
    }
}
