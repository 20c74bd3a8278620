//! PHP `parse_str` / `$_GET` semantics, written from the behaviour PHP documents and shows:
//!
//! * pairs split on `&`; a pair without `=` has the value `""`; names and values are
//!   URL-decoded (`+` is a space, `%XX` a byte) before anything else, so `%5B` is a bracket;
//! * leading spaces of a name are dropped; a name that ends up empty is ignored; a NUL byte
//!   ends the name;
//! * in the base name (before the first `[`) spaces and dots become `_`;
//! * `a[x][y]` nests, `a[]` appends after the largest integer key, keys inside brackets are
//!   verbatim, numeric-string keys become integers, characters after a `]` that is not
//!   followed by `[` are ignored;
//! * an unterminated first `[` is not an index: it becomes `_` together with every space, dot
//!   and `[` after it (`a[b.c` is the plain name `a_b_c`); an unterminated later `[` ends
//!   the path;
//! * the last value for a path wins (a scalar is replaced by an array when indexed, and the
//!   other way round);
//! * more than 64 bracket levels drop the whole variable (PHP's `max_input_nesting_level`).

use super::array::{Key, PhpArray, PhpValue};
use serde_json::Value;

/// PHP's default `max_input_nesting_level`.
pub const MAX_NESTING: usize = 64;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `urldecode`: `+` → space, `%XX` → byte; a `%` not followed by two hex digits stays.
pub fn url_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let high = input.get(i + 1).copied().and_then(hex);
                let low = input.get(i + 2).copied().and_then(hex);
                match (high, low) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses a query string or form body.
pub fn parse_str(input: &str) -> PhpArray {
    parse_str_bytes(input.as_bytes())
}

/// Parses raw form bytes (values may be any bytes; invalid UTF-8 becomes U+FFFD).
pub fn parse_str_bytes(input: &[u8]) -> PhpArray {
    let mut root = PhpArray::default();
    for pair in input.split(|b| *b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let name = text(&url_decode(name));
        let value = text(&url_decode(value));
        register(&mut root, &name, PhpValue::Scalar(Value::String(value)));
    }
    root
}

/// One step of a bracket path: an explicit key or `[]`.
type Step = Option<Key>;

/// Stores `value` under the PHP variable name `name` (also used for multipart fields).
pub fn register(root: &mut PhpArray, name: &str, value: PhpValue) {
    let name = name.split('\0').next().unwrap_or("");
    let name = name.trim_start_matches(' ');
    let (base_raw, rest) = match name.find('[') {
        Some(i) => (&name[..i], Some(&name[i + 1..])),
        None => (name, None),
    };
    let mut base: String = base_raw
        .chars()
        .map(|c| if c == ' ' || c == '.' { '_' } else { c })
        .collect();
    if base.is_empty() {
        return;
    }
    let Some(mut rest) = rest else {
        root.set(Key::from_name(&base), value);
        return;
    };
    let mut steps: Vec<Step> = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix(']') {
            steps.push(None);
            rest = after;
        } else if let Some(close) = rest.find(']') {
            steps.push(Some(Key::from_name(&rest[..close])));
            rest = &rest[close + 1..];
        } else if steps.is_empty() {
            // not an index at all: the bracket and what follows join the base name
            base.push('_');
            base.extend(rest.chars().map(|c| {
                if c == ' ' || c == '.' || c == '[' {
                    '_'
                } else {
                    c
                }
            }));
            root.set(Key::from_name(&base), value);
            return;
        } else {
            break;
        }
        if steps.len() > MAX_NESTING {
            root.remove(&Key::from_name(&base));
            return;
        }
        match rest.strip_prefix('[') {
            Some(after) => rest = after,
            None => break,
        }
    }
    let mut current = root;
    let mut step: Step = Some(Key::from_name(&base));
    for next in steps {
        let Some(child) = current.child_array(step) else {
            return;
        };
        current = child;
        step = next;
    }
    match step {
        Some(key) => current.set(key, value),
        None => {
            current.push(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(q: &str) -> Value {
        Value::Object(parse_str(q).to_map())
    }

    #[test]
    fn decoding() {
        assert_eq!(url_decode(b"a+b%20c%2"), b"a b c%2".to_vec());
        assert_eq!(url_decode(b"%zz%4a%4A%"), b"%zzJJ%".to_vec());
        assert_eq!(url_decode(b"%"), b"%".to_vec());
        assert_eq!(url_decode(b"%4"), b"%4".to_vec());
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, Value)> = vec![
            ("a=1&b=2", json!({"a": "1", "b": "2"})),
            ("a=1&a=2", json!({"a": "2"})),
            ("a", json!({"a": ""})),
            ("a=", json!({"a": ""})),
            ("=1&&b=x=y", json!({"b": "x=y"})),
            ("a[]=x&a[]=y", json!({"a": ["x", "y"]})),
            ("a[5]=x&a[]=y", json!({"a": {"5": "x", "6": "y"}})),
            ("a[1]=x&a[0]=y", json!({"a": {"1": "x", "0": "y"}})),
            (
                "a[x][y]=1&a[x][z]=2",
                json!({"a": {"x": {"y": "1", "z": "2"}}}),
            ),
            ("a=1&a[b]=2", json!({"a": {"b": "2"}})),
            ("a[b]=2&a=1", json!({"a": "1"})),
            (
                "filter[%3E%3DID]=5&filter%5B%3CID%5D=9",
                json!({"filter": {">=ID": "5", "<ID": "9"}}),
            ),
            // a raw `=` in a name ends the name there, as in PHP
            ("filter[>=ID]=5", json!({"filter_>": "ID]=5"})),
            (
                "a.b=1&c d=2& e=3",
                json!({"a_b": "1", "c_d": "2", "e": "3"}),
            ),
            ("a[b.c]=1", json!({"a": {"b.c": "1"}})),
            ("a[b=1", json!({"a_b": "1"})),
            ("a[b.c d[e=1", json!({"a_b_c_d_e": "1"})),
            ("a[b][c=1", json!({"a": {"b": "1"}})),
            ("a[b]c=1", json!({"a": {"b": "1"}})),
            ("a[]b[c]=1", json!({"a": ["1"]})),
            ("[x]=1", json!({})),
            ("q=a+b%2Bc", json!({"q": "a b+c"})),
            ("x[0]=a&x[1]=b", json!({"x": ["a", "b"]})),
            ("x[00]=a", json!({"x": {"00": "a"}})),
            ("x[-1]=a&x[]=b", json!({"x": {"-1": "a", "0": "b"}})),
            ("x[][a]=1&x[][a]=2", json!({"x": [{"a": "1"}, {"a": "2"}]})),
            ("a%00b=1", json!({"a": "1"})),
            ("v=%00", json!({"v": "\u{0}"})),
            ("12=a", json!({"12": "a"})),
        ];
        for (q, want) in cases {
            assert_eq!(parsed(q), want, "{q}");
        }
    }

    #[test]
    fn too_deep_drops_the_variable() {
        let deep = format!("keep=1&a{}=x", "[k]".repeat(MAX_NESTING + 1));
        assert_eq!(parsed(&deep), json!({"keep": "1"}));
        let ok = format!("a{}=x", "[k]".repeat(MAX_NESTING));
        assert!(parsed(&ok).get("a").is_some());
    }

    #[test]
    fn non_utf8_values_do_not_fail() {
        let p = parse_str_bytes(b"a=%ff%fe&b=\xff");
        assert_eq!(p.len(), 2);
    }
}
