//! v2 `batch`: `cmd` (object or list) of `method?query` strings parsed with PHP rules,
//! `$result[key][path…]` references to earlier results, `halt`, and the PHP-shaped
//! `result / result_error / result_total / result_next / result_time` answer.
//!
//! Decisions (listed in the module assumptions too):
//! * more than 50 commands: the whole request fails with 400 `ERROR_BATCH_LENGTH_EXCEEDED`,
//!   nothing runs;
//! * `cmd` missing or not a list/object: an empty batch (all five maps `[]`);
//! * references are resolved after the query is decoded, in every leaf value, so raw and
//!   percent-encoded forms behave the same; a value that is exactly one reference takes the
//!   referenced value as it is (arrays included), a reference inside a longer text is
//!   replaced by its text (`true` → `1`, `false`/null/arrays → empty);
//! * a reference to a failed, later, missing key or missing path resolves to the empty string;
//! * every succeeded command gets a full `time` block in `result_time` (clients such as
//!   b24pysdk read `operating` from it); failed commands get `result_error` only; `result_total` is written
//!   for list commands, `result_next` only when there is a next page;
//! * `.json`/`.xml` suffixes on sub-methods are stripped; a nested `batch` gets
//!   `ERROR_BATCH_METHOD_NOT_ALLOWED` in `result_error`.

use super::clock::time_block;
use super::tasks_v2::{self, param};
use super::writes::{v2_flag, v2_text};
use super::{ApiVersion, Caller, ServedBy, State, V2Err, V2Ok};
use crate::decode::{parse_php_query, DecodeLimits};
use serde_json::{json, Map, Value};
use std::time::SystemTime;

pub const MAX_COMMANDS: usize = 50;

/// A `$result[key][seg]…` reference found in `text` at byte `start..end`.
#[derive(Debug, Clone, PartialEq)]
struct Reference {
    start: usize,
    end: usize,
    key: String,
    path: Vec<String>,
}

fn references(text: &str) -> Vec<Reference> {
    const HEAD: &str = "$result[";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find(HEAD) {
        let start = from + pos;
        let mut cur = start + HEAD.len() - 1; // at '['
        let mut segs = Vec::new();
        while text[cur..].starts_with('[') {
            match text[cur + 1..].find(']') {
                Some(close) => {
                    segs.push(text[cur + 1..cur + 1 + close].to_string());
                    cur = cur + 1 + close + 1;
                }
                None => break,
            }
        }
        if segs.is_empty() {
            from = start + HEAD.len();
            continue;
        }
        let key = segs.remove(0);
        out.push(Reference {
            start,
            end: cur,
            key,
            path: segs,
        });
        from = cur;
    }
    out
}

fn lookup(done: &[(String, Value)], r: &Reference) -> Option<Value> {
    let mut v = done.iter().find(|(k, _)| *k == r.key).map(|(_, v)| v)?;
    for seg in &r.path {
        v = match v {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v.clone())
}

fn as_text(v: &Value) -> String {
    match v {
        Value::Bool(true) => "1".into(),
        Value::Array(_) | Value::Object(_) | Value::Null | Value::Bool(false) => String::new(),
        other => v2_text(other),
    }
}

fn substitute(v: &mut Value, done: &[(String, Value)]) {
    match v {
        Value::Object(m) => m.values_mut().for_each(|x| substitute(x, done)),
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, done)),
        Value::String(s) => {
            let refs = references(s);
            if refs.is_empty() {
                return;
            }
            if refs.len() == 1 && refs[0].start == 0 && refs[0].end == s.len() {
                *v = lookup(done, &refs[0]).unwrap_or_else(|| json!(""));
                return;
            }
            let mut out = String::new();
            let mut last = 0;
            for r in &refs {
                out.push_str(&s[last..r.start]);
                out.push_str(&lookup(done, r).map(|x| as_text(&x)).unwrap_or_default());
                last = r.end;
            }
            out.push_str(&s[last..]);
            *s = out;
        }
        _ => {}
    }
}

/// PHP array → JSON: `[]` when empty, a list when the keys are exactly 0..n-1, else an object.
pub fn php_map(entries: Vec<(String, Value)>) -> Value {
    if entries.is_empty() {
        return json!([]);
    }
    if entries
        .iter()
        .enumerate()
        .all(|(i, (k, _))| *k == i.to_string())
    {
        return Value::Array(entries.into_iter().map(|(_, v)| v).collect());
    }
    Value::Object(entries.into_iter().collect())
}

