//! v2 tasks.task.list: filter, order, `select`, `params`, and `start` paging.
//!
//! * Order keys are the list page's; any other is error `0` "Invalid sorting key". The
//!   default is `ID` descending. Directions `asc`/`desc` in any case; anything else is
//!   ascending. Text sorts case-insensitively, missing values first when ascending, except
//!   `DEADLINE` ascending, which puts tasks with a deadline first (and brings
//!   `lengthDeadline` into the rows, as the list example shows); ties by id ascending.
//! * Pages are 50 rows. `start` picks the page it falls in (`start = (N-1)*50` per the
//!   page), so 75 reads rows 50..99; `next` is the start of the following page while one
//!   exists; `total` counts every match. `start=-1` skips the count: `total` 0 and no
//!   `next`.
//!
//! The work is one pass over the tasks plus a sort of the matches with precomputed keys, so
//! a page over 20,000 tasks costs a few milliseconds.

use super::filter::Filter;
use super::select::{resolve, Extras, Mode};
use super::values::{flag, intval, param, text};
use super::view::{render, Ctx};
use super::{V2Err, V2Ok, BAD_SORT_KEY};
use crate::store::{Mark, Store, Task};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

pub const PAGE: u64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Id,
    Title,
    TimeSpent,
    DateStart,
    Created,
    Changed,
    Closed,
    Activity,
    StartPlan,
    EndPlan,
    Deadline,
    RealStatus,
    StatusComplete,
    Priority,
    Mark,
    CreatorLastName,
    ResponsibleLastName,
    GroupId,
    TimeEstimate,
    AllowChangeDeadline,
    AllowTimeTracking,
    MatchWorkTime,
    Favorite,
    Sorting,
    Pinned,
    PinnedInGroup,
}

fn sort_key(name: &str) -> Option<SortKey> {
    Some(match name.trim().to_ascii_uppercase().as_str() {
        "ID" => SortKey::Id,
        "TITLE" => SortKey::Title,
        "TIME_SPENT_IN_LOGS" => SortKey::TimeSpent,
        "DATE_START" => SortKey::DateStart,
        "CREATED_DATE" => SortKey::Created,
        "CHANGED_DATE" => SortKey::Changed,
        "CLOSED_DATE" => SortKey::Closed,
        "ACTIVITY_DATE" => SortKey::Activity,
        "START_DATE_PLAN" => SortKey::StartPlan,
        "END_DATE_PLAN" => SortKey::EndPlan,
        "DEADLINE" => SortKey::Deadline,
        "REAL_STATUS" => SortKey::RealStatus,
        "STATUS_COMPLETE" => SortKey::StatusComplete,
        "PRIORITY" => SortKey::Priority,
        "MARK" => SortKey::Mark,
        "CREATED_BY_LAST_NAME" => SortKey::CreatorLastName,
        "RESPONSIBLE_LAST_NAME" => SortKey::ResponsibleLastName,
        "GROUP_ID" => SortKey::GroupId,
        "TIME_ESTIMATE" => SortKey::TimeEstimate,
        "ALLOW_CHANGE_DEADLINE" => SortKey::AllowChangeDeadline,
        "ALLOW_TIME_TRACKING" => SortKey::AllowTimeTracking,
        "MATCH_WORK_TIME" => SortKey::MatchWorkTime,
        "FAVORITE" => SortKey::Favorite,
        "SORTING" => SortKey::Sorting,
        "IS_PINNED" => SortKey::Pinned,
        "IS_PINNED_IN_GROUP" => SortKey::PinnedInGroup,
        _ => return None,
    })
}

/// A sort value: missing, a number, or lower-cased text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Sv {
    Null,
    Int(i64),
    Text(String),
}

fn opt(n: Option<i64>) -> Sv {
    n.map(Sv::Int).unwrap_or(Sv::Null)
}

fn ids(n: Option<u64>) -> Sv {
    Sv::Int(n.and_then(|x| i64::try_from(x).ok()).unwrap_or(0))
}

fn value(store: &Store, t: &Task, k: SortKey, caller: u64) -> Sv {
    let flag = |b: bool| Sv::Int(i64::from(b));
    let last_name = |id: u64| {
        Sv::Text(
            store
                .user(id)
                .map(|u| u.last_name.to_lowercase())
                .unwrap_or_default(),
        )
    };
    match k {
        SortKey::Id => ids(Some(t.id)),
        SortKey::Title => Sv::Text(t.title.to_lowercase()),
        SortKey::TimeSpent => opt(t.time_spent),
        SortKey::DateStart => opt(t.started),
        SortKey::Created => Sv::Int(t.created),
        SortKey::Changed => Sv::Int(t.changed),
        SortKey::Closed => opt(t.closed),
        SortKey::Activity => Sv::Int(t.activity),
        SortKey::StartPlan => opt(t.start_plan),
        SortKey::EndPlan => opt(t.end_plan),
        SortKey::Deadline => opt(t.deadline),
        SortKey::RealStatus => Sv::Int(i64::from(t.status)),
        SortKey::StatusComplete => Sv::Int(if t.status == 5 { 2 } else { 1 }),
        SortKey::Priority => Sv::Int(i64::from(t.priority)),
        SortKey::Mark => match t.mark {
            None => Sv::Null,
            Some(Mark::Negative) => Sv::Text("n".into()),
            Some(Mark::Positive) => Sv::Text("p".into()),
        },
        SortKey::CreatorLastName => last_name(t.created_by),
        SortKey::ResponsibleLastName => last_name(t.responsible_id),
        SortKey::GroupId => ids(t.group_id),
        SortKey::TimeEstimate => Sv::Int(t.time_estimate),
        SortKey::AllowChangeDeadline => flag(t.allow_change_deadline),
        SortKey::AllowTimeTracking => flag(t.allow_time_tracking),
        SortKey::MatchWorkTime => flag(t.match_work_time),
        SortKey::Favorite => flag(t.favorite_of.contains(&caller)),
        SortKey::Sorting => opt(t.sorting),
        SortKey::Pinned => flag(t.pinned_by.contains(&caller)),
        SortKey::PinnedInGroup => flag(t.pinned_in_group_by.contains(&caller)),
    }
}

