//! Answer bytes as the portal's PHP writes them: `json_encode` with the flags Bitrix uses
//! (`JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT`), slashes escaped, and
//! every non-ASCII character as a `\uXXXX` escape (PHP's default; the docs show no
//! non-ASCII answer). Raw doc examples confirm `\/`, `\u003C`, `\u003E`, `\u0026`,
//! `\u0027` and `\u0022`.
//!
//! A PHP array cannot be an empty JSON object, so an empty object is written `[]`.

use serde_json::Value;
use std::fmt::Write;

/// The PHP `json_encode` text of `value`.
pub fn encode(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("[]"),
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_unit(unit: u16, out: &mut String) {
    // PHP prints escape digits in lower case, except the fixed \u003C-style sequences.
    let _ = write!(out, "\\u{unit:04x}");
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\u0022"),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => write_unit(c as u16, out),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write_unit(*unit, out);
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_the_raw_doc_examples() {
        assert_eq!(
            encode(&json!({"error_description": "Task title is not specified<br>"})),
            r#"{"error_description":"Task title is not specified\u003Cbr\u003E"}"#
        );
        assert_eq!(
            encode(&json!("[B]Monday[/B] & 'x' \"y\"")),
            r#""[B]Monday[\/B] \u0026 \u0027x\u0027 \u0022y\u0022""#
        );
    }

    #[test]
    fn non_ascii_becomes_lower_case_escapes_and_surrogate_pairs() {
        assert_eq!(
            encode(&json!("Проект")),
            r#""\u041f\u0440\u043e\u0435\u043a\u0442""#
        );
        assert_eq!(encode(&json!("a😀")), r#""a\ud83d\ude00""#);
        assert_eq!(encode(&json!("\u{1}\n\t")), r#""\u0001\n\t""#);
    }

    #[test]
    fn empty_containers_are_php_arrays_and_order_is_kept() {
        assert_eq!(encode(&json!({})), "[]");
        assert_eq!(encode(&json!([])), "[]");
        assert_eq!(
            encode(&json!({"b": 1, "a": [true, null, 1.5], "c": {}})),
            r#"{"b":1,"a":[true,null,1.5],"c":[]}"#
        );
    }

    #[test]
    fn the_output_is_json_that_reads_back_to_the_same_value() {
        let v = json!({"x": "</script>&'\"\\/ é 😀", "n": [1, -2, 0.25], "o": {"k": null}});
        let back: Value = serde_json::from_str(&encode(&v)).unwrap_or(Value::Null);
        assert_eq!(back, v);
    }
}
