//! What the portal holds: users with positions and avatars, workgroups with members and
//! stages, and tasks with everything a v2 portal keeps about them (per-user view marks,
//! favourites and pins, comment counters and the forum topic, time logs, checklists, CRM
//! links, Drive files, tags, scrum placement) plus their results. Both API versions render
//! this one store; neither owns it.

mod rights;
mod seed;
pub mod writes;

pub use rights::{is_manager_of, rights, Rights};
pub use writes::{Biz, Changes, FileRef};

use std::collections::BTreeMap;

/// The portal administrator.
pub const ADMIN_ID: u64 = 1;

/// Tasks in a portal seeded without an explicit size.
pub const DEFAULT_TASKS: usize = 140;

/// The avatar v2 shows for users without a photo.
pub const DEFAULT_AVATAR: &str = "/bitrix/images/tasks/default_avatar.png";

#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub id: u64,
    pub name: String,
    pub sub_dir: String,
    pub content_type: String,
    pub size: u64,
    pub width: u32,
    pub height: u32,
}

impl File {
    pub fn src(&self) -> String {
        format!("/upload/{}/{}", self.sub_dir, self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub last_name: String,
    pub email: String,
    pub work_position: String,
    /// `M` or `F`; `None` when not given.
    pub gender: Option<char>,
    pub photo: Option<File>,
    /// The head this employee reports to.
    pub manager: Option<u64>,
    pub active: bool,
    pub registered: i64,
    pub last_login: i64,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.name, self.last_name)
            .trim()
            .to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    Group,
    Project,
    Scrum,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: u64,
    pub name: String,
    pub opened: bool,
    pub visible: bool,
    pub kind: GroupKind,
    pub members: Vec<u64>,
    pub image: Option<File>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub id: u64,
    pub group_id: u64,
    pub title: String,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub id: u64,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Positive,
    Negative,
}

/// One checklist item; items with `parent_id == 0` are the checklists themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistItem {
    pub id: u64,
    pub parent_id: u64,
    pub created_by: u64,
    pub title: String,
    pub sort_index: i64,
    pub complete: bool,
    pub important: bool,
    pub toggled_by: Option<u64>,
    pub toggled_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub author: u64,
    pub at: i64,
    /// A system comment (status changes and the like).
    pub service: bool,
}

/// Task statuses: 2 pending, 3 in progress, 4 supposedly completed, 5 completed,
/// 6 deferred, 7 declined.
pub const STATUSES: [u8; 6] = [2, 3, 4, 5, 6, 7];

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: u64,
    pub parent_id: Option<u64>,
    pub title: String,
    pub description: String,
    pub description_in_bbcode: bool,
    pub chat_id: Option<u64>,
    pub mark: Option<Mark>,
    /// 0 low, 1 average, 2 high.
    pub priority: u8,
    pub multitask: bool,
    pub replicate: bool,
    pub stage_id: Option<u64>,
    pub sprint_id: Option<u64>,
    pub backlog_id: Option<u64>,
    pub epic_id: Option<u64>,
    pub story_points: Option<i64>,
    pub created_by: u64,
    pub created: i64,
    pub responsible_id: u64,
    pub accomplices: Vec<u64>,
    pub auditors: Vec<u64>,
    pub changed_by: u64,
    pub changed: i64,
    pub status_changed_by: Option<u64>,
    pub status_changed: i64,
    pub closed_by: Option<u64>,
    pub closed: Option<i64>,
    pub activity: i64,
    pub started: Option<i64>,
    pub deadline: Option<i64>,
    pub start_plan: Option<i64>,
    pub end_plan: Option<i64>,
    pub guid: String,
    pub xml_id: Option<String>,
    pub allow_change_deadline: bool,
    pub allow_time_tracking: bool,
    pub task_control: bool,
    pub add_in_report: bool,
    pub forked_by_template_id: Option<u64>,
    pub time_estimate: i64,
    /// Seconds logged in the time journal; `None` when nothing was ever logged.
    pub time_spent: Option<i64>,
    pub match_work_time: bool,
    pub forum_topic_id: Option<u64>,
    pub forum_id: Option<u64>,
    pub site_id: String,
    pub exchange_modified: Option<i64>,
    pub exchange_id: Option<String>,
    pub outlook_version: i64,
    /// The user's manual sort value in a plan; `None` when never set.
    pub sorting: Option<i64>,
    pub duration_plan: Option<i64>,
    pub duration_fact: Option<i64>,
    pub duration_type: String,
    pub muted_by: Vec<u64>,
    pub pinned_by: Vec<u64>,
    pub pinned_in_group_by: Vec<u64>,
    pub favorite_of: Vec<u64>,
    /// Users who opened the task, and when.
    pub viewed: Vec<(u64, i64)>,
    pub flow_id: Option<u64>,
    pub status: u8,
    pub group_id: Option<u64>,
    /// `UF_CRM_TASK`: `D_12`, `C_5`, `T88_3`…
    pub crm_items: Vec<String>,
    /// `UF_TASK_WEBDAV_FILES`: ids of the attached Drive objects.
    pub files: Vec<u64>,
    /// `UF_MAIL_MESSAGE`: the e-mail the task was created from.
    pub mail_message: Option<u64>,
    pub require_result: bool,
    pub matches_subtasks_time: bool,
    pub autocomplete_subtasks: bool,
    pub allows_change_date_plan: bool,
    pub checklist: Vec<ChecklistItem>,
    pub comments: Vec<Comment>,
    pub tags: Vec<u64>,
    pub depends_on: Vec<u64>,
    pub contains_placements: bool,
    pub reminders: u32,
    pub crm_scenario: bool,
}

