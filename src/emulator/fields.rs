//! The task field table: one row per field, naming it in v2 (request name and answer key)
//! and in v3, with its value kind and v3 metadata (sortable, filterable, editable, basic
//! set). v2 rendering, v3 rendering, `tasks.task.field.list` and the OpenAPI document all
//! read this table, so the two versions cannot drift apart.

use super::store::{Store, Task};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum F {
    Id,
    ParentId,
    Title,
    Description,
    ChatId,
    Mark,
    Priority,
    Multitask,
    Replicate,
    StageId,
    CreatedBy,
    Created,
    ResponsibleId,
    Accomplices,
    Auditors,
    ChangedBy,
    Changed,
    StatusChangedBy,
    StatusChanged,
    ClosedBy,
    Closed,
    Activity,
    Started,
    Deadline,
    StartPlan,
    EndPlan,
    Guid,
    XmlId,
    AllowChangeDeadline,
    AllowTimeTracking,
    TaskControl,
    AddInReport,
    ForkedByTemplateId,
    TimeEstimate,
    MatchWorkTime,
    SiteId,
    ExchangeModified,
    ExchangeId,
    OutlookVersion,
    DurationPlan,
    DurationFact,
    DurationType,
    Muted,
    Pinned,
    PinnedInGroup,
    Favorite,
    FlowId,
    Status,
    GroupId,
    Checklist,
    CrmItems,
    RequireResult,
    MatchesSubTasksTime,
    AutocompleteSubTasks,
    Rights,
}

/// How a value is typed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Integer or null: v2 `"12"`/`null`, v3 `12`/`null`.
    OptInt,
    /// Reference id whose absence v2 writes as `"0"`: v2 `"12"`/`"0"`, v3 `12`/`null`.
    IdZero,
    /// Integer: v2 `"12"`, v3 `12`.
    Int,
    /// Integer that v2 also renders as a JSON number (`chatId`).
    RealInt,
    Text,
    OptText,
    /// v2 `"Y"`/`"N"`, v3 boolean.
    Flag,
    /// ISO-8601 or null in both.
    Date,
    Status,
    Priority,
    Mark,
    /// User ids: v2 `["3"]`; v3 writes ids and reads user objects.
    Users,
    /// Per-user membership: v2 `"Y"`/`"N"` for the caller, v3 `[caller]`/`[]`.
    Member,
    /// Always empty here: v2 `[]`, v3 `[]`.
    Checklist,
    /// Array of strings in both (CRM bindings).
    Strings,
    /// v3 `rights` object (v2 renders it as `action`).
    Rights,
}

pub struct FieldDef {
    pub f: F,
    /// v2 request name (select, fields, order); `""` when the field has none.
    pub v2: &'static str,
    /// v2 answer key; `""` when v2 does not render it.
    pub key: &'static str,
    /// v3 name.
    pub v3: &'static str,
    pub kind: Kind,
    pub title: &'static str,
    /// Part of v2's "all standard fields".
    pub v2_std: bool,
    pub sortable: bool,
    pub filterable: bool,
    pub editable: bool,
    /// In the v3 basic set (get/add without select).
    pub basic: bool,
}

const fn d(
    f: F,
    v2: &'static str,
    key: &'static str,
    v3: &'static str,
    kind: Kind,
    title: &'static str,
    flags: &'static str,
) -> FieldDef {
    // flags: s = v2 standard, o = sortable, f = filterable, e = editable, b = basic
    let b = flags.as_bytes();
    let mut i = 0;
    let (mut std, mut so, mut fi, mut ed, mut ba) = (false, false, false, false, false);
    while i < b.len() {
        match b[i] {
            b's' => std = true,
            b'o' => so = true,
            b'f' => fi = true,
            b'e' => ed = true,
            b'b' => ba = true,
            _ => {}
        }
        i += 1;
    }
    FieldDef {
        f,
        v2,
        key,
        v3,
        kind,
        title,
        v2_std: std,
        sortable: so,
        filterable: fi,
        editable: ed,
        basic: ba,
    }
}

use Kind as K;

