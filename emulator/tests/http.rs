//! The portal over HTTP: v2 in every body form, REST 3.0 JSON only with its credential
//! carriers, TLS, the raw bytes PHP writes, faults, rate limiting, request counting, and
//! idempotency headers.

mod support;

use b24emu::{start, tls_config, ApiVersion, EmulatorOptions, RateLimit, RunningEmulator};
use serde_json::json;
use std::time::{Duration, Instant};
use support::{send, send_tls, FORM, JSON};

async fn portal() -> RunningEmulator {
    start(EmulatorOptions::new(
        "127.0.0.1:0".parse().expect("addr"),
        42,
    ))
    .await
    .expect("portal starts")
}

#[tokio::test]
async fn v2_reads_every_body_form() {
    let p = portal().await;
    let addr = p.local_addr();
    let get = send(
        addr,
        "GET",
        "/rest/1/hook1/tasks.task.get?taskId=1&select[]=ID&select[]=TITLE",
        &[],
        "",
    )
    .await;
    let form = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.get.json",
        &[FORM],
        "taskId=1&select%5B%5D=ID&select%5B%5D=TITLE",
    )
    .await;
    let json_body = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.get/",
        &[JSON],
        r#"{"taskId":1,"select":["ID","TITLE"]}"#,
    )
    .await;
    let multipart = send(
        addr,
        "POST",
        "/rest/1/hook1/TASKS.TASK.GET",
        &[("Content-Type", "multipart/form-data; boundary=B")],
        "--B\r\nContent-Disposition: form-data; name=\"taskId\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=\"select[]\"\r\n\r\nID\r\n--B\r\nContent-Disposition: form-data; name=\"select[]\"\r\n\r\nTITLE\r\n--B--\r\n",
    )
    .await;
    let oauth = send(
        addr,
        "POST",
        "/rest/tasks.task.get?auth=token-user-1",
        &[JSON],
        r#"{"taskId":1,"select":["ID","TITLE"]}"#,
    )
    .await;
    let oauth_body = send(
        addr,
        "POST",
        "/rest/tasks.task.get",
        &[FORM],
        "auth=token-user-1&taskId=1&select[]=ID&select[]=TITLE",
    )
    .await;
    for r in [&get, &form, &json_body, &multipart, &oauth, &oauth_body] {
        assert_eq!(r.status, 200, "{}", r.raw);
        assert_eq!(r.json()["result"], get.json()["result"]);
        assert_eq!(r.json()["result"]["task"]["id"], "1");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }
    let log = p.emulator().served_log();
    assert_eq!(log.len(), 6);
    assert!(log
        .iter()
        .all(|s| s.version == ApiVersion::V2 && s.method == "tasks.task.get"));
    // query wins over the body
    let r = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.get?taskId=2&bx24_request_id=x",
        &[JSON],
        r#"{"taskId":1,"select":["ID"]}"#,
    )
    .await;
    assert_eq!(r.json()["result"]["task"]["id"], "2");
    p.shutdown().await;
}

#[tokio::test]
async fn v3_is_json_only_with_its_credentials() {
    let p = portal().await;
    let addr = p.local_addr();
    let ok = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[JSON],
        r#"{"id":1,"select":["id","title","responsible.name"]}"#,
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["result"]["item"]["id"], 1);
    let form = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[FORM],
        "id=1",
    )
    .await;
    assert_eq!(
        (form.status, form.json()["error"]["code"].clone()),
        (400, json!("BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION"))
    );
    let broken = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[JSON],
        "{",
    )
    .await;
    assert_eq!(
        broken.json()["error"]["code"],
        "BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION"
    );
    let query_only = send(
        addr,
        "GET",
        "/rest/api/1/hook1/tasks.task.get?id=1",
        &[],
        "",
    )
    .await;
    assert_eq!(
        query_only.json()["error"]["validation"][0]["field"],
        "id",
        "the query string is not read"
    );
    let openapi = send(
        addr,
        "GET",
        "/rest/api/1/hook1/rest.documentation.openapi",
        &[],
        "",
    )
    .await;
    assert_eq!(openapi.json()["result"]["openapi"], "3.0.0");
    let body_token = send(
        addr,
        "POST",
        "/rest/api/tasks.task.get",
        &[JSON],
        r#"{"id":1,"auth":"token-user-7"}"#,
    )
    .await;
    let bearer = send(
        addr,
        "POST",
        "/rest/api/tasks.task.get",
        &[JSON, ("Authorization", "Bearer token-user-7")],
        r#"{"id":1}"#,
    )
    .await;
    let query = send(
        addr,
        "POST",
        "/rest/api/batch?auth=token-user-7",
        &[JSON],
        r#"[{"method":"tasks.task.get","query":{"id":1}}]"#,
    )
    .await;
    let visible = p
        .emulator()
        .with_store(|s| s.tasks.get(&1).is_some_and(|t| s.can_read(t, 7)));
    let want = if visible { 200 } else { 403 };
    assert_eq!((body_token.status, bearer.status), (want, want));
    assert_eq!(query.status, if visible { 200 } else { 403 });
    let none = send(
        addr,
        "POST",
        "/rest/api/tasks.task.get",
        &[JSON],
        r#"{"id":1}"#,
    )
    .await;
    assert_eq!(
        (none.status, none.json()["error"].clone()),
        (401, json!("NO_AUTH_FOUND"))
    );
    let unknown = send(
        addr,
        "POST",
        "/rest/api/1/hook1/crm.deal.list",
        &[JSON],
        "{}",
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.json()["error"]["code"].clone()),
        (404, json!("ERROR_METHOD_NOT_FOUND"))
    );
    p.shutdown().await;
}

