//! A translated call whose REST 3.0 side misbehaves still ends in a v2-shaped answer: one
//! mock portal per fault.

mod support;

use std::time::Duration;

use support::{raw_config, send, start_bridge, Behaviour, MockPortal};

const NOW: Duration = Duration::ZERO;

async fn bridge_to(
    portal: &MockPortal,
    response_timeout: &str,
) -> b24bridge::server::RunningBridge {
    let mut raw = raw_config(&portal.url());
    raw.client.response_timeout = response_timeout.into();
    start_bridge(raw).await
}

/// The translated call most faults are shown with.
async fn get_task_1(bridge: &b24bridge::server::RunningBridge) -> support::Answer {
    send(
        bridge.local_addr(),
        "GET",
        "/rest/1/hook1/tasks.task.get?taskId=1",
        &[],
        "",
    )
    .await
}

#[tokio::test]
async fn an_answer_that_is_not_json_becomes_a_v2_502() {
    let portal = MockPortal::start(Behaviour::sequence(vec![(
        NOW,
        502,
        "<html>Bad Gateway</html>",
    )]))
    .await;
    let bridge = bridge_to(&portal, "5s").await;
    let answer = get_task_1(&bridge).await;
    assert_eq!(answer.status, 502);
    assert_eq!(answer.json()["error"], "ERROR_UNEXPECTED_ANSWER");
    assert_eq!(
        portal.received()[0].target,
        "/rest/api/1/hook1/tasks.task.get"
    );
}

#[tokio::test]
async fn rate_limit_and_auth_errors_keep_their_v2_codes_and_statuses() {
    let cases = [
        (
            503,
            r#"{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}"#,
        ),
        (
            429,
            r#"{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}"#,
        ),
        (
            401,
            r#"{"error":"expired_token","error_description":"The access token provided has expired"}"#,
        ),
        (
            401,
            r#"{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}"#,
        ),
    ];
    for (status, body) in cases {
        let portal = MockPortal::start(Behaviour::sequence(vec![(NOW, status, body)])).await;
        let bridge = bridge_to(&portal, "5s").await;
        let answer = send(
            bridge.local_addr(),
            "GET",
            "/rest/1/hook1/tasks.task.list?select[]=ID",
            &[],
            "",
        )
        .await;
        assert_eq!(answer.status, status, "{body}");
        assert_eq!(
            answer.json(),
            serde_json::from_str::<serde_json::Value>(body).unwrap()
        );
    }
}