fn split_command(cmd: &str) -> (String, &str) {
    let (m, q) = cmd.split_once('?').unwrap_or((cmd, ""));
    let mut m = super::norm_method(m);
    for suffix in [".json", ".xml"] {
        if let Some(stripped) = m.strip_suffix(suffix) {
            m = stripped.to_string();
        }
    }
    (m, q)
}

pub fn run(st: &mut State, params: &Map<String, Value>, caller: &Caller) -> Result<V2Ok, V2Err> {
    let cmds: Vec<(String, Value)> = match param(params, "cmd") {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    if cmds.len() > MAX_COMMANDS {
        return Err(V2Err::new(
            400,
            "ERROR_BATCH_LENGTH_EXCEEDED",
            "Max batch length exceeded",
        ));
    }
    let halt = param(params, "halt").is_some_and(v2_flag);
    let limits = DecodeLimits::default();
    let (mut results, mut errors, mut totals, mut nexts, mut times) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (key, cmd) in cmds {
        let started = SystemTime::now();
        let text = v2_text(&cmd);
        let (method, query) = split_command(&text);
        st.served.push(ServedBy {
            version: ApiVersion::V2,
            method: method.clone(),
            in_batch: true,
        });
        let outcome = if !cmd.is_string() {
            Err(V2Err::new(
                400,
                "ERROR_ARGUMENT",
                "A batch command must be a string",
            ))
        } else if method == "batch" {
            Err(V2Err::new(
                405,
                "ERROR_BATCH_METHOD_NOT_ALLOWED",
                "Method is not allowed for batch usage",
            ))
        } else {
            match parse_php_query(query, &limits) {
                Ok(p) => {
                    let mut p = Value::Object(p);
                    substitute(&mut p, &results);
                    let p = match p {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    };
                    tasks_v2::dispatch(&mut st.store, &method, &p, caller)
                }
                Err(e) => Err(V2Err::new(400, "INVALID_REQUEST", &e.to_string())),
            }
        };
        match outcome {
            Ok(ok) => {
                if let Some(t) = ok.total {
                    totals.push((key.clone(), json!(t)));
                }
                if let Some(n) = ok.next {
                    nexts.push((key.clone(), json!(n)));
                }
                times.push((key.clone(), time_block(started, SystemTime::now())));
                results.push((key, ok.result));
            }
            Err(e) => {
                errors.push((key, json!({"error": e.code, "error_description": e.desc})));
                if halt {
                    break;
                }
            }
        }
    }
    let mut out = Map::new();
    out.insert("result".into(), php_map(results));
    out.insert("result_error".into(), php_map(errors));
    out.insert("result_total".into(), php_map(totals));
    out.insert("result_next".into(), php_map(nexts));
    out.insert("result_time".into(), php_map(times));
    Ok(V2Ok::plain(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{ApiVersion, Emulator, ServedBy};
    use super::*;

    fn batch(e: &Emulator, body: Value) -> Value {
        let a = e.call_v2("batch", &obj(body), &ADMIN);
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["result"].clone()
    }

    #[test]
    fn finds_references() {
        let r = references("x=$result[me][UF][0]&y=$result[a]");
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].key.as_str(), r[0].path.clone()),
            ("me", vec!["UF".to_string(), "0".to_string()])
        );
        assert_eq!(r[1].key, "a");
        assert!(references("$result").is_empty());
    }

    #[test]
    fn named_commands_with_references_and_list_extras() {
        let e = Emulator::new(4);
        let r = batch(
            &e,
            json!({"halt": 0, "cmd": {
                "me": "user.current",
                "one": "tasks.task.get?taskId=$result[list][tasks][0][id]&select[]=ID&select[]=TITLE",
                "list": "tasks.task.list?select[]=ID&order[ID]=asc",
                "two": "tasks.task.get?taskId=%24result%5Blist%5D%5Btasks%5D%5B1%5D%5Bid%5D&select[]=ID",
                "mine": "tasks.task.list?filter[RESPONSIBLE_ID]=$result[me][ID]&select[]=ID&start=-1",
            }}),
        );
        assert_eq!(r["result"]["me"]["ID"], "1");
        // "one" ran before "list": its reference is empty → wrong task id
        assert_eq!(r["result_error"]["one"]["error"], "0");
        let first_two = &r["result"]["list"]["tasks"];
        assert_eq!(r["result"]["two"]["task"]["id"], first_two[1]["id"]);
        assert!(r["result_total"]["list"].as_u64().is_some_and(|t| t > 100));
        assert_eq!(r["result_next"], json!({"list": 50}));
        assert_eq!(r["result_total"]["mine"], 0);
        assert!(r["result_time"]["me"]["date_start"].is_string());
        // A full time block per command: clients read `operating` from it.
        assert!(r["result_time"]["me"].get("operating").is_some());
        assert!(r["result_time"].get("one").is_none());
        let keys: Vec<&String> = r
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "result",
                "result_error",
                "result_total",
                "result_next",
                "result_time"
            ]
        );
    }

    #[test]
    fn list_cmd_gives_lists_and_halt_stops() {
        let e = Emulator::new(4);
        let r = batch(
            &e,
            json!({"cmd": ["tasks.task.get?taskId=1&select[]=ID", "server.time"]}),
        );
        assert!(
            r["result"].is_array()
                && r["result_error"] == json!([])
                && r["result_next"] == json!([])
        );
        let r = batch(
            &e,
            json!({"halt": "1", "cmd": ["server.time", "tasks.task.get", "server.time"]}),
        );
        assert_eq!(r["result"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            r["result_error"],
            json!({"1": {"error": "100", "error_description":
            "CTaskItem All parameters in the constructor must have real class type (internal error)"}})
        );
        let r = batch(
            &e,
            json!({"halt": false, "cmd": ["server.time", "tasks.task.get", "server.time"]}),
        );
        assert_eq!(
            r["result"],
            json!({"0": "2026-11-02T09:00:00+03:00", "2": "2026-11-02T09:00:00+03:00"})
        );
    }

    #[test]
    fn writes_then_reads_and_whole_array_references() {
        let e = Emulator::new(4);
        let r = batch(
            &e,
            json!({"cmd": {
                "add": "tasks.task.add?fields[TITLE]=From%20batch&fields[RESPONSIBLE_ID]=2&fields[AUDITORS][]=3&fields[AUDITORS][]=4",
                "get": "tasks.task.get?taskId=$result[add][task][id]&select[]=AUDITORS",
                "copy": "tasks.task.add?fields[TITLE]=Copy of $result[add][task][title]&fields[RESPONSIBLE_ID]=1&fields[ACCOMPLICES]=$result[add][task][auditors]",
            }}),
        );
        assert_eq!(r["result"]["get"]["task"]["auditors"], json!(["3", "4"]));
        assert_eq!(r["result"]["copy"]["task"]["title"], "Copy of From batch");
        assert_eq!(
            r["result"]["copy"]["task"]["accomplices"],
            json!(["3", "4"])
        );
    }

    #[test]
    fn limits_nesting_and_served_log() {
        let e = Emulator::new(4);
        let many: Vec<Value> = (0..51).map(|_| json!("server.time")).collect();
        let a = e.call_v2("batch", &obj(json!({ "cmd": many })), &ADMIN);
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (400, Some("ERROR_BATCH_LENGTH_EXCEEDED"))
        );
        let fifty: Vec<Value> = (0..50).map(|_| json!("server.time")).collect();
        assert_eq!(
            batch(&e, json!({ "cmd": fifty }))["result"]
                .as_array()
                .map(Vec::len),
            Some(50)
        );
        e.clear_served_log();
        let r = batch(
            &e,
            json!({"cmd": {"a": "batch?cmd[0]=server.time", "b": "SERVER.TIME.json"}}),
        );
        assert_eq!(
            r["result_error"]["a"]["error"],
            "ERROR_BATCH_METHOD_NOT_ALLOWED"
        );
        assert!(r["result"]["b"].is_string());
        let log = e.served_log();
        assert_eq!(
            log[0],
            ServedBy {
                version: ApiVersion::V2,
                method: "batch".into(),
                in_batch: false
            }
        );
        assert_eq!(
            log[2],
            ServedBy {
                version: ApiVersion::V2,
                method: "server.time".into(),
                in_batch: true
            }
        );
        assert_eq!(batch(&e, json!({}))["result"], json!([]));
    }
}
