//! The emulator over HTTP: v2 in every body form, REST 3.0 JSON-only, credentials, faults on
//! demand and the served-by log.

mod support;

use std::time::{Duration, Instant};

use b24bridge::emulate::{self, EmulatorOptions, RateLimit, RunningEmulator};
use b24bridge::emulator::ApiVersion;
use support::send;

async fn emulator() -> RunningEmulator {
    emulate::start(EmulatorOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: 42,
        tls: None,
    })
    .await
    .unwrap()
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn v2_reads_every_body_form_through_the_php_decoder() {
    let e = emulator().await;
    let addr = e.local_addr();
    let by_get = send(
        addr,
        "GET",
        "/rest/1/hook1/tasks.task.get?taskId=1&select[]=ID&select[]=TITLE",
        &[],
        "",
    )
    .await;
    let by_form = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.get.json",
        &[("content-type", "application/x-www-form-urlencoded")],
        "taskId=1&select%5B%5D=ID&select%5B%5D=TITLE",
    )
    .await;
    let by_json = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.get/",
        &[JSON],
        r#"{"taskId":1,"select":["ID","TITLE"]}"#,
    )
    .await;
    let body = "--B\r\nContent-Disposition: form-data; name=\"taskId\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=\"select[]\"\r\n\r\nID\r\n--B\r\nContent-Disposition: form-data; name=\"select[]\"\r\n\r\nTITLE\r\n--B--\r\n";
    let by_multipart = send(
        addr,
        "POST",
        "/rest/1/hook1/tasks.task.get",
        &[("content-type", "multipart/form-data; boundary=B")],
        body,
    )
    .await;
    for a in [&by_get, &by_form, &by_json, &by_multipart] {
        assert_eq!(a.status, 200);
        assert_eq!(a.json()["result"], by_get.json()["result"]);
        assert_eq!(
            a.json()["result"]["task"]["id"],
            "1",
            "ids are strings in v2"
        );
        let time = &a.json()["time"];
        for key in b24bridge::clock::TIME_KEYS {
            assert!(time.get(key).is_some(), "full time block: {key}");
        }
    }
    let log = e.emulator().served_log();
    assert_eq!(log.len(), 4);
    assert!(log
        .iter()
        .all(|s| s.version == ApiVersion::V2 && s.method == "tasks.task.get"));
}

#[tokio::test]
async fn rest3_is_json_only_and_answers_in_its_envelope() {
    let e = emulator().await;
    let addr = e.local_addr();
    let ok = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[JSON],
        r#"{"id":1,"select":["id","title","responsible.name"]}"#,
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.json()["result"]["item"]["id"],
        1,
        "ids are numbers in REST 3.0"
    );
    assert!(ok.json()["result"]["item"]["responsible"]["name"].is_string());
    let form = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[("content-type", "application/x-www-form-urlencoded")],
        "id=1",
    )
    .await;
    assert_eq!(form.status, 400);
    assert_eq!(
        form.json()["error"]["code"],
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
    assert_eq!(query_only.status, 400, "the query string is not read");
    let missing = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.get",
        &[JSON],
        r#"{"id":999999}"#,
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json()["error"]["code"],
        "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION"
    );
    let doc = send(addr, "GET", "/rest/api/1/hook1/documentation", &[], "").await;
    assert_eq!(doc.status, 200);
    assert!(
        doc.body.windows(15).any(|w| w == b"tasks.task.list"),
        "the OpenAPI document lists the methods served"
    );
    let fields = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.field.list",
        &[JSON],
        "{}",
    )
    .await;
    let items = fields.json()["result"]["items"].as_array().unwrap().clone();
    let id = items.iter().find(|f| f["name"] == "id").unwrap();
    assert_eq!(id["filterable"], true);
    assert!(
        items.iter().filter(|f| f["filterable"] == true).count() == 1,
        "tasks filter by id only"
    );
}

#[tokio::test]
async fn idempotency_keys_replay_writes() {
    let e = emulator().await;
    let addr = e.local_addr();
    let body = r#"{"fields":{"title":"Once","responsibleId":1,"creatorId":1}}"#;
    let key = ("idempotency-key", "k-123");
    let first = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.add",
        &[JSON, key],
        body,
    )
    .await;
    let again = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.add",
        &[JSON, key],
        body,
    )
    .await;
    assert_eq!(
        first.json()["result"],
        again.json()["result"],
        "the same task, not a second one"
    );
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers["idempotency-key"], "k-123");
    let other = send(
        addr,
        "POST",
        "/rest/api/1/hook1/tasks.task.add",
        &[JSON, key],
        r#"{"fields":{"title":"Other","responsibleId":1,"creatorId":1}}"#,
    )
    .await;
    assert_eq!(other.status, 422);
}

#[tokio::test]
async fn wrong_credentials_are_401_in_both_versions() {
    let e = emulator().await;
    let addr = e.local_addr();
    for target in [
        "/rest/1/nope/tasks.task.get?taskId=1",
        "/rest/tasks.task.get?taskId=1&auth=nope",
        "/rest/tasks.task.get?taskId=1",
    ] {
        let a = send(addr, "GET", target, &[], "").await;
        assert_eq!(a.status, 401, "{target}");
        assert_eq!(a.json()["error"], "NO_AUTH_FOUND");
    }
    let v3 = send(
        addr,
        "POST",
        "/rest/api/1/nope/tasks.task.get",
        &[JSON],
        r#"{"id":1}"#,
    )
    .await;
    assert_eq!(v3.status, 401);
    let oauth = send(
        addr,
        "POST",
        "/rest/api/tasks.task.get",
        &[JSON],
        r#"{"id":1,"auth":"token-user-1"}"#,
    )
    .await;
    assert_eq!(oauth.status, 200);
}

#[tokio::test]
async fn faults_on_demand() {
    let e = emulator().await;
    let addr = e.local_addr();
    e.faults().set_rate_limit(Some(RateLimit::STANDARD));
    let mut limited = 0;
    for _ in 0..60 {
        let a = send(addr, "GET", "/rest/1/hook1/server.time", &[], "").await;
        if a.status == 503 {
            assert_eq!(a.json()["error"], "QUERY_LIMIT_EXCEEDED");
            limited += 1;
        }
    }
    assert!(
        (9..=11).contains(&limited),
        "a burst of 50 passes, the rest is refused: {limited}"
    );
    e.faults().set_rate_limit(None);

    e.faults().set_fail_every(2);
    let statuses: Vec<u16> = futures_statuses(addr, 4).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 500).count(),
        2,
        "{statuses:?}"
    );
    e.faults().set_fail_every(0);

    e.faults().set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(
        send(addr, "GET", "/rest/1/hook1/server.time", &[], "")
            .await
            .status,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

async fn futures_statuses(addr: std::net::SocketAddr, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            send(addr, "GET", "/rest/1/hook1/server.time", &[], "")
                .await
                .status,
        );
    }
    out
}
