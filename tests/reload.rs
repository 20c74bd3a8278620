//! Reloading the configuration: validated first, swapped whole for the calls that start
//! after it, refused with `check`'s message when invalid while the old one keeps serving.

mod support;

use std::sync::Arc;
use std::time::Duration;

use b24bridge::config::Config;
use b24emu::ApiVersion;
use support::differential::Pair;
use support::process::BridgeProcess;
use support::{raw_config, send};

const GET: &str = "/rest/1/hook1/tasks.task.get?taskId=1&select[]=ID";

fn served_by(pair: &Pair) -> Vec<ApiVersion> {
    pair.served().into_iter().map(|s| s.version).collect()
}

/// The configuration of `pair`'s bridge with tasks.task.get passed through to v2.
fn with_get_on_v2(pair: &Pair) -> Config {
    let mut raw = raw_config(&format!("http://{}", pair.behind.local_addr()));
    raw.methods.entry("tasks.task.get".into()).or_default().mode = Some("v2".into());
    Config::validate(&raw).expect("valid")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_reload_applies_to_the_calls_after_it() {
    let pair = Pair::start().await;
    pair.behind.emulator().clear_served_log();
    assert_eq!(
        send(pair.bridge_addr(), "GET", GET, &[], "").await.status,
        200
    );
    assert_eq!(served_by(&pair), vec![ApiVersion::V3]);

    pair.bridge.reload(with_get_on_v2(&pair)).await;
    pair.behind.emulator().clear_served_log();
    assert_eq!(
        send(pair.bridge_addr(), "GET", GET, &[], "").await.status,
        200
    );
    assert_eq!(served_by(&pair), vec![ApiVersion::V2]);

    let admin = pair.bridge.admin_addr().unwrap();
    let metrics = send(admin, "GET", "/metrics", &[], "").await;
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.contains(r#"b24bridge_config_reloads_total{outcome="applied"} 1"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_in_flight_during_reloads_all_get_their_answer() {
    let pair = Arc::new(Pair::start().await);
    let calls: Vec<_> = (0..40)
        .map(|i| {
            let pair = pair.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i * 5)).await;
                send(pair.bridge_addr(), "GET", GET, &[], "").await
            })
        })
        .collect();
    for _ in 0..5 {
        pair.bridge.reload(with_get_on_v2(&pair)).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for call in calls {
        let answer = call.await.unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.json()["result"]["task"]["id"], "1");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_rereads_the_file_and_refuses_an_invalid_one() {
    let pair = Pair::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b24bridge.toml");
    let upstream = format!("http://{}", pair.behind.local_addr());
    std::fs::write(&file, format!("upstream = \"{upstream}\"\n")).unwrap();
    let bridge = BridgeProcess::spawn_with(&["--config", file.to_str().unwrap()], &[]);
    assert_eq!(send(bridge.addr, "GET", GET, &[], "").await.status, 200);

    // An invalid file: refused with check's message, the old configuration keeps serving.
    std::fs::write(
        &file,
        format!("upstream = \"{upstream}\"\n[methods.\"tasks.task.get\"]\nmode = \"sideways\"\n"),
    )
    .unwrap();
    bridge.signal("HUP");
    let refused = wait_for_line(&bridge, "the reload is refused").await;
    assert!(refused.contains("mode"), "{refused}");
    pair.behind.emulator().clear_served_log();
    assert_eq!(send(bridge.addr, "GET", GET, &[], "").await.status, 200);
    assert_eq!(served_by(&pair), vec![ApiVersion::V3]);

    // A valid one: in force for the next call.
    std::fs::write(
        &file,
        format!("upstream = \"{upstream}\"\n[methods.\"tasks.task.get\"]\nmode = \"v2\"\n"),
    )
    .unwrap();
    bridge.signal("HUP");
    wait_for_line(&bridge, "configuration reloaded").await;
    pair.behind.emulator().clear_served_log();
    assert_eq!(send(bridge.addr, "GET", GET, &[], "").await.status, 200);
    assert_eq!(served_by(&pair), vec![ApiVersion::V2]);
}

async fn wait_for_line(bridge: &BridgeProcess, text: &str) -> String {
    let mut seen = Vec::new();
    for _ in 0..100 {
        for line in bridge.output() {
            if line.contains(text) {
                return line;
            }
            seen.push(line);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no line with {text:?}; saw {seen:?}");
}
