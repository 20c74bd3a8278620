//! A task and its related objects as the REST 3.0 pages print them: JSON integers and
//! booleans, dates ISO-8601 in the portal offset, enums by name (`priority` `average`,
//! `status` `pending`, `mark` `none`), per-user flags as `[caller]` or `[]`, keys in the
//! object's field order.

use super::dto::{Dto, Field, Kind};
use super::select::Selection;
use crate::clock::iso;
use crate::store::{rights, File, Group, Mark, Rights, Store, Task};
use serde_json::{json, Map, Value};
use std::cell::OnceCell;
use std::collections::HashSet;

pub fn status_name(code: u8) -> &'static str {
    match code {
        3 => "in_progress",
        4 => "supposedly_completed",
        5 => "completed",
        6 => "deferred",
        7 => "declined",
        _ => "pending",
    }
}

pub fn status_code(name: &str) -> Option<u8> {
    Some(match name {
        "pending" => 2,
        "in_progress" => 3,
        "supposedly_completed" => 4,
        "completed" => 5,
        "deferred" => 6,
        "declined" => 7,
        _ => return None,
    })
}

pub fn priority_name(code: u8) -> &'static str {
    match code {
        0 => "low",
        2 => "high",
        _ => "average",
    }
}

pub fn mark_name(m: Option<Mark>) -> &'static str {
    match m {
        Some(Mark::Positive) => "positive",
        Some(Mark::Negative) => "negative",
        None => "none",
    }
}

/// Who is looking, with per-request indexes built on first use.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub caller: u64,
    parents: OnceCell<HashSet<u64>>,
    related: OnceCell<HashSet<u64>>,
}

impl<'a> Ctx<'a> {
    pub fn new(store: &'a Store, caller: u64) -> Self {
        Ctx {
            store,
            caller,
            parents: OnceCell::new(),
            related: OnceCell::new(),
        }
    }

    /// Tasks that have subtasks.
    fn parents(&self) -> &HashSet<u64> {
        self.parents.get_or_init(|| {
            self.store
                .tasks
                .values()
                .filter_map(|t| t.parent_id)
                .collect()
        })
    }

    /// Tasks some other task depends on.
    fn depended_on(&self) -> &HashSet<u64> {
        self.related.get_or_init(|| {
            self.store
                .tasks
                .values()
                .flat_map(|t| t.depends_on.iter().copied())
                .collect()
        })
    }
}

fn opt(n: Option<u64>) -> Value {
    n.map(|n| json!(n)).unwrap_or(Value::Null)
}

fn date(ts: Option<i64>) -> Value {
    ts.map(|t| json!(iso(t))).unwrap_or(Value::Null)
}

fn member(list: &[u64], caller: u64) -> Value {
    if list.contains(&caller) {
        json!([caller])
    } else {
        json!([])
    }
}

/// The `rights` object, keys as the get example lists them.
pub fn rights_obj(r: &Rights) -> Value {
    let pairs: [(&str, bool); 45] = [
        ("read", r.read),
        ("watch", r.read),
        ("mute", r.read),
        ("createResult", r.create_result),
        ("edit", r.edit),
        ("remove", r.remove),
        ("complete", r.complete),
        ("approve", r.approve),
        ("disapprove", r.disapprove),
        ("start", r.start),
        ("take", r.take),
        ("delegate", r.delegate),
        ("defer", r.defer),
        ("renew", r.renew),
        ("deadline", r.change_deadline),
        ("datePlan", r.edit_plan),
        ("changeDirector", r.change_director),
        ("changeResponsible", r.change_responsible),
        ("changeAccomplices", r.change_accomplices),
        ("pause", r.pause),
        ("timeTracking", r.timer),
        ("mark", r.rate),
        ("changeStatus", r.change_status),
        ("reminder", r.read),
        ("addAuditors", r.read),
        ("elapsedTime", r.elapsed_time),
        ("favorite", r.favorite),
        ("checklistAdd", r.checklist_add),
        ("checklistEdit", r.checklist_edit),
        ("checklistSave", r.checklist_edit),
        ("checklistToggle", r.checklist_toggle),
        ("automate", r.automate),
        ("resultEdit", r.result_edit),
        ("completeResult", r.complete_result),
        ("removeResult", r.result_edit),
        ("resultRead", r.result_read),
        ("admin", r.admin),
        ("createSubtask", r.create_subtask),
        ("copy", r.read),
        ("saveAsTemplate", r.read),
        ("attachFile", r.attach_file),
        ("detachFile", r.attach_file),
        ("detachParent", r.detach_parent),
        ("createGanttDependence", r.gantt),
        ("sort", r.sort),
    ];
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), json!(v)))
            .collect(),
    )
}

