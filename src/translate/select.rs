//! v2 `select` (UPPER names, `*`) to the explicit REST 3.0 `select`, and back to the set
//! of keys the v2 answer carries.

use std::collections::HashSet;

use serde_json::Value;

use super::Unexpressible;
use crate::decode::value::PhpArray;
use crate::rules::{Emit, Entity, Field};

/// Which keys of the entity a v2 answer carries, by field index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub fields: Vec<usize>,
    pub render: Render,
}

/// Whether the answer is one entity (get and write answers) or a list row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    Single,
    Row,
}

/// The v2 names a `select` parameter asks for, upper-cased; empty means the default set.
pub fn requested(select: Option<&Value>) -> Result<Vec<String>, Unexpressible> {
    let items: Vec<&Value> = match select {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => return Ok(Vec::new()),
        Some(other @ Value::String(_)) => vec![other],
        Some(other) => match PhpArray::of(other) {
            Some(array) => array.values().collect(),
            None => return Err(Unexpressible(format!("select must be a list, got {other}"))),
        },
    };
    items
        .into_iter()
        .map(|v| {
            v.as_str()
                .map(str::to_ascii_uppercase)
                .ok_or_else(|| Unexpressible(format!("select entry {v} is not a name")))
        })
        .collect()
}

/// The answer shape and the v3 `select` for a requested v2 select.
pub fn shape(
    entity: &Entity,
    names: &[String],
    render: Render,
) -> Result<(Shape, Vec<String>), Unexpressible> {
    let mut chosen: HashSet<String> = HashSet::new();
    let wildcard = names.is_empty() || names.iter().any(|n| n == "*");
    if wildcard {
        for f in entity.fields.iter().filter(|f| f.default) {
            if let Some(v2) = &f.v2 {
                chosen.insert(v2.clone());
            }
        }
    }
    for name in names.iter().filter(|n| n.as_str() != "*") {
        match entity.by_v2(name) {
            Some(f) => {
                if let Some(v2) = &f.v2 {
                    chosen.insert(v2.clone());
                }
            }
            None => {
                return Err(Unexpressible(format!(
                    "select names {name}, which has no REST 3.0 counterpart"
                )))
            }
        }
    }
    let mut emitted: Vec<usize> = entity
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| is_emitted(f, &chosen, render, wildcard))
        .map(|(i, _)| i)
        .collect();
    if render == Render::Row {
        emitted.sort_by_key(|&i| entity.row_rank.get(i).copied().unwrap_or(i));
    }
    let mut v3_select: Vec<String> = Vec::new();
    for &i in &emitted {
        for path in &entity.fields[i].select {
            if !v3_select.contains(path) {
                v3_select.push(path.clone());
            }
        }
    }
    Ok((
        Shape {
            fields: emitted,
            render,
        },
        v3_select,
    ))
}

fn is_emitted(field: &Field, chosen: &HashSet<String>, render: Render, wildcard: bool) -> bool {
    let own = field.v2.as_ref().is_some_and(|v2| chosen.contains(v2));
    let brought = field.with.iter().any(|w| chosen.contains(w));
    match field.emit {
        Emit::Always => true,
        // Always in single answers; in list rows only when selected.
        Emit::Single => render == Render::Single || own || brought,
        Emit::Selected => own || brought,
        Emit::Default => render == Render::Single && wildcard,
    }
}
