//! A small `multipart/form-data` reader: each field part is registered under its `name`
//! exactly as PHP fills `$_POST` (names are not URL-decoded, brackets nest as in
//! `parse_str`); parts with a `filename` are uploads, which PHP puts in `$_FILES` and the
//! REST layer never reads, so they are skipped. A body that does not parse yields what was
//! read before the damage.

use super::array::{PhpArray, PhpValue};
use super::parse_str::register;
use serde_json::Value;

/// The `boundary` parameter of a multipart content type.
pub fn boundary(content_type: &str) -> Option<String> {
    for param in content_type.split(';').skip(1) {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("boundary") {
            let v = value.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(v);
            if !v.is_empty() && v.len() <= 200 {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A parameter of a `Content-Disposition` header value, quoted or not.
fn disposition_param(header: &str, wanted: &str) -> Option<String> {
    let mut rest = header;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .rsplit([';', ' ', '\t'])
            .next()
            .unwrap_or("")
            .trim();
        let after = &rest[eq + 1..];
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        if name.eq_ignore_ascii_case(wanted) {
            return Some(value);
        }
        rest = tail;
    }
    None
}

/// Reads the fields of a multipart body into `$_POST` form.
pub fn read_multipart(content_type: &str, body: &[u8]) -> PhpArray {
    let mut out = PhpArray::default();
    let Some(boundary) = boundary(content_type) else {
        return out;
    };
    let delimiter = format!("--{boundary}").into_bytes();
    let Some(first) = find(body, &delimiter, 0) else {
        return out;
    };
    let mut pos = first + delimiter.len();
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        // the rest of the delimiter line
        let Some(line_end) = find(body, b"\n", pos) else {
            break;
        };
        let headers_start = line_end + 1;
        let (headers_end, content_start) = match (
            find(body, b"\r\n\r\n", headers_start),
            find(body, b"\n\n", headers_start),
        ) {
            (Some(a), Some(b)) if b < a => (b, b + 2),
            (Some(a), _) => (a, a + 4),
            (None, Some(b)) => (b, b + 2),
            (None, None) => break,
        };
        let next = find(body, &delimiter, content_start);
        let content_end = next.unwrap_or(body.len());
        let mut content = &body[content_start..content_end];
        if next.is_some() {
            content = content
                .strip_suffix(b"\r\n")
                .or_else(|| content.strip_suffix(b"\n"))
                .unwrap_or(content);
        }
        let headers = String::from_utf8_lossy(&body[headers_start..headers_end]);
        let disposition = headers.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then(|| value.trim().to_string())
        });
        if let Some(d) = disposition {
            let is_file = disposition_param(&d, "filename").is_some();
            if let (Some(name), false) = (disposition_param(&d, "name"), is_file) {
                let value = String::from_utf8_lossy(content).into_owned();
                register(&mut out, &name, PhpValue::Scalar(Value::String(value)));
            }
        }
        match next {
            Some(n) => pos = n + delimiter.len(),
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(ct: &str, body: &str) -> Value {
        Value::Object(read_multipart(ct, body.as_bytes()).to_map())
    }

    #[test]
    fn reads_the_documented_example() {
        let body = "--SomeBoundary\r\nContent-Disposition: form-data; name=\"fields[TITLE]\"\r\n\r\nMy company\r\n--SomeBoundary\r\nContent-Disposition: form-data; name=\"fields[PHONE][0][VALUE]\"\r\n\r\n112233\r\n--SomeBoundary--\r\n";
        assert_eq!(
            read("multipart/form-data; boundary=SomeBoundary", body),
            json!({"fields": {"TITLE": "My company", "PHONE": [{"VALUE": "112233"}]}})
        );
    }

    #[test]
    fn quoted_boundary_bare_newlines_files_and_appends() {
        let body = "preamble\n--b\nContent-Disposition: form-data; name=\"select[]\"\n\nID\n--b\ncontent-disposition: form-data; name=select[]\n\nTITLE\n--b\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\nContent-Type: text/plain\n\nfile body\n--b--";
        assert_eq!(
            read("multipart/form-data; boundary=\"b\"", body),
            json!({"select": ["ID", "TITLE"]})
        );
    }

    #[test]
    fn names_are_not_url_decoded_and_values_keep_newlines() {
        let body = "--x\r\nContent-Disposition: form-data; name=\"a%5Bb%5D\"\r\n\r\nline1\r\nline2\r\n--x--";
        assert_eq!(
            read("multipart/form-data; boundary=x", body),
            json!({"a%5Bb%5D": "line1\r\nline2"})
        );
    }

    #[test]
    fn damaged_bodies_do_not_fail() {
        for body in [
            "",
            "--x",
            "--x\r\n",
            "--x\r\nContent-Disposition: form-data; name=\"a\"",
            "--x\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv",
            "garbage",
        ] {
            let _ = read("multipart/form-data; boundary=x", body);
        }
        assert_eq!(read("multipart/form-data", "--x"), json!({}));
        assert_eq!(
            read(
                "multipart/form-data; boundary=x",
                "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated"
            ),
            json!({"a": "unterminated"})
        );
    }
}
