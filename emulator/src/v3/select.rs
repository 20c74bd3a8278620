//! REST 3.0 `select`: own fields by name, related objects by dotted paths
//! (`responsible.name`, `creator.image.src`), a relation named alone meaning all its fields.
//!
//! * An unknown own field is left out without error (rest-v3.md); so is a dotted path whose
//!   head is not a relation of the object.
//! * An unknown field of a related object is `UNKNOWNDTOPROPERTYEXCEPTION` naming the field
//!   and the related object's entity.
//! * A selection with no own field at all (only related paths) returns the default own set
//!   plus the related objects: the get example selects `responsible.name` and
//!   `responsible.email` and shows the basic fields with `responsible`.
//! * `select` that is not an array of strings is `INVALIDSELECTEXCEPTION`.

use super::dto::{Dto, Kind};
use super::V3Err;
use serde_json::Value;

/// What to render of one object: own scalar fields and related objects with their own
/// selections, each in no particular order (rendering follows the DTO's field order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub own: Vec<&'static str>,
    pub related: Vec<(&'static str, Selection)>,
}

impl Selection {
    pub fn has(&self, name: &str) -> bool {
        self.own.contains(&name)
    }

    pub fn related(&self, name: &str) -> Option<&Selection> {
        self.related
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s)
    }

    fn related_mut(&mut self, name: &'static str) -> &mut Selection {
        if let Some(i) = self.related.iter().position(|(n, _)| *n == name) {
            return &mut self.related[i].1;
        }
        self.related.push((name, Selection::default()));
        let last = self.related.len() - 1;
        &mut self.related[last].1
    }

    /// Every field of `dto`, related objects whole (one level; a related task shows its
    /// basic fields).
    pub fn whole(dto: Dto, depth: usize) -> Selection {
        let mut s = Selection::default();
        for f in dto.fields() {
            match f.kind {
                Kind::Scalar(_) => s.own.push(f.name),
                Kind::Relation { dto: inner, .. } if depth == 0 => {
                    let sub = if inner == Dto::Task {
                        Selection::basic()
                    } else {
                        Selection::whole(inner, depth + 1)
                    };
                    s.related.push((f.name, sub));
                }
                Kind::Relation { .. } => {}
            }
        }
        s
    }

    /// The task fields an answer without `select` carries.
    pub fn basic() -> Selection {
        Selection {
            own: Dto::Task
                .fields()
                .iter()
                .filter(|f| f.basic)
                .map(|f| f.name)
                .collect(),
            related: Vec::new(),
        }
    }

    pub fn only(names: &[&'static str]) -> Selection {
        Selection {
            own: names.to_vec(),
            related: Vec::new(),
        }
    }
}

fn add_path(sel: &mut Selection, dto: Dto, path: &[&str], top: bool) -> Result<(), V3Err> {
    let Some((head, rest)) = path.split_first() else {
        return Ok(());
    };
    let Some(field) = dto.field(head) else {
        if top {
            return Ok(());
        }
        return Err(V3Err::unknown_field(head, dto.entity()));
    };
    match (field.kind, rest.is_empty()) {
        (Kind::Scalar(_), true) => {
            if !sel.own.contains(&field.name) {
                sel.own.push(field.name);
            }
            Ok(())
        }
        (Kind::Scalar(_), false) if top => Ok(()),
        (Kind::Scalar(_), false) => Err(V3Err::unknown_field(rest[0], dto.entity())),
        (Kind::Relation { dto: inner, .. }, true) => {
            let whole = if inner == Dto::Task {
                Selection::basic()
            } else {
                Selection::whole(inner, 0)
            };
            let target = sel.related_mut(field.name);
            for name in whole.own {
                if !target.own.contains(&name) {
                    target.own.push(name);
                }
            }
            for (name, s) in whole.related {
                target.related.push((name, s));
            }
            Ok(())
        }
        (Kind::Relation { dto: inner, .. }, false) => {
            add_path(sel.related_mut(field.name), inner, rest, false)
        }
    }
}

/// Reads `select` for an object of type `dto`; `default` is the own set used when the
/// selection names no own field.
pub fn parse(v: Option<&Value>, dto: Dto, default: &Selection) -> Result<Selection, V3Err> {
    let items = match v {
        None | Some(Value::Null) => return Ok(default.clone()),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(V3Err::invalid_select(other)),
    };
    let mut sel = Selection::default();
    for item in items {
        let Some(path) = item.as_str() else {
            return Err(V3Err::invalid_select(v.unwrap_or(&Value::Null)));
        };
        let segments: Vec<&str> = path.trim().split('.').collect();
        if segments.len() > 8 {
            return Err(V3Err::unknown_field(path, dto.entity()));
        }
        add_path(&mut sel, dto, &segments, true)?;
    }
    if sel.own.is_empty() {
        sel.own = default.own.clone();
    }
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(v: Value) -> Result<Selection, V3Err> {
        parse(Some(&v), Dto::Task, &Selection::only(&["id"]))
    }

    #[test]
    fn own_related_and_nested_paths() {
        let s = task(json!([
            "id",
            "title",
            "responsible.name",
            "responsible.email",
            "creator.image.src",
            "nonsense",
            "nothing.here"
        ]))
        .unwrap_or_default();
        assert_eq!(s.own, ["id", "title"]);
        assert_eq!(
            s.related("responsible").map(|r| r.own.clone()),
            Some(vec!["name", "email"])
        );
        let image = s.related("creator").and_then(|c| c.related("image"));
        assert_eq!(image.map(|i| i.own.clone()), Some(vec!["src"]));
    }

    #[test]
    fn relation_alone_is_whole_and_related_only_keeps_the_default() {
        let s = task(json!(["group"])).unwrap_or_default();
        assert_eq!(s.own, ["id"]);
        let g = s.related("group").cloned().unwrap_or_default();
        assert_eq!(g.own, ["id", "name", "type", "isVisible"]);
        assert!(g.related("image").is_some());
    }

    #[test]
    fn errors() {
        let e = task(json!(["responsible.stageId"])).err();
        assert_eq!(
            e.map(|e| (e.code, e.message)),
            Some((
                "BITRIX_REST_V3_EXCEPTION_UNKNOWNDTOPROPERTYEXCEPTION".into(),
                "Unknown field `stageId` for entity `UserDto`".into()
            ))
        );
        assert!(task(json!(["creator.name.first"])).is_err());
        assert!(task(json!("id")).is_err());
        assert!(task(json!([1])).is_err());
        assert_eq!(task(json!([])).map(|s| s.own), Ok(vec!["id"]));
    }
}
