//! A task as the v2 pages print it: ids and counters as strings, `chatId` and
//! `newCommentsCount` as integers, flags `Y`/`N`, dates ISO-8601 in the portal offset,
//! empty maps (`group`, `accomplicesData`, `auditorsData`, `checklist`, `tags`) as `[]` and
//! filled ones as objects keyed by id, `action` booleans.

use super::checklist::{checklist_map, checklist_tree};
use super::keys::K;
use super::values::php_array;
use crate::bbcode;
use crate::clock::iso;
use crate::store::{rights, Group, Mark, Rights, Store, Task, DEFAULT_AVATAR};
use serde_json::{json, Map, Value};

/// Who is looking, and from where.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub caller: u64,
    /// A list row (`tasks.task.list`) rather than a single task answer.
    pub list: bool,
}

fn s(n: u64) -> Value {
    Value::String(n.to_string())
}

fn opt_s(n: Option<u64>) -> Value {
    n.map(s).unwrap_or(Value::Null)
}

fn opt_i(n: Option<i64>) -> Value {
    n.map(|n| Value::String(n.to_string()))
        .unwrap_or(Value::Null)
}

fn yn(b: bool) -> Value {
    Value::String(if b { "Y" } else { "N" }.into())
}

fn date(ts: Option<i64>) -> Value {
    ts.map(|t| Value::String(iso(t))).unwrap_or(Value::Null)
}

/// The user object inside tasks (`creator`, `responsible`, the `…Data` maps).
pub fn user_obj(store: &Store, id: u64) -> Value {
    let u = store.user(id);
    let mut m = Map::new();
    m.insert("id".into(), s(id));
    m.insert(
        "name".into(),
        json!(u.map(|u| u.full_name()).unwrap_or_default()),
    );
    m.insert(
        "link".into(),
        json!(format!("/company/personal/user/{id}/")),
    );
    m.insert(
        "icon".into(),
        json!(u
            .and_then(|u| u.photo.as_ref())
            .map(|p| p.src())
            .unwrap_or_else(|| DEFAULT_AVATAR.to_string())),
    );
    m.insert(
        "workPosition".into(),
        json!(u.map(|u| u.work_position.clone()).unwrap_or_default()),
    );
    Value::Object(m)
}

fn users_map(store: &Store, ids: &[u64]) -> Value {
    php_array(ids.iter().map(|id| (id.to_string(), user_obj(store, *id))))
}

pub fn group_obj(g: &Group) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), s(g.id));
    m.insert("name".into(), json!(g.name));
    m.insert("opened".into(), json!(g.opened));
    m.insert("membersCount".into(), json!(g.members.len()));
    m.insert(
        "image".into(),
        json!(g.image.as_ref().map(|f| f.src()).unwrap_or_default()),
    );
    m.insert("additionalData".into(), json!([]));
    Value::Object(m)
}

/// The `action` map of the get page, every documented key.
pub fn action(r: &Rights) -> Value {
    let pairs: [(&str, bool); 27] = [
        ("accept", false),
        ("decline", false),
        ("complete", r.complete),
        ("approve", r.approve),
        ("disapprove", r.disapprove),
        ("start", r.start),
        ("pause", r.pause),
        ("delegate", r.delegate),
        ("remove", r.remove),
        ("edit", r.edit),
        ("defer", r.defer),
        ("renew", r.renew),
        ("create", r.create_subtask),
        ("changeDeadline", r.change_deadline),
        ("checklistAddItems", r.checklist_add),
        ("addFavorite", r.favorite && !r.in_favorite),
        ("deleteFavorite", r.favorite && r.in_favorite),
        ("rate", r.rate),
        ("take", r.take),
        ("edit.originator", r.change_director),
        ("checklist.reorder", r.checklist_edit),
        ("elapsedtime.add", r.elapsed_time),
        ("dayplan.timer.toggle", r.timer),
        ("edit.plan", r.edit_plan),
        ("checklist.add", r.checklist_add),
        ("favorite.add", r.favorite && !r.in_favorite),
        ("favorite.delete", r.favorite && r.in_favorite),
    ];
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), json!(v)))
            .collect(),
    )
}

/// `subStatus` (the list page's `STATUS` filter values): `-1` overdue, `-2` not viewed by
/// the caller while still pending, `-3` due within a day, otherwise the real status.
pub fn sub_status(t: &Task, caller: u64, now: i64) -> i64 {
    let running = matches!(t.status, 2 | 3);
    match t.deadline {
        Some(d) if running && d < now => -1,
        _ if t.status == 2 && t.not_viewed_by(caller) => -2,
        Some(d) if running && d < now + 86_400 => -3,
        _ => i64::from(t.status),
    }
}

