//! The v2 `filter` of tasks.task.list: an object of `[operator]FIELD` keys, AND-ed, with
//! nested groups under numeric keys whose `LOGIC` is `OR` or `AND`, and
//! `::SUBFILTER-PARAMS` (`{"FAVORITE": "Y"}`) for favourites.
//!
//! Fields are those the list page names. Operators: the page's `!`, `<`, `<=`, `>`, `>=`
//! and plain equality, plus the other prefixes of the portal's filter language (`=`,
//! `!=`, `@`/`!@` for lists, `%`/`!%` for substrings, `=%`/`%=` and `!=%`/`!%=` for LIKE
//! patterns, `><`/`!><` for ranges). A plain `TITLE` is a LIKE pattern (`%`, `_`), as the
//! page says; an array value means "any of". Comparisons: numbers numerically (a missing
//! reference is 0), text case-insensitively, dates as instants (`""` matches a missing
//! date); every `!` form is the exact complement of its positive form. Unknown keys are
//! ignored.

use super::values::{entries, items, strict_int, text};
use super::view::sub_status;
use crate::clock::parse_date;
use crate::store::{Mark, Store, Task};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
    Between,
    Contains,
    Like,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    ParentId,
    GroupId,
    CreatedBy,
    StatusChangedBy,
    Priority,
    ForumTopicId,
    ResponsibleId,
    Title,
    Tag,
    RealStatus,
    MetaStatus,
    Mark,
    SiteId,
    AddInReport,
    DateStart,
    Deadline,
    CreatedDate,
    ClosedDate,
    ChangedDate,
    Accomplice,
    Auditor,
    DependsOn,
    OnlyRootTasks,
    StageId,
    SprintId,
    BacklogId,
    CrmItem,
    Favorite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Domain {
    Number,
    Text,
    Date,
}

impl Field {
    fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "ID" => Field::Id,
            "PARENT_ID" => Field::ParentId,
            "GROUP_ID" => Field::GroupId,
            "CREATED_BY" => Field::CreatedBy,
            "STATUS_CHANGED_BY" => Field::StatusChangedBy,
            "PRIORITY" => Field::Priority,
            "FORUM_TOPIC_ID" => Field::ForumTopicId,
            "RESPONSIBLE_ID" => Field::ResponsibleId,
            "TITLE" => Field::Title,
            "TAG" => Field::Tag,
            "REAL_STATUS" => Field::RealStatus,
            "STATUS" => Field::MetaStatus,
            "MARK" => Field::Mark,
            "SITE_ID" => Field::SiteId,
            "ADD_IN_REPORT" => Field::AddInReport,
            "DATE_START" => Field::DateStart,
            "DEADLINE" => Field::Deadline,
            "CREATED_DATE" => Field::CreatedDate,
            "CLOSED_DATE" => Field::ClosedDate,
            "CHANGED_DATE" => Field::ChangedDate,
            "ACCOMPLICE" => Field::Accomplice,
            "AUDITOR" => Field::Auditor,
            "DEPENDS_ON" => Field::DependsOn,
            "ONLY_ROOT_TASKS" => Field::OnlyRootTasks,
            "STAGE_ID" => Field::StageId,
            "SPRINT_ID" => Field::SprintId,
            "BACKLOG_ID" => Field::BacklogId,
            "UF_CRM_TASK" => Field::CrmItem,
            "FAVORITE" => Field::Favorite,
            _ => return None,
        })
    }

    fn domain(self) -> Domain {
        match self {
            Field::Title
            | Field::Tag
            | Field::Mark
            | Field::SiteId
            | Field::AddInReport
            | Field::OnlyRootTasks
            | Field::CrmItem
            | Field::Favorite => Domain::Text,
            Field::DateStart
            | Field::Deadline
            | Field::CreatedDate
            | Field::ClosedDate
            | Field::ChangedDate => Domain::Date,
            _ => Domain::Number,
        }
    }
}

