//! Every key a v2 task object can carry, its `select` name, and the orders the pages show:
//! the full object of the add/update/start/complete examples (fields.md order, with
//! `chatId` after `description` as fields.md lists it and the get page returns it by
//! default), the system UF fields after it, and the extras of the list page.

/// One key of a v2 task object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum K {
    Id,
    ParentId,
    Title,
    Description,
    ChatId,
    Mark,
    Priority,
    Multitask,
    NotViewed,
    Replicate,
    StageId,
    SprintId,
    BacklogId,
    CreatedBy,
    CreatedDate,
    ResponsibleId,
    ChangedBy,
    ChangedDate,
    StatusChangedBy,
    ClosedBy,
    ClosedDate,
    ActivityDate,
    DateStart,
    Deadline,
    StartDatePlan,
    EndDatePlan,
    Guid,
    XmlId,
    CommentsCount,
    ServiceCommentsCount,
    AllowChangeDeadline,
    AllowTimeTracking,
    TaskControl,
    AddInReport,
    ForkedByTemplateId,
    TimeEstimate,
    TimeSpentInLogs,
    MatchWorkTime,
    ForumTopicId,
    ForumId,
    SiteId,
    Subordinate,
    ExchangeModified,
    ExchangeId,
    OutlookVersion,
    ViewedDate,
    Sorting,
    DurationFact,
    IsMuted,
    IsPinned,
    IsPinnedInGroup,
    FlowId,
    DescriptionInBbcode,
    Status,
    StatusChangedDate,
    DurationPlan,
    DurationType,
    Favorite,
    GroupId,
    Auditors,
    Accomplices,
    Checklist,
    Group,
    Creator,
    Responsible,
    AccomplicesData,
    AuditorsData,
    NewCommentsCount,
    Action,
    CheckListTree,
    CheckListCanAdd,
    UfCrmTask,
    UfTaskWebdavFiles,
    UfMailMessage,
    LengthDeadline,
    TaskRequireResult,
    TaskHasOpenResult,
    TaskHasResult,
    TimeElapsed,
    TimerIsRunningForCurrentUser,
    ParsedDescription,
    Counter,
    Tags,
    SubStatus,
}

