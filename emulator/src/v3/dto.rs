//! The REST 3.0 objects (DTOs) and their fields, in the order the answers print them: the
//! task fields of fields-rest-v3.md merged with the extra keys the get/add examples show
//! (`fileIds`, `deadlineCount`, `declineReason`, `forumTopicId`) at the places the examples
//! put them, and the related objects (user, group, stage, flow, chat, file, template, email,
//! time tracking, source).
//!
//! Flags per task field: `basic` (the get/add answer without `select`: exactly the example
//! keys), `sortable` (the list page's list), `filterable` (only `id`, as the list page
//! says), `editable` (what add/update accept; `creatorId` on add only).

/// The objects a select path can walk through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dto {
    Task,
    User,
    Group,
    Stage,
    Flow,
    Chat,
    File,
    Template,
    Email,
    ElapsedTime,
    Source,
}

impl Dto {
    /// The entity name error messages use (`Unknown field `x` for entity `UserDto``).
    pub fn entity(self) -> &'static str {
        match self {
            Dto::Task => "TaskDto",
            Dto::User => "UserDto",
            Dto::Group => "GroupDto",
            Dto::Stage => "StageDto",
            Dto::Flow => "FlowDto",
            Dto::Chat => "ChatDto",
            Dto::File => "FileDto",
            Dto::Template => "TemplateDto",
            Dto::Email => "EmailDto",
            Dto::ElapsedTime => "ElapsedTimeDto",
            Dto::Source => "SourceDto",
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Dto::Task => &TASK,
            Dto::User => &USER,
            Dto::Group => &GROUP,
            Dto::Stage => &STAGE,
            Dto::Flow => &FLOW,
            Dto::Chat => &CHAT,
            Dto::File => &FILE,
            Dto::Template => &TEMPLATE,
            Dto::Email => &EMAIL,
            Dto::ElapsedTime => &ELAPSED,
            Dto::Source => &SOURCE,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }
}

/// A field's value type as `tasks.task.field.list` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int,
    Str,
    Bool,
    /// A date-time; field.list reports these as `object` (a DateTime object).
    DateTime,
    Array,
    Object,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Str => "string",
            Ty::Bool => "bool",
            Ty::DateTime | Ty::Object => "object",
            Ty::Array => "array",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Scalar(Ty),
    /// Another object, or a list of them.
    Relation {
        dto: Dto,
        many: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub basic: bool,
    pub sortable: bool,
    pub filterable: bool,
    pub editable: bool,
}

impl Field {
    pub fn ty(&self) -> Ty {
        match self.kind {
            Kind::Scalar(t) => t,
            Kind::Relation { many: true, .. } => Ty::Array,
            Kind::Relation { .. } => Ty::Object,
        }
    }
}

/// flags: b basic, s sortable, f filterable, e editable.
const fn f(name: &'static str, kind: Kind, flags: &'static str) -> Field {
    let b = flags.as_bytes();
    let (mut basic, mut sortable, mut filterable, mut editable) = (false, false, false, false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'b' => basic = true,
            b's' => sortable = true,
            b'f' => filterable = true,
            b'e' => editable = true,
            _ => {}
        }
        i += 1;
    }
    Field {
        name,
        kind,
        basic,
        sortable,
        filterable,
        editable,
    }
}

const INT: Kind = Kind::Scalar(Ty::Int);
const STR: Kind = Kind::Scalar(Ty::Str);
const BOOL: Kind = Kind::Scalar(Ty::Bool);
const DT: Kind = Kind::Scalar(Ty::DateTime);
const ARR: Kind = Kind::Scalar(Ty::Array);
const OBJ: Kind = Kind::Scalar(Ty::Object);

const fn one(dto: Dto) -> Kind {
    Kind::Relation { dto, many: false }
}

const fn many(dto: Dto) -> Kind {
    Kind::Relation { dto, many: true }
}