fn counter(ctx: &Ctx, t: &Task) -> Value {
    let u = ctx.caller;
    let doer = t.responsible_id == u || t.accomplices.contains(&u);
    let expired = i64::from(
        doer && t.deadline.is_some_and(|d| d < ctx.store.now) && matches!(t.status, 2 | 3),
    );
    let new_comments = if t.is_member(u) {
        t.new_comments_for(u) as i64
    } else {
        0
    };
    let muted = t.muted_by.contains(&u);
    let in_group = t.group_id.is_some();
    let (plain_e, plain_c) = if muted {
        (0, 0)
    } else {
        (expired, new_comments)
    };
    let value = plain_e + plain_c;
    json!({
        "counters": {
            "expired": plain_e,
            "newComments": plain_c,
            "projectExpired": if in_group && !muted { expired } else { 0 },
            "projectNewComments": if in_group && !muted { new_comments } else { 0 },
            "mutedExpired": if muted { expired } else { 0 },
            "mutedNewComments": if muted { new_comments } else { 0 },
        },
        "color": if value > 0 { "red" } else { "gray" },
        "value": value,
    })
}

fn tags(store: &Store, t: &Task) -> Value {
    php_array(t.tags.iter().filter_map(|id| store.tag(*id)).map(|tag| {
        (
            tag.id.to_string(),
            json!({"id": tag.id, "title": tag.title}),
        )
    }))
}

fn mark(ctx: &Ctx, m: Option<Mark>) -> Value {
    match m {
        Some(Mark::Positive) => json!("P"),
        Some(Mark::Negative) => json!("N"),
        // the list example prints an unrated task's mark as "", the task objects as null
        None if ctx.list => json!(""),
        None => Value::Null,
    }
}

fn comment_count(t: &Task, service_only: bool) -> Value {
    match t.forum_topic_id {
        None => Value::Null,
        Some(_) => s(t
            .comments
            .iter()
            .filter(|c| !service_only || c.service)
            .count() as u64),
    }
}

/// One key's value.
fn value(ctx: &Ctx, t: &Task, k: K, r: &mut Option<Rights>) -> Value {
    let st = ctx.store;
    let u = ctx.caller;
    let rights_of = |r: &mut Option<Rights>| *r.get_or_insert_with(|| rights(st, t, u));
    match k {
        K::Id => s(t.id),
        K::ParentId => opt_s(t.parent_id),
        K::Title => json!(t.title),
        K::Description => json!(t.description),
        K::ChatId => t.chat_id.map(|c| json!(c)).unwrap_or(Value::Null),
        K::Mark => mark(ctx, t.mark),
        K::Priority => s(u64::from(t.priority)),
        K::Multitask => yn(t.multitask),
        K::NotViewed => yn(t.not_viewed_by(u)),
        K::Replicate => yn(t.replicate),
        K::StageId => s(t.stage_id.unwrap_or(0)),
        K::SprintId => opt_s(t.sprint_id),
        K::BacklogId => opt_s(t.backlog_id),
        K::CreatedBy => s(t.created_by),
        K::CreatedDate => date(Some(t.created)),
        K::ResponsibleId => s(t.responsible_id),
        K::ChangedBy => s(t.changed_by),
        K::ChangedDate => date(Some(t.changed)),
        K::StatusChangedBy => opt_s(t.status_changed_by),
        K::ClosedBy => s(t.closed_by.unwrap_or(0)),
        K::ClosedDate => date(t.closed),
        K::ActivityDate => date(Some(t.activity)),
        K::DateStart => date(t.started),
        K::Deadline => date(t.deadline),
        K::StartDatePlan => date(t.start_plan),
        K::EndDatePlan => date(t.end_plan),
        K::Guid => json!(t.guid),
        K::XmlId => t.xml_id.clone().map(Value::String).unwrap_or(Value::Null),
        K::CommentsCount => comment_count(t, false),
        K::ServiceCommentsCount => comment_count(t, true),
        K::AllowChangeDeadline => yn(t.allow_change_deadline),
        K::AllowTimeTracking => yn(t.allow_time_tracking),
        K::TaskControl => yn(t.task_control),
        K::AddInReport => yn(t.add_in_report),
        K::ForkedByTemplateId => opt_s(t.forked_by_template_id),
        K::TimeEstimate => json!(t.time_estimate.to_string()),
        K::TimeSpentInLogs => opt_i(t.time_spent),
        K::MatchWorkTime => yn(t.match_work_time),
        K::ForumTopicId => opt_s(t.forum_topic_id),
        K::ForumId => opt_s(t.forum_id),
        K::SiteId => json!(t.site_id),
        K::Subordinate => yn(st.is_subordinate_task(t, u)),
        K::ExchangeModified => date(t.exchange_modified),
        K::ExchangeId => t
            .exchange_id
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null),
        K::OutlookVersion => json!(t.outlook_version.to_string()),
        K::ViewedDate => date(t.viewed_at(u)),
        K::Sorting => opt_i(t.sorting),
        K::DurationFact => opt_i(t.duration_fact),
        K::IsMuted => yn(t.muted_by.contains(&u)),
        K::IsPinned => yn(t.pinned_by.contains(&u)),
        K::IsPinnedInGroup => yn(t.pinned_in_group_by.contains(&u)),
        K::FlowId => opt_s(t.flow_id),
        K::DescriptionInBbcode => yn(t.description_in_bbcode),
        K::Status => s(u64::from(t.status)),
        K::StatusChangedDate => date(Some(t.status_changed)),
        K::DurationPlan => opt_i(t.duration_plan),
        K::DurationType => json!(t.duration_type),
        K::Favorite => yn(t.favorite_of.contains(&u)),
        K::GroupId => s(t.group_id.unwrap_or(0)),
        K::Auditors => json!(t.auditors.iter().map(|a| a.to_string()).collect::<Vec<_>>()),
        K::Accomplices => json!(t
            .accomplices
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()),
        K::Checklist => checklist_map(t, &rights_of(r)),
        K::Group => t
            .group_id
            .and_then(|g| st.group(g))
            .map(group_obj)
            .unwrap_or_else(|| json!([])),
        K::Creator => user_obj(st, t.created_by),
        K::Responsible => user_obj(st, t.responsible_id),
        K::AccomplicesData => users_map(st, &t.accomplices),
        K::AuditorsData => users_map(st, &t.auditors),
        K::NewCommentsCount => json!(t.new_comments_for(u)),
        K::Action => action(&rights_of(r)),
        K::CheckListTree => checklist_tree(t, u, &rights_of(r)),
        K::CheckListCanAdd => json!(rights_of(r).checklist_add),
        K::UfCrmTask => json!(t.crm_items),
        K::UfTaskWebdavFiles => json!(t.files),
        K::UfMailMessage => opt_s(t.mail_message),
        K::LengthDeadline => s(u64::from(t.deadline.is_some())),
        K::TaskRequireResult => yn(t.require_result),
        K::TaskHasOpenResult => yn(st.results_of(t.id).iter().any(|x| !x.closed)),
        K::TaskHasResult => yn(!st.results_of(t.id).is_empty()),
        K::TimeElapsed => opt_i(t.time_spent),
        K::TimerIsRunningForCurrentUser => yn(false),
        K::ParsedDescription => json!(if t.description_in_bbcode {
            bbcode::to_html(&t.description)
        } else {
            t.description.clone()
        }),
        K::Counter => counter(ctx, t),
        K::Tags => tags(st, t),
        K::SubStatus => json!(sub_status(t, u, st.now).to_string()),
    }
}

