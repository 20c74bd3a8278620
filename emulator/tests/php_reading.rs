//! PHP request reading, table-driven: `parse_str` rules, multipart, JSON bodies, the merge
//! of query over body, and what leaves the parameters (`auth`, `bx24_*`).

use b24emu::php::{parse_str, read_multipart, read_v2_request};
use serde_json::{json, Value};

fn q(s: &str) -> Value {
    Value::Object(parse_str(s).to_map())
}

#[test]
fn parse_str_table() {
    let table: Vec<(&str, Value)> = vec![
        ("", json!({})),
        ("&&&", json!({})),
        ("a=1&b=", json!({"a": "1", "b": ""})),
        ("a=1&a=2&a=3", json!({"a": "3"})),
        (
            "select[]=ID&select[]=TITLE",
            json!({"select": ["ID", "TITLE"]}),
        ),
        (
            "select[0]=ID&select[1]=TITLE",
            json!({"select": ["ID", "TITLE"]}),
        ),
        (
            "select[1]=TITLE&select[0]=ID",
            json!({"select": {"1": "TITLE", "0": "ID"}}),
        ),
        (
            "a[3]=x&a[]=y&a[]=z",
            json!({"a": {"3": "x", "4": "y", "5": "z"}}),
        ),
        ("a[x]=1&a[]=2", json!({"a": {"x": "1", "0": "2"}})),
        (
            "fields[TITLE]=My+company&fields[PHONE][0][VALUE]=112233",
            json!({"fields": {"TITLE": "My company", "PHONE": [{"VALUE": "112233"}]}}),
        ),
        (
            "fields[TITLE]=John%26Martin",
            json!({"fields": {"TITLE": "John&Martin"}}),
        ),
        (
            "fields[TITLE]=John&Martin",
            json!({"fields": {"TITLE": "John"}, "Martin": ""}),
        ),
        ("filter%5B%3E%3DID%5D=5", json!({"filter": {">=ID": "5"}})),
        (
            "filter[::SUBFILTER-PARAMS][FAVORITE]=Y",
            json!({"filter": {"::SUBFILTER-PARAMS": {"FAVORITE": "Y"}}}),
        ),
        ("my.var=1&my var=2", json!({"my_var": "2"})),
        ("a[b.c d]=1", json!({"a": {"b.c d": "1"}})),
        ("a[=1", json!({"a_": "1"})),
        ("a]=1", json!({"a]": "1"})),
        (
            "0=123&1[POST_MESSAGE]=test",
            json!({"0": "123", "1": {"POST_MESSAGE": "test"}}),
        ),
        ("x=%E2%9C%93&y=%D0%B0", json!({"x": "✓", "y": "а"})),
        ("x=%", json!({"x": "%"})),
        ("a[][][]=1", json!({"a": [[["1"]]]})),
        ("a[b]=1&a[b][c]=2", json!({"a": {"b": {"c": "2"}}})),
        (
            "cmd[0]=crm.lead.add%3Ffields%5BTITLE%5D%3DJohn%2526Martin",
            json!({"cmd": ["crm.lead.add?fields[TITLE]=John%26Martin"]}),
        ),
    ];
    for (input, want) in table {
        assert_eq!(q(input), want, "{input:?}");
    }
}

#[test]
fn double_encoded_batch_commands_decode_twice() {
    let outer = q("cmd[0]=crm.lead.add%3Ffields%5BTITLE%5D%3DJohn%2526Martin");
    let inner = outer["cmd"][0].as_str().unwrap_or_default();
    let query = inner.split_once('?').map(|(_, q)| q).unwrap_or_default();
    assert_eq!(q(query), json!({"fields": {"TITLE": "John&Martin"}}));
}

#[test]
fn multipart_table() {
    let ct = "multipart/form-data; boundary=----X";
    let body = "------X\r\nContent-Disposition: form-data; name=\"fields[TITLE]\"\r\n\r\nLine 1\r\nLine 2\r\n------X\r\nContent-Disposition: form-data; name=\"fields[AUDITORS][]\"\r\n\r\n3\r\n------X\r\nContent-Disposition: form-data; name=\"fields[AUDITORS][]\"\r\n\r\n4\r\n------X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\u{1}\u{2}\r\n------X--\r\n";
    assert_eq!(
        Value::Object(read_multipart(ct, body.as_bytes()).to_map()),
        json!({"fields": {"TITLE": "Line 1\r\nLine 2", "AUDITORS": ["3", "4"]}})
    );
}

#[test]
fn requests_merge_query_over_body_and_drop_auth_and_telemetry() {
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        Value,
        Option<&'a str>,
    );
    let cases: Vec<Case> = vec![
        (
            Some("auth=t1&taskId=5"),
            None,
            "",
            json!({"taskId": "5"}),
            Some("t1"),
        ),
        (
            None,
            Some("application/x-www-form-urlencoded"),
            "auth=t2&taskId=6",
            json!({"taskId": "6"}),
            Some("t2"),
        ),
        (
            None,
            Some("application/json"),
            r#"{"auth":"t3","taskId":7}"#,
            json!({"taskId": 7}),
            Some("t3"),
        ),
        (
            Some("taskId=9&bx24_request_id=x&bx24_sdk_ver=2.2.0&bx24_sdk_type=b24-js-sdk"),
            Some("application/json"),
            r#"{"taskId":8,"select":["ID"]}"#,
            json!({"taskId": "9", "select": ["ID"]}),
            None,
        ),
        (
            Some("select[]=TITLE"),
            Some("application/json"),
            r#"{"select":["ID","DEADLINE"]}"#,
            json!({"select": ["TITLE"]}),
            None,
        ),
        (
            None,
            Some("application/json; charset=utf-8"),
            "not json",
            json!({}),
            None,
        ),
        (None, Some("text/plain"), "taskId=1", json!({}), None),
        (
            None,
            Some("application/vnd.api+json"),
            r#"{"taskId":1}"#,
            json!({"taskId": 1}),
            None,
        ),
    ];
    for (query, ct, body, want, auth) in cases {
        let r = read_v2_request(query, ct, body.as_bytes());
        assert_eq!(Value::Object(r.params), want, "{query:?} {ct:?} {body}");
        assert_eq!(r.auth.as_deref(), auth);
    }
}

#[test]
fn hostile_inputs_never_panic() {
    let nasty = [
        "[".repeat(10_000),
        "a".to_string() + &"[x]".repeat(5_000) + "=1",
        "%".repeat(1000),
        "=".repeat(1000),
        "a[]=1&".repeat(10_000),
        "\u{0}\u{1}\u{2}[]=\u{ff}".to_string(),
    ];
    for n in &nasty {
        let _ = parse_str(n);
        let _ = read_multipart(&format!("multipart/form-data; boundary={n}"), n.as_bytes());
        let _ = read_v2_request(
            Some(n),
            Some("application/x-www-form-urlencoded"),
            n.as_bytes(),
        );
    }
    let appended = parse_str(&"a[]=1&".repeat(10_000));
    assert_eq!(
        Value::Object(appended.to_map())["a"]
            .as_array()
            .map(Vec::len),
        Some(10_000)
    );
}
