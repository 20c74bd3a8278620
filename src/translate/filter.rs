//! v2 filters (`{">=ID": 5, "!STATUS": 5, "0": {"logic": "OR", ...}}`) to the REST 3.0
//! filter grammar (`[["id", ">=", 5], {"logic": "or", "conditions": [...]}]`).
//!
//! A v2 filter key is an operator prefix plus a field name. REST 3.0 knows eight operators
//! (`=`, `!=`, `>`, `>=`, `<`, `<=`, `in`, `between`) and `or` groups. Translation is exact
//! or refused: LIKE operators, fields v3 cannot filter on, and values that do not convert
//! make the whole call go to the fallback, so a client never gets a different result set.

use serde_json::{json, Value};

use super::{convert, Unexpressible};
use crate::decode::value::{int_value, PhpArray};
use crate::rules::Entity;

/// The v2 key-prefix operators, longest first so that `>=` is not read as `>`.
const PREFIXES: [(&str, Op); 17] = [
    ("!><", Op::NotBetween),
    ("!=%", Op::NotLike),
    ("!%=", Op::NotLike),
    ("><", Op::Between),
    ("=%", Op::Like),
    ("%=", Op::Like),
    ("!%", Op::NotLike),
    ("!@", Op::NotIn),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("!=", Op::Ne),
    ("%", Op::Like),
    ("@", Op::In),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("=", Op::Eq),
    ("!", Op::Ne),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Between,
    NotBetween,
    Like,
    NotLike,
    /// `?` and `+`: null tests and "equals or null"; v3 has no null test.
    NullTest,
}

/// Splits a v2 filter key into its operator and field name.
fn split_key(key: &str) -> (Op, &str) {
    for (prefix, op) in PREFIXES {
        if let Some(field) = key.strip_prefix(prefix) {
            return (op, field);
        }
    }
    if let Some(field) = key.strip_prefix('?').or_else(|| key.strip_prefix('+')) {
        return (Op::NullTest, field);
    }
    (Op::Eq, key)
}

/// Options that widen the grammar beyond what the REST docs state.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterOptions {
    /// `{"logic": "and", ...}` groups (SDK-documented only) may be emitted.
    pub and_groups: bool,
}

