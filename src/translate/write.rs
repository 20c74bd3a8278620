//! v2 `fields` of add and update (`{"TITLE": "x", "PRIORITY": "2"}`) to REST 3.0 `fields`
//! (`{"title": "x", "priority": "high"}`).

use serde_json::{Map, Value};

use super::{convert, Unexpressible};
use crate::decode::value::{int_value, yes_no, PhpArray};
use crate::rules::{Converter, Entity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    Update,
}

/// Translates the v2 fields of a write. Fields v2 does not know are left out, as v2 leaves
/// them; custom, read-only and unconvertible fields refuse.
pub fn translate(
    fields: &Value,
    entity: &Entity,
    kind: WriteKind,
) -> Result<Map<String, Value>, Unexpressible> {
    let entries = match fields {
        Value::Object(m) => m,
        _ => return Err(Unexpressible("fields must be an object".into())),
    };
    let mut out = Map::new();
    for (name, value) in entries {
        if entity.is_untranslatable(name) {
            return Err(Unexpressible(format!(
                "field {name} has no REST 3.0 counterpart"
            )));
        }
        let Some(field) = entity.by_v2(name) else {
            // v2 ignores a field it does not know; a custom field (`UF_*`) it does know,
            // and REST 3.0 cannot write those.
            if name.to_ascii_uppercase().starts_with("UF_") {
                return Err(Unexpressible(format!(
                    "field {name} is a custom field, which REST 3.0 cannot write"
                )));
            }
            continue;
        };
        if !field.writable || (field.create_only && kind == WriteKind::Update) {
            return Err(Unexpressible(format!("REST 3.0 cannot write {name} here")));
        }
        if let Converter::SeParameter { codes } = &field.converter {
            for (code, v3) in codes_set(value, codes)? {
                out.insert(v3, Value::Bool(code));
            }
            continue;
        }
        let v3 = field
            .v3
            .clone()
            .ok_or_else(|| Unexpressible(format!("REST 3.0 cannot write {name}")))?;
        out.insert(v3, convert::to_v3(field, value).map_err(Unexpressible)?);
    }
    Ok(out)
}

/// `SE_PARAMETER: [{"CODE": 3, "VALUE": "Y"}]` → `[(true, "requireResult")]`.
fn codes_set(
    value: &Value,
    codes: &[(String, String)],
) -> Result<Vec<(bool, String)>, Unexpressible> {
    let items =
        PhpArray::of(value).ok_or_else(|| Unexpressible("SE_PARAMETER must be a list".into()))?;
    items
        .values()
        .map(|item| {
            let get = |k: &str| item.get(k).or_else(|| item.get(k.to_ascii_lowercase()));
            let code = get("CODE").and_then(int_value).map(|c| c.to_string());
            let flag = get("VALUE").and_then(yes_no);
            match (code, flag) {
                (Some(code), Some(flag)) => codes
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, v3)| (flag, v3.clone()))
                    .ok_or_else(|| {
                        Unexpressible(format!("SE_PARAMETER code {code} has no REST 3.0 field"))
                    }),
                _ => Err(Unexpressible(
                    "SE_PARAMETER entries need CODE and VALUE Y/N".into(),
                )),
            }
        })
        .collect()
}