pub static TASK: [Field; 91] = [
    f("id", INT, "bsf"),
    f("title", STR, "bse"),
    f("description", STR, "be"),
    f("creatorId", INT, "se"),
    f("creator", one(Dto::User), ""),
    f("created", DT, "s"),
    f("responsibleId", INT, "se"),
    f("responsible", one(Dto::User), ""),
    f("deadline", DT, "bse"),
    f("needsControl", BOOL, "be"),
    f("startPlan", DT, "bse"),
    f("endPlan", DT, "bse"),
    f("fileIds", ARR, "b"),
    f("checklist", ARR, "b"),
    f("groupId", INT, "se"),
    f("group", one(Dto::Group), ""),
    f("stageId", INT, "e"),
    f("stage", one(Dto::Stage), ""),
    f("epicId", INT, "b"),
    f("storyPoints", INT, "b"),
    f("flowId", INT, "e"),
    f("flow", one(Dto::Flow), ""),
    f("priority", STR, "bse"),
    f("status", STR, "bse"),
    f("statusChanged", DT, "b"),
    f("accomplices", many(Dto::User), "e"),
    f("auditors", many(Dto::User), "e"),
    f("parentId", INT, "be"),
    f("parent", one(Dto::Task), ""),
    f("containsChecklist", BOOL, "b"),
    f("containsSubTasks", BOOL, "b"),
    f("containsRelatedTasks", BOOL, "b"),
    f("containsGanttLinks", BOOL, "b"),
    f("containsPlacements", BOOL, "b"),
    f("containsResults", BOOL, "b"),
    f("numberOfReminders", INT, "b"),
    f("chatId", INT, "b"),
    f("chat", one(Dto::Chat), ""),
    f("plannedDuration", INT, "be"),
    f("actualDuration", INT, "b"),
    f("durationType", STR, "be"),
    f("started", DT, "bs"),
    f("estimatedTime", INT, "bse"),
    f("replicate", BOOL, "be"),
    f("changed", DT, "bs"),
    f("changedById", INT, ""),
    f("changedBy", one(Dto::User), ""),
    f("statusChangedById", INT, ""),
    f("statusChangedBy", one(Dto::User), ""),
    f("closedById", INT, ""),
    f("closedBy", one(Dto::User), ""),
    f("closed", DT, "bs"),
    f("activity", DT, "bs"),
    f("guid", STR, "b"),
    f("xmlId", STR, "be"),
    f("exchangeId", STR, "b"),
    f("exchangeModified", STR, "b"),
    f("outlookVersion", INT, "b"),
    f("mark", STR, "bse"),
    f("allowsChangeDeadline", BOOL, "bse"),
    f("allowsTimeTracking", BOOL, "bse"),
    f("matchesWorkTime", BOOL, "be"),
    f("addInReport", BOOL, "be"),
    f("isMultitask", BOOL, "be"),
    f("siteId", STR, "b"),
    f("deadlineCount", INT, "b"),
    f("declineReason", STR, "b"),
    f("forumTopicId", INT, "b"),
    f("forkedByTemplateId", INT, ""),
    f("forkedByTemplate", one(Dto::Template), ""),
    f("link", STR, "b"),
    f("rights", OBJ, "b"),
    f("archiveLink", STR, "b"),
    f("crmItemIds", ARR, "be"),
    f("emailId", INT, ""),
    f("email", one(Dto::Email), ""),
    f("elapsedTime", one(Dto::ElapsedTime), ""),
    f("requireResult", BOOL, "be"),
    f("matchesSubTasksTime", BOOL, "be"),
    f("autocompleteSubTasks", BOOL, "be"),
    f("allowsChangeDatePlan", BOOL, "be"),
    f("maxDeadlineChangeDate", DT, "b"),
    f("maxDeadlineChanges", INT, "b"),
    f("requireDeadlineChangeReason", BOOL, "b"),
    f("inFavorite", ARR, "b"),
    f("inPin", ARR, "b"),
    f("inGroupPin", ARR, "b"),
    f("inMute", ARR, "b"),
    f("source", one(Dto::Source), ""),
    f("dependsOn", ARR, "be"),
    f("scenarios", ARR, "b"),
];

pub static USER: [Field; 8] = [
    f("id", INT, ""),
    f("name", STR, ""),
    f("role", STR, ""),
    f("image", one(Dto::File), ""),
    f("gender", STR, ""),
    f("email", STR, ""),
    f("externalAuthId", STR, ""),
    f("rights", ARR, ""),
];

pub static GROUP: [Field; 5] = [
    f("id", INT, ""),
    f("name", STR, ""),
    f("image", one(Dto::File), ""),
    f("type", STR, ""),
    f("isVisible", BOOL, ""),
];

pub static STAGE: [Field; 3] = [f("id", INT, ""), f("title", STR, ""), f("color", STR, "")];

pub static FLOW: [Field; 2] = [f("id", INT, ""), f("name", STR, "")];

pub static CHAT: [Field; 3] = [
    f("id", INT, ""),
    f("entityId", INT, ""),
    f("entityType", STR, ""),
];

pub static FILE: [Field; 9] = [
    f("id", INT, ""),
    f("src", STR, ""),
    f("name", STR, ""),
    f("width", INT, ""),
    f("height", INT, ""),
    f("size", INT, ""),
    f("subDir", STR, ""),
    f("contentType", STR, ""),
    f("file", ARR, ""),
];

