//! v2 `batch`: `cmd` (an object of named commands or a list) of `method?query` strings,
//! `halt`, `$result[key][path…]` references to earlier results, and the answer's five
//! maps `result`, `result_error`, `result_total`, `result_next`, `result_time`, each a PHP
//! array keyed like `cmd` (a JSON list when the keys are exactly 0..n-1, `[]` when empty).
//!
//! * More than 50 commands: the whole request fails with 400 `ERROR_BATCH_LENGTH_EXCEEDED`
//!   and nothing runs (the error tables give it as the batch's own error).
//! * Each query is read with PHP `parse_str`; `auth` and `bx24_*` are dropped from it like
//!   from a top-level request; `.json`/`.xml` suffixes on the method are ignored.
//! * References are resolved in the decoded values, so raw and percent-encoded forms agree.
//!   A value that is exactly one reference takes the referenced value as it is (arrays
//!   too); a reference inside longer text is replaced by its text (`true` → `1`,
//!   `false`/null/arrays → empty). A reference to a failed, later or missing command, or a
//!   missing path, is the empty string.
//! * Succeeded commands get a full `time` block in `result_time` (the data-types page lets
//!   the block's composition vary; SDKs read `operating` from it), failed ones only a
//!   `result_error` entry; `result_total`/`result_next` only where the command had them.
//! * A nested `batch` gets 405 `ERROR_BATCH_METHOD_NOT_ALLOWED` in `result_error`; a command
//!   that is not a string gets `ERROR_ARGUMENT`.

use super::values::{flag, param, php_array, text};
use super::{dispatch, V2Err, V2Ok};
use crate::clock::time_block;
use crate::php::parse_str;
use crate::store::Store;
use serde_json::{json, Map, Value};
use std::time::SystemTime;

pub const MAX_COMMANDS: usize = 50;

/// A `$result[key][seg]…` reference found in a text at `start..end`.
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
    while let Some(found) = text[from..].find(HEAD) {
        let start = from + found;
        let mut cursor = start + HEAD.len() - 1;
        let mut segments = Vec::new();
        while text[cursor..].starts_with('[') {
            match text[cursor + 1..].find(']') {
                Some(close) => {
                    segments.push(text[cursor + 1..cursor + 1 + close].to_string());
                    cursor += close + 2;
                }
                None => break,
            }
        }
        if segments.is_empty() {
            from = start + HEAD.len();
            continue;
        }
        let key = segments.remove(0);
        out.push(Reference {
            start,
            end: cursor,
            key,
            path: segments,
        });
        from = cursor;
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
        Value::Array(_) | Value::Object(_) | Value::Null | Value::Bool(false) => String::new(),
        other => text(other),
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

/// The method name of a command: trimmed, lower case, without `.json`/`.xml`.
pub fn method_name(raw: &str) -> String {
    let m = raw.trim().trim_matches('/').to_ascii_lowercase();
    for suffix in [".json", ".xml"] {
        if let Some(stripped) = m.strip_suffix(suffix) {
            return stripped.to_string();
        }
    }
    m
}

fn command_params(query: &str, done: &[(String, Value)]) -> Map<String, Value> {
    let mut params = Value::Object(parse_str(query).to_map());
    substitute(&mut params, done);
    match params {
        Value::Object(mut m) => {
            m.retain(|k, _| k != "auth" && !k.starts_with("bx24_"));
            m
        }
        _ => Map::new(),
    }
}

/// Runs a batch; `served` is told the method of every command as it runs.
pub fn run(
    store: &mut Store,
    p: &Map<String, Value>,
    caller: u64,
    served: &mut dyn FnMut(&str),
) -> Result<V2Ok, V2Err> {
    let commands: Vec<(String, Value)> = match param(p, "cmd") {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    if commands.len() > MAX_COMMANDS {
        return Err(V2Err::new(
            400,
            "ERROR_BATCH_LENGTH_EXCEEDED",
            "Max batch length exceeded",
        ));
    }
    let halt = param(p, "halt").is_some_and(flag);
    let mut results: Vec<(String, Value)> = Vec::new();
    let (mut errors, mut totals, mut nexts, mut times) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (key, command) in commands {
        let started = SystemTime::now();
        let outcome = match &command {
            Value::String(s) => {
                let (raw_method, query) = s.split_once('?').unwrap_or((s, ""));
                let method = method_name(raw_method);
                served(&method);
                if method == "batch" {
                    Err(V2Err::new(
                        405,
                        "ERROR_BATCH_METHOD_NOT_ALLOWED",
                        "Method is not allowed for batch usage",
                    ))
                } else {
                    let params = command_params(query, &results);
                    dispatch(store, &method, &params, caller)
                }
            }
            _ => Err(V2Err::new(
                400,
                "ERROR_ARGUMENT",
                "A batch command must be a string",
            )),
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
                errors.push((
                    key,
                    json!({"error": e.code, "error_description": e.description}),
                ));
                if halt {
                    break;
                }
            }
        }
    }
    let mut out = Map::new();
    out.insert("result".into(), php_array(results));
    out.insert("result_error".into(), php_array(errors));
    out.insert("result_total".into(), php_array(totals));
    out.insert("result_next".into(), php_array(nexts));
    out.insert("result_time".into(), php_array(times));
    Ok(V2Ok::plain(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references() {
        let r = references("x=$result[me][UF][0]&y=$result[a]&z=$result[");
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].key.as_str(), r[0].path.clone()),
            ("me", vec!["UF".to_string(), "0".to_string()])
        );
        assert_eq!(r[1].key, "a");
        assert!(references("$result").is_empty());
        assert!(references("$result[]").len() == 1);
    }

    #[test]
    fn substitution_keeps_whole_values_and_texts_embedded_ones() {
        let done = vec![(
            "a".to_string(),
            json!({"task": {"id": "5", "auditors": ["3", "4"], "ok": true}}),
        )];
        let mut v = json!({"id": "$result[a][task][id]", "list": "$result[a][task][auditors]", "t": "x $result[a][task][ok] $result[a][task][auditors] $result[zz][q]"});
        substitute(&mut v, &done);
        assert_eq!(v, json!({"id": "5", "list": ["3", "4"], "t": "x 1  "}));
    }

    #[test]
    fn php_arrays_and_method_names() {
        assert_eq!(php_array(vec![]), json!([]));
        assert_eq!(
            php_array(vec![("0".into(), json!(1)), ("1".into(), json!(2))]),
            json!([1, 2])
        );
        assert_eq!(php_array(vec![("1".into(), json!(2))]), json!({"1": 2}));
        assert_eq!(method_name(" Tasks.Task.Get.json "), "tasks.task.get");
    }
}