#[tokio::test]
async fn raw_bytes_are_php_json() {
    let p = portal().await;
    let addr = p.local_addr();
    let r = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.add",
        &[JSON],
        r#"{"fields":{"TITLE":"Отчёт </b> & 'x' \"y\"","RESPONSIBLE_ID":2}}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.raw.contains(r#""title":"\u041e\u0442\u0447\u0451\u0442 \u003C\/b\u003E \u0026 \u0027x\u0027 \u0022y\u0022""#), "{}", r.raw);
    assert!(r.raw.contains(r#""link":"\/company\/personal\/user\/1\/""#));
    assert!(!r.raw.contains('<') && !r.raw.contains('>'));
    let e = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.add",
        &[JSON],
        r#"{"fields":{"TITLE":"","RESPONSIBLE_ID":2}}"#,
    )
    .await;
    assert_eq!(
        e.raw,
        r#"{"error":"ERROR_CORE","error_description":"Task title is not specified\u003Cbr\u003E"}"#
    );
    let empty = send(
        addr,
        "GET",
        "/rest/1/hook1/tasks.task.get?taskId=999999",
        &[],
        "",
    )
    .await;
    assert!(
        empty.raw.starts_with(r#"{"result":[],"time":{"start":"#),
        "{}",
        empty.raw
    );
    p.shutdown().await;
}

#[tokio::test]
async fn tls_listener() {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let dir = std::env::temp_dir().join(format!("b24emu-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("cert written");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("key written");
    let mut options = EmulatorOptions::new("127.0.0.1:0".parse().expect("addr"), 42);
    options.tls = Some(tls_config(&cert_path, &key_path).expect("tls config"));
    let p = start(options).await.expect("portal starts");
    let root = cert.cert.der().to_vec();
    let r = send_tls(
        p.local_addr(),
        root.clone(),
        "POST",
        "/rest/1/hook1/server.time",
        &[JSON],
        "{}",
    )
    .await;
    assert_eq!(
        (r.status, r.json()["result"].clone()),
        (200, json!("2026-11-02T09:00:00+03:00"))
    );
    let r = send_tls(
        p.local_addr(),
        root,
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[JSON],
        r#"{"id":1,"select":["id"]}"#,
    )
    .await;
    assert_eq!(r.json()["result"]["item"]["id"], 1);
    assert!(tls_config(&dir.join("missing.pem"), &key_path).is_err());
    let _ = std::fs::remove_dir_all(&dir);
    p.shutdown().await;
}

#[tokio::test]
async fn counts_requests_a_batch_is_one() {
    let p = portal().await;
    let addr = p.local_addr();
    send(addr, "GET", "/healthz", &[], "").await;
    send(
        addr,
        "POST",
        "/rest/1/hook1/batch",
        &[JSON],
        r#"{"cmd":["server.time","server.time","user.current"]}"#,
    )
    .await;
    send(addr, "POST", "/rest/1/hook1/server.time", &[JSON], "{}").await;
    send(addr, "POST", "/rest/api/1/hook1/batch", &[JSON], r#"[{"method":"tasks.task.field.list","query":{}},{"method":"tasks.task.field.list","query":{}}]"#).await;
    send(addr, "GET", "/nowhere", &[], "").await;
    let c = p.requests();
    assert_eq!((c.total, c.v2, c.v3), (4, 2, 1));
    p.reset_requests();
    assert_eq!(p.requests().total, 0);
    p.shutdown().await;
}

#[tokio::test]
async fn the_standard_rate_limit() {
    let p = portal().await;
    let addr = p.local_addr();
    p.faults().set_rate_limit(Some(RateLimit::STANDARD));
    let mut statuses = Vec::new();
    for _ in 0..55 {
        statuses.push(
            send(addr, "POST", "/rest/1/hook1/server.time", &[JSON], "{}")
                .await
                .status,
        );
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!((50..=52).contains(&ok), "{statuses:?}");
    let refused = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[JSON],
        r#"{"id":1}"#,
    )
    .await;
    assert_eq!(refused.status, 503);
    assert_eq!(
        refused.json(),
        json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        send(addr, "POST", "/rest/1/hook1/server.time", &[JSON], "{}")
            .await
            .status,
        200,
        "the bucket drains 2 per second"
    );
    assert!(p.requests().total >= 57, "refused requests count too");
    p.faults().set_rate_limit(None);
    p.shutdown().await;
}

#[tokio::test]
async fn latency_and_failures_on_demand() {
    let p = portal().await;
    let addr = p.local_addr();
    p.faults().set_latency(Duration::from_millis(150));
    let t = Instant::now();
    assert_eq!(
        send(addr, "POST", "/rest/1/hook1/server.time", &[JSON], "{}")
            .await
            .status,
        200
    );
    assert!(t.elapsed() >= Duration::from_millis(150));
    p.faults().set_latency(Duration::ZERO);
    p.faults().set_fail_every(2);
    let a = send(addr, "POST", "/rest/1/hook1/server.time", &[JSON], "{}").await;
    let b = send(addr, "POST", "/rest/1/hook1/server.time", &[JSON], "{}").await;
    let failed = [a.status, b.status].iter().filter(|s| **s == 500).count();
    assert_eq!(failed, 1);
    p.faults().set_fail_every(0);
    p.shutdown().await;
}

#[tokio::test]
async fn idempotency_headers_over_http() {
    let p = portal().await;
    let addr = p.local_addr();
    let body = r#"{"fields":{"title":"Once","creatorId":1,"responsibleId":2}}"#;
    let key = ("Idempotency-Key", "9f1c1a7e-5f1b-4a1e-9a2c-2f5f2b6c7d80");
    let first = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.add",
        &[JSON, key],
        body,
    )
    .await;
    let second = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.add",
        &[JSON, key],
        body,
    )
    .await;
    assert_eq!(first.header("idempotency-key"), Some(key.1));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.json()["result"], second.json()["result"]);
    let other = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.add",
        &[JSON, key],
        r#"{"fields":{"title":"Other","creatorId":1,"responsibleId":2}}"#,
    )
    .await;
    assert_eq!(other.status, 422);
    // v2 ignores the header
    let v2a = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.add",
        &[JSON, key],
        r#"{"fields":{"TITLE":"v2","RESPONSIBLE_ID":2}}"#,
    )
    .await;
    let v2b = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.add",
        &[JSON, key],
        r#"{"fields":{"TITLE":"v2","RESPONSIBLE_ID":2}}"#,
    )
    .await;
    assert_ne!(
        v2a.json()["result"]["task"]["id"],
        v2b.json()["result"]["task"]["id"]
    );
    assert!(v2a.header("idempotency-key").is_none());
    p.shutdown().await;
}

