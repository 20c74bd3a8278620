//! REST 3.0 `batch`: a JSON array of `{method, query, as?}` run in order against the same
//! store; the answer is the array of each call's `result`. Any failing element fails the
//! whole batch with that element's error (earlier writes stay applied: there is no
//! rollback). `{"$ref": "alias.path"}` takes one value from an earlier `item`/`items`
//! result named by `as`; `{"$refArray": "alias.field"}` collects `field` from every row of
//! an earlier `items`. At most 50 elements; idempotency keys do not apply inside.
//!
//! Decisions: a body that is not an array (or an object with keys "0","1",…), an element
//! without `method`/`query` or with other keys than `method`, `query`, `as`, `parallel`, a
//! bad reference, or more than 50 elements → INVALIDSELECTEXCEPTION; a nested `batch` →
//! 405 ERROR_BATCH_METHOD_NOT_ALLOWED.

use super::tasks_v3;
use super::{ApiVersion, Caller, ServedBy, State, V3Err};
use serde_json::{Map, Value};

pub const MAX_CALLS: usize = 50;

fn bad(msg: &str) -> V3Err {
    V3Err::new(400, "INVALIDSELECTEXCEPTION", msg)
}

/// The referenceable part of a result: its `item` or its `items`.
fn root(result: &Value) -> Option<&Value> {
    result.get("item").or_else(|| result.get("items"))
}

