//! `user.current` and `user.get`, with the keys their pages print. `user.get` reads its
//! filter from `FILTER`/`filter` or from top-level field names (as the pages' BX24.js
//! examples pass them), with the page's prefixes; sorts by `sort` (`ID`, `NAME`,
//! `LAST_NAME`, `EMAIL`) in `order` direction; pages by 50 like every list.

use super::filter::{like, split_prefix, Op};
use super::values::{entries, flag, intval, items, param, text};
use super::{V2Err, V2Ok};
use crate::clock::{iso, iso_at};
use crate::store::{Store, User};
use serde_json::{json, Map, Value};

fn last_activity(u: &User) -> String {
    // the pages print this one as "YYYY-MM-DD hh:mm:ss"
    iso(u.last_login + 120)
        .get(..19)
        .map(|s| s.replace('T', " "))
        .unwrap_or_default()
}

fn gender(u: &User) -> String {
    u.gender.map(String::from).unwrap_or_default()
}

/// The user.current object.
pub fn current_obj(u: &User) -> Value {
    json!({
        "ID": u.id.to_string(),
        "ACTIVE": u.active,
        "NAME": u.name,
        "LAST_NAME": u.last_name,
        "EMAIL": u.email,
        "LAST_LOGIN": iso(u.last_login),
        "DATE_REGISTER": iso_at(u.registered - u.registered.rem_euclid(86_400), 0),
        "IS_ONLINE": "Y",
        "LAST_ACTIVITY_DATE": last_activity(u),
        "PERSONAL_GENDER": gender(u),
        "PERSONAL_BIRTHDAY": "",
        "WORK_POSITION": u.work_position,
        "UF_EMPLOYMENT_DATE": "",
        "UF_DEPARTMENT": [1],
    })
}

/// A user.get row.
pub fn get_obj(u: &User) -> Value {
    json!({
        "ID": u.id.to_string(),
        "ACTIVE": u.active,
        "NAME": u.name,
        "LAST_NAME": u.last_name,
        "SECOND_NAME": "",
        "EMAIL": u.email,
        "LAST_LOGIN": iso(u.last_login),
        "DATE_REGISTER": iso_at(u.registered - u.registered.rem_euclid(86_400), 0),
        "TIME_ZONE": "",
        "IS_ONLINE": "Y",
        "LAST_ACTIVITY_DATE": last_activity(u),
        "PERSONAL_GENDER": gender(u),
        "PERSONAL_PHOTO": u.photo.as_ref().map(|p| p.src()).unwrap_or_default(),
        "PERSONAL_BIRTHDAY": "",
        "WORK_POSITION": u.work_position,
        "UF_EMPLOYMENT_DATE": "",
        "UF_DEPARTMENT": [1],
        "USER_TYPE": "employee",
    })
}

pub fn current(store: &mut Store, caller: u64) -> Result<V2Ok, V2Err> {
    match store.user(caller) {
        Some(u) => Ok(V2Ok::plain(current_obj(u))),
        None => Err(V2Err::new(401, "NO_AUTH_FOUND", "Wrong authorization data")),
    }
}

const FIELDS: [&str; 10] = [
    "ID",
    "NAME",
    "LAST_NAME",
    "EMAIL",
    "WORK_POSITION",
    "ACTIVE",
    "USER_TYPE",
    "UF_DEPARTMENT",
    "IS_ONLINE",
    "NAME_SEARCH",
];

fn field_text(u: &User, name: &str) -> Option<String> {
    Some(match name {
        "ID" => u.id.to_string(),
        "NAME" => u.name.clone(),
        "LAST_NAME" => u.last_name.clone(),
        "EMAIL" => u.email.clone(),
        "WORK_POSITION" => u.work_position.clone(),
        "ACTIVE" => (if u.active { "Y" } else { "N" }).into(),
        "USER_TYPE" => "employee".into(),
        "UF_DEPARTMENT" => "1".into(),
        "IS_ONLINE" => "Y".into(),
        "NAME_SEARCH" => format!("{} {} {}", u.name, u.last_name, u.email),
        _ => return None,
    })
}