/// A comparable value.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Int(i64),
    /// Lower-cased text.
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Cond {
        field: Field,
        op: Op,
        negate: bool,
        values: Vec<V>,
    },
}

/// A compiled filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter(Node);

/// Operator prefixes, longest first.
const PREFIXES: [(&str, Op, bool); 17] = [
    ("!><", Op::Between, true),
    ("!=%", Op::Like, true),
    ("!%=", Op::Like, true),
    ("><", Op::Between, false),
    ("=%", Op::Like, false),
    ("%=", Op::Like, false),
    ("!%", Op::Contains, true),
    ("!@", Op::Eq, true),
    (">=", Op::Ge, false),
    ("<=", Op::Le, false),
    ("!=", Op::Eq, true),
    ("%", Op::Contains, false),
    ("@", Op::Eq, false),
    (">", Op::Gt, false),
    ("<", Op::Lt, false),
    ("=", Op::Eq, false),
    ("!", Op::Eq, true),
];

/// Splits the operator prefix off a filter key: (operator, negated, field name).
pub fn split_prefix(key: &str) -> (Op, bool, &str) {
    for (p, op, negate) in PREFIXES {
        if let Some(rest) = key.strip_prefix(p) {
            return (op, negate, rest);
        }
    }
    (Op::Eq, false, key)
}

fn coerce(domain: Domain, v: &Value) -> V {
    match (domain, v) {
        (_, Value::Null) => V::Null,
        (Domain::Number, Value::Bool(b)) => V::Int(i64::from(*b)),
        (Domain::Number, other) => {
            let t = text(other);
            if t.trim().is_empty() {
                V::Int(0)
            } else {
                // a value that is not a number matches nothing numeric
                strict_int(other)
                    .map(V::Int)
                    .unwrap_or(V::Text(t.to_lowercase()))
            }
        }
        (Domain::Date, other) => {
            let t = text(other);
            if t.trim().is_empty() {
                V::Null
            } else {
                parse_date(&t)
                    .map(V::Int)
                    .unwrap_or(V::Text(t.to_lowercase()))
            }
        }
        (Domain::Text, Value::Bool(b)) => V::Text(if *b { "y" } else { "n" }.into()),
        (Domain::Text, other) => {
            let t = text(other);
            // an empty value asks for "not set"
            if t.is_empty() {
                V::Null
            } else {
                V::Text(t.to_lowercase())
            }
        }
    }
}

impl Filter {
    /// Compiles a `filter` parameter; anything that is not an object or list filters nothing.
    pub fn parse(v: Option<&Value>) -> Filter {
        Filter(v.map(group).unwrap_or(Node::All(Vec::new())))
    }

    pub fn matches(&self, store: &Store, t: &Task, caller: u64) -> bool {
        eval(&self.0, store, t, caller)
    }
}

fn group(v: &Value) -> Node {
    group_at(v, 0)
}

fn group_at(v: &Value, depth: usize) -> Node {
    let mut or = false;
    let mut nodes = Vec::new();
    for (key, val) in entries(v) {
        let k = key.trim();
        if k.eq_ignore_ascii_case("LOGIC") {
            or = text(val).trim().eq_ignore_ascii_case("OR");
            continue;
        }
        let is_group = k.eq_ignore_ascii_case("::SUBFILTER-PARAMS")
            || (k.bytes().all(|b| b.is_ascii_digit()) && (val.is_object() || val.is_array()));
        if is_group {
            if depth < 32 {
                nodes.push(group_at(val, depth + 1));
            }
            continue;
        }
        let upper = k.to_ascii_uppercase();
        let (op, negate, name) = split_prefix(&upper);
        let Some(field) = Field::from_name(name) else {
            continue;
        };
        let op = match (op, field) {
            (Op::Eq, Field::Title) if !val.is_array() && !val.is_object() => Op::Like,
            (op, _) => op,
        };
        let values = items(val)
            .into_iter()
            .map(|x| coerce(field.domain(), x))
            .collect();
        nodes.push(Node::Cond {
            field,
            op,
            negate,
            values,
        });
    }
    if or {
        Node::Any(nodes)
    } else {
        Node::All(nodes)
    }
}

