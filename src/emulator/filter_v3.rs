//! The REST 3.0 filter grammar: a JSON array of `[field, op, value]` / `[field, value]`
//! conditions AND-ed, with `{"logic": "or"|"and", "conditions": […], "negative": bool}`
//! groups; exactly eight operators.

use super::fields::Sc;
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
    /// One of the listed strings.
    Enum(&'static [&'static str]),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Cond {
        field: String,
        op: Op,
        values: Vec<Sc>,
    },
}

/// What the filter may name: `None` unknown; `Some((filterable, type))`.
pub type Schema<'a> = &'a dyn Fn(&str) -> Option<(bool, Ty)>;

fn invalid(msg: &str) -> V3Err {
    V3Err::new(400, "INVALIDFILTEREXCEPTION", msg)
}

pub fn parse(v: &Value, schema: Schema) -> Result<Node, V3Err> {
    let Some(items) = v.as_array() else {
        return Err(invalid("Filter must be an array"));
    };
    let mut nodes = Vec::new();
    for item in items {
        nodes.push(parse_item(item, schema)?);
    }
    Ok(Node::All(nodes))
}

fn parse_item(item: &Value, schema: Schema) -> Result<Node, V3Err> {
    match item {
        Value::Array(parts) => parse_cond(parts, schema),
        Value::Object(m) => {
            let Some(conds) = m.get("conditions").and_then(Value::as_array) else {
                return Err(invalid("A filter group needs a `conditions` array"));
            };
            let or = match m.get("logic") {
                None => false,
                Some(Value::String(s)) if s.eq_ignore_ascii_case("or") => true,
                Some(Value::String(s)) if s.eq_ignore_ascii_case("and") => false,
                Some(_) => return Err(invalid("Filter group `logic` must be `and` or `or`")),
            };
            let mut nodes = Vec::new();
            for c in conds {
                nodes.push(parse_item(c, schema)?);
            }
            let group = if or {
                Node::Any(nodes)
            } else {
                Node::All(nodes)
            };
            match m.get("negative") {
                Some(Value::Bool(true)) => Ok(Node::Not(Box::new(group))),
                None | Some(Value::Bool(false)) => Ok(group),
                Some(_) => Err(invalid("Filter group `negative` must be a boolean")),
            }
        }
        _ => Err(invalid("A filter condition must be an array")),
    }
}