impl K {
    /// The key in the answer.
    pub fn name(self) -> &'static str {
        match self {
            K::Id => "id",
            K::ParentId => "parentId",
            K::Title => "title",
            K::Description => "description",
            K::ChatId => "chatId",
            K::Mark => "mark",
            K::Priority => "priority",
            K::Multitask => "multitask",
            K::NotViewed => "notViewed",
            K::Replicate => "replicate",
            K::StageId => "stageId",
            K::SprintId => "sprintId",
            K::BacklogId => "backlogId",
            K::CreatedBy => "createdBy",
            K::CreatedDate => "createdDate",
            K::ResponsibleId => "responsibleId",
            K::ChangedBy => "changedBy",
            K::ChangedDate => "changedDate",
            K::StatusChangedBy => "statusChangedBy",
            K::ClosedBy => "closedBy",
            K::ClosedDate => "closedDate",
            K::ActivityDate => "activityDate",
            K::DateStart => "dateStart",
            K::Deadline => "deadline",
            K::StartDatePlan => "startDatePlan",
            K::EndDatePlan => "endDatePlan",
            K::Guid => "guid",
            K::XmlId => "xmlId",
            K::CommentsCount => "commentsCount",
            K::ServiceCommentsCount => "serviceCommentsCount",
            K::AllowChangeDeadline => "allowChangeDeadline",
            K::AllowTimeTracking => "allowTimeTracking",
            K::TaskControl => "taskControl",
            K::AddInReport => "addInReport",
            K::ForkedByTemplateId => "forkedByTemplateId",
            K::TimeEstimate => "timeEstimate",
            K::TimeSpentInLogs => "timeSpentInLogs",
            K::MatchWorkTime => "matchWorkTime",
            K::ForumTopicId => "forumTopicId",
            K::ForumId => "forumId",
            K::SiteId => "siteId",
            K::Subordinate => "subordinate",
            K::ExchangeModified => "exchangeModified",
            K::ExchangeId => "exchangeId",
            K::OutlookVersion => "outlookVersion",
            K::ViewedDate => "viewedDate",
            K::Sorting => "sorting",
            K::DurationFact => "durationFact",
            K::IsMuted => "isMuted",
            K::IsPinned => "isPinned",
            K::IsPinnedInGroup => "isPinnedInGroup",
            K::FlowId => "flowId",
            K::DescriptionInBbcode => "descriptionInBbcode",
            K::Status => "status",
            K::StatusChangedDate => "statusChangedDate",
            K::DurationPlan => "durationPlan",
            K::DurationType => "durationType",
            K::Favorite => "favorite",
            K::GroupId => "groupId",
            K::Auditors => "auditors",
            K::Accomplices => "accomplices",
            K::Checklist => "checklist",
            K::Group => "group",
            K::Creator => "creator",
            K::Responsible => "responsible",
            K::AccomplicesData => "accomplicesData",
            K::AuditorsData => "auditorsData",
            K::NewCommentsCount => "newCommentsCount",
            K::Action => "action",
            K::CheckListTree => "checkListTree",
            K::CheckListCanAdd => "checkListCanAdd",
            K::UfCrmTask => "ufCrmTask",
            K::UfTaskWebdavFiles => "ufTaskWebdavFiles",
            K::UfMailMessage => "ufMailMessage",
            K::LengthDeadline => "lengthDeadline",
            K::TaskRequireResult => "taskRequireResult",
            K::TaskHasOpenResult => "taskHasOpenResult",
            K::TaskHasResult => "taskHasResult",
            K::TimeElapsed => "timeElapsed",
            K::TimerIsRunningForCurrentUser => "timerIsRunningForCurrentUser",
            K::ParsedDescription => "parsedDescription",
            K::Counter => "counter",
            K::Tags => "tags",
            K::SubStatus => "subStatus",
        }
    }

    /// Keys a selected key brings along (get page: `descriptionInBbcode` with `DESCRIPTION`,
    /// `creator` with `CREATED_BY`…).
    pub fn companions(self) -> &'static [K] {
        match self {
            K::Description => &[K::DescriptionInBbcode],
            K::CreatedBy => &[K::Creator],
            K::ResponsibleId => &[K::Responsible],
            K::Accomplices => &[K::AccomplicesData],
            K::Auditors => &[K::AuditorsData],
            K::Checklist => &[K::CheckListTree, K::CheckListCanAdd],
            _ => &[],
        }
    }
}

/// The full task object, in the order of the add/update/start/complete examples.
pub const FULL: [K; 71] = [
    K::Id,
    K::ParentId,
    K::Title,
    K::Description,
    K::ChatId,
    K::Mark,
    K::Priority,
    K::Multitask,
    K::NotViewed,
    K::Replicate,
    K::StageId,
    K::SprintId,
    K::BacklogId,
    K::CreatedBy,
    K::CreatedDate,
    K::ResponsibleId,
    K::ChangedBy,
    K::ChangedDate,
    K::StatusChangedBy,
    K::ClosedBy,
    K::ClosedDate,
    K::ActivityDate,
    K::DateStart,
    K::Deadline,
    K::StartDatePlan,
    K::EndDatePlan,
    K::Guid,
    K::XmlId,
    K::CommentsCount,
    K::ServiceCommentsCount,
    K::AllowChangeDeadline,
    K::AllowTimeTracking,
    K::TaskControl,
    K::AddInReport,
    K::ForkedByTemplateId,
    K::TimeEstimate,
    K::TimeSpentInLogs,
    K::MatchWorkTime,
    K::ForumTopicId,
    K::ForumId,
    K::SiteId,
    K::Subordinate,
    K::ExchangeModified,
    K::ExchangeId,
    K::OutlookVersion,
    K::ViewedDate,
    K::Sorting,
    K::DurationFact,
    K::IsMuted,
    K::IsPinned,
    K::IsPinnedInGroup,
    K::FlowId,
    K::DescriptionInBbcode,
    K::Status,
    K::StatusChangedDate,
    K::DurationPlan,
    K::DurationType,
    K::Favorite,
    K::GroupId,
    K::Auditors,
    K::Accomplices,
    K::Checklist,
    K::Group,
    K::Creator,
    K::Responsible,
    K::AccomplicesData,
    K::AuditorsData,
    K::NewCommentsCount,
    K::Action,
    K::CheckListTree,
    K::CheckListCanAdd,
];