/// Every task field, in the canonical order of both versions' answers.
pub static FIELDS: [FieldDef; 55] = [
    d(F::Id, "ID", "id", "id", K::Int, "ID", "sofb"),
    d(
        F::ParentId,
        "PARENT_ID",
        "parentId",
        "parentId",
        K::OptInt,
        "Parent task",
        "seb",
    ),
    d(
        F::Title,
        "TITLE",
        "title",
        "title",
        K::Text,
        "Title",
        "soeb",
    ),
    d(
        F::Description,
        "DESCRIPTION",
        "description",
        "description",
        K::Text,
        "Description",
        "seb",
    ),
    d(
        F::ChatId,
        "CHAT_ID",
        "chatId",
        "chatId",
        K::RealInt,
        "Chat",
        "sb",
    ),
    d(F::Mark, "MARK", "mark", "mark", K::Mark, "Mark", "soeb"),
    d(
        F::Priority,
        "PRIORITY",
        "priority",
        "priority",
        K::Priority,
        "Priority",
        "soeb",
    ),
    d(
        F::Multitask,
        "MULTITASK",
        "multitask",
        "isMultitask",
        K::Flag,
        "Multitask",
        "sb",
    ),
    d(
        F::Replicate,
        "REPLICATE",
        "replicate",
        "replicate",
        K::Flag,
        "Repeating task",
        "seb",
    ),
    d(
        F::StageId,
        "STAGE_ID",
        "stageId",
        "stageId",
        K::IdZero,
        "Stage",
        "se",
    ),
    d(
        F::CreatedBy,
        "CREATED_BY",
        "createdBy",
        "creatorId",
        K::Int,
        "Creator",
        "so",
    ),
    d(
        F::Created,
        "CREATED_DATE",
        "createdDate",
        "created",
        K::Date,
        "Created on",
        "so",
    ),
    d(
        F::ResponsibleId,
        "RESPONSIBLE_ID",
        "responsibleId",
        "responsibleId",
        K::Int,
        "Assignee",
        "soe",
    ),
    d(
        F::Accomplices,
        "ACCOMPLICES",
        "accomplices",
        "accomplices",
        K::Users,
        "Participants",
        "se",
    ),
    d(
        F::Auditors,
        "AUDITORS",
        "auditors",
        "auditors",
        K::Users,
        "Observers",
        "se",
    ),
    d(
        F::ChangedBy,
        "CHANGED_BY",
        "changedBy",
        "changedById",
        K::Int,
        "Modified by",
        "s",
    ),
    d(
        F::Changed,
        "CHANGED_DATE",
        "changedDate",
        "changed",
        K::Date,
        "Modified on",
        "sob",
    ),
    d(
        F::StatusChangedBy,
        "STATUS_CHANGED_BY",
        "statusChangedBy",
        "statusChangedById",
        K::OptInt,
        "Status changed by",
        "s",
    ),
    d(
        F::StatusChanged,
        "STATUS_CHANGED_DATE",
        "statusChangedDate",
        "statusChanged",
        K::Date,
        "Status changed on",
        "sb",
    ),
    d(
        F::ClosedBy,
        "CLOSED_BY",
        "closedBy",
        "closedById",
        K::OptInt,
        "Closed by",
        "s",
    ),
    d(
        F::Closed,
        "CLOSED_DATE",
        "closedDate",
        "closed",
        K::Date,
        "Closed on",
        "sob",
    ),
    d(
        F::Activity,
        "ACTIVITY_DATE",
        "activityDate",
        "activity",
        K::Date,
        "Last activity",
        "sob",
    ),
    d(
        F::Started,
        "DATE_START",
        "dateStart",
        "started",
        K::Date,
        "Started on",
        "so",
    ),
    d(
        F::Deadline,
        "DEADLINE",
        "deadline",
        "deadline",
        K::Date,
        "Deadline",
        "soeb",
    ),
    d(
        F::StartPlan,
        "START_DATE_PLAN",
        "startDatePlan",
        "startPlan",
        K::Date,
        "Planned start",
        "soeb",
    ),
    d(
        F::EndPlan,
        "END_DATE_PLAN",
        "endDatePlan",
        "endPlan",
        K::Date,
        "Planned finish",
        "soeb",
    ),
    d(F::Guid, "GUID", "guid", "guid", K::Text, "GUID", "s"),
    d(
        F::XmlId,
        "XML_ID",
        "xmlId",
        "xmlId",
        K::OptText,
        "External id",
        "se",
    ),
    d(
        F::AllowChangeDeadline,
        "ALLOW_CHANGE_DEADLINE",
        "allowChangeDeadline",
        "allowsChangeDeadline",
        K::Flag,
        "Assignee can change deadline",
        "soeb",
    ),
    d(
        F::AllowTimeTracking,
        "ALLOW_TIME_TRACKING",
        "allowTimeTracking",
        "allowsTimeTracking",
        K::Flag,
        "Time tracking",
        "soeb",
    ),
    d(
        F::TaskControl,
        "TASK_CONTROL",
        "taskControl",
        "needsControl",
        K::Flag,
        "Review on completion",
        "seb",
    ),
    d(
        F::AddInReport,
        "ADD_IN_REPORT",
        "addInReport",
        "addInReport",
        K::Flag,
        "Add to report",
        "se",
    ),
    d(
        F::ForkedByTemplateId,
        "FORKED_BY_TEMPLATE_ID",
        "forkedByTemplateId",
        "forkedByTemplateId",
        K::OptInt,
        "Created from template",
        "s",
    ),
    d(
        F::TimeEstimate,
        "TIME_ESTIMATE",
        "timeEstimate",
        "estimatedTime",
        K::Int,
        "Estimated time, s",
        "soeb",
    ),
    d(
        F::MatchWorkTime,
        "MATCH_WORK_TIME",
        "matchWorkTime",
        "matchesWorkTime",
        K::Flag,
        "Skip weekends",
        "seb",
    ),
    d(
        F::SiteId,
        "SITE_ID",
        "siteId",
        "siteId",
        K::Text,
        "Site",
        "sb",
    ),
    d(
        F::ExchangeModified,
        "EXCHANGE_MODIFIED",
        "exchangeModified",
        "exchangeModified",
        K::Date,
        "Exchange modified",
        "s",
    ),
    d(
        F::ExchangeId,
        "EXCHANGE_ID",
        "exchangeId",
        "exchangeId",
        K::OptText,
        "Exchange id",
        "s",
    ),
    d(
        F::OutlookVersion,
        "OUTLOOK_VERSION",
        "outlookVersion",
        "outlookVersion",
        K::Int,
        "Outlook version",
        "s",
    ),
    d(
        F::DurationPlan,
        "DURATION_PLAN",
        "durationPlan",
        "plannedDuration",
        K::OptInt,
        "Planned duration",
        "se",
    ),
    d(
        F::DurationFact,
        "DURATION_FACT",
        "durationFact",
        "actualDuration",
        K::OptInt,
        "Actual duration",
        "s",
    ),
    d(
        F::DurationType,
        "DURATION_TYPE",
        "durationType",
        "durationType",
        K::Text,
        "Duration unit",
        "seb",
    ),
    d(
        F::Muted,
        "IS_MUTED",
        "isMuted",
        "inMute",
        K::Member,
        "Muted",
        "sb",
    ),
    d(
        F::Pinned,
        "IS_PINNED",
        "isPinned",
        "inPin",
        K::Member,
        "Pinned",
        "sb",
    ),
    d(
        F::PinnedInGroup,
        "IS_PINNED_IN_GROUP",
        "isPinnedInGroup",
        "inGroupPin",
        K::Member,
        "Pinned in group",
        "sb",
    ),
    d(
        F::Favorite,
        "FAVORITE",
        "favorite",
        "inFavorite",
        K::Member,
        "In favourites",
        "b",
    ),
    d(
        F::FlowId,
        "FLOW_ID",
        "flowId",
        "flowId",
        K::OptInt,
        "Flow",
        "s",
    ),
    d(
        F::Status,
        "STATUS",
        "status",
        "status",
        K::Status,
        "Status",
        "soeb",
    ),
    d(
        F::GroupId,
        "GROUP_ID",
        "groupId",
        "groupId",
        K::IdZero,
        "Group",
        "soe",
    ),
    d(
        F::Checklist,
        "CHECKLIST",
        "checklist",
        "checklist",
        K::Checklist,
        "Checklist",
        "sb",
    ),
    d(
        F::CrmItems,
        "UF_CRM_TASK",
        "ufCrmTask",
        "crmItemIds",
        K::Strings,
        "CRM items",
        "eb",
    ),
    d(
        F::RequireResult,
        "",
        "",
        "requireResult",
        K::Flag,
        "Result required",
        "eb",
    ),
    d(
        F::MatchesSubTasksTime,
        "",
        "",
        "matchesSubTasksTime",
        K::Flag,
        "Dates follow subtasks",
        "e",
    ),
    d(
        F::AutocompleteSubTasks,
        "",
        "",
        "autocompleteSubTasks",
        K::Flag,
        "Complete with subtasks",
        "e",
    ),
    d(F::Rights, "", "", "rights", K::Rights, "Rights", ""),
];