impl Task {
    pub fn is_member(&self, user: u64) -> bool {
        self.created_by == user
            || self.responsible_id == user
            || self.accomplices.contains(&user)
            || self.auditors.contains(&user)
    }

    pub fn viewed_at(&self, user: u64) -> Option<i64> {
        self.viewed
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, at)| *at)
    }

    /// v2 `notViewed`: a task counts as seen by its creator and by whoever opened it.
    pub fn not_viewed_by(&self, user: u64) -> bool {
        self.created_by != user && self.viewed_at(user).is_none()
    }

    /// Comments by others the user has not seen yet.
    pub fn new_comments_for(&self, user: u64) -> usize {
        let seen = self.viewed_at(user);
        self.comments
            .iter()
            .filter(|c| !c.service && c.author != user && seen.is_none_or(|s| c.at > s))
            .count()
    }

    pub fn is_open(&self) -> bool {
        matches!(self.status, 2 | 3 | 6)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskResult {
    pub id: u64,
    pub task_id: u64,
    pub author_id: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed: bool,
    /// BBCode.
    pub text: String,
    pub files: Vec<u64>,
    /// The forum comment the result was made from.
    pub comment_id: Option<u64>,
    /// The chat message the result was made from.
    pub message_id: Option<u64>,
}

/// Identifier sequences; deleted ids are never reused.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Counters {
    pub task: u64,
    pub result: u64,
    pub checklist: u64,
    pub file: u64,
    pub tag: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub stages: Vec<Stage>,
    pub flows: Vec<Flow>,
    pub tags: Vec<Tag>,
    pub tasks: BTreeMap<u64, Task>,
    /// Results by task id, oldest first.
    pub results: BTreeMap<u64, Vec<TaskResult>>,
    pub counters: Counters,
    /// The logical clock (Unix seconds); each write moves it one minute on.
    pub now: i64,
}

impl Store {
    /// A deterministic portal of `tasks` tasks.
    pub fn seeded(seed: u64, tasks: usize) -> Store {
        seed::generate(seed, tasks)
    }

    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn group(&self, id: u64) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    pub fn stage(&self, id: u64) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    pub fn flow(&self, id: u64) -> Option<&Flow> {
        self.flows.iter().find(|f| f.id == id)
    }

    pub fn tag(&self, id: u64) -> Option<&Tag> {
        self.tags.iter().find(|t| t.id == id)
    }

    pub fn results_of(&self, task: u64) -> &[TaskResult] {
        self.results.get(&task).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Advances the logical clock and returns the new time.
    pub fn tick(&mut self) -> i64 {
        self.now += 60;
        self.now
    }

    /// Who may see a task: the administrator, its members, their managers, members of its
    /// group, and everyone when the group is open.
    pub fn can_read(&self, task: &Task, user: u64) -> bool {
        if user == ADMIN_ID || task.is_member(user) {
            return true;
        }
        if let Some(g) = task.group_id.and_then(|g| self.group(g)) {
            if g.opened || g.members.contains(&user) {
                return true;
            }
        }
        let people = [task.created_by, task.responsible_id];
        people
            .iter()
            .chain(&task.accomplices)
            .chain(&task.auditors)
            .any(|member| is_manager_of(self, user, *member))
    }

    /// v2 `subordinate`: the caller oversees the task as administrator or as a manager of
    /// one of its people.
    pub fn is_subordinate_task(&self, task: &Task, user: u64) -> bool {
        user == ADMIN_ID
            || [task.created_by, task.responsible_id]
                .iter()
                .chain(&task.accomplices)
                .any(|m| *m != user && is_manager_of(self, user, *m))
    }
}

pub fn guid_for(id: u64) -> String {
    // a fixed-shape GUID derived from the id: unique and stable
    let h = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "{{{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}}}",
        (h >> 32) as u32,
        (h >> 16) as u16,
        (h >> 4) & 0xfff,
        h & 0xfff,
        id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_unique_and_braced() {
        let a = guid_for(1);
        assert!(
            a.starts_with('{') && a.ends_with('}') && a.len() == 38,
            "{a}"
        );
        assert_ne!(guid_for(1), guid_for(2));
    }
}