/// A signature-like hex string derived from an id (stable, not secret).
fn signature(id: u64) -> String {
    let mut h = id ^ 0xA5A5_5A5A_0F0F_F0F0;
    let mut out = String::with_capacity(64);
    for _ in 0..4 {
        h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ id;
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// Renders `fields` of an object in field order, asking `value` for scalars and
/// `relation` for related objects.
fn object(
    fields: &[Field],
    sel: &Selection,
    mut value: impl FnMut(&str) -> Value,
    mut relation: impl FnMut(&str, &Selection) -> Value,
) -> Value {
    let mut m = Map::new();
    for f in fields {
        match f.kind {
            Kind::Scalar(_) if sel.has(f.name) => {
                m.insert(f.name.into(), value(f.name));
            }
            Kind::Relation { .. } => {
                if let Some(sub) = sel.related(f.name) {
                    m.insert(f.name.into(), relation(f.name, sub));
                } else if sel.has(f.name) {
                    m.insert(f.name.into(), value(f.name));
                }
            }
            _ => {}
        }
    }
    Value::Object(m)
}

pub fn file(f: Option<&File>, sel: &Selection) -> Value {
    let Some(f) = f else { return Value::Null };
    object(
        Dto::File.fields(),
        sel,
        |name| match name {
            "id" => json!(f.id),
            "src" => json!(f.src()),
            "name" => json!(f.name),
            "width" => json!(f.width),
            "height" => json!(f.height),
            "size" => json!(f.size),
            "subDir" => json!(f.sub_dir),
            "contentType" => json!(f.content_type),
            _ => Value::Null,
        },
        |_, _| Value::Null,
    )
}

pub fn user(store: &Store, id: Option<u64>, sel: &Selection) -> Value {
    let Some(id) = id else { return Value::Null };
    let u = store.user(id);
    object(
        Dto::User.fields(),
        sel,
        |name| match name {
            "id" => json!(id),
            "name" => json!(u.map(|u| u.full_name()).unwrap_or_default()),
            "role" => json!(if id == crate::store::ADMIN_ID {
                "admin"
            } else {
                "employee"
            }),
            "gender" => u
                .and_then(|u| u.gender)
                .map(|g| json!(g.to_string()))
                .unwrap_or(Value::Null),
            "email" => u.map(|u| json!(u.email)).unwrap_or(Value::Null),
            "rights" => json!([]),
            _ => Value::Null,
        },
        |name, sub| match name {
            "image" => file(u.and_then(|u| u.photo.as_ref()), sub),
            _ => Value::Null,
        },
    )
}

fn group(g: Option<&Group>, sel: &Selection) -> Value {
    let Some(g) = g else { return Value::Null };
    object(
        Dto::Group.fields(),
        sel,
        |name| match name {
            "id" => json!(g.id),
            "name" => json!(g.name),
            "type" => json!(match g.kind {
                crate::store::GroupKind::Group => "group",
                crate::store::GroupKind::Project => "project",
                crate::store::GroupKind::Scrum => "scrum",
            }),
            "isVisible" => json!(g.visible),
            _ => Value::Null,
        },
        |name, sub| match name {
            "image" => file(g.image.as_ref(), sub),
            _ => Value::Null,
        },
    )
}

fn related(ctx: &Ctx, t: &Task, name: &str, sel: &Selection, depth: usize) -> Value {
    let st = ctx.store;
    let simple = |dto: Dto, value: &dyn Fn(&str) -> Value| {
        object(dto.fields(), sel, value, |_, _| Value::Null)
    };
    match name {
        "creator" => user(st, Some(t.created_by), sel),
        "responsible" => user(st, Some(t.responsible_id), sel),
        "changedBy" => user(st, Some(t.changed_by), sel),
        "statusChangedBy" => user(st, t.status_changed_by, sel),
        "closedBy" => user(st, t.closed_by, sel),
        "accomplices" => Value::Array(
            t.accomplices
                .iter()
                .map(|u| user(st, Some(*u), sel))
                .collect(),
        ),
        "auditors" => Value::Array(t.auditors.iter().map(|u| user(st, Some(*u), sel)).collect()),
        "group" => group(t.group_id.and_then(|g| st.group(g)), sel),
        "stage" => match t.stage_id.and_then(|s| st.stage(s)) {
            None => Value::Null,
            Some(s) => simple(Dto::Stage, &|n| match n {
                "id" => json!(s.id),
                "title" => json!(s.title),
                "color" => json!(s.color),
                _ => Value::Null,
            }),
        },
        "flow" => match t.flow_id.and_then(|f| st.flow(f)) {
            None => Value::Null,
            Some(f) => simple(Dto::Flow, &|n| match n {
                "id" => json!(f.id),
                "name" => json!(f.name),
                _ => Value::Null,
            }),
        },
        "chat" => match t.chat_id {
            None => Value::Null,
            Some(c) => simple(Dto::Chat, &|n| match n {
                "id" => json!(c),
                "entityId" => json!(t.id),
                "entityType" => json!("TASKS_TASK"),
                _ => Value::Null,
            }),
        },
        "parent" => match t.parent_id.and_then(|p| st.tasks.get(&p)) {
            Some(p) if depth < 4 && st.can_read(p, ctx.caller) => task_at(ctx, p, sel, depth + 1),
            _ => Value::Null,
        },
        "forkedByTemplate" => match t.forked_by_template_id {
            None => Value::Null,
            Some(id) => object(
                Dto::Template.fields(),
                sel,
                |n| match n {
                    "id" => json!(id),
                    "title" => json!(format!("Template {id}")),
                    "description" => json!(""),
                    "replicate" => json!(false),
                    "priority" => json!("average"),
                    "checklist" | "accomplices" | "auditors" | "responsibleCollection" => json!([]),
                    _ => Value::Null,
                },
                |_, _| Value::Null,
            ),
        },
        "email" => match t.mail_message {
            None => Value::Null,
            Some(id) => simple(Dto::Email, &|n| match n {
                "id" => json!(id),
                "taskId" => json!(t.id),
                "mailboxId" => json!(1),
                "title" => json!(format!("Re: {}", t.title)),
                "body" => json!(""),
                "from" => json!("client@example.test"),
                "dateTs" => json!(t.created),
                "link" => json!(format!("/mail/message/{id}")),
                _ => Value::Null,
            }),
        },
        "elapsedTime" => match t.time_spent {
            None => Value::Null,
            Some(secs) => simple(Dto::ElapsedTime, &|n| match n {
                "id" => json!(t.id),
                "userId" => json!(t.responsible_id),
                "taskId" => json!(t.id),
                "minutes" => json!(secs / 60),
                "seconds" => json!(secs),
                "source" => json!("manual"),
                "text" => json!(""),
                "createdAtTs" => json!(t.changed),
                "startTs" => json!(t.changed - secs),
                "stopTs" => json!(t.changed),
                _ => Value::Null,
            }),
        },
        "source" => simple(Dto::Source, &|n| match n {
            "type" => json!(if t.crm_scenario { "crm" } else { "default" }),
            "data" => json!([]),
            _ => Value::Null,
        }),
        _ => Value::Null,
    }
}

fn scalar(ctx: &Ctx, t: &Task, name: &str, r: &mut Option<Rights>) -> Value {
    let st = ctx.store;
    let u = ctx.caller;
    let id = |n: u64| json!(n);
    match name {
        "id" => id(t.id),
        "title" => json!(t.title),
        "description" => json!(t.description),
        "creatorId" => id(t.created_by),
        "created" => date(Some(t.created)),
        "responsibleId" => id(t.responsible_id),
        "deadline" => date(t.deadline),
        "needsControl" => json!(t.task_control),
        "startPlan" => date(t.start_plan),
        "endPlan" => date(t.end_plan),
        "fileIds" => {
            if t.files.is_empty() {
                Value::Null
            } else {
                json!(t.files)
            }
        }
        "checklist" => json!(t.checklist.iter().map(|i| i.id).collect::<Vec<_>>()),
        "groupId" => opt(t.group_id),
        "stageId" => opt(t.stage_id),
        "epicId" => opt(t.epic_id),
        "storyPoints" => t.story_points.map(|n| json!(n)).unwrap_or(Value::Null),
        "flowId" => opt(t.flow_id),
        "priority" => json!(priority_name(t.priority)),
        "status" => json!(status_name(t.status)),
        "statusChanged" => date(Some(t.status_changed)),
        "parentId" => opt(t.parent_id),
        "containsChecklist" => json!(!t.checklist.is_empty()),
        "containsSubTasks" => json!(ctx.parents().contains(&t.id)),
        "containsRelatedTasks" => json!(!t.depends_on.is_empty() || ctx.depended_on().contains(&t.id)),
        "containsGanttLinks" => json!(false),
        "containsPlacements" => json!(t.contains_placements),
        "containsResults" => json!(!st.results_of(t.id).is_empty()),
        "numberOfReminders" => json!(t.reminders),
        "chatId" => opt(t.chat_id),
        "plannedDuration" => json!(t.duration_plan.unwrap_or(0)),
        "actualDuration" => json!(t.duration_fact.unwrap_or(0)),
        "durationType" => json!(t.duration_type),
        "started" => date(t.started),
        "estimatedTime" => json!(t.time_estimate),
        "replicate" => json!(t.replicate),
        "changed" => date(Some(t.changed)),
        "changedById" => id(t.changed_by),
        "statusChangedById" => opt(t.status_changed_by),
        "closedById" => opt(t.closed_by),
        "closed" => date(t.closed),
        "activity" => date(Some(t.activity)),
        "guid" => json!(t.guid),
        "xmlId" => t.xml_id.clone().map(Value::String).unwrap_or(Value::Null),
        "exchangeId" => t.exchange_id.clone().map(Value::String).unwrap_or(Value::Null),
        "exchangeModified" => date(t.exchange_modified),
        "outlookVersion" => json!(t.outlook_version),
        "mark" => json!(mark_name(t.mark)),
        "allowsChangeDeadline" => json!(t.allow_change_deadline),
        "allowsTimeTracking" => json!(t.allow_time_tracking),
        "matchesWorkTime" => json!(t.match_work_time),
        // both examples print null for a task not in the report
        "addInReport" => {
            if t.add_in_report {
                json!(true)
            } else {
                Value::Null
            }
        }
        "isMultitask" => json!(t.multitask),
        "siteId" => json!(t.site_id),
        "forumTopicId" => opt(t.forum_topic_id),
        "forkedByTemplateId" => opt(t.forked_by_template_id),
        "link" => json!(format!("/company/personal/user/{u}/tasks/task/view/{}/", t.id)),
        "rights" => rights_obj(r.get_or_insert_with(|| rights(st, t, u))),
        "archiveLink" => json!(format!(
            "/bitrix/tools/disk/uf.php?entityId={}&entity=TASKS_TASK&fieldName=UF_TASK_WEBDAV_FILES&signature={}&action=downloadArchiveByEntity&ncc=1",
            t.id,
            signature(t.id)
        )),
        "crmItemIds" => json!(t.crm_items),
        "emailId" => opt(t.mail_message),
        "requireResult" => json!(t.require_result),
        "matchesSubTasksTime" => json!(t.matches_subtasks_time),
        "autocompleteSubTasks" => json!(t.autocomplete_subtasks),
        "allowsChangeDatePlan" => json!(t.allows_change_date_plan),
        "requireDeadlineChangeReason" => json!(false),
        "inFavorite" => member(&t.favorite_of, u),
        "inPin" => member(&t.pinned_by, u),
        "inGroupPin" => member(&t.pinned_in_group_by, u),
        "inMute" => member(&t.muted_by, u),
        "dependsOn" => json!(t.depends_on),
        "scenarios" => json!([if t.crm_scenario { "crm" } else { "default" }]),
        // deadlineCount, declineReason, maxDeadlineChangeDate, maxDeadlineChanges
        _ => Value::Null,
    }
}

fn task_at(ctx: &Ctx, t: &Task, sel: &Selection, depth: usize) -> Value {
    let mut r = None;
    let mut m = Map::new();
    for f in Dto::Task.fields() {
        match f.kind {
            Kind::Scalar(_) if sel.has(f.name) => {
                m.insert(f.name.into(), scalar(ctx, t, f.name, &mut r));
            }
            Kind::Relation { .. } => {
                if let Some(sub) = sel.related(f.name) {
                    m.insert(f.name.into(), related(ctx, t, f.name, sub, depth));
                }
            }
            _ => {}
        }
    }
    Value::Object(m)
}

/// One task with the fields of `sel`.
pub fn task(ctx: &Ctx, t: &Task, sel: &Selection) -> Value {
    task_at(ctx, t, sel, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_answers_have_the_example_types() {
        let store = Store::seeded(42, 140);
        let ctx = Ctx::new(&store, 1);
        for t in store.tasks.values() {
            let v = task(&ctx, t, &Selection::basic());
            assert!(v["id"].is_u64() && v["title"].is_string());
            assert!(v["needsControl"].is_boolean() && v["replicate"].is_boolean());
            assert!(matches!(
                v["priority"].as_str(),
                Some("low" | "average" | "high")
            ));
            assert!(v["status"].is_string() && v["mark"].is_string());
            assert!(v["checklist"].is_array() && v["scenarios"].is_array());
            assert_eq!(v["rights"].as_object().map(|m| m.len()), Some(45));
            assert!(v.get("notViewed").is_none() && v.get("commentsCount").is_none());
            assert_eq!(v["containsChecklist"], json!(!t.checklist.is_empty()));
        }
    }

    #[test]
    fn status_names_round_trip() {
        for c in crate::store::STATUSES {
            assert_eq!(status_code(status_name(c)), Some(c));
        }
        assert_eq!(status_code("nope"), None);
    }
}