/// The object with `keys`, in that order.
pub fn render(ctx: &Ctx, t: &Task, keys: &[K]) -> Value {
    let mut r = None;
    let mut m = Map::with_capacity(keys.len());
    for k in keys {
        m.insert(k.name().to_string(), value(ctx, t, *k, &mut r));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::keys::FULL;

    #[test]
    fn full_objects_have_the_documented_types() {
        let store = Store::seeded(42, 140);
        let ctx = Ctx {
            store: &store,
            caller: 1,
            list: false,
        };
        for t in store.tasks.values() {
            let v = render(&ctx, t, &FULL);
            for k in [
                "id",
                "createdBy",
                "responsibleId",
                "status",
                "priority",
                "groupId",
                "stageId",
                "closedBy",
                "timeEstimate",
                "outlookVersion",
            ] {
                assert!(v[k].is_string(), "{k} of {}", t.id);
            }
            assert!(v["chatId"].is_u64() && v["newCommentsCount"].is_u64());
            assert!(v["checkListCanAdd"].is_boolean());
            assert_eq!(v["action"].as_object().map(|m| m.len()), Some(27));
            for k in ["group", "accomplicesData", "auditorsData", "checklist"] {
                assert!(v[k] == json!([]) || v[k].is_object(), "{k}");
            }
            assert_eq!(v["notViewed"] == "Y", t.not_viewed_by(1));
        }
    }

    #[test]
    fn sub_status_meta_codes() {
        let store = Store::seeded(42, 140);
        let now = store.now;
        let mut t = store
            .tasks
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| panic!("seeded"));
        t.status = 3;
        t.deadline = Some(now - 1);
        assert_eq!(sub_status(&t, 1, now), -1);
        t.deadline = Some(now + 3600);
        assert_eq!(sub_status(&t, 1, now), -3);
        t.status = 2;
        t.created_by = 5;
        t.viewed.clear();
        assert_eq!(sub_status(&t, 1, now), -2);
        t.deadline = None;
        t.viewed.push((1, now));
        assert_eq!(sub_status(&t, 1, now), 2);
    }
}
