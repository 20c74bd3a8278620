//! Shadow mode: a read answered by v2 is also translated and run through REST 3.0, and
//! the two v2 answers are compared, so an operator sees whether a rule may go live.
//!
//! What is compared: status and JSON, key order aside, except the `time` block and the
//! values of keys the rules declare v2-only (fields with no REST 3.0 counterpart), whose
//! presence still counts. Shadow work runs after the client has its answer and under a
//! budget per method (`shadow_share` of reads, at most `shadow_rate` portal requests per
//! second); over it a read is skipped and counted.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{json, Value};

use crate::rules::{Converter, LayoutSource, MethodRule};

/// Longest value text kept in the diff log.
const VALUE_CHARS: usize = 80;
/// Mismatching paths recorded per comparison.
const MAX_PATHS: usize = 20;

/// One difference: where, and both values (truncated).
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub path: String,
    pub v2: String,
    pub v3: String,
}

/// Keys whose values REST 3.0 cannot supply, by the rule's field table: fields with no
/// REST 3.0 counterpart, and the fixed keys of user and group objects.
pub fn v2_only_keys(rule: &MethodRule) -> HashSet<String> {
    let mut keys = HashSet::new();
    for field in &rule.entity.fields {
        if field.v3.is_none() || matches!(field.converter, Converter::Constant(_)) {
            keys.insert(field.key.clone());
        }
        if let Converter::User { layout }
        | Converter::UserMap { layout }
        | Converter::Group { layout } = &field.converter
        {
            for (key, source) in layout {
                if matches!(source, LayoutSource::Literal(_)) {
                    keys.insert(key.clone());
                }
            }
        }
    }
    keys
}

/// The differences between v2's answer and the translated one.
pub fn compare(
    v2_status: u16,
    v2: &Value,
    v3_status: u16,
    v3: &Value,
    v2_only: &HashSet<String>,
) -> Vec<Mismatch> {
    let mut found = Vec::new();
    if v2_status != v3_status {
        found.push(Mismatch {
            path: "status".into(),
            v2: v2_status.to_string(),
            v3: v3_status.to_string(),
        });
    }
    walk("$", v2, v3, v2_only, &mut found);
    found
}

fn shown(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.chars().take(VALUE_CHARS).collect()
}

fn walk(path: &str, a: &Value, b: &Value, v2_only: &HashSet<String>, found: &mut Vec<Mismatch>) {
    if found.len() >= MAX_PATHS {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, av) in x {
                let p = format!("{path}.{k}");
                if k == "time" && path == "$" {
                    continue;
                }
                match y.get(k) {
                    None => found.push(Mismatch {
                        path: p,
                        v2: shown(av),
                        v3: "(absent)".into(),
                    }),
                    Some(_) if v2_only.contains(k) => {}
                    Some(bv) => walk(&p, av, bv, v2_only, found),
                }
            }
            for (k, bv) in y {
                let time_block = k == "time" && path == "$";
                if !x.contains_key(k) && !time_block {
                    found.push(Mismatch {
                        path: format!("{path}.{k}"),
                        v2: "(absent)".into(),
                        v3: shown(bv),
                    });
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                found.push(Mismatch {
                    path: format!("{path}.length"),
                    v2: x.len().to_string(),
                    v3: y.len().to_string(),
                });
            }
            for (i, (av, bv)) in x.iter().zip(y).enumerate() {
                walk(&format!("{path}[{i}]"), av, bv, v2_only, found);
            }
        }
        _ if a != b => found.push(Mismatch {
            path: path.to_owned(),
            v2: shown(a),
            v3: shown(b),
        }),
        _ => {}
    }
}

/// A path with its array indexes generalised (`$.result.tasks[*].title`), for metrics.
pub fn general_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// A stable hash of a call's parameters, for the diff log (never the parameters).
pub fn params_hash(method: &str, params: &Value) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    method.hash(&mut h);
    params.to_string().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Per-method budgets: a share of reads, and a leaky bucket of portal requests.
#[derive(Default)]
pub struct Budget {
    methods: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    seen: u64,
    taken: u64,
    tokens: f64,
    at: Instant,
}

