//! The REST 3.0 filter (rest-v3.md#filter): a JSON array of conditions AND-ed, each
//! `["field", "op", value]` or `["field", value]` (`=`, or `in` when the value is a list),
//! and groups `{"logic": "or"|"and", "conditions": […]}` (the SDK also sends
//! `"negative": true`, read as NOT of the group). Exactly eight operators: `=`, `!=`, `>`,
//! `>=`, `<`, `<=`, `in`, `between` (inclusive).
//!
//! Errors: not an array, or a condition of the wrong shape → `INVALIDFILTEREXCEPTION`;
//! another operator → `UNKNOWNFILTEROPERATOREXCEPTION`; a field the object lacks →
//! `UNKNOWNDTOPROPERTYEXCEPTION`; a field without the Filterable attribute or a value of
//! the wrong type → `VALIDATION_REQUESTVALIDATIONEXCEPTION`.

use super::V3Err;
use serde_json::Value;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    Between,
}

/// A filterable field's value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int,
    /// One of the listed names.
    Enum(&'static [&'static str]),
}

/// A comparable value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Cond {
        field: String,
        op: Op,
        values: Vec<Val>,
    },
}

/// What a filter may name: `None` for an unknown field, else (filterable, type).
pub struct Schema<'a> {
    pub entity: &'a str,
    pub field: &'a dyn Fn(&str) -> Option<(bool, Ty)>,
    /// The message for a known field that cannot be filtered.
    pub not_filterable: &'a dyn Fn(&str) -> String,
}

fn invalid() -> V3Err {
    V3Err::new(
        400,
        "INVALIDFILTEREXCEPTION",
        "Unable to recognize the filter expression",
    )
}

fn unknown_operator() -> V3Err {
    V3Err::new(
        400,
        "UNKNOWNFILTEROPERATOREXCEPTION",
        "Unknown filter operator",
    )
}

pub fn parse(v: &Value, schema: &Schema) -> Result<Node, V3Err> {
    let Some(items) = v.as_array() else {
        return Err(invalid());
    };
    items
        .iter()
        .map(|i| item(i, schema, 0))
        .collect::<Result<Vec<_>, _>>()
        .map(Node::All)
}

fn item(v: &Value, schema: &Schema, depth: usize) -> Result<Node, V3Err> {
    if depth > 16 {
        return Err(invalid());
    }
    match v {
        Value::Array(parts) => condition(parts, schema),
        Value::Object(m) => {
            let Some(conditions) = m.get("conditions").and_then(Value::as_array) else {
                return Err(invalid());
            };
            let or = match m.get("logic") {
                None => false,
                Some(Value::String(s)) if s.eq_ignore_ascii_case("or") => true,
                Some(Value::String(s)) if s.eq_ignore_ascii_case("and") => false,
                Some(_) => return Err(invalid()),
            };
            let nodes = conditions
                .iter()
                .map(|c| item(c, schema, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            let group = if or {
                Node::Any(nodes)
            } else {
                Node::All(nodes)
            };
            match m.get("negative") {
                Some(Value::Bool(true)) => Ok(Node::Not(Box::new(group))),
                None | Some(Value::Bool(false)) => Ok(group),
                Some(_) => Err(invalid()),
            }
        }
        _ => Err(invalid()),
    }
}

fn operator(s: &str) -> Option<Op> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "=" => Op::Eq,
        "!=" => Op::Ne,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "<" => Op::Lt,
        "<=" => Op::Le,
        "in" => Op::In,
        "between" => Op::Between,
        _ => return None,
    })
}

fn value(field: &str, ty: Ty, v: &Value) -> Result<Val, V3Err> {
    match ty {
        Ty::Int => v
            .as_i64()
            .map(Val::Int)
            .ok_or_else(|| V3Err::wrong_type(field, "int")),
        Ty::Enum(names) => match v.as_str() {
            Some(s) if names.contains(&s) => Ok(Val::Text(s.to_string())),
            _ => Err(V3Err::wrong_type(field, "string")),
        },
    }
}

fn condition(parts: &[Value], schema: &Schema) -> Result<Node, V3Err> {
    let (field, op, raw) = match parts {
        [f, v] => (f, if v.is_array() { Op::In } else { Op::Eq }, v),
        [f, op, v] => {
            let op = op
                .as_str()
                .and_then(operator)
                .ok_or_else(unknown_operator)?;
            (f, op, v)
        }
        _ => return Err(invalid()),
    };
    let Some(field) = field.as_str() else {
        return Err(invalid());
    };
    let Some((filterable, ty)) = (schema.field)(field) else {
        return Err(V3Err::unknown_field(field, schema.entity));
    };
    if !filterable {
        return Err(V3Err::validation(field, &(schema.not_filterable)(field)));
    }
    let values = match op {
        Op::In | Op::Between => {
            let arr = raw
                .as_array()
                .ok_or_else(|| V3Err::wrong_type(field, "array"))?;
            if op == Op::Between && arr.len() != 2 {
                return Err(V3Err::wrong_type(field, "array"));
            }
            arr.iter()
                .map(|x| value(field, ty, x))
                .collect::<Result<Vec<_>, _>>()?
        }
        _ => vec![value(field, ty, raw)?],
    };
    Ok(Node::Cond {
        field: field.to_string(),
        op,
        values,
    })
}

