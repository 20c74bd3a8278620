//! Pass-through: a v2 call without rules reaches the portal byte for byte, and the
//! portal's answer reaches the client byte for byte.

mod support;

use std::time::Duration;

use support::{raw_config, send, start_bridge, Behaviour, MockPortal};

/// A v2 answer with the escapes PHP's json_encode produces; any re-encoding would change them.
const V2_ANSWER: &[u8] = br#"{"result":{"task":{"id":"1","title":"A \u0026 B \u003Cb\u003E","link":"http:\/\/x\/"}},"time":{"start":1767225600.1234,"finish":1767225600.2345}}"#;

fn portal_answer() -> Behaviour {
    Behaviour::Fixed {
        status: 200,
        headers: vec![
            ("content-type", "application/json; charset=utf-8"),
            ("x-bitrix-trace", "kept"),
            ("keep-alive", "timeout=5"),
        ],
        body: V2_ANSWER,
    }
}

#[tokio::test]
async fn get_with_query_passes_through_byte_for_byte() {
    let portal = MockPortal::start(portal_answer()).await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    let target = "/rest/1/hook1/user.get.json?FILTER%5BID%5D=1&select[]=ID&x=a+b";
    let answer = send(
        bridge.local_addr(),
        "GET",
        target,
        &[("user-agent", "legacy/1.0")],
        "",
    )
    .await;

    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], V2_ANSWER);
    assert_eq!(answer.headers["x-bitrix-trace"], "kept");
    assert!(
        !answer.headers.contains_key("keep-alive"),
        "hop-by-hop headers are not forwarded"
    );

    let seen = portal.received();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].target, target,
        "path and query reach the portal unchanged"
    );
    assert_eq!(seen[0].headers["user-agent"], "legacy/1.0");
    assert_eq!(seen[0].headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen[0].headers["host"], portal.addr.to_string().as_str());
}