type Order = Vec<(SortKey, bool)>;

fn parse_order(v: Option<&Value>) -> Result<Order, V2Err> {
    let mut keys = Order::new();
    if let Some(Value::Object(m)) = v {
        for (name, dir) in m {
            let key = sort_key(name).ok_or_else(|| V2Err::new(400, "0", BAD_SORT_KEY))?;
            keys.push((key, text(dir).trim().eq_ignore_ascii_case("desc")));
        }
    }
    if keys.is_empty() {
        keys.push((SortKey::Id, true));
    }
    Ok(keys)
}

fn compare(a: &[Sv], b: &[Sv], order: &Order) -> Ordering {
    for (i, (key, desc)) in order.iter().enumerate() {
        let (x, y) = (&a[i], &b[i]);
        let o = if *key == SortKey::Deadline && !*desc {
            // tasks with a deadline first, then by deadline
            match (x, y) {
                (Sv::Null, Sv::Null) => Ordering::Equal,
                (Sv::Null, _) => Ordering::Greater,
                (_, Sv::Null) => Ordering::Less,
                _ => x.cmp(y),
            }
        } else if *desc {
            y.cmp(x)
        } else {
            x.cmp(y)
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// `start` → (first row, whether to count).
fn parse_start(v: Option<&Value>) -> (u64, bool) {
    match v.map(intval) {
        Some(-1) => (0, false),
        Some(n) if n > 0 => {
            let n = u64::try_from(n).unwrap_or(0);
            (n - n % PAGE, true)
        }
        _ => (0, true),
    }
}

fn params_flags(v: Option<&Value>) -> Extras {
    let mut e = Extras::default();
    let Some(Value::Object(m)) = v else {
        return e;
    };
    for (k, v) in m {
        let on = flag(v);
        match k.to_ascii_uppercase().as_str() {
            "WITH_RESULT_INFO" => e.result_info = on,
            "WITH_TIMER_INFO" => e.timer_info = on,
            "WITH_PARSED_DESCRIPTION" => e.parsed_description = on,
            _ => {}
        }
    }
    e
}

pub fn list(store: &mut Store, p: &Map<String, Value>, caller: u64) -> Result<V2Ok, V2Err> {
    let order = parse_order(param(p, "order"))?;
    let mut extras = params_flags(param(p, "params"));
    extras.length_deadline = order
        .iter()
        .any(|(k, desc)| *k == SortKey::Deadline && !desc);
    let keys = resolve(param(p, "select"), Mode::List, extras)?;
    let filter = Filter::parse(param(p, "filter"));
    let (start, count) = parse_start(param(p, "start"));
    let store: &Store = store;
    let mut matches: Vec<(Vec<Sv>, u64)> = store
        .tasks
        .values()
        .filter(|t| store.can_read(t, caller) && filter.matches(store, t, caller))
        .map(|t| {
            let sort: Vec<Sv> = order
                .iter()
                .map(|(k, _)| value(store, t, *k, caller))
                .collect();
            (sort, t.id)
        })
        .collect();
    matches.sort_by(|a, b| compare(&a.0, &b.0, &order).then(a.1.cmp(&b.1)));
    let total = matches.len() as u64;
    let ctx = Ctx {
        store,
        caller,
        list: true,
    };
    let rows: Vec<Value> = matches
        .iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(PAGE as usize)
        .filter_map(|(_, id)| store.tasks.get(id))
        .map(|t| render(&ctx, t, &keys))
        .collect();
    let (next, total) = if count {
        ((total > start + PAGE).then_some(start + PAGE), Some(total))
    } else {
        (None, Some(0))
    };
    Ok(V2Ok {
        result: json!({ "tasks": rows }),
        next,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn start_picks_the_page_it_falls_in() {
        assert_eq!(parse_start(None), (0, true));
        assert_eq!(parse_start(Some(&json!("75"))), (50, true));
        assert_eq!(parse_start(Some(&json!(100))), (100, true));
        assert_eq!(parse_start(Some(&json!(-1))), (0, false));
        assert_eq!(parse_start(Some(&json!(-7))), (0, true));
        assert_eq!(parse_start(Some(&json!("abc"))), (0, true));
    }

    #[test]
    fn unknown_order_keys_are_refused() {
        assert!(parse_order(Some(&json!({"DEADLINE": "asc", "PRIORITY": "DESC"}))).is_ok());
        let e = parse_order(Some(&json!({"NONSENSE": "asc"}))).err();
        assert_eq!(
            e.map(|e| (e.code, e.description)),
            Some(("0".into(), BAD_SORT_KEY.into()))
        );
    }

    #[test]
    fn deadline_ascending_puts_missing_deadlines_last() {
        let order = vec![(SortKey::Deadline, false)];
        let mut v = [vec![Sv::Null], vec![Sv::Int(5)], vec![Sv::Int(1)]];
        v.sort_by(|a, b| compare(a, b, &order));
        assert_eq!(v[0], vec![Sv::Int(1)]);
        assert_eq!(v[2], vec![Sv::Null]);
        let order = vec![(SortKey::Deadline, true)];
        v.sort_by(|a, b| compare(a, b, &order));
        assert_eq!(v[2], vec![Sv::Null]);
    }
}
