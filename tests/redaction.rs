//! Webhook codes and OAuth tokens never appear in a log line or an error body.
//! Runs the real binary with JSON logs at debug level and reads everything it prints.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{send, Behaviour, MockPortal};

const WEBHOOK_CODE: &str = "w3bh00kS3cr3tC0de";
const TOKEN: &str = "0Auth70kenV4lue";

struct Spawned {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
}

fn spawn_bridge(upstream: &str) -> (Spawned, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_b24bridge"))
        .arg("serve")
        .env("B24BRIDGE_LISTEN", "127.0.0.1:0")
        .env("B24BRIDGE_UPSTREAM", upstream)
        .env("B24BRIDGE_LOG__FORMAT", "json")
        .env("B24BRIDGE_LOG__LEVEL", "trace")
        .env("B24BRIDGE_CLIENT__RESPONSE_TIMEOUT", "2s")
        .env_remove("RUST_LOG")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let (tx, lines) = mpsc::channel();
    for stream in [
        Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stdout.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut seen = Vec::new();
    let addr = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no start-up line; saw {seen:?}"));
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if let Some(addr) = v["listen"].as_str() {
                break addr.parse().unwrap();
            }
        }
        seen.push(line);
    };
    (Spawned { child, lines }, addr)
}

fn stop(mut spawned: Spawned) -> (std::process::ExitStatus, Vec<String>) {
    let pid = spawned.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = spawned.child.wait().unwrap();
    let mut lines = Vec::new();
    while let Ok(line) = spawned.lines.recv_timeout(Duration::from_millis(500)) {
        lines.push(line);
    }
    (status, lines)
}

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
        let (spawned, addr) = spawn_bridge(&upstream);
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
        let (status, lines) = stop(spawned);
        assert!(status.success(), "SIGTERM drains and exits 0: {status:?}");
        all_lines.extend(lines);
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
