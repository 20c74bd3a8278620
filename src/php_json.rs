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

/// What to do with one byte of a string: copy it, escape it (ASCII), or escape the
/// character it begins (non-ASCII under `escape_unicode`).
const COPY: u8 = 0;
const ESCAPE: u8 = 1;
const UNICODE: u8 = 2;

/// One byte table per style (slashes escaped or not × non-ASCII escaped or not): strings
/// are mostly plain text, and a table lookup per byte is what keeps writing them cheap.
const TABLES: [[u8; 256]; 4] = [
    table(false, false),
    table(false, true),
    table(true, false),
    table(true, true),
];

const fn table(slashes: bool, unicode: bool) -> [u8; 256] {
    let mut t = [COPY; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b < 0x20 {
            ESCAPE
        } else if b >= 0x80 {
            // Continuation bytes are never looked at: a character is escaped whole.
            if unicode {
                UNICODE
            } else {
                COPY
            }
        } else {
            match b as u8 {
                b'"' | b'\\' | b'<' | b'>' | b'&' | b'\'' => ESCAPE,
                b'/' if slashes => ESCAPE,
                _ => COPY,
            }
        };
        b += 1;
    }
    t
}

fn ascii_escape(out: &mut Vec<u8>, b: u8) {
    let short: &[u8] = match b {
        b'"' => b"\\u0022",
        b'\\' => b"\\\\",
        b'/' => b"\\/",
        b'<' => b"\\u003C",
        b'>' => b"\\u003E",
        b'&' => b"\\u0026",
        b'\'' => b"\\u0027",
        0x08 => b"\\b",
        0x0c => b"\\f",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        _ => return unicode_escape(out, u16::from(b)),
    };
    out.extend_from_slice(short);
}

fn unicode_escape(out: &mut Vec<u8>, unit: u16) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)]);
    }
}

/// Appends a JSON string with PHP's escapes.
pub fn write_str(out: &mut Vec<u8>, text: &str, style: JsonStyle) {
    let table = &TABLES[usize::from(style.escape_slashes) * 2 + usize::from(style.escape_unicode)];
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut plain_from = 0;
    let mut at = 0;
    // Each run of bytes copied as they are is found before anything is written.
    while let Some(run) = bytes[at..]
        .iter()
        .position(|&b| table[usize::from(b)] != COPY)
    {
        at += run;
        let b = bytes[at];
        match table[usize::from(b)] {
            ESCAPE => {
                out.extend_from_slice(&bytes[plain_from..at]);
                ascii_escape(out, b);
                at += 1;
            }
            _ => {
                out.extend_from_slice(&bytes[plain_from..at]);
                // `at` is a character boundary: only a character's first byte is seen.
                let c = text[at..].chars().next().unwrap_or('\u{fffd}');
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    unicode_escape(out, *unit);
                }
                at += c.len_utf8();
            }
        }
        plain_from = at;
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

    /// PHP's escaping, character by character: the specification the byte tables follow.
    fn reference(text: &str, style: JsonStyle) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\u0022"),
                '\\' => out.push_str("\\\\"),
                '/' if style.escape_slashes => out.push_str("\\/"),
                '<' => out.push_str("\\u003C"),
                '>' => out.push_str("\\u003E"),
                '&' => out.push_str("\\u0026"),
                '\'' => out.push_str("\\u0027"),
                '\u{08}' => out.push_str("\\b"),
                '\u{0c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || (style.escape_unicode && !c.is_ascii()) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn every_style_escapes_as_the_character_by_character_reference() {
        let alphabet: Vec<char> = "aZ09 /\\\"'<>&\u{0}\u{1f}\u{7f}\n\r\t\u{8}\u{c}éЖ€😀\u{ffff}"
            .chars()
            .collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let len = (seed % 24) as usize;
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            for (slashes, unicode) in [(false, false), (false, true), (true, false), (true, true)] {
                let style = JsonStyle {
                    escape_slashes: slashes,
                    escape_unicode: unicode,
                };
                let mut out = Vec::new();
                write_str(&mut out, &text, style);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    reference(&text, style),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn the_output_is_json_that_reads_back_to_the_same_value() {
        let v = json!({"t": "a/b<c>&'\"\\ é 😀", "n": [1, 2.5, -3], "o": {"k": true}});
        let back: Value = serde_json::from_slice(&to_vec(&v, JsonStyle::default())).unwrap();
        assert_eq!(back, v);
    }
}
