//! v2's JSON bytes, as PHP's `json_encode` writes them with the flags Bitrix uses.
//!
//! The official pages' raw examples show `/` as `\/`, `<` and `>` as `\u003C`/`\u003E`,
//! `"` inside strings as `\u0022` (`JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS |
//! JSON_HEX_QUOT`, slashes escaped). Non-ASCII is written as PHP does by default, as
//! `\uXXXX` escapes; the pages show none, so it is a setting ([`JsonStyle`]), like the
//! slashes. An empty PHP array is `[]`, never `{}`.
//!
//! Hand-written because no JSON crate offers PHP's escaping: serde_json's formatter hooks
//! cover the characters JSON requires, not the ones PHP adds.

use serde_json::Value;

use crate::rules::JsonStyle;

/// A value as v2 bytes.
pub fn to_vec(value: &Value, style: JsonStyle) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value, style);
    out
}

/// Appends a value as v2 writes it.
pub fn write_value(out: &mut Vec<u8>, value: &Value, style: JsonStyle) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_str(out, s, style),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, style);
            }
            out.push(b']');
        }
        // PHP has no empty object: an empty array is `[]` whatever its keys would be.
        Value::Object(map) if map.is_empty() => out.extend_from_slice(b"[]"),
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, key, style);
                out.push(b':');
                write_value(out, item, style);
            }
            out.push(b'}');
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a JSON string with PHP's escapes.
pub fn write_str(out: &mut Vec<u8>, text: &str, style: JsonStyle) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    for (at, c) in text.char_indices() {
        let escape: Option<&[u8]> = match c {
            '"' => Some(b"\\u0022"),
            '\\' => Some(b"\\\\"),
            '/' if style.escape_slashes => Some(b"\\/"),
            '<' => Some(b"\\u003C"),
            '>' => Some(b"\\u003E"),
            '&' => Some(b"\\u0026"),
            '\'' => Some(b"\\u0027"),
            '\u{08}' => Some(b"\\b"),
            '\u{0c}' => Some(b"\\f"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            _ => None,
        };
        let needs_unicode = (c as u32) < 0x20 || (style.escape_unicode && !c.is_ascii());
        if escape.is_none() && !needs_unicode {
            continue;
        }
        out.extend_from_slice(&bytes[plain_from..at]);
        plain_from = at + c.len_utf8();
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.extend_from_slice(b"\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX[usize::from((*unit >> shift) & 0xf)]);
                    }
                }
            }
        }
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn php(v: &Value) -> String {
        String::from_utf8(to_vec(v, JsonStyle::default())).unwrap()
    }

    #[test]
    fn escapes_as_the_official_raw_examples_show() {
        assert_eq!(
            php(&json!("on [B]Monday[/B] <b>x</b>")),
            r#""on [B]Monday[\/B] \u003Cb\u003Ex\u003C\/b\u003E""#
        );
        assert_eq!(
            php(&json!("Task title is not specified<br>")),
            r#""Task title is not specified\u003Cbr\u003E""#
        );
        assert_eq!(
            php(&json!("a \"b\" & 'c' \\")),
            r#""a \u0022b\u0022 \u0026 \u0027c\u0027 \\""#
        );
        assert_eq!(php(&json!("line\nnext\u{1}")), r#""line\nnext\u0001""#);
    }

    #[test]
    fn non_ascii_is_escaped_as_php_does_unless_asked_not_to() {
        assert_eq!(
            php(&json!("Задача ё")),
            r#""\u0417\u0430\u0434\u0430\u0447\u0430 \u0451""#
        );
        assert_eq!(php(&json!("😀")), r#""\ud83d\ude00""#);
        let raw = JsonStyle {
            escape_unicode: false,
            escape_slashes: false,
        };
        assert_eq!(
            String::from_utf8(to_vec(&json!("Задача/1"), raw)).unwrap(),
            "\"Задача/1\""
        );
    }

    #[test]
    fn an_empty_array_is_a_list_and_key_order_is_kept() {
        assert_eq!(
            php(&json!({"result": {}, "b": [], "a": {"z": 1, "y": null}})),
            r#"{"result":[],"b":[],"a":{"z":1,"y":null}}"#
        );
        assert_eq!(php(&json!(0.155413)), "0.155413");
        assert_eq!(php(&json!(1759759363)), "1759759363");
    }

    #[test]
    fn the_output_is_json_that_reads_back_to_the_same_value() {
        let v = json!({"t": "a/b<c>&'\"\\ é 😀", "n": [1, 2.5, -3], "o": {"k": true}});
        let back: Value = serde_json::from_slice(&to_vec(&v, JsonStyle::default())).unwrap();
        assert_eq!(back, v);
    }
}