#[tokio::test]
async fn form_body_passes_through_byte_for_byte() {
    let portal = MockPortal::start(portal_answer()).await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    let body = "fields%5BTITLE%5D=Call+back&fields[RESPONSIBLE_ID]=15&auth=tok";
    let answer = send(
        bridge.local_addr(),
        "POST",
        "/rest/crm.lead.add.json",
        &[("content-type", "application/x-www-form-urlencoded")],
        body,
    )
    .await;
    assert_eq!(&answer.body[..], V2_ANSWER);
    let seen = portal.received();
    assert_eq!(seen[0].target, "/rest/crm.lead.add.json");
    assert_eq!(&seen[0].body[..], body.as_bytes());
    assert_eq!(
        seen[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
}

#[tokio::test]
async fn multipart_body_passes_through_byte_for_byte() {
    let portal = MockPortal::start(portal_answer()).await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"fields[TITLE]\"\r\n\r\nHello\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\
                Content-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n--XyZ--\r\n";
    let answer = send(
        bridge.local_addr(),
        "POST",
        "/rest/1/hook1/disk.folder.uploadfile",
        &[("content-type", "multipart/form-data; boundary=XyZ")],
        body,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(&portal.received()[0].body[..], body.as_bytes());
}

#[tokio::test]
async fn json_body_passes_through_byte_for_byte() {
    let portal = MockPortal::start(portal_answer()).await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    let body = r#"{"filter":{">=ID":5,"%TITLE":"x"},"select":["ID"],"start":50}"#;
    let answer = send(
        bridge.local_addr(),
        "POST",
        "/rest/1/hook1/CRM.Deal.List/?bx24_request_id=r1",
        &[("content-type", "application/json")],
        body,
    )
    .await;
    assert_eq!(&answer.body[..], V2_ANSWER);
    let seen = portal.received();
    assert_eq!(
        seen[0].target,
        "/rest/1/hook1/CRM.Deal.List/?bx24_request_id=r1"
    );
    assert_eq!(&seen[0].body[..], body.as_bytes());
}

#[tokio::test]
async fn portal_errors_keep_their_status_and_body() {
    const LIMIT: &[u8] =
        br#"{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}"#;
    let portal = MockPortal::start(Behaviour::Fixed {
        status: 503,
        headers: vec![("content-type", "application/json")],
        body: LIMIT,
    })
    .await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    let answer = send(
        bridge.local_addr(),
        "GET",
        "/rest/1/hook1/tasks.task.list",
        &[],
        "",
    )
    .await;
    assert_eq!(answer.status, 503);
    assert_eq!(&answer.body[..], LIMIT);
}

#[tokio::test]
async fn rest_api_and_xml_calls_are_forwarded_untouched() {
    let portal = MockPortal::start(portal_answer()).await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    let v3 = send(
        bridge.local_addr(),
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[("content-type", "application/json")],
        r#"{"id":1}"#,
    )
    .await;
    let xml = send(
        bridge.local_addr(),
        "GET",
        "/rest/1/hook1/user.current.xml",
        &[],
        "",
    )
    .await;
    assert_eq!(v3.status, 200);
    assert_eq!(xml.status, 200);
    let seen = portal.received();
    assert_eq!(seen[0].target, "/rest/api/1/hook1/tasks.task.get");
    assert_eq!(&seen[0].body[..], br#"{"id":1}"#);
    assert_eq!(seen[1].target, "/rest/1/hook1/user.current.xml");
}

#[tokio::test]
async fn paths_outside_rest_get_a_v2_404_and_never_reach_the_portal() {
    let portal = MockPortal::start(portal_answer()).await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    for target in [
        "/",
        "/admin",
        "/restx/1/a/b",
        "/rest/1/a/../b/c",
        "/rest/",
        "/rest/1/a",
    ] {
        let answer = send(bridge.local_addr(), "GET", target, &[], "").await;
        assert_eq!(answer.status, 404, "{target}");
        let body = answer.json();
        assert!(
            body["error"].is_string() && body["error_description"].is_string(),
            "{target}"
        );
    }
    let proxy_style = support::send_raw(
        bridge.local_addr(),
        b"GET http://evil.example/rest/user.current HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(proxy_style.starts_with("HTTP/1.1 404"), "{proxy_style}");
    assert!(
        portal.received().is_empty(),
        "the bridge is not an open proxy"
    );
}

#[tokio::test]
async fn refused_connection_becomes_a_v2_502() {
    let refused = support::refused_addr().await;
    let bridge = start_bridge(raw_config(&format!("http://{refused}"))).await;
    let answer = send(
        bridge.local_addr(),
        "GET",
        "/rest/1/hook1/user.current",
        &[],
        "",
    )
    .await;
    assert_eq!(answer.status, 502);
    assert_eq!(answer.json()["error"], "ERROR_UPSTREAM_UNAVAILABLE");
}

#[tokio::test]
async fn slow_portal_becomes_a_v2_504_not_a_hang() {
    let portal = MockPortal::start(Behaviour::Slow(Duration::from_secs(5))).await;
    let mut raw = raw_config(&portal.url());
    raw.client.response_timeout = "300ms".into();
    let bridge = start_bridge(raw).await;
    let started = std::time::Instant::now();
    let answer = send(
        bridge.local_addr(),
        "GET",
        "/rest/1/hook1/user.current",
        &[],
        "",
    )
    .await;
    assert_eq!(answer.status, 504);
    assert_eq!(answer.json()["error"], "ERROR_UPSTREAM_TIMEOUT");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn oversized_body_is_refused_with_413_before_reaching_the_portal() {
    let portal = MockPortal::start(portal_answer()).await;
    let mut raw = raw_config(&portal.url());
    raw.limits.max_body_bytes = 16;
    let bridge = start_bridge(raw).await;
    let answer = send(
        bridge.local_addr(),
        "POST",
        "/rest/1/hook1/crm.lead.add",
        &[("content-type", "application/x-www-form-urlencoded")],
        "fields[TITLE]=much longer than sixteen bytes",
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["error"], "REQUEST_ENTITY_TOO_LARGE");
    assert!(portal.received().is_empty());
}

#[tokio::test]
async fn health_and_readiness() {
    let portal = MockPortal::start(portal_answer()).await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    let addr = bridge.local_addr();
    assert_eq!(send(addr, "GET", "/healthz", &[], "").await.status, 200);
    assert_eq!(send(addr, "GET", "/readyz", &[], "").await.status, 200);
    bridge.bridge().start_draining();
    assert_eq!(send(addr, "GET", "/readyz", &[], "").await.status, 503);
    assert_eq!(send(addr, "GET", "/healthz", &[], "").await.status, 200);
    assert!(portal.received().is_empty(), "probes are answered locally");

    let refused = support::refused_addr().await;
    let lonely = start_bridge(raw_config(&format!("http://{refused}"))).await;
    assert_eq!(
        send(lonely.local_addr(), "GET", "/readyz", &[], "")
            .await
            .status,
        503
    );
}