#[tokio::test]
async fn garbage_on_the_wire_does_not_stop_the_portal() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let p = portal().await;
    let addr = p.local_addr();
    let long_path = format!(
        "GET /rest/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(100_000)
    );
    let junk: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02 nonsense\r\n\r\n".to_vec(),
        b"POST /rest/1/hook1/server.time HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"
            .to_vec(),
        b"POST /rest/1/hook1/server.time HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
            .to_vec(),
        long_path.into_bytes(),
    ];
    for bytes in junk {
        if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await {
            let _ = s.write_all(&bytes).await;
            let _ = s.shutdown().await;
            let mut sink = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut sink)).await;
        }
    }
    let r = send(addr, "POST", "/rest/1/hook1/server.time", &[JSON], "{}").await;
    assert_eq!(r.status, 200);
    p.shutdown().await;
}

#[tokio::test]
async fn odd_requests_get_answers() {
    let p = portal().await;
    let addr = p.local_addr();
    let cases: Vec<(&str, &str, u16)> = vec![
        ("GET", "/", 404),
        ("GET", "/rest/", 404),
        ("GET", "/rest/1/hook1/", 404),
        ("GET", "/rest/1/wrong/server.time", 401),
        ("GET", "/rest/abc/hook1/server.time", 401),
        ("GET", "/rest/server.time", 401),
        ("GET", "/rest/1/hook1/batch.xml", 400),
        ("GET", "/rest/1/hook1/nonexistent.method", 404),
        ("DELETE", "/rest/1/hook1/server.time", 200),
        ("GET", "/healthz", 200),
    ];
    for (method, path, status) in cases {
        let r = send(addr, method, path, &[], "").await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.raw);
        assert!(r.json().is_object(), "{path}");
    }
    p.shutdown().await;
}
