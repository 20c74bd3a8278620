//! v2 `filter` objects: `[prefix]FIELD` keys AND-ed, nested groups with `logic`, evaluated
//! against the store (tasks-mapping §2.2, v2-wire §6.1–6.2).

use super::clock::{format_iso, parse_iso};
use super::fields::{by_v2, get, Kind, Nv, F};
use super::store::Task;
use super::writes::{v2_items, v2_strict_int, v2_text};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    Between,
    /// `%`: substring.
    Contains,
    /// `=%`, `%=`: caller-supplied LIKE pattern.
    Pattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Field(F),
    Accomplice,
    Auditor,
    /// `STATUS`: real status plus meta codes.
    StatusMeta,
    OnlyRoot,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Cond {
        target: Target,
        op: Op,
        negate: bool,
        value: Value,
    },
}

/// Splits an operator prefix off a key, longest first.
pub fn split_prefix(key: &str) -> (Op, bool, &str) {
    const TABLE: [(&str, Op, bool); 18] = [
        ("!><", Op::Between, true),
        ("!=%", Op::Pattern, true),
        ("!%=", Op::Pattern, true),
        ("><", Op::Between, false),
        ("=%", Op::Pattern, false),
        ("%=", Op::Pattern, false),
        ("!%", Op::Contains, true),
        ("!@", Op::In, true),
        (">=", Op::Ge, false),
        ("<=", Op::Le, false),
        ("!=", Op::Eq, true),
        ("%", Op::Contains, false),
        ("@", Op::In, false),
        (">", Op::Gt, false),
        ("<", Op::Lt, false),
        ("=", Op::Eq, false),
        ("!", Op::Eq, true),
        ("", Op::Eq, false),
    ];
    for (p, op, neg) in TABLE {
        if let Some(rest) = key.strip_prefix(p) {
            return (op, neg, rest);
        }
    }
    (Op::Eq, false, key)
}

fn target(name: &str) -> Option<Target> {
    match name {
        "ACCOMPLICE" => Some(Target::Accomplice),
        "AUDITOR" => Some(Target::Auditor),
        "STATUS" => Some(Target::StatusMeta),
        "REAL_STATUS" => Some(Target::Field(F::Status)),
        "ONLY_ROOT_TASKS" => Some(Target::OnlyRoot),
        _ => by_v2(name)
            .filter(|d| !matches!(d.kind, Kind::Users | Kind::Checklist | Kind::Rights))
            .map(|d| Target::Field(d.f)),
    }
}

/// Parses a filter (object, PHP list, or nothing). Unknown keys are ignored.
pub fn parse(v: Option<&Value>) -> Node {
    match v {
        Some(v) => parse_group(v).unwrap_or(Node::All(Vec::new())),
        None => Node::All(Vec::new()),
    }
}

fn parse_group(v: &Value) -> Option<Node> {
    let entries: Vec<(String, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return None,
    };
    let mut or = false;
    let mut nodes = Vec::new();
    for (key, val) in entries {
        let up = key.trim().to_ascii_uppercase();
        if up == "LOGIC" {
            or = v2_text(val).trim().eq_ignore_ascii_case("OR");
            continue;
        }
        let (op, negate, name) = split_prefix(&up);
        if let Some(t) = target(name) {
            let op = match (op, val) {
                (Op::Eq, Value::Array(_) | Value::Object(_)) => Op::In,
                (Op::Eq, _) if t == Target::Field(F::Title) => Op::Pattern,
                (op, _) => op,
            };
            nodes.push(Node::Cond {
                target: t,
                op,
                negate,
                value: val.clone(),
            });
        } else if matches!(val, Value::Object(_) | Value::Array(_))
            && name.chars().all(|c| c.is_ascii_digit())
        {
            if let Some(g) = parse_group(val) {
                nodes.push(g);
            }
        }
    }
    Some(if or {
        Node::Any(nodes)
    } else {
        Node::All(nodes)
    })
}