pub fn by_f(f: F) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|d| d.f == f)
}

/// A v2 request name, any case.
pub fn by_v2(name: &str) -> Option<&'static FieldDef> {
    let up = name.to_ascii_uppercase();
    FIELDS.iter().find(|d| !d.v2.is_empty() && d.v2 == up)
}

pub fn by_v3(name: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|d| d.v3 == name)
}

/// A field's value, independent of version.
#[derive(Debug, Clone, PartialEq)]
pub enum Nv {
    Opt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Flag(bool),
    Date(Option<i64>),
    Code(u8),
    Mark(Option<char>),
    Ids(Vec<u64>),
    Strs(Vec<String>),
    /// Fields computed at render time (rights, checklist).
    Computed,
}

fn i(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

fn oi(x: Option<u64>) -> Nv {
    Nv::Opt(x.map(i))
}

pub fn get(t: &Task, f: F) -> Nv {
    match f {
        F::Id => oi(Some(t.id)),
        F::ParentId => oi(t.parent_id),
        F::Title => Nv::Text(t.title.clone()),
        F::Description => Nv::Text(t.description.clone()),
        F::ChatId => oi(t.chat_id),
        F::Mark => Nv::Mark(t.mark),
        F::Priority => Nv::Code(t.priority),
        F::Multitask => Nv::Flag(t.multitask),
        F::Replicate => Nv::Flag(t.replicate),
        F::StageId => oi(t.stage_id),
        F::CreatedBy => oi(Some(t.created_by)),
        F::Created => Nv::Date(Some(t.created)),
        F::ResponsibleId => oi(Some(t.responsible_id)),
        F::Accomplices => Nv::Ids(t.accomplices.clone()),
        F::Auditors => Nv::Ids(t.auditors.clone()),
        F::ChangedBy => oi(Some(t.changed_by)),
        F::Changed => Nv::Date(Some(t.changed)),
        F::StatusChangedBy => oi(t.status_changed_by),
        F::StatusChanged => Nv::Date(Some(t.status_changed)),
        F::ClosedBy => oi(t.closed_by),
        F::Closed => Nv::Date(t.closed),
        F::Activity => Nv::Date(Some(t.activity)),
        F::Started => Nv::Date(t.started),
        F::Deadline => Nv::Date(t.deadline),
        F::StartPlan => Nv::Date(t.start_plan),
        F::EndPlan => Nv::Date(t.end_plan),
        F::Guid => Nv::Text(t.guid.clone()),
        F::XmlId => Nv::OptText(t.xml_id.clone()),
        F::AllowChangeDeadline => Nv::Flag(t.allow_change_deadline),
        F::AllowTimeTracking => Nv::Flag(t.allow_time_tracking),
        F::TaskControl => Nv::Flag(t.task_control),
        F::AddInReport => Nv::Flag(t.add_in_report),
        F::ForkedByTemplateId => oi(t.forked_by_template_id),
        F::TimeEstimate => Nv::Opt(Some(t.time_estimate)),
        F::MatchWorkTime => Nv::Flag(t.match_work_time),
        F::SiteId => Nv::Text(t.site_id.clone()),
        F::ExchangeModified => Nv::Date(t.exchange_modified),
        F::ExchangeId => Nv::OptText(t.exchange_id.clone()),
        F::OutlookVersion => Nv::Opt(Some(t.outlook_version)),
        F::DurationPlan => Nv::Opt(t.duration_plan),
        F::DurationFact => Nv::Opt(t.duration_fact),
        F::DurationType => Nv::Text(t.duration_type.clone()),
        F::Muted => Nv::Ids(t.muted_by.clone()),
        F::Pinned => Nv::Ids(t.pinned_by.clone()),
        F::PinnedInGroup => Nv::Ids(t.pinned_in_group_by.clone()),
        F::Favorite => Nv::Ids(t.favorite_of.clone()),
        F::FlowId => oi(t.flow_id),
        F::Status => Nv::Code(t.status),
        F::GroupId => oi(t.group_id),
        F::Checklist | F::Rights => Nv::Computed,
        F::CrmItems => Nv::Strs(t.crm_items.clone()),
        F::RequireResult => Nv::Flag(t.require_result),
        F::MatchesSubTasksTime => Nv::Flag(t.matches_subtasks_time),
        F::AutocompleteSubTasks => Nv::Flag(t.autocomplete_subtasks),
    }
}

fn uid(n: Option<i64>) -> Option<u64> {
    n.and_then(|v| u64::try_from(v).ok()).filter(|v| *v > 0)
}

/// Writes one already-validated value. Returns false if the field is not writable.
pub fn set(t: &mut Task, f: F, v: Nv) -> bool {
    match (f, v) {
        (F::Title, Nv::Text(s)) => t.title = s,
        (F::Description, Nv::Text(s)) => t.description = s,
        (F::ParentId, Nv::Opt(n)) => t.parent_id = uid(n),
        (F::Mark, Nv::Mark(m)) => t.mark = m,
        (F::Priority, Nv::Code(c)) => t.priority = c,
        (F::Replicate, Nv::Flag(b)) => t.replicate = b,
        (F::StageId, Nv::Opt(n)) => t.stage_id = uid(n),
        (F::CreatedBy, Nv::Opt(n)) => t.created_by = uid(n).unwrap_or(t.created_by),
        (F::ResponsibleId, Nv::Opt(n)) => t.responsible_id = uid(n).unwrap_or(t.responsible_id),
        (F::Accomplices, Nv::Ids(v)) => t.accomplices = v,
        (F::Auditors, Nv::Ids(v)) => t.auditors = v,
        (F::Deadline, Nv::Date(d)) => t.deadline = d,
        (F::StartPlan, Nv::Date(d)) => t.start_plan = d,
        (F::EndPlan, Nv::Date(d)) => t.end_plan = d,
        (F::XmlId, Nv::OptText(s)) => t.xml_id = s,
        (F::AllowChangeDeadline, Nv::Flag(b)) => t.allow_change_deadline = b,
        (F::AllowTimeTracking, Nv::Flag(b)) => t.allow_time_tracking = b,
        (F::TaskControl, Nv::Flag(b)) => t.task_control = b,
        (F::AddInReport, Nv::Flag(b)) => t.add_in_report = b,
        (F::TimeEstimate, Nv::Opt(n)) => t.time_estimate = n.unwrap_or(0),
        (F::MatchWorkTime, Nv::Flag(b)) => t.match_work_time = b,
        (F::DurationPlan, Nv::Opt(n)) => t.duration_plan = n,
        (F::DurationType, Nv::Text(s)) => t.duration_type = s,
        (F::Status, Nv::Code(c)) => t.status = c,
        (F::GroupId, Nv::Opt(n)) => t.group_id = uid(n),
        (F::CrmItems, Nv::Strs(v)) => t.crm_items = v,
        (F::RequireResult, Nv::Flag(b)) => t.require_result = b,
        (F::MatchesSubTasksTime, Nv::Flag(b)) => t.matches_subtasks_time = b,
        (F::AutocompleteSubTasks, Nv::Flag(b)) => t.autocomplete_subtasks = b,
        _ => return false,
    }
    true
}

/// A comparable scalar for sorting and filtering.
#[derive(Debug, Clone, PartialEq)]
pub enum Sc {
    Null,
    Int(i64),
    Str(String),
}

impl Sc {
    /// NULL first, then numbers, then strings (case-insensitive, as a MySQL `_ci` collation).
    pub fn cmp_to(&self, other: &Sc) -> Ordering {
        match (self, other) {
            (Sc::Null, Sc::Null) => Ordering::Equal,
            (Sc::Null, _) => Ordering::Less,
            (_, Sc::Null) => Ordering::Greater,
            (Sc::Int(a), Sc::Int(b)) => a.cmp(b),
            (Sc::Int(_), Sc::Str(_)) => Ordering::Less,
            (Sc::Str(_), Sc::Int(_)) => Ordering::Greater,
            (Sc::Str(a), Sc::Str(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        }
    }
}

/// The sort key of a field for `caller` (membership fields sort by the caller's flag).
pub fn sort_key(t: &Task, f: F, caller: u64) -> Sc {
    match get(t, f) {
        Nv::Opt(None) | Nv::Date(None) | Nv::Mark(None) | Nv::OptText(None) | Nv::Computed => {
            Sc::Null
        }
        Nv::Opt(Some(n)) | Nv::Date(Some(n)) => Sc::Int(n),
        Nv::Text(s) | Nv::OptText(Some(s)) => Sc::Str(s),
        Nv::Flag(b) => Sc::Int(i64::from(b)),
        Nv::Code(c) => Sc::Int(i64::from(c)),
        Nv::Mark(Some(c)) => Sc::Str(c.to_string()),
        Nv::Ids(v) => Sc::Int(i64::from(v.contains(&caller))),
        Nv::Strs(v) => Sc::Str(v.join(",")),
    }
}

/// Sorts task ids by `(field, descending)` keys, ties broken by id ascending.
pub fn sort_tasks(store: &Store, ids: &mut [u64], keys: &[(SortKey, bool)], caller: u64) {
    ids.sort_by(|a, b| {
        let (Some(ta), Some(tb)) = (store.tasks.get(a), store.tasks.get(b)) else {
            return a.cmp(b);
        };
        for (k, desc) in keys {
            let o = k.key(store, ta, caller).cmp_to(&k.key(store, tb, caller));
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.cmp(b)
    });
}

/// Something a task list can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Field(F),
    CreatorLastName,
    ResponsibleLastName,
    /// Completed tasks after the others.
    StatusComplete,
    /// Constant (no time is logged here, no manual sorting): the id tie-break decides.
    Constant,
}

impl SortKey {
    pub fn key(&self, store: &Store, t: &Task, caller: u64) -> Sc {
        match self {
            SortKey::Field(f) => sort_key(t, *f, caller),
            SortKey::CreatorLastName => Sc::Str(
                store
                    .user(t.created_by)
                    .map(|u| u.last_name.clone())
                    .unwrap_or_default(),
            ),
            SortKey::ResponsibleLastName => Sc::Str(
                store
                    .user(t.responsible_id)
                    .map(|u| u.last_name.clone())
                    .unwrap_or_default(),
            ),
            SortKey::StatusComplete => Sc::Int(if t.status == 5 { 2 } else { 1 }),
            SortKey::Constant => Sc::Null,
        }
    }
}

/// v2 order keys (`tasks.task.list` doc list) → what they sort by.
pub fn v2_sort_key(name: &str) -> Option<SortKey> {
    let f = match name.to_ascii_uppercase().as_str() {
        "ID" => F::Id,
        "TITLE" => F::Title,
        "DATE_START" => F::Started,
        "CREATED_DATE" => F::Created,
        "CHANGED_DATE" => F::Changed,
        "CLOSED_DATE" => F::Closed,
        "ACTIVITY_DATE" => F::Activity,
        "START_DATE_PLAN" => F::StartPlan,
        "END_DATE_PLAN" => F::EndPlan,
        "DEADLINE" => F::Deadline,
        "REAL_STATUS" => F::Status,
        "PRIORITY" => F::Priority,
        "MARK" => F::Mark,
        "GROUP_ID" => F::GroupId,
        "TIME_ESTIMATE" => F::TimeEstimate,
        "ALLOW_CHANGE_DEADLINE" => F::AllowChangeDeadline,
        "ALLOW_TIME_TRACKING" => F::AllowTimeTracking,
        "MATCH_WORK_TIME" => F::MatchWorkTime,
        "FAVORITE" => F::Favorite,
        "IS_PINNED" => F::Pinned,
        "IS_PINNED_IN_GROUP" => F::PinnedInGroup,
        "CREATED_BY_LAST_NAME" => return Some(SortKey::CreatorLastName),
        "RESPONSIBLE_LAST_NAME" => return Some(SortKey::ResponsibleLastName),
        "STATUS_COMPLETE" => return Some(SortKey::StatusComplete),
        "TIME_SPENT_IN_LOGS" | "SORTING" => return Some(SortKey::Constant),
        _ => return None,
    };
    Some(SortKey::Field(f))
}

/// The v2 `action` keys and the v3 right each is read from. `addFavorite`/`favorite.add`
/// additionally require the task not to be a favourite of the caller, the delete pair the
/// opposite; `accept`/`decline` are deprecated and always false.
pub const ACTION_MAP: [(&str, &str); 27] = [
    ("accept", ""),
    ("decline", ""),
    ("complete", "complete"),
    ("approve", "approve"),
    ("disapprove", "disapprove"),
    ("start", "start"),
    ("pause", "pause"),
    ("delegate", "delegate"),
    ("remove", "remove"),
    ("edit", "edit"),
    ("defer", "defer"),
    ("renew", "renew"),
    ("create", "createSubtask"),
    ("changeDeadline", "deadline"),
    ("checklistAddItems", "checklistAdd"),
    ("addFavorite", "favorite+"),
    ("deleteFavorite", "favorite-"),
    ("rate", "mark"),
    ("take", "take"),
    ("edit.originator", "changeDirector"),
    ("checklist.reorder", "checklistEdit"),
    ("elapsedtime.add", "elapsedTime"),
    ("dayplan.timer.toggle", "timeTracking"),
    ("edit.plan", "datePlan"),
    ("checklist.add", "checklistAdd"),
    ("favorite.add", "favorite+"),
    ("favorite.delete", "favorite-"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_unique_and_cover_every_field() {
        for (n, a) in FIELDS.iter().enumerate() {
            for b in FIELDS.iter().skip(n + 1) {
                assert_ne!(a.f, b.f);
                assert_ne!(a.v3, b.v3);
                if !a.v2.is_empty() {
                    assert_ne!(a.v2, b.v2);
                    assert_ne!(a.key, b.key);
                }
            }
        }
        assert_eq!(by_v2("created_by").map(|d| d.v3), Some("creatorId"));
        assert_eq!(by_v3("needsControl").map(|d| d.key), Some("taskControl"));
    }

    #[test]
    fn only_id_is_filterable_and_the_documented_fields_sortable() {
        let filterable: Vec<&str> = FIELDS
            .iter()
            .filter(|d| d.filterable)
            .map(|d| d.v3)
            .collect();
        assert_eq!(filterable, ["id"]);
        let mut sortable: Vec<&str> = FIELDS.iter().filter(|d| d.sortable).map(|d| d.v3).collect();
        sortable.sort_unstable();
        let mut doc = vec![
            "id",
            "title",
            "creatorId",
            "created",
            "responsibleId",
            "deadline",
            "startPlan",
            "endPlan",
            "groupId",
            "priority",
            "status",
            "started",
            "estimatedTime",
            "changed",
            "closed",
            "activity",
            "mark",
            "allowsChangeDeadline",
            "allowsTimeTracking",
        ];
        doc.sort_unstable();
        assert_eq!(sortable, doc);
    }

    #[test]
    fn every_action_key_reads_a_known_right() {
        for (_, r) in ACTION_MAP {
            let r = r.trim_end_matches(['+', '-']);
            assert!(
                r.is_empty() || super::super::store::RIGHTS.contains(&r),
                "{r}"
            );
        }
    }
}
