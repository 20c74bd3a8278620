//! v2 `batch`: parsing the commands, resolving `$result[...]` references, and assembling
//! the answer with PHP's quirks. Pure; the runner in [`run`] does the I/O.
//!
//! A v2 batch is `{"halt": 0|1, "cmd": {key: "method?query", ...}}` (or `cmd` as a list,
//! keys 0..n-1). Each query is PHP-encoded once more inside the command string.

pub mod run;

use serde_json::{Map, Value};

use crate::decode::value::{param, php_map, strval, yes_no, PhpArray};
use crate::decode::{self, DecodeLimits};
use crate::route::{split_suffix, Format};

/// Most commands one v2 batch may carry.
pub const MAX_COMMANDS: usize = 50;

/// One command of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub key: String,
    /// Lower-cased, suffix removed.
    pub method: String,
    pub format: Format,
    /// The command string as the client sent it.
    pub raw: String,
    /// Its parameters, decoded as the PHP server decodes them.
    pub params: Map<String, Value>,
}

/// A parsed v2 batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub halt: bool,
    pub commands: Vec<Command>,
}

/// Parses the parameters of a `batch` call. `None` when the call is not a batch the
/// bridge runs itself (no commands, too many, a command that is not a string, a nested
/// batch): v2 then answers it, exactly as it always did.
pub fn parse(params: &Map<String, Value>, limits: &DecodeLimits) -> Option<Batch> {
    let cmd = PhpArray::of(param(params, "cmd")?)?;
    let entries: Vec<(String, &Value)> = cmd.entries().map(|(k, v)| (k.into_owned(), v)).collect();
    if entries.is_empty() || entries.len() > MAX_COMMANDS {
        return None;
    }
    let halt = match param(params, "halt") {
        None | Some(Value::Null) => false,
        Some(v) => yes_no(v).or_else(|| v.as_str().map(|s| !s.is_empty() && s != "0"))?,
    };
    let mut commands = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let raw = value.as_str()?.to_owned();
        let (method_part, query) = raw.split_once('?').unwrap_or((raw.as_str(), ""));
        let (name, format) = split_suffix(method_part.trim());
        let method = name.to_ascii_lowercase();
        if method.is_empty() || method == "batch" {
            return None;
        }
        let mut params = decode::parse_php_query(query, limits).ok()?;
        params.remove("auth");
        commands.push(Command {
            key,
            method,
            format,
            raw,
            params,
        });
    }
    Some(Batch { halt, commands })
}

/// A `$result[key][path…]` reference inside a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub start: usize,
    pub end: usize,
    pub key: String,
    pub path: Vec<String>,
}

const MARKER: &str = "$result[";

/// Every reference in a string, left to right.
pub fn references(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(MARKER) {
        let start = from + found;
        let mut pos = start + MARKER.len() - 1;
        let mut segments = Vec::new();
        while text[pos..].starts_with('[') {
            match text[pos + 1..].find(']') {
                Some(close) => {
                    segments.push(text[pos + 1..pos + 1 + close].to_owned());
                    pos += close + 2;
                }
                None => break,
            }
        }
        if segments.is_empty() {
            from = start + MARKER.len();
            continue;
        }
        let key = segments.remove(0);
        out.push(Reference {
            start,
            end: pos,
            key,
            path: segments,
        });
        from = pos;
    }
    out
}

/// The keys a command's parameters refer to.
pub fn referenced_keys(params: &Map<String, Value>) -> Vec<String> {
    let mut keys = Vec::new();
    visit_strings(params, &mut |s| {
        for r in references(s) {
            if !keys.contains(&r.key) {
                keys.push(r.key);
            }
        }
    });
    keys
}

fn visit_strings(map: &Map<String, Value>, f: &mut impl FnMut(&str)) {
    fn visit(v: &Value, f: &mut impl FnMut(&str)) {
        match v {
            Value::String(s) => f(s),
            Value::Array(a) => a.iter().for_each(|v| visit(v, f)),
            Value::Object(m) => m.values().for_each(|v| visit(v, f)),
            _ => {}
        }
    }
    map.values().for_each(|v| visit(v, f));
}

