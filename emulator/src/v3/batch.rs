//! REST 3.0 `batch` (rest-v3.md#batch): the body is a JSON array of
//! `{"method", "query", "as"?}` run in order against the same store; the answer's `result`
//! is the array of each call's `result`, in order.
//!
//! References (as the official JS SDK sends them): `{"$ref": "alias.path.to.field"}` takes
//! one value from an earlier call's `item` (or `items`), `{"$refArray": "alias.field"}`
//! collects `field` from every row of an earlier `items`; a call is named by `as`, or by its
//! position. The batch is all or nothing from the caller's view: the first failing call
//! fails the whole batch with that call's error (earlier writes stay done, there is no
//! rollback). The old `cmd` format, a malformed call, an unresolvable reference or more
//! than 50 calls is `INVALIDSELECTEXCEPTION`; a nested `batch` is 405
//! `ERROR_BATCH_METHOD_NOT_ALLOWED`. `Idempotency-Key` does not apply inside.

use super::{dispatch, V3Err};
use crate::store::Store;
use serde_json::{Map, Value};

pub const MAX_CALLS: usize = 50;

fn bad(message: &str) -> V3Err {
    V3Err::new(400, "INVALIDSELECTEXCEPTION", message)
}

fn root(result: &Value) -> Option<&Value> {
    result.get("item").or_else(|| result.get("items"))
}

