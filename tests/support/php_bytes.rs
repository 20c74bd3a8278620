//! What v2 bytes look like: PHP's `json_encode` with `JSON_HEX_TAG | JSON_HEX_AMP |
//! JSON_HEX_APOS | JSON_HEX_QUOT`, slashes and non-ASCII escaped, empty arrays as `[]`.
//! Written here again, apart from the bridge's and the emulator's writers, so that a test
//! can tell whether an answer's bytes are exactly what v2 writes for its data.

use serde_json::Value;

pub fn encode(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            out.push(']');
        }
        Value::Object(m) if m.is_empty() => out.push_str("[]"),
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                write(x, out);
            }
            out.push('}');
        }
    }
}

fn string(s: &str, out: &mut String) {
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
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || !c.is_ascii() => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Asserts the bytes are exactly what v2 writes for the JSON they hold. Fractional numbers
/// (the clocks of `time` blocks) are left out of the comparison: reading them back is not
/// exact, and their digits are the writer's, not data.
pub fn assert_as_v2_writes(what: &str, raw: &[u8]) {
    let text = String::from_utf8_lossy(raw);
    let Ok(value) = serde_json::from_slice::<Value>(raw) else {
        return;
    };
    assert_eq!(
        without_fractions(&encode(&value)),
        without_fractions(&text),
        "{what}: the bytes are not those v2 writes for this data"
    );
}

/// The JSON text with every number that has a fraction or exponent replaced by `0.0`.
fn without_fractions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '-' || c.is_ascii_digit() {
            let mut number = String::from(c);
            while let Some(&n) = chars.peek() {
                if n.is_ascii_digit() || matches!(n, '.' | 'e' | 'E' | '+' | '-') {
                    number.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            if number.contains(['.', 'e', 'E']) {
                out.push_str("0.0");
            } else {
                out.push_str(&number);
            }
        } else {
            out.push(c);
        }
    }
    out
}
