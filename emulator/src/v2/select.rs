//! Which keys a v2 task answer carries, from `select` and the method.
//!
//! * No `select` (or an empty list): get and the write answers return the full object;
//!   list rows return the stored record fields only (every full-object key except the
//!   computed ones) plus `group`, which every list row of the list example carries.
//! * `*`: get returns the full object, a list row the full object without `action`.
//!   `UF_*` or any one system UF field adds `ufCrmTask`, `ufTaskWebdavFiles` and
//!   `ufMailMessage`.
//! * Explicit names: `id` first, then the named record fields in the order named, then the
//!   late keys (companions and extras) in the fixed order the get and list examples show;
//!   get always adds `favorite`, `group` and `action`, a list row always `group`.
//! * A `select` that is present but not an array is error 100 (the get page); unknown
//!   names are left out.

use super::keys::{select_name, Sel, COMPUTED, FULL, K, LATE, UF};
use super::{V2Err, SELECT_NOT_ARRAY};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Get,
    List,
}

/// List-only additions: `params` flags and the `lengthDeadline` that ordering by DEADLINE
/// ascending brings (the list example).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extras {
    pub length_deadline: bool,
    pub result_info: bool,
    pub timer_info: bool,
    pub parsed_description: bool,
}

impl Extras {
    fn keys(&self) -> Vec<K> {
        let mut v = Vec::new();
        if self.result_info {
            v.extend([K::TaskRequireResult, K::TaskHasOpenResult, K::TaskHasResult]);
        }
        if self.timer_info {
            v.extend([K::TimeElapsed, K::TimerIsRunningForCurrentUser]);
        }
        if self.parsed_description {
            v.push(K::ParsedDescription);
        }
        v
    }
}

/// The select entries named by the parameter; `Ok(None)` when there is no selection.
fn entries(select: Option<&Value>) -> Result<Option<Vec<Sel>>, V2Err> {
    let names: Vec<&Value> = match select {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(m)) => m.values().collect(),
        Some(_) => return Err(V2Err::new(400, "100", SELECT_NOT_ARRAY)),
    };
    if names.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        names
            .into_iter()
            .filter_map(|v| v.as_str().and_then(select_name))
            .collect(),
    ))
}

fn with_length_deadline(base: impl Iterator<Item = K>, extras: &Extras) -> Vec<K> {
    let mut out = Vec::new();
    for k in base {
        out.push(k);
        if k == K::DescriptionInBbcode && extras.length_deadline {
            out.push(K::LengthDeadline);
        }
    }
    out
}

fn push(v: &mut Vec<K>, k: K) {
    if !v.contains(&k) {
        v.push(k);
    }
}