#[tokio::test]
async fn a_v3_error_is_flattened_into_the_v2_shape() {
    let v3 = r#"{"error":{"code":"BITRIX_REST_V3_EXCEPTION_INSUFFICIENTSCOPEEXCEPTION","message":"Scope tasks is required"}}"#;
    let portal = MockPortal::start(Behaviour::sequence(vec![(NOW, 403, v3)])).await;
    let bridge = bridge_to(&portal, "5s").await;
    let answer = get_task_1(&bridge).await;
    assert_eq!(answer.status, 403);
    let body = answer.json();
    assert_eq!(body["error"], "insufficient_scope");
    assert!(body["error_description"].is_string());
    assert!(
        body.get("result").is_none() && !body["error"].is_object(),
        "never a v3-shaped body: {body}"
    );

    // A REST 3.0 code no rule translates never reaches a v2 client: it becomes v2's
    // generic business error, with the portal's words.
    let unknown = r#"{"error":{"code":"BITRIX_REST_V3_EXCEPTION_SOMETHINGNEW","message":"New","validation":[{"field":"id","message":"Bad id"}]}}"#;
    let portal = MockPortal::start(Behaviour::sequence(vec![(NOW, 400, unknown)])).await;
    let bridge = bridge_to(&portal, "5s").await;
    let answer = get_task_1(&bridge).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"], "ERROR_CORE");
    assert_eq!(answer.json()["error_description"], "New Bad id");

    // ... unless a rule says so.
    let portal = MockPortal::start(Behaviour::sequence(vec![(NOW, 400, unknown)])).await;
    let mut raw = support::raw_config(&portal.url());
    raw.errors.push(b24bridge::rules::RawErrorRule {
        v3: "BITRIX_REST_V3_EXCEPTION_SOMETHINGNEW".into(),
        answer: Some("v3".into()),
        ..Default::default()
    });
    let bridge = start_bridge(raw).await;
    let answer = get_task_1(&bridge).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["error"],
        "BITRIX_REST_V3_EXCEPTION_SOMETHINGNEW"
    );

    // A v2-era system code that arrives nested keeps its code and status.
    let nested =
        r#"{"error":{"code":"OVERLOAD_LIMIT","message":"REST API is blocked due to overload"}}"#;
    let portal = MockPortal::start(Behaviour::sequence(vec![(NOW, 503, nested)])).await;
    let bridge = bridge_to(&portal, "5s").await;
    let answer = get_task_1(&bridge).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.json()["error"], "OVERLOAD_LIMIT");
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_retried_with_the_same_idempotency_key() {
    const ADDED: &str = r#"{"result":{"item":{"id":77}},"time":{"start":1}}"#;
    const GOT: &str = r#"{"result":{"item":{"id":77,"title":"x","creatorId":1,"responsibleId":1}},"time":{"start":1}}"#;
    let portal = MockPortal::start(Behaviour::sequence(vec![
        (Duration::from_secs(3), 200, ADDED), // the answer never arrives in time
        (NOW, 200, ADDED),                    // the retry
        (NOW, 200, GOT),                      // the re-read
    ]))
    .await;
    let bridge = bridge_to(&portal, "500ms").await;
    let answer = send(
        bridge.local_addr(),
        "POST",
        "/rest/1/hook1/tasks.task.add?bx24_request_id=abc",
        &[("content-type", "application/json")],
        r#"{"fields":{"TITLE":"x","RESPONSIBLE_ID":1}}"#,
    )
    .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["result"]["task"]["id"], "77");
    let seen = portal.received();
    let adds: Vec<_> = seen
        .iter()
        .filter(|r| r.target.ends_with("tasks.task.add"))
        .collect();
    assert_eq!(adds.len(), 2, "one retry");
    let key = |r: &support::Received| {
        r.headers
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert!(key(adds[0]).is_some());
    assert_eq!(
        key(adds[0]),
        key(adds[1]),
        "the retry reuses the key, so the portal replays instead of adding twice"
    );
    assert_eq!(adds[0].body, adds[1].body);
    assert!(
        seen.iter()
            .all(|r| !r.target.contains("hook1/tasks.task.get") || key(r).is_none()),
        "reads carry no key"
    );
}

#[tokio::test]
async fn reads_are_not_retried_and_end_in_a_v2_504() {
    let portal = MockPortal::start(Behaviour::Slow(Duration::from_secs(3))).await;
    let bridge = bridge_to(&portal, "300ms").await;
    let answer = get_task_1(&bridge).await;
    assert_eq!(answer.status, 504);
    assert_eq!(answer.json()["error"], "ERROR_UPSTREAM_TIMEOUT");
    assert_eq!(portal.received().len(), 1);
}

