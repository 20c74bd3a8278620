//! The parameters a v2 method sees: the body read by its content type, the query string
//! merged over it (`array_merge($body, $query)`: the query wins), then the OAuth `auth`
//! token and the SDKs' `bx24_*` telemetry taken out.
//!
//! Body forms: `application/x-www-form-urlencoded` (parse_str), `multipart/form-data`,
//! and JSON (`application/json` or any `+json` type). A JSON body that does not parse is
//! ignored, as PHP's `json_decode` failing leaves no parameters; any other content type
//! leaves the body unread, as PHP fills `$_POST` only for the two form types.

use super::array::{Key, PhpArray, PhpValue};
use super::multipart::read_multipart;
use super::parse_str::parse_str_bytes;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct V2Request {
    /// What the method handler receives.
    pub params: Map<String, Value>,
    /// The `auth` parameter (OAuth access token), from the query or the body.
    pub auth: Option<String>,
}

/// The lower-case media type of a `Content-Type` value, without parameters.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub fn is_json_type(content_type: &str) -> bool {
    let e = essence(content_type);
    e == "application/json" || e.ends_with("+json") || e == "text/json"
}

fn body_params(content_type: Option<&str>, body: &[u8]) -> PhpArray {
    let Some(ct) = content_type else {
        return PhpArray::default();
    };
    match essence(ct).as_str() {
        "application/x-www-form-urlencoded" => parse_str_bytes(body),
        "multipart/form-data" => read_multipart(ct, body),
        _ if is_json_type(ct) => match serde_json::from_slice::<Value>(body) {
            Ok(v) => match PhpValue::from_json(&v) {
                PhpValue::Array(a) => a,
                PhpValue::Scalar(_) => PhpArray::default(),
            },
            Err(_) => PhpArray::default(),
        },
        _ => PhpArray::default(),
    }
}

/// Reads a v2 request.
pub fn read_v2_request(query: Option<&str>, content_type: Option<&str>, body: &[u8]) -> V2Request {
    let from_query = parse_str_bytes(query.unwrap_or("").as_bytes());
    let merged = body_params(content_type, body).merged_with(&from_query);
    let auth_key = Key::Str("auth".into());
    let auth = match merged.get(&auth_key) {
        Some(PhpValue::Scalar(Value::String(s))) => Some(s.clone()),
        Some(PhpValue::Scalar(Value::Number(n))) => Some(n.to_string()),
        _ => None,
    };
    let mut params = Map::new();
    for (key, value) in merged.entries() {
        let name = key.text();
        if name == "auth" || name.starts_with("bx24_") {
            continue;
        }
        params.insert(name, value.to_json());
    }
    V2Request { params, auth }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_wins_over_body_and_auth_and_telemetry_leave() {
        let r = read_v2_request(
            Some("taskId=2&bx24_request_id=abc&auth=tok"),
            Some("application/json; charset=utf-8"),
            br#"{"taskId": 1, "select": ["ID"], "bx24_sdk_ver": "2"}"#,
        );
        assert_eq!(
            r.params,
            json!({"taskId": "2", "select": ["ID"]})
                .as_object()
                .cloned()
                .unwrap_or_default()
        );
        assert_eq!(r.auth.as_deref(), Some("tok"));
    }

    #[test]
    fn every_body_form_gives_the_same_parameters() {
        let want = json!({"taskId": "1", "select": ["ID", "TITLE"]});
        let form = read_v2_request(
            None,
            Some("application/x-www-form-urlencoded"),
            b"taskId=1&select%5B%5D=ID&select%5B%5D=TITLE",
        );
        let get = read_v2_request(Some("taskId=1&select[]=ID&select[]=TITLE"), None, b"");
        let multi = read_v2_request(
            None,
            Some("multipart/form-data; boundary=B"),
            b"--B\r\nContent-Disposition: form-data; name=\"taskId\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=\"select[]\"\r\n\r\nID\r\n--B\r\nContent-Disposition: form-data; name=\"select[]\"\r\n\r\nTITLE\r\n--B--\r\n",
        );
        for r in [form, get, multi] {
            assert_eq!(Value::Object(r.params), want);
        }
        let json = read_v2_request(
            None,
            Some("application/json"),
            br#"{"taskId":"1","select":["ID","TITLE"]}"#,
        );
        assert_eq!(Value::Object(json.params), want);
    }

    #[test]
    fn unreadable_bodies_leave_no_parameters() {
        for (ct, body) in [
            (Some("application/json"), &b"{not json"[..]),
            (Some("application/json"), &b"\"just a string\""[..]),
            (Some("text/plain"), &b"taskId=1"[..]),
            (None, &b"taskId=1"[..]),
        ] {
            assert!(read_v2_request(None, ct, body).params.is_empty(), "{ct:?}");
        }
    }

    #[test]
    fn json_lists_and_numeric_keys_follow_php() {
        let r = read_v2_request(
            None,
            Some("application/json"),
            br#"[123, {"POST_MESSAGE": "x"}]"#,
        );
        assert_eq!(
            Value::Object(r.params),
            json!({"0": 123, "1": {"POST_MESSAGE": "x"}})
        );
        let r = read_v2_request(
            None,
            Some("application/json"),
            br#"{"cmd": {"0": "a", "1": "b"}}"#,
        );
        assert_eq!(r.params.get("cmd"), Some(&json!(["a", "b"])));
    }
}