/// A comparable value: NULL, a number, or text.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Int(i64),
    Str(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Domain {
    Num,
    Text,
    Date,
}

fn domain(t: Target) -> Domain {
    match t {
        Target::Field(f) => match super::fields::by_f(f).map(|d| d.kind) {
            Some(Kind::Date) => Domain::Date,
            Some(
                Kind::OptInt
                | Kind::IdZero
                | Kind::Int
                | Kind::RealInt
                | Kind::Status
                | Kind::Priority,
            ) => Domain::Num,
            _ => Domain::Text,
        },
        Target::OnlyRoot => Domain::Text,
        _ => Domain::Num,
    }
}

/// The task's values for a target (several for multi-valued fields; empty = NULL).
fn task_values(t: &Task, target: Target, caller: u64, now: i64) -> Vec<V> {
    let ids = |v: &[u64]| {
        v.iter()
            .map(|u| V::Int(i64::try_from(*u).unwrap_or(0)))
            .collect()
    };
    match target {
        Target::Accomplice => ids(&t.accomplices),
        Target::Auditor => ids(&t.auditors),
        Target::OnlyRoot => vec![V::Str(if t.parent_id.is_none() { "Y" } else { "N" }.into())],
        Target::StatusMeta => {
            let mut v = vec![V::Int(i64::from(t.status))];
            if let Some(d) = t.deadline {
                let open = matches!(t.status, 2 | 3 | 6);
                if open && d < now {
                    v.push(V::Int(-1));
                }
                if open && d >= now && d < now + 86_400 {
                    v.push(V::Int(-3));
                }
            }
            v
        }
        Target::Field(f) => vec![match get(t, f) {
            Nv::Opt(n) => V::Int(n.unwrap_or(0)),
            Nv::Code(c) => V::Int(i64::from(c)),
            Nv::Text(s) | Nv::OptText(Some(s)) => V::Str(s),
            Nv::OptText(None) | Nv::Mark(None) | Nv::Date(None) | Nv::Computed => V::Null,
            Nv::Mark(Some(c)) => V::Str(c.to_string()),
            Nv::Flag(b) => V::Str(if b { "Y" } else { "N" }.into()),
            Nv::Date(Some(ts)) => V::Str(format_iso(ts)),
            Nv::Ids(v) => V::Str(if v.contains(&caller) { "Y" } else { "N" }.into()),
            Nv::Strs(v) => return v.into_iter().map(V::Str).collect(),
        }],
    }
}

/// A filter value in the target's domain; `None` = cannot match anything.
fn coerce(d: Domain, v: &Value) -> Option<V> {
    match (d, v) {
        (_, Value::Null) => Some(V::Null),
        (Domain::Num, Value::Bool(b)) => Some(V::Int(i64::from(*b))),
        (Domain::Num, Value::String(s)) if s.trim().is_empty() => Some(V::Int(0)),
        (Domain::Num, other) => v2_strict_int(other).map(V::Int),
        (Domain::Date, other) => {
            let s = v2_text(other);
            if s.trim().is_empty() {
                Some(V::Null)
            } else {
                Some(V::Str(parse_iso(&s).map(format_iso).unwrap_or(s)))
            }
        }
        (Domain::Text, other) => Some(V::Str(v2_text(other))),
    }
}

fn cmp(a: &V, b: &V) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Str(x), V::Str(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        _ => None,
    }
}

fn text_of(v: &V) -> Option<String> {
    match v {
        V::Null => None,
        V::Int(n) => Some(n.to_string()),
        V::Str(s) => Some(s.to_lowercase()),
    }
}

/// SQL LIKE, case-insensitive: `%` any run, `_` one character.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || (p[pi] != '%' && p[pi] == t[ti])) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

fn positive(values: &[V], op: Op, d: Domain, raw: &Value) -> bool {
    let field_vals: Vec<V> = if values.is_empty() {
        vec![V::Null]
    } else {
        values.to_vec()
    };
    let one = |f: &V| -> bool {
        match op {
            Op::Eq => match coerce(d, raw) {
                Some(V::Null) => *f == V::Null,
                Some(x) => cmp(f, &x) == Some(std::cmp::Ordering::Equal),
                None => false,
            },
            Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                let Some(x) = coerce(d, raw) else {
                    return false;
                };
                match cmp(f, &x) {
                    Some(o) => match op {
                        Op::Gt => o.is_gt(),
                        Op::Ge => o.is_ge(),
                        Op::Lt => o.is_lt(),
                        _ => o.is_le(),
                    },
                    None => false,
                }
            }
            Op::In => v2_items(raw).into_iter().any(|item| match coerce(d, item) {
                Some(V::Null) => *f == V::Null,
                Some(x) => cmp(f, &x) == Some(std::cmp::Ordering::Equal),
                None => false,
            }),
            Op::Between => {
                let items = v2_items(raw);
                let (Some(lo), Some(hi)) = (items.first(), items.get(1)) else {
                    return false;
                };
                match (coerce(d, lo), coerce(d, hi)) {
                    (Some(lo), Some(hi)) => {
                        cmp(f, &lo).is_some_and(|o| o.is_ge())
                            && cmp(f, &hi).is_some_and(|o| o.is_le())
                    }
                    _ => false,
                }
            }
            Op::Contains => text_of(f).is_some_and(|t| t.contains(&v2_text(raw).to_lowercase())),
            Op::Pattern => text_of(f).is_some_and(|t| like(&t, &v2_text(raw))),
        }
    };
    field_vals.iter().any(one)
}

pub fn matches(node: &Node, t: &Task, caller: u64, now: i64) -> bool {
    match node {
        Node::All(v) => v.iter().all(|n| matches(n, t, caller, now)),
        Node::Any(v) => v.is_empty() || v.iter().any(|n| matches(n, t, caller, now)),
        Node::Cond {
            target,
            op,
            negate,
            value,
        } => {
            let p = if *target == Target::OnlyRoot {
                let want = super::writes::v2_flag(value);
                (t.parent_id.is_none()) == want
            } else {
                positive(
                    &task_values(t, *target, caller, now),
                    *op,
                    domain(*target),
                    value,
                )
            };
            p != *negate
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_split_longest_first() {
        assert_eq!(split_prefix("!><ID"), (Op::Between, true, "ID"));
        assert_eq!(split_prefix("!=%TITLE"), (Op::Pattern, true, "TITLE"));
        assert_eq!(split_prefix(">=DEADLINE"), (Op::Ge, false, "DEADLINE"));
        assert_eq!(split_prefix("!ID"), (Op::Eq, true, "ID"));
        assert_eq!(split_prefix("ID"), (Op::Eq, false, "ID"));
        assert_eq!(split_prefix("%=TITLE"), (Op::Pattern, false, "TITLE"));
    }

    #[test]
    fn like_follows_sql() {
        assert!(like("Prepare Q3 report", "prep%"));
        assert!(like("Prepare Q3 report", "%q_ report"));
        assert!(!like("Prepare Q3 report", "report%"));
        assert!(like("Подготовить отчёт", "%ОТЧЁТ"));
        assert!(like("abc", "abc"));
        assert!(!like("abcd", "abc"));
    }
}