fn navigate<'a>(mut v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    for seg in path {
        v = match v {
            Value::Object(m) => m.get(*seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn resolve(v: &Value, named: &[(String, Value)]) -> Result<Value, V3Err> {
    match v {
        Value::Object(m)
            if m.len() == 1 && (m.contains_key("$ref") || m.contains_key("$refArray")) =>
        {
            let (kind, target) = m.iter().next().ok_or_else(|| bad("Empty reference"))?;
            let Some(path) = target.as_str() else {
                return Err(bad("A reference must be a string"));
            };
            let mut parts: Vec<&str> = path.split('.').collect();
            if parts.len() < 2 {
                return Err(bad(&format!(
                    "Reference `{path}` needs an alias and a field"
                )));
            }
            let alias = parts.remove(0);
            let result = named
                .iter()
                .find(|(a, _)| a == alias)
                .map(|(_, r)| r)
                .ok_or_else(|| bad(&format!("Unknown batch alias `{alias}`")))?;
            let base = root(result)
                .ok_or_else(|| bad(&format!("Result `{alias}` cannot be referenced")))?;
            if kind == "$ref" {
                navigate(base, &parts)
                    .cloned()
                    .ok_or_else(|| bad(&format!("Reference `{path}` does not resolve")))
            } else {
                let rows = base
                    .as_array()
                    .ok_or_else(|| bad(&format!("Result `{alias}` has no items")))?;
                rows.iter()
                    .map(|row| {
                        navigate(row, &parts)
                            .cloned()
                            .ok_or_else(|| bad(&format!("Reference `{path}` does not resolve")))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                out.insert(k.clone(), resolve(x, named)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => a
            .iter()
            .map(|x| resolve(x, named))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

pub fn run(st: &mut State, body: &Value, caller: &Caller) -> Result<Value, V3Err> {
    let calls: Vec<&Value> = match body {
        Value::Array(a) => a.iter().collect(),
        Value::Object(m)
            if !m.is_empty() && m.keys().enumerate().all(|(i, k)| *k == i.to_string()) =>
        {
            m.values().collect()
        }
        _ => return Err(bad("A batch is a JSON array of {method, query} calls")),
    };
    if calls.len() > MAX_CALLS {
        return Err(bad("A batch holds at most 50 calls"));
    }
    let mut named: Vec<(String, Value)> = Vec::new();
    let mut out = Vec::new();
    for (i, call) in calls.into_iter().enumerate() {
        let Some(obj) = call.as_object() else {
            return Err(bad("Every batch call must be an object"));
        };
        if obj
            .keys()
            .any(|k| !matches!(k.as_str(), "method" | "query" | "as" | "parallel"))
        {
            return Err(bad("Unexpected key in a batch call"));
        }
        let (Some(method), Some(query)) =
            (obj.get("method").and_then(Value::as_str), obj.get("query"))
        else {
            return Err(bad("Every batch call needs `method` and `query`"));
        };
        let method = super::norm_method(method);
        st.served.push(ServedBy {
            version: ApiVersion::V3,
            method: method.clone(),
            in_batch: true,
        });
        if method == "batch" {
            return Err(V3Err {
                status: 405,
                code: "ERROR_BATCH_METHOD_NOT_ALLOWED".into(),
                message: "Method is not allowed for batch usage".into(),
                validation: Vec::new(),
            });
        }
        let query = resolve(query, &named)?;
        let result = tasks_v3::dispatch(&mut st.store, &method, &query, caller)?;
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
    use super::super::testutil::*;
    use super::super::{Answer, Emulator};
    use serde_json::json;

    fn code(a: &Answer) -> String {
        a.body["error"]["code"]
            .as_str()
            .unwrap_or("")
            .replace("BITRIX_REST_V3_EXCEPTION_", "")
    }

    #[test]
    fn results_in_order_with_references() {
        let e = Emulator::new(6);
        let a = e.call_v3(
            "batch",
            &json!([
                {"method": "tasks.task.list", "query": {"select": ["id", "title"], "pagination": {"limit": 3}}, "as": "tasks"},
                {"method": "tasks.task.get", "query": {"id": {"$ref": "tasks.1.id"}, "select": ["id"]}, "as": "second"},
                {"method": "tasks.task.list", "query": {"filter": [["id", "in", {"$refArray": "tasks.id"}]], "order": {"id": "DESC"}}},
                {"method": "tasks.task.get", "query": {"id": {"$ref": "second.id"}, "select": ["title"]}}
            ]),
            &ADMIN,
            None,
        );
        assert_eq!(a.status, 200, "{}", a.body);
        let r = &a.body["result"];
        let ids: Vec<u64> = r[0]["items"]
            .as_array()
            .map(|v| v.iter().filter_map(|t| t["id"].as_u64()).collect())
            .unwrap_or_default();
        assert_eq!(r[1]["item"]["id"].as_u64(), Some(ids[1]));
        let back: Vec<u64> = r[2]["items"]
            .as_array()
            .map(|v| v.iter().filter_map(|t| t["id"].as_u64()).collect())
            .unwrap_or_default();
        assert_eq!(back, ids.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(r[3]["item"]["title"], r[0]["items"][1]["title"]);
        assert!(a.body["time"].is_object());
        let log = e.served_log();
        assert_eq!(log.len(), 5);
        assert!(log[1..].iter().all(|s| s.in_batch));
    }

    #[test]
    fn one_failure_fails_the_batch() {
        let e = Emulator::new(6);
        let a = e.call_v3(
            "batch",
            &json!([{"method": "tasks.task.get", "query": {"id": 1}}, {"method": "tasks.task.get", "query": {"id": "1"}}]),
            &ADMIN,
            None,
        );
        assert_eq!(
            (a.status, code(&a).as_str()),
            (400, "VALIDATION_REQUESTVALIDATIONEXCEPTION")
        );
        assert!(a.body.get("result").is_none());
        for bad in [
            json!({"halt": 0, "cmd": {"a": "tasks.task.get?id=1"}}),
            json!([{"method": "tasks.task.get"}]),
            json!([{"method": "tasks.task.get", "query": {"id": 1}, "auth": "x"}]),
            json!([{"method": "tasks.task.get", "query": {"id": {"$ref": "nope.id"}}}]),
            json!((0..51)
                .map(|_| json!({"method": "tasks.task.field.list", "query": {}}))
                .collect::<Vec<_>>()),
        ] {
            assert_eq!(
                code(&e.call_v3("batch", &bad, &ADMIN, None)),
                "INVALIDSELECTEXCEPTION",
                "{bad}"
            );
        }
        let a = e.call_v3(
            "batch",
            &json!([{"method": "batch", "query": {}}]),
            &ADMIN,
            None,
        );
        assert_eq!(a.status, 405);
        // an object with keys "0", "1" reads as an array
        let a = e.call_v3(
            "batch",
            &json!({"0": {"method": "tasks.task.get", "query": {"id": 1, "select": ["id"]}}}),
            &ADMIN,
            None,
        );
        assert_eq!(a.body["result"][0]["item"]["id"], 1);
    }
}