fn int(n: Option<u64>) -> V {
    V::Int(n.and_then(|x| i64::try_from(x).ok()).unwrap_or(0))
}

fn ints(v: &[u64]) -> Vec<V> {
    v.iter().map(|x| int(Some(*x))).collect()
}

fn yn(b: bool) -> V {
    V::Text(if b { "y" } else { "n" }.into())
}

/// The task's values for a field; several for multi-valued ones, none meaning NULL.
fn values_of(store: &Store, t: &Task, f: Field, caller: u64) -> Vec<V> {
    let date = |d: Option<i64>| vec![d.map(V::Int).unwrap_or(V::Null)];
    match f {
        Field::Id => vec![int(Some(t.id))],
        Field::ParentId => vec![int(t.parent_id)],
        Field::GroupId => vec![int(t.group_id)],
        Field::CreatedBy => vec![int(Some(t.created_by))],
        Field::StatusChangedBy => vec![int(t.status_changed_by)],
        Field::Priority => vec![V::Int(i64::from(t.priority))],
        Field::ForumTopicId => vec![int(t.forum_topic_id)],
        Field::ResponsibleId => vec![int(Some(t.responsible_id))],
        Field::Title => vec![V::Text(t.title.to_lowercase())],
        Field::Tag => t
            .tags
            .iter()
            .filter_map(|id| store.tag(*id))
            .map(|tag| V::Text(tag.title.to_lowercase()))
            .collect(),
        Field::RealStatus => vec![V::Int(i64::from(t.status))],
        Field::MetaStatus => {
            let mut v = vec![V::Int(i64::from(t.status))];
            let meta = sub_status(t, caller, store.now);
            if meta < 0 {
                v.push(V::Int(meta));
            }
            v
        }
        Field::Mark => vec![match t.mark {
            Some(Mark::Positive) => V::Text("p".into()),
            Some(Mark::Negative) => V::Text("n".into()),
            None => V::Null,
        }],
        Field::SiteId => vec![V::Text(t.site_id.to_lowercase())],
        Field::AddInReport => vec![yn(t.add_in_report)],
        Field::DateStart => date(t.started),
        Field::Deadline => date(t.deadline),
        Field::CreatedDate => date(Some(t.created)),
        Field::ClosedDate => date(t.closed),
        Field::ChangedDate => date(Some(t.changed)),
        Field::Accomplice => ints(&t.accomplices),
        Field::Auditor => ints(&t.auditors),
        Field::DependsOn => ints(&t.depends_on),
        Field::OnlyRootTasks => vec![yn(match t.parent_id.and_then(|p| store.tasks.get(&p)) {
            None => true,
            Some(parent) => !store.can_read(parent, caller),
        })],
        Field::StageId => vec![int(t.stage_id)],
        Field::SprintId => vec![int(t.sprint_id)],
        Field::BacklogId => vec![int(t.backlog_id)],
        Field::CrmItem => t
            .crm_items
            .iter()
            .map(|c| V::Text(c.to_lowercase()))
            .collect(),
        Field::Favorite => vec![yn(t.favorite_of.contains(&caller))],
    }
}

/// SQL LIKE, on lower-cased text: `%` any run, `_` one character.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut resume) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || (p[pi] != '%' && p[pi] == t[ti])) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            resume = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            resume += 1;
            ti = resume;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