#[tokio::test]
async fn translated_calls_beyond_the_concurrency_limit_wait_while_pass_through_flows() {
    const ITEM: &str = r#"{"result":{"item":{"id":1}},"time":{"start":1}}"#;
    let portal = MockPortal::start(Behaviour::sequence(vec![
        (Duration::from_millis(1500), 200, ITEM),
        (NOW, 200, ITEM),
    ]))
    .await;
    let mut raw = support::raw_config(&portal.url());
    raw.limits.max_concurrent_translations = 1;
    let bridge = support::start_bridge(raw).await;
    let addr = bridge.local_addr();
    let first = tokio::spawn(async move {
        send(
            addr,
            "GET",
            "/rest/1/hook1/tasks.task.get?taskId=1",
            &[],
            "",
        )
        .await
    });
    while portal.received().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = tokio::spawn(async move {
        send(
            addr,
            "GET",
            "/rest/1/hook1/tasks.task.get?taskId=2",
            &[],
            "",
        )
        .await
    });
    let pass = send(addr, "GET", "/rest/1/hook1/user.current", &[], "").await;
    assert_eq!(pass.status, 200, "pass-through is not held by the limit");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let targets: Vec<String> = portal.received().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets.len(),
        2,
        "the second translated call waits for the first: {targets:?}"
    );
    assert_eq!(first.await.unwrap().status, 200);
    assert_eq!(second.await.unwrap().status, 200);
    assert_eq!(portal.received().len(), 3);
}

/// The margin past `client.response_timeout` within which a translated call answers.
const MARGIN: Duration = Duration::from_millis(500);

#[tokio::test]
async fn a_portal_that_stalls_after_the_head_of_a_read_ends_in_a_v2_504_in_time() {
    let portal = MockPortal::start(Behaviour::StallAfterHead).await;
    let bridge = bridge_to(&portal, "400ms").await;
    let started = std::time::Instant::now();
    let answer = get_task_1(&bridge).await;
    assert!(
        started.elapsed() < Duration::from_millis(400) + MARGIN,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer.status, 504);
    assert_eq!(answer.json()["error"], "ERROR_UPSTREAM_TIMEOUT");
}

#[tokio::test]
async fn a_portal_that_stalls_after_the_head_of_a_write_ends_in_a_v2_504_in_time() {
    let portal = MockPortal::start(Behaviour::StallAfterHead).await;
    let bridge = bridge_to(&portal, "400ms").await;
    let started = std::time::Instant::now();
    let answer = send(
        bridge.local_addr(),
        "POST",
        "/rest/1/hook1/tasks.task.update.json",
        &[("content-type", "application/json")],
        r#"{"taskId":1,"fields":{"TITLE":"x"}}"#,
    )
    .await;
    // The write's retry with its key is part of the same deadline, never after it.
    assert!(
        started.elapsed() < Duration::from_millis(400) + MARGIN,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer.status, 504);
    assert_eq!(answer.json()["error"], "ERROR_UPSTREAM_TIMEOUT");
}

