//! v2 `select` (UPPER names, `*`) to the explicit REST 3.0 `select`, and back to the set
//! of keys the v2 answer carries.

use rustc_hash::FxHashSet as HashSet;

use serde_json::Value;

use super::Unexpressible;
use crate::decode::value::PhpArray;
use crate::rules::{Emit, Entity, Field};
pub use crate::rules::{Render, Shape};

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

/// The answer shape and the v3 `select` for a requested v2 select (`names` empty: no
/// `select` at all).
///
/// Which keys: the chosen names' fields, the keys they bring (`with`), and the keys a
/// single answer or every row always carries. Without `select`, a list row carries only
/// the fields stored in the record (not the `computed` ones, as the v2 list page says).
/// In which order: without `select` or with `*`, the entity's (the full object's) order;
/// with named fields, `id` first, then the record fields in the order named (a field's
/// record siblings, such as the three system UF fields, at the place of the first one),
/// then the entity's `late_order` keys.
pub fn shape(
    entity: &Entity,
    names: &[String],
    render: Render,
) -> Result<(Shape, Vec<String>), Unexpressible> {
    if names.is_empty() {
        // Most calls name no fields: their answer depends on the entity alone.
        let kept = entity
            .default_shapes
            .get_or_derive(render, || derive(entity, names, render))?;
        return Ok(kept.clone());
    }
    derive(entity, names, render)
}

fn derive(
    entity: &Entity,
    names: &[String],
    render: Render,
) -> Result<(Shape, Vec<String>), Unexpressible> {
    let star = names.iter().any(|n| n == "*");
    let no_select = names.is_empty();
    let mut named: Vec<usize> = Vec::new();
    for name in names.iter().filter(|n| n.as_str() != "*") {
        let hits: Vec<usize> = if name.ends_with('*') {
            // `UF_*`: every field whose v2 name has that prefix.
            let prefix = name.trim_end_matches('*');
            entity
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.v2.as_deref().is_some_and(|v2| v2.starts_with(prefix)))
                .map(|(i, _)| i)
                .collect()
        } else {
            entity
                .fields
                .iter()
                .position(|f| f.answers_to(name))
                .into_iter()
                .collect()
        };
        if hits.is_empty() {
            return Err(Unexpressible(format!(
                "select names {name}, which has no REST 3.0 counterpart"
            )));
        }
        for i in hits {
            if !named.contains(&i) {
                named.push(i);
            }
        }
    }
    // Borrowed names: a shape is planned for every call, and cloning them cost more than
    // the rest of the planning.
    let mut chosen: HashSet<&str> = HashSet::default();
    chosen.reserve(entity.fields.len());
    if no_select || star {
        for f in entity.fields.iter().filter(|f| f.default) {
            let stored_only = no_select && render == Render::Row;
            if stored_only && f.computed {
                continue;
            }
            if let Some(v2) = &f.v2 {
                chosen.insert(v2);
            }
        }
    }
    for &i in &named {
        if let Some(v2) = &entity.fields[i].v2 {
            chosen.insert(v2);
        }
    }
    let stored_only = no_select && render == Render::Row;
    let emitted: Vec<usize> = entity
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| is_emitted(f, &chosen, render) && !(stored_only && f.computed))
        .map(|(i, _)| i)
        .collect();
    let fields = if no_select || star {
        emitted
    } else {
        named_order(entity, &named, &emitted)
    };
    let mut v3_select: Vec<String> = Vec::with_capacity(fields.len());
    let mut selected: HashSet<&str> = HashSet::default();
    selected.reserve(fields.len());
    for &i in &fields {
        for path in &entity.fields[i].select {
            if selected.insert(path) {
                v3_select.push(path.clone());
            }
        }
    }
    Ok((Shape { fields, render }, v3_select))
}

/// The order of an answer to named fields: `id`, the record fields as named (with their
/// siblings), the other record fields, then the late keys in their order.
fn named_order(entity: &Entity, named: &[usize], emitted: &[usize]) -> Vec<usize> {
    let is_late = |i: usize| entity.fields[i].late_rank.is_some();
    let mut out: Vec<usize> = Vec::with_capacity(emitted.len());
    let place = |i: usize, out: &mut Vec<usize>| {
        if emitted.contains(&i) && !out.contains(&i) {
            out.push(i);
        }
    };
    if let Some(id) = entity.fields.iter().position(|f| f.key == "id") {
        place(id, &mut out);
    }
    for &i in named {
        if is_late(i) {
            continue;
        }
        let field = &entity.fields[i];
        // Siblings: record fields this one brings, or that bring it (the system UF trio).
        let siblings: Vec<usize> = (0..entity.fields.len())
            .filter(|&j| {
                j == i
                    || (!is_late(j)
                        && (entity.fields[j].with.iter().any(|w| field.answers_to(w))
                            || field.with.iter().any(|w| entity.fields[j].answers_to(w))))
            })
            .collect();
        for j in siblings {
            place(j, &mut out);
        }
    }
    for &i in emitted {
        if !is_late(i) {
            place(i, &mut out);
        }
    }
    let mut late: Vec<usize> = emitted.iter().copied().filter(|&i| is_late(i)).collect();
    late.sort_by_key(|&i| entity.fields[i].late_rank);
    for i in late {
        place(i, &mut out);
    }
    out
}

fn is_emitted(field: &Field, chosen: &HashSet<&str>, render: Render) -> bool {
    let own = field.v2.as_deref().is_some_and(|v2| chosen.contains(v2));
    let brought = field.with.iter().any(|w| chosen.contains(w.as_str()));
    match field.emit {
        Emit::Always => true,
        // Always in single answers; in list rows only when selected.
        Emit::Single => render == Render::Single || own || brought,
        Emit::Selected => own || brought,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{MethodRoute, RuleSet};

    fn task_entity() -> Entity {
        let raw = crate::config::RawConfig::builtin().expect("built-in rules parse");
        let rules = RuleSet::validate(&raw.rules()).expect("built-in rules are valid");
        match rules.route("tasks.task.get") {
            Some(MethodRoute::V3(rule)) => Entity::clone(&rule.entity),
            other => panic!("tasks.task.get has no v3 rule: {other:?}"),
        }
    }

    #[test]
    fn a_call_without_select_gets_the_shape_derived_for_it_every_time() {
        let entity = task_entity();
        for render in [Render::Single, Render::Row] {
            let derived = derive(&entity, &[], render).expect("derives");
            assert_eq!(shape(&entity, &[], render).expect("first"), derived);
            assert_eq!(shape(&entity, &[], render).expect("kept"), derived);
        }
        // A list row leaves out the computed fields a single answer carries.
        let single = shape(&entity, &[], Render::Single).expect("single").0;
        let row = shape(&entity, &[], Render::Row).expect("row").0;
        assert!(row.fields.len() < single.fields.len());
    }

    #[test]
    fn a_changed_copy_of_an_entity_derives_its_own_default_shape() {
        let entity = task_entity();
        let before = shape(&entity, &[], Render::Single).expect("kept").0;
        let mut changed = entity.clone();
        let dropped = changed
            .fields
            .iter()
            .position(|f| f.default && f.emit == Emit::Selected)
            .expect("a default field answered only when chosen");
        changed.fields[dropped].default = false;
        let after = shape(&changed, &[], Render::Single).expect("derived").0;
        assert!(before.fields.contains(&dropped));
        assert!(!after.fields.contains(&dropped));
        assert_eq!(
            after,
            derive(&changed, &[], Render::Single).expect("derives").0
        );
    }
}
