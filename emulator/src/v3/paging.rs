//! REST 3.0 `order` and `pagination`.
//!
//! * `order`: an object of `field: "ASC"|"DESC"` (any letter case) over the method's
//!   sortable fields; anything else is `INVALIDORDEREXCEPTION` (the tasks list prints the
//!   offending order). Without `order`: `id` ascending, the tasks list page's default.
//! * `pagination {page, limit, offset}`: integers (or numeric strings); `limit` defaults to
//!   50 and is capped at 1000 (the tasks list maximum); a `limit` of 0 or below, a `page`
//!   below 1 or a negative `offset` is `INVALIDPAGINATIONEXCEPTION` printing the whole
//!   pagination object as the page's example does. When `page` is given the offset is
//!   `(page - 1) * limit` ("calculated automatically"), otherwise `offset`.

use super::V3Err;
use serde_json::Value;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub fn pagination(v: Option<&Value>) -> Result<Window, V3Err> {
    let m = match v {
        None | Some(Value::Null) => {
            return Ok(Window {
                offset: 0,
                limit: DEFAULT_LIMIT,
            })
        }
        Some(Value::Object(m)) => m,
        Some(other) => return Err(bad_pagination(other)),
    };
    let whole = v.unwrap_or(&Value::Null);
    let field = |name: &str| -> Result<Option<i64>, V3Err> {
        match m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => number(x).map(Some).ok_or_else(|| bad_pagination(whole)),
        }
    };
    let limit = field("limit")?.unwrap_or(DEFAULT_LIMIT as i64);
    let page = field("page")?;
    let offset = field("offset")?.unwrap_or(0);
    if limit <= 0 || page.is_some_and(|p| p < 1) || offset < 0 {
        return Err(bad_pagination(whole));
    }
    let limit = (limit as u64).min(MAX_LIMIT);
    let offset = match page {
        Some(p) => (p as u64 - 1).saturating_mul(limit),
        None => offset as u64,
    };
    Ok(Window { offset, limit })
}

fn bad_pagination(v: &Value) -> V3Err {
    V3Err::new(
        400,
        "INVALIDPAGINATIONEXCEPTION",
        &format!("Unable to recognize the pagination parameter `{v}`"),
    )
}

/// Reads `order` into (field, descending) pairs; `sortable` names the allowed fields and
/// `bad` words the error.
pub fn order(
    v: Option<&Value>,
    sortable: &dyn Fn(&str) -> Option<&'static str>,
    bad: &dyn Fn(&Value, Option<&str>) -> V3Err,
) -> Result<Vec<(&'static str, bool)>, V3Err> {
    let m = match v {
        None | Some(Value::Null) => return Ok(vec![("id", false)]),
        Some(Value::Object(m)) => m,
        Some(other) => return Err(bad(other, None)),
    };
    let mut keys = Vec::new();
    for (field, dir) in m {
        let desc = match dir.as_str().map(|d| d.trim().to_ascii_uppercase()) {
            Some(d) if d == "ASC" => false,
            Some(d) if d == "DESC" => true,
            _ => return Err(bad(v.unwrap_or(&Value::Null), None)),
        };
        let Some(name) = sortable(field) else {
            return Err(bad(v.unwrap_or(&Value::Null), Some(field)));
        };
        keys.push((name, desc));
    }
    if keys.is_empty() {
        keys.push(("id", false));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn windows() {
        assert_eq!(
            pagination(None),
            Ok(Window {
                offset: 0,
                limit: 50
            })
        );
        assert_eq!(
            pagination(Some(&json!({"page": 3, "limit": 20, "offset": 7}))),
            Ok(Window {
                offset: 40,
                limit: 20
            })
        );
        assert_eq!(
            pagination(Some(&json!({"offset": 7}))),
            Ok(Window {
                offset: 7,
                limit: 50
            })
        );
        assert_eq!(
            pagination(Some(&json!({"limit": 5000}))),
            Ok(Window {
                offset: 0,
                limit: 1000
            })
        );
        assert_eq!(
            pagination(Some(&json!({"limit": "20"}))),
            Ok(Window {
                offset: 0,
                limit: 20
            })
        );
    }

    #[test]
    fn bad_pagination_prints_the_object() {
        let e = pagination(Some(&json!({"limit": "abc"}))).err();
        assert_eq!(
            e.map(|e| e.message),
            Some("Unable to recognize the pagination parameter `{\"limit\":\"abc\"}`".to_string())
        );
        for bad in [
            json!({"limit": 0}),
            json!({"page": 0}),
            json!({"offset": -1}),
            json!(5),
            json!({"limit": true}),
        ] {
            assert!(pagination(Some(&bad)).is_err(), "{bad}");
        }
    }
}