fn cmp(a: &V, b: &V) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Text(x), V::Text(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn positive(op: Op, have: &[V], want: &[V]) -> bool {
    use std::cmp::Ordering::*;
    let first = want.first();
    match op {
        Op::Eq => {
            if have.is_empty() {
                return want.contains(&V::Null);
            }
            have.iter().any(|h| want.iter().any(|w| h == w))
        }
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let Some(w) = first else { return false };
            have.iter().any(|h| match cmp(h, w) {
                Some(o) => match op {
                    Op::Gt => o == Greater,
                    Op::Ge => o != Less,
                    Op::Lt => o == Less,
                    _ => o != Greater,
                },
                None => false,
            })
        }
        Op::Between => {
            let (Some(lo), Some(hi)) = (want.first(), want.get(1)) else {
                return false;
            };
            have.iter().any(|h| {
                cmp(h, lo).is_some_and(|o| o != Less) && cmp(h, hi).is_some_and(|o| o != Greater)
            })
        }
        Op::Contains => have.iter().any(|h| match h {
            V::Text(s) => want.iter().any(|w| match w {
                V::Text(x) => s.contains(x.as_str()),
                V::Int(n) => s.contains(&n.to_string()),
                V::Null => false,
            }),
            V::Int(n) => want
                .iter()
                .any(|w| matches!(w, V::Int(x) if n.to_string().contains(&x.to_string()))),
            V::Null => false,
        }),
        Op::Like => have.iter().any(|h| match h {
            V::Text(s) => want.iter().any(|w| matches!(w, V::Text(p) if like(s, p))),
            V::Int(n) => want.iter().any(|w| matches!(w, V::Int(x) if x == n)),
            V::Null => false,
        }),
    }
}

fn eval(node: &Node, store: &Store, t: &Task, caller: u64) -> bool {
    match node {
        Node::All(v) => v.iter().all(|n| eval(n, store, t, caller)),
        Node::Any(v) => v.is_empty() || v.iter().any(|n| eval(n, store, t, caller)),
        Node::Cond {
            field,
            op,
            negate,
            values,
        } => {
            let have = values_of(store, t, *field, caller);
            positive(*op, &have, values) != *negate
        }
    }
}

/// True when the filter names `FAVORITE` anywhere (for tests of the sub-filter).
#[cfg(test)]
fn names_favorite(f: &Filter) -> bool {
    fn walk(n: &Node) -> bool {
        match n {
            Node::All(v) | Node::Any(v) => v.iter().any(walk),
            Node::Cond { field, .. } => *field == Field::Favorite,
        }
    }
    walk(&f.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn like_patterns() {
        assert!(like("prepare q3 report", "prepare%"));
        assert!(like("prepare q3 report", "%q_ report"));
        assert!(!like("prepare", "prep"));
        assert!(like("", "%"));
        assert!(like("отчёт", "%чё%"));
    }

    #[test]
    fn prefixes_split_longest_first() {
        assert_eq!(split_prefix("!><ID"), (Op::Between, true, "ID"));
        assert_eq!(split_prefix(">=DEADLINE"), (Op::Ge, false, "DEADLINE"));
        assert_eq!(split_prefix("!=%TITLE"), (Op::Like, true, "TITLE"));
        assert_eq!(split_prefix("ID"), (Op::Eq, false, "ID"));
    }

    #[test]
    fn subfilter_params_and_groups_parse() {
        let f = Filter::parse(Some(
            &json!({"::SUBFILTER-PARAMS": {"FAVORITE": "Y"}, "0": {"LOGIC": "OR", "0": {"ID": 1}, "1": {"ID": 2}}}),
        ));
        assert!(names_favorite(&f));
        let store = Store::seeded(42, 40);
        let fav = store.tasks.values().find(|t| !t.favorite_of.is_empty());
        if let Some(t) = fav {
            let u = t.favorite_of[0];
            let only_fav = Filter::parse(Some(&json!({"::SUBFILTER-PARAMS": {"FAVORITE": "Y"}})));
            assert!(only_fav.matches(&store, t, u));
        }
    }
}