fn matches(u: &User, key: &str, want: &Value) -> bool {
    let upper = key.trim().to_ascii_uppercase();
    let (op, negate, name) = split_prefix(&upper);
    let Some(have) = field_text(u, name) else {
        return true;
    };
    let have = have.to_lowercase();
    let wants: Vec<String> = items(want)
        .into_iter()
        .map(|w| match (name, w) {
            ("ACTIVE" | "IS_ONLINE", w) => (if flag(w) { "y" } else { "n" }).to_string(),
            (_, w) => text(w).to_lowercase(),
        })
        .collect();
    let hit = match (op, name) {
        (Op::Contains, _) | (Op::Eq, "NAME_SEARCH") => wants.iter().any(|w| have.contains(w)),
        (Op::Like, _) => wants.iter().any(|w| like(&have, w)),
        (Op::Gt | Op::Ge | Op::Lt | Op::Le, "ID") => {
            let id = u.id as i64;
            wants
                .first()
                .map(|w| intval(&json!(w)))
                .is_some_and(|w| match op {
                    Op::Gt => id > w,
                    Op::Ge => id >= w,
                    Op::Lt => id < w,
                    _ => id <= w,
                })
        }
        _ => wants.contains(&have),
    };
    hit != negate
}

pub fn get(store: &mut Store, p: &Map<String, Value>) -> Result<V2Ok, V2Err> {
    let mut conditions: Vec<(String, Value)> = Vec::new();
    if let Some(f) = param(p, "filter") {
        conditions.extend(entries(f).into_iter().map(|(k, v)| (k, v.clone())));
    }
    for (k, v) in p {
        let upper = k.to_ascii_uppercase();
        let (_, _, name) = split_prefix(&upper);
        if FIELDS.contains(&name) {
            conditions.push((k.clone(), v.clone()));
        }
    }
    let mut users: Vec<&User> = store
        .users
        .iter()
        .filter(|u| conditions.iter().all(|(k, v)| matches(u, k, v)))
        .collect();
    let sort = param(p, "sort")
        .map(text)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let desc = param(p, "order").is_some_and(|o| text(o).eq_ignore_ascii_case("desc"));
    users.sort_by(|a, b| {
        let o = match sort.as_str() {
            "NAME" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "LAST_NAME" => a.last_name.to_lowercase().cmp(&b.last_name.to_lowercase()),
            "EMAIL" => a.email.cmp(&b.email),
            _ => a.id.cmp(&b.id),
        };
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    let start = param(p, "start").map(intval).unwrap_or(0);
    let total = users.len() as u64;
    let (from, count) = match start {
        -1 => (0, false),
        n if n > 0 => (u64::try_from(n).unwrap_or(0) / 50 * 50, true),
        _ => (0, true),
    };
    let rows: Vec<Value> = users
        .iter()
        .skip(from as usize)
        .take(50)
        .map(|u| get_obj(u))
        .collect();
    Ok(V2Ok {
        result: Value::Array(rows),
        next: (count && total > from + 50).then_some(from + 50),
        total: Some(if count { total } else { 0 }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(store: &mut Store, p: Value) -> Vec<String> {
        let ok = get(store, p.as_object().unwrap_or(&Map::new()))
            .map(|o| o.result)
            .unwrap_or_default();
        ok.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u["ID"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn filters_by_any_spelling() {
        let mut s = Store::seeded(42, 5);
        assert_eq!(ids(&mut s, json!({"ID": 7})), ["7"]);
        assert_eq!(ids(&mut s, json!({"FILTER": {"@ID": [2, 3]}})), ["2", "3"]);
        assert_eq!(
            ids(
                &mut s,
                json!({"filter": {"%LAST_NAME": "ova"}, "sort": "ID", "order": "desc"})
            ),
            ["7", "3", "1"]
        );
        assert_eq!(ids(&mut s, json!({"FILTER": {">ID": 6}})), ["7", "8"]);
        assert_eq!(ids(&mut s, json!({"NAME_SEARCH": "sokol"})), ["7"]);
        assert_eq!(ids(&mut s, json!({})).len(), 8);
    }

    #[test]
    fn current_has_the_page_keys() {
        let mut s = Store::seeded(42, 5);
        let u = current(&mut s, 7).map(|o| o.result).unwrap_or_default();
        assert_eq!(u["ID"], "7");
        assert_eq!(u["UF_DEPARTMENT"], json!([1]));
        assert!(current(&mut s, 99).is_err());
    }
}