#[tokio::test]
async fn a_pass_through_answer_that_stalls_after_its_head_is_cut_off_visibly() {
    let portal = MockPortal::start(Behaviour::StallAfterHead).await;
    let mut raw = raw_config(&portal.url());
    raw.client.body_timeout = "300ms".into();
    let bridge = start_bridge(raw).await;
    let client: hyper_util::client::legacy::Client<_, http_body_util::Full<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let started = std::time::Instant::now();
    let response = client
        .get(
            format!("http://{}/rest/1/hook1/user.current", bridge.local_addr())
                .parse()
                .unwrap(),
        )
        .await
        .expect("the head is relayed");
    assert_eq!(response.status(), 200);
    use http_body_util::BodyExt;
    let body = response.into_body().collect().await;
    assert!(body.is_err(), "a cut body must not read as complete");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn translated_calls_beyond_the_queue_are_refused_at_once_with_a_v2_503() {
    let portal = MockPortal::start(Behaviour::Slow(Duration::from_millis(800))).await;
    let mut raw = raw_config(&portal.url());
    raw.limits.max_concurrent_translations = 1;
    raw.limits.max_queued_translations = 1;
    let bridge = std::sync::Arc::new(start_bridge(raw).await);
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let bridge = bridge.clone();
            tokio::spawn(async move { get_task_1(&bridge).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        let answer = call.await.unwrap();
        if answer.status == 503 {
            assert_eq!(answer.json()["error"], "QUERY_LIMIT_EXCEEDED");
        }
        statuses.push(answer.status);
    }
    statuses.sort();
    // One served, one waited for its slot, the third refused without waiting.
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        1,
        "{statuses:?}"
    );
}

/// What a raw portal does with each connection, below HTTP.
#[derive(Clone, Copy)]
enum Wire {
    /// Accepts and closes without a byte.
    Close,
    /// Accepts and resets the connection (linger 0).
    Reset,
    /// Writes these bytes and closes.
    Bytes(&'static str),
    /// A 200 JSON answer of 70 MiB (whitespace after an opening brace).
    Huge,
}

/// A portal on a loopback port that answers every connection as `wire` says.
async fn raw_portal(wire: Wire) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                match wire {
                    Wire::Close => {}
                    Wire::Reset => {
                        let _ = socket.set_zero_linger();
                    }
                    Wire::Bytes(bytes) => {
                        let _ = socket.write_all(bytes.as_bytes()).await;
                    }
                    Wire::Huge => {
                        let size = 70 * 1024 * 1024;
                        let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {size}\r\nconnection: close\r\n\r\n{{");
                        let _ = socket.write_all(head.as_bytes()).await;
                        let chunk = vec![b' '; 1024 * 1024];
                        for _ in 0..70 {
                            if socket.write_all(&chunk).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn every_portal_fault_ends_in_its_v2_error_in_time() {
    // A port nothing listens on: bind one, then free it.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let html_500 = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/html\r\ncontent-length: 21\r\nconnection: close\r\n\r\n<html>broken</html>\r\n";
    let truncated = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 14\r\nconnection: close\r\n\r\n{\"result\":{\"it";
    let short = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{\"result\":{}}";
    let redirect = "HTTP/1.1 302 Found\r\nlocation: https://elsewhere.example/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let cases: Vec<(&str, std::net::SocketAddr, u16, &str)> = vec![
        (
            "connection refused",
            refused,
            502,
            "ERROR_UPSTREAM_UNAVAILABLE",
        ),
        (
            "closed without a byte",
            raw_portal(Wire::Close).await,
            502,
            "ERROR_UNEXPECTED_ANSWER",
        ),
        (
            "reset",
            raw_portal(Wire::Reset).await,
            502,
            "ERROR_UNEXPECTED_ANSWER",
        ),
        (
            "an HTML 500",
            raw_portal(Wire::Bytes(html_500)).await,
            502,
            "ERROR_UNEXPECTED_ANSWER",
        ),
        (
            "truncated JSON",
            raw_portal(Wire::Bytes(truncated)).await,
            502,
            "ERROR_UNEXPECTED_ANSWER",
        ),
        (
            "a body shorter than announced",
            raw_portal(Wire::Bytes(short)).await,
            502,
            "ERROR_UNEXPECTED_ANSWER",
        ),
        (
            "a redirect",
            raw_portal(Wire::Bytes(redirect)).await,
            502,
            "ERROR_UNEXPECTED_ANSWER",
        ),
    ];
    for (what, addr, status, code) in cases {
        let mut raw = raw_config(&format!("http://{addr}"));
        raw.client.response_timeout = "2s".into();
        let bridge = start_bridge(raw).await;
        let started = std::time::Instant::now();
        let answer = get_task_1(&bridge).await;
        assert!(
            started.elapsed() < Duration::from_secs(2) + MARGIN,
            "{what}: {:?}",
            started.elapsed()
        );
        assert_eq!(
            answer.status,
            status,
            "{what}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.json()["error"], code, "{what}");
    }
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_refused_not_buffered() {
    // 70 MiB: more than the 64 MiB the bridge ever reads of an answer itself.
    let addr = raw_portal(Wire::Huge).await;
    let mut raw = raw_config(&format!("http://{addr}"));
    raw.client.response_timeout = "10s".into();
    let bridge = start_bridge(raw).await;
    let answer = get_task_1(&bridge).await;
    assert_eq!(
        answer.status,
        502,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["error"], "ERROR_UNEXPECTED_ANSWER");
    assert!(
        answer.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("larger than"),
        "{}",
        answer.json()
    );
}