/// Translates a v2 filter into a v3 filter array (AND of its elements).
pub fn translate(
    filter: &Value,
    entity: &Entity,
    options: FilterOptions,
) -> Result<Vec<Value>, Unexpressible> {
    match filter {
        Value::Null => Ok(Vec::new()),
        Value::String(s) if s.is_empty() => Ok(Vec::new()),
        Value::Object(_) | Value::Array(_) => {
            let (logic, nodes) = group(filter, entity, options, 0)?;
            Ok(match logic {
                Logic::And => nodes,
                Logic::Or => vec![or_group(nodes)],
            })
        }
        other => Err(Unexpressible(format!(
            "filter must be an object, got {other}"
        ))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Logic {
    And,
    Or,
}

const MAX_GROUP_DEPTH: usize = 32;

/// One v2 filter object: its join logic and its translated members.
fn group(
    value: &Value,
    entity: &Entity,
    options: FilterOptions,
    depth: usize,
) -> Result<(Logic, Vec<Value>), Unexpressible> {
    if depth > MAX_GROUP_DEPTH {
        return Err(Unexpressible("filter groups nest too deeply".into()));
    }
    let mut logic = Logic::And;
    // Each v2 entry becomes one member: one or several v3 nodes meant to be AND-ed.
    let mut members: Vec<Vec<Value>> = Vec::new();
    for (key, val) in PhpArray::of(value).into_iter().flat_map(PhpArray::entries) {
        if key.eq_ignore_ascii_case("logic") {
            logic = match val.as_str().map(str::to_ascii_uppercase).as_deref() {
                Some("OR") => Logic::Or,
                Some("AND") => Logic::And,
                _ => return Err(Unexpressible(format!("unknown filter logic {val}"))),
            };
        } else if is_group_key(&key) && PhpArray::of(val).is_some() {
            let (sub_logic, sub_nodes) = group(val, entity, options, depth + 1)?;
            members.push(match sub_logic {
                Logic::Or => vec![or_group(sub_nodes)],
                Logic::And => sub_nodes,
            });
        } else {
            members.push(condition(&key, val, entity)?);
        }
    }
    let nodes = match logic {
        Logic::And => members.into_iter().flatten().collect(),
        Logic::Or => {
            let mut nodes = Vec::new();
            for member in members {
                match member.len() {
                    0 => {}
                    1 => nodes.extend(member),
                    _ if options.and_groups => nodes.push(json!({"logic": "and", "conditions": member})),
                    _ => {
                        return Err(Unexpressible(
                            "an OR group member joins several conditions with AND, for which REST 3.0 documents no syntax".into(),
                        ))
                    }
                }
            }
            nodes
        }
    };
    Ok((logic, nodes))
}

fn or_group(conditions: Vec<Value>) -> Value {
    json!({"logic": "or", "conditions": conditions})
}

/// Group keys are numeric (`0`, `1`) in every documented v2 filter.
fn is_group_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())
}

/// Translates one `prefix+FIELD: value` entry; may give several AND-ed conditions.
fn condition(key: &str, value: &Value, entity: &Entity) -> Result<Vec<Value>, Unexpressible> {
    let (op, name) = split_key(key);
    let field = entity.by_v2(name).ok_or_else(|| {
        Unexpressible(format!("filter field {name:?} has no REST 3.0 counterpart"))
    })?;
    let v3 = field
        .v3
        .as_deref()
        .filter(|_| field.filterable)
        .ok_or_else(|| Unexpressible(format!("REST 3.0 cannot filter on {name}")))?;
    let scalar = |v: &Value| -> Result<Value, Unexpressible> {
        if v.is_array() || v.is_object() {
            return Err(Unexpressible(format!(
                "filter {key} expects a single value"
            )));
        }
        convert::to_v3(field, v)
            .map_err(Unexpressible)
            .and_then(|c| {
                if c.is_null() {
                    Err(Unexpressible(format!(
                        "filter {key} compares with an empty value; REST 3.0 has no null test"
                    )))
                } else {
                    Ok(c)
                }
            })
    };
    let list = |v: &Value| -> Result<Vec<Value>, Unexpressible> {
        let items = values_of(v);
        if items.is_empty() {
            return Err(Unexpressible(format!("filter {key} has an empty list")));
        }
        items.into_iter().map(scalar).collect()
    };
    let cond = |op: &str, v: Value| json!([v3, op, v]);
    let is_list = value.is_array() || value.is_object();
    Ok(match op {
        Op::Eq if is_list => vec![cond("in", Value::Array(list(value)?))],
        Op::Eq => vec![cond("=", scalar(value)?)],
        Op::In => vec![cond("in", Value::Array(list(value)?))],
        // NOT IN over a non-null field is the AND of its inequalities: exact and documented.
        Op::NotIn => list(value)?.into_iter().map(|v| cond("!=", v)).collect(),
        Op::Ne if is_list => list(value)?.into_iter().map(|v| cond("!=", v)).collect(),
        Op::Ne => vec![cond("!=", scalar(value)?)],
        Op::Gt => vec![cond(">", scalar(value)?)],
        Op::Ge => vec![cond(">=", scalar(value)?)],
        Op::Lt => vec![cond("<", scalar(value)?)],
        Op::Le => vec![cond("<=", scalar(value)?)],
        Op::Between | Op::NotBetween => {
            let bounds = list(value)?;
            let [from, to] = <[Value; 2]>::try_from(bounds)
                .map_err(|_| Unexpressible(format!("filter {key} needs exactly two bounds")))?;
            if op == Op::Between {
                vec![cond("between", json!([from, to]))]
            } else {
                vec![or_group(vec![cond("<", from), cond(">", to)])]
            }
        }
        Op::Like | Op::NotLike => {
            return Err(Unexpressible(format!(
                "filter {key} is a LIKE match; REST 3.0 has no LIKE"
            )))
        }
        Op::NullTest => {
            return Err(Unexpressible(format!(
                "filter {key} tests for null; REST 3.0 has no null test"
            )))
        }
    })
}

/// The values of a list operand; a scalar is a list of one.
fn values_of(v: &Value) -> Vec<&Value> {
    match PhpArray::of(v) {
        Some(array) => array.values().collect(),
        None => vec![v],
    }
}

/// Builds the v3 `=` condition a parent parameter turns into (`taskId` → `["taskId","=",5]`).
pub fn parent_condition(v3_field: &str, value: &Value) -> Result<Value, Unexpressible> {
    let id = int_value(value)
        .ok_or_else(|| Unexpressible(format!("{v3_field} must be an integer id")))?;
    Ok(json!([v3_field, "=", id]))
}
