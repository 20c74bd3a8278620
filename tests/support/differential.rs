//! The differential harness: one v2 request, answered by the emulator's v2 endpoint
//! directly and by the bridge in front of a second emulator with the same seed (served
//! by its REST 3.0 endpoint). The two answers must be equal, `time` values aside.

use std::net::SocketAddr;

use b24bridge::emulate::{self, EmulatorOptions, RunningEmulator};
use b24bridge::emulator::{ApiVersion, ServedBy};
use b24bridge::server::RunningBridge;
use serde_json::Value;

use super::{raw_config, send, start_bridge, Answer};

pub const SEED: u64 = 42;

/// The direct emulator, the bridged emulator and the bridge in front of it.
pub struct Pair {
    pub direct: RunningEmulator,
    pub behind: RunningEmulator,
    pub bridge: RunningBridge,
}

async fn emulator(seed: u64) -> RunningEmulator {
    emulate::start(EmulatorOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        seed,
        tls: None,
    })
    .await
    .expect("emulator starts")
}

impl Pair {
    pub async fn start() -> Pair {
        let direct = emulator(SEED).await;
        let behind = emulator(SEED).await;
        let bridge = start_bridge(raw_config(&format!("http://{}", behind.local_addr()))).await;
        Pair { direct, behind, bridge }
    }

    pub fn bridge_addr(&self) -> SocketAddr {
        self.bridge.local_addr()
    }

    /// Sends the same request both ways; returns (direct v2 answer, answer through the bridge).
    pub async fn both(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> (Answer, Answer) {
        self.behind.emulator().clear_served_log();
        let direct = send(self.direct.local_addr(), method, target, headers, body.to_owned()).await;
        let bridged = send(self.bridge.local_addr(), method, target, headers, body.to_owned()).await;
        (direct, bridged)
    }

    /// What served the bridged request(s) since the last `both`.
    pub fn served(&self) -> Vec<ServedBy> {
        self.behind.emulator().served_log()
    }

    /// True when everything the bridge sent since the last `both` went to REST 3.0.
    pub fn all_v3(&self) -> bool {
        let log = self.served();
        !log.is_empty() && log.iter().all(|s| s.version == ApiVersion::V3)
    }

    /// True when the bridge sent the call to v2 (fallback or pass-through).
    pub fn went_to_v2(&self) -> bool {
        self.served().iter().any(|s| s.version == ApiVersion::V2)
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

/// Asserts both answers are the same v2 answer: status, JSON, key order included.
pub fn assert_same(what: &str, direct: &Answer, bridged: &Answer) {
    assert_eq!(direct.status, bridged.status, "{what}: status differs\n direct: {}\nbridged: {}",
        String::from_utf8_lossy(&direct.body), String::from_utf8_lossy(&bridged.body));
    let mut d = direct.json();
    let mut b = bridged.json();
    normalize_times(&mut d);
    normalize_times(&mut b);
    if d != b {
        panic!(
            "{what}: answers differ\n direct: {}\nbridged: {}",
            serde_json::to_string(&d).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
    // serde_json's map keeps insertion order: compare the order of keys too.
    assert_eq!(serde_json::to_string(&d).unwrap(), serde_json::to_string(&b).unwrap(), "{what}: key order differs");
}