/// The keys to render, in order.
pub fn resolve(select: Option<&Value>, mode: Mode, extras: Extras) -> Result<Vec<K>, V2Err> {
    let extras = if mode == Mode::List {
        extras
    } else {
        Extras::default()
    };
    let Some(sels) = entries(select)? else {
        let base: Vec<K> = match mode {
            Mode::Get => FULL.to_vec(),
            Mode::List => FULL
                .iter()
                .copied()
                .filter(|k| !COMPUTED.contains(k))
                .collect(),
        };
        let mut keys = with_length_deadline(base.into_iter(), &extras);
        keys.extend(extras.keys());
        return Ok(keys);
    };
    let wants_uf = sels
        .iter()
        .any(|s| *s == Sel::AllUf || matches!(s, Sel::Key(k) if UF.contains(k)));
    if sels.contains(&Sel::All) {
        let base = FULL
            .iter()
            .copied()
            .filter(|k| mode == Mode::Get || *k != K::Action);
        let mut keys = with_length_deadline(base, &extras);
        if wants_uf {
            keys.extend(UF);
        }
        keys.extend(extras.keys());
        for s in &sels {
            if let Sel::Key(k @ (K::Counter | K::Tags | K::SubStatus)) = s {
                push(&mut keys, *k);
            }
        }
        return Ok(keys);
    }
    let mut keys = vec![K::Id];
    let mut late: Vec<K> = Vec::new();
    for s in &sels {
        match s {
            Sel::Key(k) if UF.contains(k) => UF.iter().for_each(|u| push(&mut keys, *u)),
            Sel::AllUf => UF.iter().for_each(|u| push(&mut keys, *u)),
            Sel::Key(k) => {
                if LATE.contains(k) {
                    push(&mut late, *k);
                } else {
                    push(&mut keys, *k);
                }
                for c in k.companions() {
                    push(&mut late, *c);
                }
            }
            Sel::All => {}
        }
    }
    if extras.length_deadline {
        late.push(K::LengthDeadline);
    }
    late.push(K::Group);
    late.extend(extras.keys());
    if mode == Mode::Get {
        late.extend([K::Favorite, K::Action]);
    }
    for k in LATE {
        if late.contains(&k) {
            push(&mut keys, k);
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(keys: &[K]) -> Vec<&'static str> {
        keys.iter().map(|k| k.name()).collect()
    }

    #[test]
    fn the_get_example_key_order() {
        let sel = json!([
            "ID",
            "TITLE",
            "DESCRIPTION",
            "CREATED_BY",
            "RESPONSIBLE_ID",
            "DEADLINE",
            "UF_CRM_TASK",
            "UF_TASK_WEBDAV_FILES"
        ]);
        let keys = resolve(Some(&sel), Mode::Get, Extras::default()).unwrap_or_default();
        assert_eq!(
            names(&keys),
            [
                "id",
                "title",
                "description",
                "createdBy",
                "responsibleId",
                "deadline",
                "ufCrmTask",
                "ufTaskWebdavFiles",
                "ufMailMessage",
                "descriptionInBbcode",
                "favorite",
                "group",
                "creator",
                "responsible",
                "action"
            ]
        );
    }

    #[test]
    fn the_list_example_key_order() {
        let sel = json!([
            "ID",
            "TITLE",
            "DESCRIPTION",
            "STATUS",
            "subStatus",
            "DEADLINE",
            "CREATED_DATE",
            "RESPONSIBLE_ID",
            "ACCOMPLICES",
            "AUDITORS",
            "TAGS",
            "COUNTERS",
            "PRIORITY",
            "MARK"
        ]);
        let extras = Extras {
            length_deadline: true,
            result_info: true,
            timer_info: true,
            parsed_description: true,
        };
        let keys = resolve(Some(&sel), Mode::List, extras).unwrap_or_default();
        assert_eq!(
            names(&keys),
            [
                "id",
                "title",
                "description",
                "deadline",
                "createdDate",
                "responsibleId",
                "priority",
                "mark",
                "descriptionInBbcode",
                "lengthDeadline",
                "status",
                "auditors",
                "accomplices",
                "group",
                "responsible",
                "accomplicesData",
                "auditorsData",
                "taskRequireResult",
                "taskHasOpenResult",
                "taskHasResult",
                "timeElapsed",
                "timerIsRunningForCurrentUser",
                "parsedDescription",
                "counter",
                "tags",
                "subStatus"
            ]
        );
    }

    #[test]
    fn defaults_star_and_errors() {
        let full = resolve(None, Mode::Get, Extras::default()).unwrap_or_default();
        assert_eq!(full, FULL.to_vec());
        let row = resolve(Some(&json!([])), Mode::List, Extras::default()).unwrap_or_default();
        assert!(row.contains(&K::Group) && !row.contains(&K::Action) && !row.contains(&K::Creator));
        let star =
            resolve(Some(&json!(["*", "UF_*"])), Mode::List, Extras::default()).unwrap_or_default();
        assert!(
            star.contains(&K::Creator)
                && star.contains(&K::UfMailMessage)
                && !star.contains(&K::Action)
        );
        for bad in [json!("ID"), json!(""), json!(5), json!(true)] {
            let e = resolve(Some(&bad), Mode::Get, Extras::default());
            assert_eq!(e.map_err(|e| e.code), Err("100".to_string()), "{bad}");
        }
        let odd = resolve(
            Some(&json!(["nonsense", 5, null])),
            Mode::List,
            Extras::default(),
        )
        .unwrap_or_default();
        assert_eq!(names(&odd), ["id", "group"]);
    }
}