/// Follows a reference's path into an earlier command's result.
pub fn resolve<'a>(result: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut current = result;
    for segment in path {
        current = match current {
            Value::Object(m) => m.get(segment)?,
            Value::Array(a) => a.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Replaces references whose key `lookup` knows. A string that is exactly one reference
/// to a list or object takes that value whole; otherwise each reference is replaced by the
/// referenced scalar. References `lookup` does not know, or whose path is missing, stay as
/// written. Returns true when anything changed.
pub fn substitute(params: &mut Map<String, Value>, lookup: &dyn Fn(&str) -> Option<Value>) -> bool {
    let mut changed = false;
    for v in params.values_mut() {
        changed |= substitute_value(v, lookup);
    }
    changed
}

fn substitute_value(v: &mut Value, lookup: &dyn Fn(&str) -> Option<Value>) -> bool {
    match v {
        Value::Array(a) => a
            .iter_mut()
            .fold(false, |c, v| substitute_value(v, lookup) | c),
        Value::Object(m) => m
            .values_mut()
            .fold(false, |c, v| substitute_value(v, lookup) | c),
        Value::String(s) => {
            let refs = references(s);
            if refs.is_empty() {
                return false;
            }
            let found =
                |r: &Reference| lookup(&r.key).and_then(|res| resolve(&res, &r.path).cloned());
            if refs.len() == 1 && refs[0].start == 0 && refs[0].end == s.len() {
                if let Some(value) = found(&refs[0]) {
                    *v = match strval(&value) {
                        Some(text) => Value::String(text),
                        None => value,
                    };
                    return true;
                }
                return false;
            }
            let mut out = String::with_capacity(s.len());
            let mut last = 0;
            let mut changed = false;
            for r in &refs {
                out.push_str(&s[last..r.start]);
                match found(r).as_ref().and_then(strval) {
                    Some(text) => {
                        out.push_str(&text);
                        changed = true;
                    }
                    None => out.push_str(&s[r.start..r.end]),
                }
                last = r.end;
            }
            out.push_str(&s[last..]);
            if changed {
                *v = Value::String(out);
            }
            changed
        }
        _ => false,
    }
}

/// What one command ended with.
// At most 50 live at once; boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Success {
        result: Value,
        total: Option<Value>,
        next: Option<Value>,
        time: Value,
    },
    Failure {
        error: Value,
    },
}

/// The v2 batch result object from the commands' outcomes, in `cmd` order.
pub fn assemble(outcomes: Vec<(String, Outcome)>) -> Value {
    let (mut result, mut errors, mut totals, mut nexts, mut times) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (key, outcome) in outcomes {
        match outcome {
            Outcome::Success {
                result: r,
                total,
                next,
                time,
            } => {
                result.push((key.clone(), r));
                if let Some(t) = total {
                    totals.push((key.clone(), t));
                }
                if let Some(n) = next {
                    nexts.push((key.clone(), n));
                }
                times.push((key, time));
            }
            Outcome::Failure { error } => errors.push((key, error)),
        }
    }
    let mut out = Map::new();
    out.insert("result".into(), php_map(result));
    out.insert("result_error".into(), php_map(errors));
    out.insert("result_total".into(), php_map(totals));
    out.insert("result_next".into(), php_map(nexts));
    out.insert("result_time".into(), php_map(times));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_found_with_their_paths() {
        let refs = references("x$result[list][tasks][49][id]y $result[me]");
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].key, "list");
        assert_eq!(refs[0].path, vec!["tasks", "49", "id"]);
        assert_eq!(refs[1].key, "me");
        assert!(refs[1].path.is_empty());
        assert!(references("$result").is_empty());
        assert!(references("$result[unclosed").is_empty());
    }

    #[test]
    fn substitution_keeps_whole_values_and_splices_scalars() {
        let results = json!({"a": {"task": {"id": "7", "ids": [1, 2]}}});
        let lookup = |k: &str| results.get(k).cloned();
        let mut params = json!({
            "taskId": "$result[a][task][id]",
            "ids": "$result[a][task][ids]",
            "title": "Task $result[a][task][id]!",
            "missing": "$result[zz][x]",
        })
        .as_object()
        .unwrap()
        .clone();
        assert!(substitute(&mut params, &lookup));
        assert_eq!(params["taskId"], "7");
        assert_eq!(params["ids"], json!([1, 2]));
        assert_eq!(params["title"], "Task 7!");
        assert_eq!(params["missing"], "$result[zz][x]");
    }
}
