//! Webhook codes and OAuth tokens never appear in a log line or an error body.
//! Runs the real binary with JSON logs at debug level and reads everything it prints.

mod support;

use std::time::Duration;

use support::process::BridgeProcess;
use support::{send, Behaviour, MockPortal};

const WEBHOOK_CODE: &str = "w3bh00kS3cr3tC0de";
const TOKEN: &str = "0Auth70kenV4lue";

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_logs_or_error_bodies() {
    let portal = MockPortal::start(Behaviour::Fixed {
        status: 200,
        headers: vec![],
        body: br#"{"result":true}"#,
    })
    .await;
    let refused = support::refused_addr().await;

    let mut bodies = Vec::new();
    let mut all_lines = Vec::new();
    for upstream in [portal.url(), format!("http://{refused}")] {
        let mut bridge = BridgeProcess::spawn(&[
            ("B24BRIDGE_UPSTREAM", upstream.as_str()),
            ("B24BRIDGE_LOG__LEVEL", "trace"),
            ("B24BRIDGE_CLIENT__RESPONSE_TIMEOUT", "2s"),
        ]);
        let addr = bridge.addr;
        type Headers = Vec<(&'static str, &'static str)>;
        let requests: Vec<(&str, String, Headers, String)> = vec![
            (
                "GET",
                format!("/rest/1/{WEBHOOK_CODE}/user.current.json"),
                vec![],
                String::new(),
            ),
            (
                "GET",
                format!("/rest/api/1/{WEBHOOK_CODE}/tasks.task.get"),
                vec![],
                String::new(),
            ),
            (
                "GET",
                format!("/rest/user.current?auth={TOKEN}&x=1"),
                vec![],
                String::new(),
            ),
            (
                "POST",
                "/rest/crm.lead.add".into(),
                vec![("content-type", "application/x-www-form-urlencoded")],
                format!("auth={TOKEN}&fields[TITLE]=x"),
            ),
            (
                "GET",
                format!("/rest/1/{WEBHOOK_CODE}"),
                vec![],
                String::new(),
            ),
            (
                "GET",
                format!("/bitrix/rest/1/{WEBHOOK_CODE}/user.current?auth={TOKEN}"),
                vec![],
                String::new(),
            ),
        ];
        for (method, target, headers, body) in &requests {
            let answer = send(addr, method, target, headers, body.clone()).await;
            bodies.push(String::from_utf8_lossy(&answer.body).into_owned());
        }
        bridge.signal("TERM");
        let status = bridge
            .wait_exit(Duration::from_secs(20))
            .await
            .expect("exits after SIGTERM");
        assert!(status.success(), "SIGTERM drains and exits 0: {status:?}");
        // Give the reader threads a moment to deliver the last lines.
        tokio::time::sleep(Duration::from_millis(200)).await;
        all_lines.extend(bridge.output());
    }

    let access: Vec<&String> = all_lines
        .iter()
        .filter(|l| l.contains("b24bridge::access"))
        .collect();
    assert_eq!(
        access.len(),
        12,
        "one access line per request: {all_lines:#?}"
    );
    assert!(access
        .iter()
        .any(|l| l.contains("/rest/1/***/user.current.json")));
    assert!(access.iter().any(|l| l.contains("auth=***")));
    assert!(bodies
        .iter()
        .any(|b| b.contains("ERROR_UPSTREAM_UNAVAILABLE")));
    for text in all_lines.iter().chain(bodies.iter()) {
        assert!(!text.contains(WEBHOOK_CODE), "webhook code leaked: {text}");
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
}