pub static TEMPLATE: [Field; 17] = [
    f("id", INT, ""),
    f("task", one(Dto::Task), ""),
    f("title", STR, ""),
    f("description", STR, ""),
    f("creator", one(Dto::User), ""),
    f("responsibleCollection", ARR, ""),
    f("deadlineAfterTs", INT, ""),
    f("startDatePlanTs", INT, ""),
    f("endDatePlanTs", INT, ""),
    f("replicate", BOOL, ""),
    f("checklist", ARR, ""),
    f("group", one(Dto::Group), ""),
    f("priority", STR, ""),
    f("accomplices", ARR, ""),
    f("auditors", ARR, ""),
    f("parent", one(Dto::Template), ""),
    f("replicateParams", OBJ, ""),
];

pub static EMAIL: [Field; 8] = [
    f("id", INT, ""),
    f("taskId", INT, ""),
    f("mailboxId", INT, ""),
    f("title", STR, ""),
    f("body", STR, ""),
    f("from", STR, ""),
    f("dateTs", INT, ""),
    f("link", STR, ""),
];

pub static ELAPSED: [Field; 10] = [
    f("id", INT, ""),
    f("userId", INT, ""),
    f("taskId", INT, ""),
    f("minutes", INT, ""),
    f("seconds", INT, ""),
    f("source", STR, ""),
    f("text", STR, ""),
    f("createdAtTs", INT, ""),
    f("startTs", INT, ""),
    f("stopTs", INT, ""),
];

pub static SOURCE: [Field; 2] = [f("type", STR, ""), f("data", ARR, "")];

/// The task result object of tasks.task.result.list.
pub const RESULT_FIELDS: [&str; 11] = [
    "id",
    "taskId",
    "text",
    "authorId",
    "author",
    "createdAt",
    "updatedAt",
    "status",
    "fileIds",
    "rights",
    "messageId",
];

/// What a result list returns without `select` (the page's example).
pub const RESULT_DEFAULT: [&str; 7] = [
    "id",
    "taskId",
    "text",
    "authorId",
    "createdAt",
    "status",
    "messageId",
];

pub const RESULT_FILTERABLE: [&str; 5] = ["taskId", "id", "authorId", "status", "messageId"];

pub const RESULT_SORTABLE: [&str; 6] = [
    "id",
    "authorId",
    "createdAt",
    "updatedAt",
    "status",
    "messageId",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basic_set_is_the_example_key_list() {
        let basic: Vec<&str> = TASK.iter().filter(|f| f.basic).map(|f| f.name).collect();
        let example = [
            "id",
            "title",
            "description",
            "deadline",
            "needsControl",
            "startPlan",
            "endPlan",
            "fileIds",
            "checklist",
            "epicId",
            "storyPoints",
            "priority",
            "status",
            "statusChanged",
            "parentId",
            "containsChecklist",
            "containsSubTasks",
            "containsRelatedTasks",
            "containsGanttLinks",
            "containsPlacements",
            "containsResults",
            "numberOfReminders",
            "chatId",
            "plannedDuration",
            "actualDuration",
            "durationType",
            "started",
            "estimatedTime",
            "replicate",
            "changed",
            "closed",
            "activity",
            "guid",
            "xmlId",
            "exchangeId",
            "exchangeModified",
            "outlookVersion",
            "mark",
            "allowsChangeDeadline",
            "allowsTimeTracking",
            "matchesWorkTime",
            "addInReport",
            "isMultitask",
            "siteId",
            "deadlineCount",
            "declineReason",
            "forumTopicId",
            "link",
            "rights",
            "archiveLink",
            "crmItemIds",
            "requireResult",
            "matchesSubTasksTime",
            "autocompleteSubTasks",
            "allowsChangeDatePlan",
            "maxDeadlineChangeDate",
            "maxDeadlineChanges",
            "requireDeadlineChangeReason",
            "inFavorite",
            "inPin",
            "inGroupPin",
            "inMute",
            "dependsOn",
            "scenarios",
        ];
        assert_eq!(basic, example);
    }

    #[test]
    fn only_id_filters_and_the_documented_fields_sort() {
        let filterable: Vec<&str> = TASK
            .iter()
            .filter(|f| f.filterable)
            .map(|f| f.name)
            .collect();
        assert_eq!(filterable, ["id"]);
        let mut sortable: Vec<&str> = TASK.iter().filter(|f| f.sortable).map(|f| f.name).collect();
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
    fn names_are_unique_per_object() {
        for dto in [Dto::Task, Dto::User, Dto::Group, Dto::File, Dto::Template] {
            let mut names: Vec<&str> = dto.fields().iter().map(|f| f.name).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{dto:?}");
        }
    }
}