fn walk<'a>(mut v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    for seg in path {
        v = match v {
            Value::Object(m) => m.get(*seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn resolve(v: &Value, named: &[(String, Value)], depth: usize) -> Result<Value, V3Err> {
    if depth > 64 {
        return Err(bad("The batch query is nested too deeply"));
    }
    match v {
        Value::Object(m)
            if m.len() == 1 && (m.contains_key("$ref") || m.contains_key("$refArray")) =>
        {
            let whole = m.contains_key("$ref");
            let target = m
                .values()
                .next()
                .and_then(Value::as_str)
                .ok_or_else(|| bad("A reference must be a string"))?;
            let mut parts: Vec<&str> = target.split('.').collect();
            if parts.len() < 2 {
                return Err(bad(&format!("Unable to resolve the reference `{target}`")));
            }
            let alias = parts.remove(0);
            let result = named
                .iter()
                .find(|(a, _)| a == alias)
                .map(|(_, r)| r)
                .ok_or_else(|| bad(&format!("Unable to resolve the reference `{target}`")))?;
            let base = root(result)
                .ok_or_else(|| bad(&format!("Unable to resolve the reference `{target}`")))?;
            if whole {
                walk(base, &parts)
                    .cloned()
                    .ok_or_else(|| bad(&format!("Unable to resolve the reference `{target}`")))
            } else {
                let rows = base
                    .as_array()
                    .ok_or_else(|| bad(&format!("Unable to resolve the reference `{target}`")))?;
                rows.iter()
                    .map(|row| {
                        walk(row, &parts).cloned().ok_or_else(|| {
                            bad(&format!("Unable to resolve the reference `{target}`"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                out.insert(k.clone(), resolve(x, named, depth + 1)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => a
            .iter()
            .map(|x| resolve(x, named, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// Runs a batch; `served` is told each call's method as it runs.
pub fn run(
    store: &mut Store,
    body: &Value,
    caller: u64,
    served: &mut dyn FnMut(&str),
) -> Result<Value, V3Err> {
    let calls: Vec<&Value> = match body {
        Value::Array(a) => a.iter().collect(),
        // PHP cannot tell {"0":…,"1":…} from a list
        Value::Object(m)
            if !m.is_empty() && m.keys().enumerate().all(|(i, k)| *k == i.to_string()) =>
        {
            m.values().collect()
        }
        _ => {
            return Err(bad(
                "Unable to recognize the batch: expected a JSON array of calls",
            ))
        }
    };
    if calls.len() > MAX_CALLS {
        return Err(bad("A batch holds at most 50 calls"));
    }
    let mut named: Vec<(String, Value)> = Vec::new();
    let mut out = Vec::with_capacity(calls.len());
    for (i, call) in calls.into_iter().enumerate() {
        let Some(obj) = call.as_object() else {
            return Err(bad(
                "Every batch call must be an object with `method` and `query`",
            ));
        };
        if obj
            .keys()
            .any(|k| !matches!(k.as_str(), "method" | "query" | "as" | "parallel"))
        {
            return Err(bad(
                "Every batch call must be an object with `method` and `query`",
            ));
        }
        let (Some(method), Some(query)) =
            (obj.get("method").and_then(Value::as_str), obj.get("query"))
        else {
            return Err(bad(
                "Every batch call must be an object with `method` and `query`",
            ));
        };
        let method = method.trim().to_ascii_lowercase();
        served(&method);
        let query = resolve(query, &named, 0)?;
        let result = dispatch(store, &method, &query, caller)?;
        let alias = obj
            .get("as")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| i.to_string());
        named.push((alias, result.clone()));
        out.push(result);
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(e: V3Err) -> String {
        e.code.replace("BITRIX_REST_V3_EXCEPTION_", "")
    }

    #[test]
    fn references_and_order() {
        let mut s = Store::seeded(6, 60);
        let mut log = Vec::new();
        let r = run(
            &mut s,
            &json!([
                {"method": "tasks.task.list", "query": {"select": ["id", "title"], "pagination": {"limit": 3}}, "as": "tasks"},
                {"method": "tasks.task.get", "query": {"id": {"$ref": "tasks.1.id"}, "select": ["id"]}, "as": "second"},
                {"method": "tasks.task.list", "query": {"filter": [["id", "in", {"$refArray": "tasks.id"}]], "order": {"id": "DESC"}}},
                {"method": "tasks.task.get", "query": {"id": {"$ref": "second.id"}, "select": ["title"]}}
            ]),
            1,
            &mut |m| log.push(m.to_string()),
        )
        .unwrap_or_default();
        let ids: Vec<Value> = r[0]["items"]
            .as_array()
            .map(|a| a.iter().map(|t| t["id"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(r[1]["item"]["id"], ids[1]);
        let back: Vec<Value> = r[2]["items"]
            .as_array()
            .map(|a| a.iter().map(|t| t["id"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(back, ids.iter().rev().cloned().collect::<Vec<_>>());
        assert_eq!(r[3]["item"]["title"], r[0]["items"][1]["title"]);
        assert_eq!(log.len(), 4);
    }

    #[test]
    fn failures_fail_the_whole_batch() {
        let mut s = Store::seeded(6, 20);
        let mut none = |_: &str| {};
        let e = |s: &mut Store, b: Value, f: &mut dyn FnMut(&str)| run(s, &b, 1, f).err().map(code);
        assert_eq!(
            e(
                &mut s,
                json!({"cmd": {"a": "tasks.task.get?id=1"}}),
                &mut none
            ),
            Some("INVALIDSELECTEXCEPTION".into())
        );
        assert_eq!(
            e(&mut s, json!([{"method": "tasks.task.get"}]), &mut none),
            Some("INVALIDSELECTEXCEPTION".into())
        );
        assert_eq!(
            e(
                &mut s,
                json!([{"method": "tasks.task.get", "query": {"id": {"$ref": "nope.id"}}}]),
                &mut none
            ),
            Some("INVALIDSELECTEXCEPTION".into())
        );
        assert_eq!(
            e(&mut s, json!([{"method": "batch", "query": {}}]), &mut none),
            Some("ERROR_BATCH_METHOD_NOT_ALLOWED".into())
        );
        assert_eq!(
            e(
                &mut s,
                json!([{"method": "tasks.task.get", "query": {"id": 999999}}]),
                &mut none
            ),
            Some("ENTITYNOTFOUNDEXCEPTION".into())
        );
        let many: Vec<Value> = (0..51)
            .map(|_| json!({"method": "tasks.task.field.list", "query": {}}))
            .collect();
        assert_eq!(
            e(&mut s, Value::Array(many), &mut none),
            Some("INVALIDSELECTEXCEPTION".into())
        );
    }
}