fn parse_op(s: &str) -> Option<Op> {
    Some(match s.to_ascii_lowercase().as_str() {
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

fn scalar(field: &str, ty: Ty, v: &Value) -> Result<Sc, V3Err> {
    match ty {
        Ty::Int => v
            .as_i64()
            .map(Sc::Int)
            .ok_or_else(|| V3Err::type_error(field, "int")),
        Ty::Enum(allowed) => match v.as_str() {
            Some(s) if allowed.contains(&s) => Ok(Sc::Str(s.to_string())),
            _ => Err(V3Err::validation(
                field,
                &format!("Field `{field}` must be one of: {}", allowed.join(", ")),
            )),
        },
    }
}

fn parse_cond(parts: &[Value], schema: Schema) -> Result<Node, V3Err> {
    let (field, op, value) = match parts {
        [f, v] => {
            let op = if v.is_array() { Op::In } else { Op::Eq };
            (f, op, v)
        }
        [f, op, v] => {
            let Some(op_s) = op.as_str() else {
                return Err(V3Err::new(
                    400,
                    "UNKNOWNFILTEROPERATOREXCEPTION",
                    "Unknown filter operator",
                ));
            };
            let op = parse_op(op_s).ok_or_else(|| {
                V3Err::new(
                    400,
                    "UNKNOWNFILTEROPERATOREXCEPTION",
                    &format!("Unknown filter operator `{op_s}`"),
                )
            })?;
            (f, op, v)
        }
        _ => return Err(invalid("A filter condition has two or three elements")),
    };
    let Some(field) = field.as_str() else {
        return Err(invalid("A filter field name must be a string"));
    };
    let Some((filterable, ty)) = schema(field) else {
        return Err(V3Err::unknown_property(field));
    };
    if !filterable {
        return Err(V3Err::validation(
            field,
            &format!("Field `{field}` requires the Filterable attribute"),
        ));
    }
    let values = match op {
        Op::In | Op::Between => {
            let Some(arr) = value.as_array() else {
                return Err(V3Err::type_error(field, "array"));
            };
            if op == Op::Between && arr.len() != 2 {
                return Err(V3Err::validation(
                    field,
                    "`between` needs exactly two values",
                ));
            }
            arr.iter()
                .map(|x| scalar(field, ty, x))
                .collect::<Result<Vec<_>, _>>()?
        }
        _ => vec![scalar(field, ty, value)?],
    };
    Ok(Node::Cond {
        field: field.to_string(),
        op,
        values,
    })
}

pub fn matches(node: &Node, get: &dyn Fn(&str) -> Sc) -> bool {
    match node {
        Node::All(v) => v.iter().all(|n| matches(n, get)),
        Node::Any(v) => v.is_empty() || v.iter().any(|n| matches(n, get)),
        Node::Not(n) => !matches(n, get),
        Node::Cond { field, op, values } => {
            let x = get(field);
            let c = |v: &Sc| -> Option<Ordering> {
                match (&x, v) {
                    (Sc::Null, _) | (_, Sc::Null) => None,
                    _ => Some(x.cmp_to(v)),
                }
            };
            let first = values.first();
            match op {
                Op::Eq => first.and_then(c) == Some(Ordering::Equal),
                Op::Ne => first.and_then(c) != Some(Ordering::Equal),
                Op::Gt => first.and_then(c).is_some_and(|o| o.is_gt()),
                Op::Ge => first.and_then(c).is_some_and(|o| o.is_ge()),
                Op::Lt => first.and_then(c).is_some_and(|o| o.is_lt()),
                Op::Le => first.and_then(c).is_some_and(|o| o.is_le()),
                Op::In => values.iter().any(|v| c(v) == Some(Ordering::Equal)),
                Op::Between => match (values.first().and_then(c), values.get(1).and_then(c)) {
                    (Some(lo), Some(hi)) => lo.is_ge() && hi.is_le(),
                    _ => false,
                },
            }
        }
    }
}

/// The top-level AND conditions on `field` with `=` or `in` (result.list's required taskId).
pub fn top_level_values(node: &Node, field: &str) -> Option<Vec<Sc>> {
    let Node::All(items) = node else { return None };
    let mut found: Option<Vec<Sc>> = None;
    for it in items {
        if let Node::Cond {
            field: f,
            op: Op::Eq | Op::In,
            values,
        } = it
        {
            if f == field {
                found
                    .get_or_insert_with(Vec::new)
                    .extend(values.iter().cloned());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(name: &str) -> Option<(bool, Ty)> {
        match name {
            "id" => Some((true, Ty::Int)),
            "status" => Some((true, Ty::Enum(&["open", "closed"]))),
            "title" => Some((false, Ty::Int)),
            _ => None,
        }
    }

    fn eval(f: Value, id: i64) -> Result<bool, String> {
        let n = parse(&f, &schema).map_err(|e| e.code)?;
        Ok(matches(&n, &|_| Sc::Int(id)))
    }

    #[test]
    fn the_eight_operators() {
        assert_eq!(eval(json!([["id", 5]]), 5), Ok(true));
        assert_eq!(eval(json!([["id", "=", 5]]), 4), Ok(false));
        assert_eq!(eval(json!([["id", "!=", 5]]), 4), Ok(true));
        assert_eq!(eval(json!([["id", ">", 5]]), 5), Ok(false));
        assert_eq!(eval(json!([["id", ">=", 5]]), 5), Ok(true));
        assert_eq!(eval(json!([["id", "<", 5]]), 4), Ok(true));
        assert_eq!(eval(json!([["id", "<=", 5]]), 6), Ok(false));
        assert_eq!(eval(json!([["id", "in", [1, 2]]]), 2), Ok(true));
        assert_eq!(eval(json!([["id", [1, 2]]]), 3), Ok(false));
        assert_eq!(eval(json!([["id", "between", [1, 3]]]), 3), Ok(true));
        assert_eq!(eval(json!([["id", "between", [1, 3]]]), 4), Ok(false));
    }

    #[test]
    fn groups() {
        let f = json!([{"logic": "or", "conditions": [["id", 1], ["id", 2]]}]);
        assert_eq!(eval(f.clone(), 2), Ok(true));
        assert_eq!(eval(f, 3), Ok(false));
        let f = json!([{"logic": "and", "negative": true, "conditions": [["id", "in", [1, 2]]]}]);
        assert_eq!(eval(f.clone(), 2), Ok(false));
        assert_eq!(eval(f, 3), Ok(true));
    }

    #[test]
    fn errors() {
        let code = |f: Value| {
            parse(&f, &schema)
                .err()
                .map(|e| e.code.replace("BITRIX_REST_V3_EXCEPTION_", ""))
        };
        assert_eq!(
            code(json!([["id", "like", 1]])).as_deref(),
            Some("UNKNOWNFILTEROPERATOREXCEPTION")
        );
        assert_eq!(
            code(json!([["nope", 1]])).as_deref(),
            Some("UNKNOWNDTOPROPERTYEXCEPTION")
        );
        assert_eq!(
            code(json!([["title", 1]])).as_deref(),
            Some("VALIDATION_REQUESTVALIDATIONEXCEPTION")
        );
        assert_eq!(
            code(json!([["id", "5"]])).as_deref(),
            Some("VALIDATION_REQUESTVALIDATIONEXCEPTION")
        );
        assert_eq!(
            code(json!({"id": 5})).as_deref(),
            Some("INVALIDFILTEREXCEPTION")
        );
        assert_eq!(
            code(json!([["id"]])).as_deref(),
            Some("INVALIDFILTEREXCEPTION")
        );
        assert_eq!(code(json!([["status", "open"]])), None);
        assert_eq!(
            code(json!([["status", "opened"]])).as_deref(),
            Some("VALIDATION_REQUESTVALIDATIONEXCEPTION")
        );
    }
}