/// Whether an object whose field values `get` returns passes the filter.
pub fn matches(node: &Node, get: &dyn Fn(&str) -> Val) -> bool {
    match node {
        Node::All(v) => v.iter().all(|n| matches(n, get)),
        Node::Any(v) => v.is_empty() || v.iter().any(|n| matches(n, get)),
        Node::Not(n) => !matches(n, get),
        Node::Cond { field, op, values } => {
            let x = get(field);
            let cmp = |w: &Val| -> Option<Ordering> {
                match (&x, w) {
                    (Val::Null, _) | (_, Val::Null) => None,
                    _ => Some(x.cmp(w)),
                }
            };
            let first = values.first();
            match op {
                Op::Eq => first.and_then(cmp) == Some(Ordering::Equal),
                Op::Ne => first.and_then(cmp) != Some(Ordering::Equal),
                Op::Gt => first.and_then(cmp) == Some(Ordering::Greater),
                Op::Ge => first.and_then(cmp).is_some_and(|o| o != Ordering::Less),
                Op::Lt => first.and_then(cmp) == Some(Ordering::Less),
                Op::Le => first.and_then(cmp).is_some_and(|o| o != Ordering::Greater),
                Op::In => values.iter().any(|w| cmp(w) == Some(Ordering::Equal)),
                Op::Between => match (values.first(), values.get(1)) {
                    (Some(lo), Some(hi)) => {
                        cmp(lo).is_some_and(|o| o != Ordering::Less)
                            && cmp(hi).is_some_and(|o| o != Ordering::Greater)
                    }
                    _ => false,
                },
            }
        }
    }
}

/// The values a top-level `field = v` or `field in [..]` condition allows (`None` when
/// there is no such condition).
pub fn top_level_values(node: &Node, field: &str) -> Option<Vec<Val>> {
    let Node::All(items) = node else { return None };
    items.iter().find_map(|n| match n {
        Node::Cond {
            field: f,
            op: Op::Eq | Op::In,
            values,
        } if f == field => Some(values.clone()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str) -> Option<(bool, Ty)> {
        match name {
            "id" => Some((true, Ty::Int)),
            "title" => Some((false, Ty::Int)),
            _ => None,
        }
    }

    fn nf(name: &str) -> String {
        format!("no {name}")
    }

    fn run(filter: Value, ids: &[i64]) -> Result<Vec<i64>, String> {
        let schema = Schema {
            entity: "TaskDto",
            field: &field,
            not_filterable: &nf,
        };
        let node =
            parse(&filter, &schema).map_err(|e| e.code.replace("BITRIX_REST_V3_EXCEPTION_", ""))?;
        Ok(ids
            .iter()
            .copied()
            .filter(|id| matches(&node, &|_| Val::Int(*id)))
            .collect())
    }

    #[test]
    fn the_eight_operators_and_groups() {
        let ids = [1, 2, 3, 4, 5, 6];
        assert_eq!(run(json!([["id", ">", 4]]), &ids), Ok(vec![5, 6]));
        assert_eq!(run(json!([["id", 3]]), &ids), Ok(vec![3]));
        assert_eq!(run(json!([["id", [1, 2]]]), &ids), Ok(vec![1, 2]));
        assert_eq!(
            run(json!([["id", "!=", 1], ["id", "<=", 3]]), &ids),
            Ok(vec![2, 3])
        );
        assert_eq!(
            run(json!([["id", "between", [2, 4]]]), &ids),
            Ok(vec![2, 3, 4])
        );
        assert_eq!(
            run(
                json!([{"logic": "or", "conditions": [["id", [1, 2]], ["id", "in", [5]]]}]),
                &ids
            ),
            Ok(vec![1, 2, 5])
        );
        assert_eq!(
            run(
                json!([{"negative": true, "conditions": [["id", "<", 5]]}]),
                &ids
            ),
            Ok(vec![5, 6])
        );
    }

    #[test]
    fn the_documented_errors() {
        let ids = [1];
        assert_eq!(
            run(json!({"id": 1}), &ids),
            Err("INVALIDFILTEREXCEPTION".into())
        );
        assert_eq!(
            run(json!([["id", "like", 1]]), &ids),
            Err("UNKNOWNFILTEROPERATOREXCEPTION".into())
        );
        assert_eq!(
            run(json!([["nope", 1]]), &ids),
            Err("UNKNOWNDTOPROPERTYEXCEPTION".into())
        );
        assert_eq!(
            run(json!([["title", "x"]]), &ids),
            Err("VALIDATION_REQUESTVALIDATIONEXCEPTION".into())
        );
        assert_eq!(
            run(json!([["id", "abc"]]), &ids),
            Err("VALIDATION_REQUESTVALIDATIONEXCEPTION".into())
        );
        assert_eq!(
            run(json!([["id", "between", [1]]]), &ids),
            Err("VALIDATION_REQUESTVALIDATIONEXCEPTION".into())
        );
        assert_eq!(
            run(json!([["id"]]), &ids),
            Err("INVALIDFILTEREXCEPTION".into())
        );
    }
}