impl Budget {
    /// Whether a read of `rule`'s method may be shadowed now.
    pub fn admit(&self, rule: &MethodRule) -> bool {
        let mut methods = self.methods.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = methods.entry(rule.name.clone()).or_insert_with(|| Bucket {
            seen: 0,
            taken: 0,
            tokens: rule.shadow_rate.max(1.0),
            at: Instant::now(),
        });
        bucket.seen += 1;
        let now = Instant::now();
        let burst = rule.shadow_rate.max(1.0);
        bucket.tokens = (bucket.tokens
            + now.duration_since(bucket.at).as_secs_f64() * rule.shadow_rate)
            .min(burst);
        bucket.at = now;
        // Shares are kept exactly over time: take a read while taken/seen is below the share.
        let within_share = (bucket.taken as f64) < rule.shadow_share * bucket.seen as f64;
        if !within_share || bucket.tokens < 1.0 {
            return false;
        }
        bucket.taken += 1;
        true
    }

    /// Charges the requests a shadow call spent (it may go below zero: later reads wait).
    pub fn spend(&self, rule: &MethodRule, requests: usize) {
        let mut methods = self.methods.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = methods.get_mut(&rule.name) {
            bucket.tokens -= requests as f64;
        }
    }
}

/// The diff log: one JSON line per comparison or skip, matches sampled.
pub struct DiffLog {
    file: Mutex<std::fs::File>,
    sample: f64,
    matches: Mutex<u64>,
}

impl DiffLog {
    pub fn open(path: &Path, sample: f64) -> std::io::Result<DiffLog> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(DiffLog {
            file: Mutex::new(file),
            sample,
            matches: Mutex::new(0),
        })
    }

    /// Writes a record; a match only when the sample takes it (every 1/sample-th).
    pub fn write(&self, record: &Record<'_>) {
        if record.outcome == "match" {
            let mut n = self.matches.lock().unwrap_or_else(|e| e.into_inner());
            *n += 1;
            let every = if self.sample <= 0.0 {
                return;
            } else {
                (1.0 / self.sample).round().max(1.0) as u64
            };
            if (*n - 1) % every != 0 {
                return;
            }
        }
        let mut line = json!({
            "ts": crate::clock::iso(
                crate::clock::unix_seconds(std::time::SystemTime::now()) as i64,
                0
            ),
            "method": record.method,
            "params_hash": record.params_hash,
            "outcome": record.outcome,
        });
        if let Some(reason) = record.reason {
            line["reason"] = json!(reason);
        }
        if let Some(requests) = record.v3_requests {
            line["v3_requests"] = json!(requests);
        }
        if !record.mismatches.is_empty() {
            line["mismatches"] = Value::Array(
                record
                    .mismatches
                    .iter()
                    .map(|m| json!({"path": m.path, "v2": m.v2, "v3": m.v3}))
                    .collect(),
            );
        }
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = writeln!(file, "{line}") {
            tracing::warn!(error = %e, "the shadow diff log could not be written");
        }
    }
}

/// What one shadowed read came to.
pub struct Record<'a> {
    pub method: &'a str,
    pub params_hash: &'a str,
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
    pub v3_requests: Option<usize>,
    pub mismatches: &'a [Mismatch],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_block_and_v2_only_values_are_not_compared_but_keys_are() {
        let only: HashSet<String> = ["notViewed".to_owned()].into();
        let v2 = json!({"result": {"task": {"id": "1", "notViewed": "N"}}, "time": {"start": 1}});
        let v3 = json!({"result": {"task": {"id": "1", "notViewed": "Y"}}, "time": {"start": 2}});
        assert!(compare(200, &v2, 200, &v3, &only).is_empty());
        let missing = json!({"result": {"task": {"id": "1"}}, "time": {}});
        let found = compare(200, &v2, 200, &missing, &only);
        assert_eq!(found[0].path, "$.result.task.notViewed");
    }

    #[test]
    fn differences_name_their_path_and_both_values() {
        let v2 = json!({"result": {"tasks": [{"title": "A"}, {"title": "B"}]}});
        let v3 = json!({"result": {"tasks": [{"title": "A"}, {"title": "b"}]}});
        let found = compare(200, &v2, 200, &v3, &HashSet::new());
        assert_eq!(
            found,
            vec![Mismatch {
                path: "$.result.tasks[1].title".into(),
                v2: "B".into(),
                v3: "b".into()
            }]
        );
        assert_eq!(general_path(&found[0].path), "$.result.tasks[*].title");
        assert_eq!(
            compare(200, &v2, 400, &v2, &HashSet::new())[0].path,
            "status"
        );
    }
}
