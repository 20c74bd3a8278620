//! The differential harness: one v2 request, answered by the emulator's v2 endpoint
//! directly and by the bridge in front of a second emulator with the same seed (served
//! by its REST 3.0 endpoint). The two answers must be equal, `time` values aside.

use std::net::SocketAddr;

use b24bridge::server::RunningBridge;
use b24emu::{ApiVersion, EmulatorOptions, RunningEmulator, ServedBy};
use serde_json::Value;

use super::{raw_config, send, start_bridge, Answer};

pub const SEED: u64 = 42;

/// The direct emulator, the bridged emulator and the bridge in front of it.
pub struct Pair {
    pub direct: RunningEmulator,
    pub behind: RunningEmulator,
    pub bridge: RunningBridge,
}

async fn emulator(seed: u64, tasks: Option<usize>) -> RunningEmulator {
    let mut options = EmulatorOptions::new("127.0.0.1:0".parse().unwrap(), seed);
    options.tasks = tasks;
    b24emu::start(options).await.expect("emulator starts")
}

impl Pair {
    pub async fn start() -> Pair {
        Pair::with_tasks(None).await
    }

    /// Emulators holding `tasks` tasks (`None`: the default 140).
    pub async fn with_tasks(tasks: Option<usize>) -> Pair {
        Pair::configured(tasks, |_| {}).await
    }

    /// Like [`Pair::with_tasks`], the bridge's configuration changed by `change` first.
    pub async fn configured(
        tasks: Option<usize>,
        change: impl FnOnce(&mut b24bridge::config::RawConfig),
    ) -> Pair {
        let direct = emulator(SEED, tasks).await;
        let behind = emulator(SEED, tasks).await;
        let mut raw = raw_config(&format!("http://{}", behind.local_addr()));
        change(&mut raw);
        let bridge = start_bridge(raw).await;
        Pair {
            direct,
            behind,
            bridge,
        }
    }

    pub fn bridge_addr(&self) -> SocketAddr {
        self.bridge.local_addr()
    }

    /// Sends the same request both ways; returns (direct v2 answer, answer through the bridge).
    pub async fn both(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (Answer, Answer) {
        self.behind.emulator().clear_served_log();
        let direct = send(
            self.direct.local_addr(),
            method,
            target,
            headers,
            body.to_owned(),
        )
        .await;
        let bridged = send(
            self.bridge.local_addr(),
            method,
            target,
            headers,
            body.to_owned(),
        )
        .await;
        (direct, bridged)
    }

    /// What served the bridged request(s) since the last `both`.
    pub fn served(&self) -> Vec<ServedBy> {
        self.behind.emulator().served_log()
    }

    /// Asserts the last call was served by REST 3.0 and not by v2's `method`. (An OAuth
    /// caller's id may be learned once through v2 `user.current`; that is not the call.)
    /// An empty log means the bridge answered from what it had read before (a page read
    /// ahead, a remembered total): REST 3.0 served it earlier.
    pub fn assert_served_by_v3(&self, what: &str, method: &str) {
        let log = self.served();
        assert!(
            log.is_empty() || log.iter().any(|s| s.version == ApiVersion::V3),
            "{what}: REST 3.0 served nothing: {log:?}"
        );
        assert!(
            !log.iter()
                .any(|s| s.version == ApiVersion::V2 && s.method == method),
            "{what}: v2 served {method}: {log:?}"
        );
    }

    /// Asserts the bridge answered the last call itself, with an error, asking nothing.
    pub fn assert_answered_locally(&self, what: &str, bridged: &Answer) {
        let log = self.served();
        assert!(
            log.is_empty() && bridged.status >= 400,
            "{what}: the portal was asked ({log:?}) or the answer is no error"
        );
    }

    /// Asserts the last call went to v2 unchanged and REST 3.0 was not asked. A call v2
    /// refuses before reaching the method (unreadable body, bad credentials) leaves no
    /// entry; it must then have been answered with an error.
    pub fn assert_fell_back(&self, what: &str, method: &str, bridged: &Answer) {
        let log = self.served();
        assert!(
            log.iter()
                .any(|s| s.version == ApiVersion::V2 && s.method == method)
                || (log.is_empty() && bridged.status >= 400),
            "{what}: v2 did not serve {method}: {log:?}"
        );
        assert!(
            !log.iter().any(|s| s.version == ApiVersion::V3),
            "{what}: REST 3.0 was asked: {log:?}"
        );
    }
}

/// Replaces every value inside `time` blocks (top level and `result_time` entries) with
/// a placeholder, keeping the keys: their presence is part of the contract, their values
/// are clocks.
pub fn normalize_times(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "time" {
                    blank_block(child);
                } else if k == "result_time" {
                    match child {
                        Value::Object(entries) => entries.values_mut().for_each(blank_block),
                        Value::Array(entries) => entries.iter_mut().for_each(blank_block),
                        _ => {}
                    }
                } else {
                    normalize_times(child);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalize_times),
        _ => {}
    }
}

fn blank_block(v: &mut Value) {
    if let Value::Object(m) = v {
        for value in m.values_mut() {
            *value = Value::String("<time>".into());
        }
    }
}

/// Keys whose values REST 3.0 cannot supply (tests/data/v2-only-values.txt, shared with
/// the client suite): the bridge answers them with the neutral value its rules state
/// (README, "Known deviations", lists exactly these). Their presence and place are still
/// compared.
pub fn v2_only_values() -> impl Iterator<Item = &'static str> {
    include_str!("../data/v2-only-values.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn blank_v2_only(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if v2_only_values().any(|only| only == k) {
                    *child = Value::String("<v2-only>".into());
                } else {
                    blank_v2_only(child);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(blank_v2_only),
        _ => {}
    }
}

/// Asserts both answers are the same v2 answer: status, JSON, key order included, and
/// bytes: each is exactly what v2 writes for its data (escapes, `[]` for empty arrays), so
/// equal data means equal bytes.
pub fn assert_same(what: &str, direct: &Answer, bridged: &Answer) {
    super::php_bytes::assert_as_v2_writes(&format!("{what} (direct)"), &direct.body);
    super::php_bytes::assert_as_v2_writes(&format!("{what} (bridged)"), &bridged.body);
    assert_eq!(
        direct.status,
        bridged.status,
        "{what}: status differs\n direct: {}\nbridged: {}",
        String::from_utf8_lossy(&direct.body),
        String::from_utf8_lossy(&bridged.body)
    );
    let mut d = direct.json();
    let mut b = bridged.json();
    normalize_times(&mut d);
    normalize_times(&mut b);
    blank_v2_only(&mut d);
    blank_v2_only(&mut b);
    if d != b {
        panic!(
            "{what}: answers differ\n direct: {}\nbridged: {}",
            serde_json::to_string(&d).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
    // serde_json's map keeps insertion order: compare the order of keys too.
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        serde_json::to_string(&b).unwrap(),
        "{what}: key order differs"
    );
}
