//! v2 `order` (`{"ID": "desc"}`) to REST 3.0 `order` (`{"id": "DESC"}`).

use serde_json::{Map, Value};

use super::Unexpressible;
use crate::rules::{Direction, Entity};

/// Translates a v2 order; `None` or empty gives the rule's default order.
pub fn translate(
    order: Option<&Value>,
    entity: &Entity,
    default: &[(String, Direction)],
) -> Result<Map<String, Value>, Unexpressible> {
    let mut out = Map::new();
    let given = match order {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::Object(m)) if m.is_empty() => None,
        Some(Value::Array(a)) if a.is_empty() => None,
        Some(Value::Object(m)) => Some(m),
        Some(other) => {
            return Err(Unexpressible(format!(
                "order must be an object, got {other}"
            )))
        }
    };
    match given {
        None => {
            for (field, dir) in default {
                out.insert(field.clone(), Value::String(dir.as_v3().into()));
            }
        }
        Some(entries) => {
            for (name, dir) in entries {
                let field = entity
                    .by_sort_name(name)
                    .ok_or_else(|| Unexpressible(format!("REST 3.0 cannot sort by {name}")))?;
                let v3 = field
                    .v3
                    .clone()
                    .ok_or_else(|| Unexpressible(format!("REST 3.0 cannot sort by {name}")))?;
                let dir = dir.as_str().and_then(Direction::parse).ok_or_else(|| {
                    Unexpressible(format!(
                        "order direction {dir} for {name} is not asc or desc"
                    ))
                })?;
                out.insert(v3, Value::String(dir.as_v3().into()));
            }
        }
    }
    Ok(out)
}