/// The system UF fields: selecting one returns all three (fields.md).
pub const UF: [K; 3] = [K::UfCrmTask, K::UfTaskWebdavFiles, K::UfMailMessage];

/// Keys of the full object computed per request rather than stored in the task record;
/// a list without `select` leaves them out (list page: "only those fields stored in the
/// record").
pub const COMPUTED: [K; 9] = [
    K::Checklist,
    K::Creator,
    K::Responsible,
    K::AccomplicesData,
    K::AuditorsData,
    K::NewCommentsCount,
    K::Action,
    K::CheckListTree,
    K::CheckListCanAdd,
];

/// Keys that an explicit `select` places after the selected record fields, in this order
/// (the get and list examples: `descriptionInBbcode`, `lengthDeadline`, `status`,
/// `favorite`, `auditors`, `accomplices`, `group`, `creator`, `responsible`, the `…Data`
/// maps, then the list extras).
pub const LATE: [K; 25] = [
    K::DescriptionInBbcode,
    K::LengthDeadline,
    K::Status,
    K::Favorite,
    K::Auditors,
    K::Accomplices,
    K::Checklist,
    K::Group,
    K::Creator,
    K::Responsible,
    K::AccomplicesData,
    K::AuditorsData,
    K::NewCommentsCount,
    K::TaskRequireResult,
    K::TaskHasOpenResult,
    K::TaskHasResult,
    K::TimeElapsed,
    K::TimerIsRunningForCurrentUser,
    K::ParsedDescription,
    K::Counter,
    K::Tags,
    K::SubStatus,
    K::Action,
    K::CheckListTree,
    K::CheckListCanAdd,
];

/// What a `select` entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sel {
    Key(K),
    /// `*`: every standard field.
    All,
    /// `UF_*`: every user field (here the three system ones).
    AllUf,
}

/// The `select` entry for `name` (upper snake case; case and underscores are not
/// significant, so the list example's `subStatus` works). Unknown names are `None`.
pub fn select_name(name: &str) -> Option<Sel> {
    let trimmed = name.trim();
    if trimmed == "*" {
        return Some(Sel::All);
    }
    if trimmed.eq_ignore_ascii_case("UF_*") {
        return Some(Sel::AllUf);
    }
    let n = super::values::norm_name(trimmed);
    let k = match n.as_str() {
        "REALSTATUS" => K::Status,
        "COUNTERS" => K::Counter,
        "TAGS" => K::Tags,
        _ => {
            return FULL
                .iter()
                .chain(UF.iter())
                .chain([K::SubStatus].iter())
                .copied()
                .filter(|k| {
                    !matches!(
                        k,
                        K::Group
                            | K::Creator
                            | K::Responsible
                            | K::AccomplicesData
                            | K::AuditorsData
                            | K::Action
                            | K::CheckListTree
                            | K::CheckListCanAdd
                    )
                })
                .find(|k| super::values::norm_name(k.name()) == n)
                .map(Sel::Key)
        }
    };
    Some(Sel::Key(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_object_has_every_documented_key_once() {
        let mut names: Vec<&str> = FULL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), 71);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 71);
    }

    #[test]
    fn select_names_resolve_in_any_spelling() {
        assert_eq!(
            select_name("RESPONSIBLE_ID"),
            Some(Sel::Key(K::ResponsibleId))
        );
        assert_eq!(
            select_name("responsible_id"),
            Some(Sel::Key(K::ResponsibleId))
        );
        assert_eq!(select_name("subStatus"), Some(Sel::Key(K::SubStatus)));
        assert_eq!(select_name("REAL_STATUS"), Some(Sel::Key(K::Status)));
        assert_eq!(
            select_name("UF_TASK_WEBDAV_FILES"),
            Some(Sel::Key(K::UfTaskWebdavFiles))
        );
        assert_eq!(select_name("COUNTERS"), Some(Sel::Key(K::Counter)));
        assert_eq!(select_name(" * "), Some(Sel::All));
        assert_eq!(select_name("uf_*"), Some(Sel::AllUf));
        assert_eq!(select_name("CREATOR"), None);
        assert_eq!(select_name("nonsense"), None);
    }
}
