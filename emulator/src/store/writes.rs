//! Task writes in neutral terms. Each API version reads its own `fields` into [`Changes`];
//! creation, update, deletion and status moves, with the business checks both versions
//! report (each in its own words, see [`Biz`]), live here once.

use super::{guid_for, Mark, Store, Tag, Task};

/// A business-rule failure. The versions word them differently (v2 add, v2 update, v3 add
/// and v3 update pages each print their own texts), so the variant is all that is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Biz {
    TitleMissing,
    ResponsibleMissing,
    ResponsibleNotFound,
    CreatorNotFound,
    ParentNotFound,
    ParentIsSelf,
    ParentCycle,
    PlanEndBeforeStart,
    PlanTooLong,
    BadStatus,
}

/// A Drive file named in a write: `n123` is Drive object 123 to attach, a bare number an
/// attachment the task already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRef {
    Attached(u64),
    Drive(u64),
}

/// Planned durations longer than this many seconds are refused ("too long").
pub const MAX_PLAN_SECONDS: i64 = 10 * 366 * 86_400;

/// The fields one write sets; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub title: Option<String>,
    pub description: Option<String>,
    pub description_in_bbcode: Option<bool>,
    pub parent_id: Option<Option<u64>>,
    pub mark: Option<Option<Mark>>,
    pub priority: Option<u8>,
    pub multitask: Option<bool>,
    pub replicate: Option<bool>,
    pub stage_id: Option<Option<u64>>,
    pub created_by: Option<u64>,
    /// `Some(0)` is "given but empty".
    pub responsible_id: Option<u64>,
    pub accomplices: Option<Vec<u64>>,
    pub auditors: Option<Vec<u64>>,
    pub deadline: Option<Option<i64>>,
    pub start_plan: Option<Option<i64>>,
    pub end_plan: Option<Option<i64>>,
    pub xml_id: Option<Option<String>>,
    pub allow_change_deadline: Option<bool>,
    pub allow_time_tracking: Option<bool>,
    pub task_control: Option<bool>,
    pub add_in_report: Option<bool>,
    pub time_estimate: Option<i64>,
    pub match_work_time: Option<bool>,
    pub duration_plan: Option<Option<i64>>,
    pub duration_type: Option<String>,
    pub status: Option<u8>,
    pub group_id: Option<Option<u64>>,
    pub flow_id: Option<Option<u64>>,
    pub crm_items: Option<Vec<String>>,
    pub files: Option<Vec<FileRef>>,
    pub mail_message: Option<Option<u64>>,
    pub require_result: Option<bool>,
    pub matches_subtasks_time: Option<bool>,
    pub autocomplete_subtasks: Option<bool>,
    pub allows_change_date_plan: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub depends_on: Option<Vec<u64>>,
    pub site_id: Option<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

fn known_users(store: &Store, ids: &[u64]) -> Vec<u64> {
    let mut out = Vec::new();
    for id in ids {
        if store.user(*id).is_some() && !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

fn tag_ids(store: &mut Store, titles: &[String]) -> Vec<u64> {
    let mut out = Vec::new();
    for title in titles {
        let title = title.trim();
        if title.is_empty() {
            continue;
        }
        let id = match store
            .tags
            .iter()
            .find(|t| t.title.eq_ignore_ascii_case(title))
        {
            Some(t) => t.id,
            None => {
                store.counters.tag += 1;
                let id = store.counters.tag;
                store.tags.push(Tag {
                    id,
                    title: title.to_string(),
                });
                id
            }
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Applies `c` to a copy of `t`; references are checked afterwards by [`check`].
fn apply(store: &mut Store, t: &mut Task, c: &Changes) {
    macro_rules! put {
        ($($field:ident),*) => {
            $( if let Some(v) = &c.$field { t.$field = v.clone(); } )*
        };
    }
    put!(
        title,
        description,
        description_in_bbcode,
        parent_id,
        mark,
        priority,
        multitask,
        replicate,
        stage_id,
        deadline,
        start_plan,
        end_plan,
        xml_id,
        allow_change_deadline,
        allow_time_tracking,
        task_control,
        add_in_report,
        time_estimate,
        match_work_time,
        duration_plan,
        duration_type,
        status,
        group_id,
        flow_id,
        crm_items,
        mail_message,
        require_result,
        matches_subtasks_time,
        autocomplete_subtasks,
        allows_change_date_plan,
        depends_on,
        site_id
    );
    if let Some(id) = c.created_by {
        t.created_by = id;
    }
    if let Some(id) = c.responsible_id {
        t.responsible_id = id;
    }
    if let Some(ids) = &c.accomplices {
        t.accomplices = known_users(store, ids);
    }
    if let Some(ids) = &c.auditors {
        t.auditors = known_users(store, ids);
    }
    if let Some(files) = &c.files {
        let mut kept = Vec::new();
        for f in files {
            let id = match f {
                FileRef::Attached(id) => *id,
                FileRef::Drive(_) => {
                    store.counters.file += 1;
                    store.counters.file
                }
            };
            if !kept.contains(&id) {
                kept.push(id);
            }
        }
        t.files = kept;
    }
    if let Some(titles) = &c.tags {
        t.tags = tag_ids(store, titles);
    }
}

fn is_ancestor(store: &Store, ancestor: u64, of: u64) -> bool {
    let mut current = store.tasks.get(&of).and_then(|t| t.parent_id);
    for _ in 0..store.tasks.len().min(10_000) {
        match current {
            Some(p) if p == ancestor => return true,
            Some(p) => current = store.tasks.get(&p).and_then(|t| t.parent_id),
            None => return false,
        }
    }
    false
}

fn check(store: &Store, t: &Task, c: &Changes, creating: bool) -> Result<(), Biz> {
    if (creating || c.title.is_some()) && t.title.trim().is_empty() {
        return Err(Biz::TitleMissing);
    }
    if creating || c.responsible_id.is_some() {
        if t.responsible_id == 0 {
            return Err(if creating {
                Biz::ResponsibleMissing
            } else {
                Biz::ResponsibleNotFound
            });
        }
        if store.user(t.responsible_id).is_none() {
            return Err(Biz::ResponsibleNotFound);
        }
    }
    if (creating || c.created_by.is_some()) && store.user(t.created_by).is_none() {
        return Err(Biz::CreatorNotFound);
    }
    if let (Some(p), Some(_)) = (t.parent_id, c.parent_id) {
        if p == t.id {
            return Err(Biz::ParentIsSelf);
        }
        if !store.tasks.contains_key(&p) {
            return Err(Biz::ParentNotFound);
        }
        if !creating && is_ancestor(store, t.id, p) {
            return Err(Biz::ParentCycle);
        }
    }
    if c.status.is_some() && !super::STATUSES.contains(&t.status) {
        return Err(Biz::BadStatus);
    }
    if c.start_plan.is_some() || c.end_plan.is_some() {
        if let (Some(s), Some(e)) = (t.start_plan, t.end_plan) {
            if e < s {
                return Err(Biz::PlanEndBeforeStart);
            }
            if e - s > MAX_PLAN_SECONDS {
                return Err(Biz::PlanTooLong);
            }
        }
    }
    Ok(())
}

/// Bookkeeping after the status moved from `old` to `t.status`.
fn status_moved(store: &mut Store, t: &mut Task, old: u8, now: i64, by: u64) {
    if t.status == old {
        return;
    }
    t.status_changed = now;
    t.status_changed_by = Some(by);
    if t.status == 5 {
        t.closed = Some(now);
        t.closed_by = Some(by);
        // results close with the task and stay closed after a renewal
        if let Some(rs) = store.results.get_mut(&t.id) {
            for r in rs {
                r.closed = true;
            }
        }
    } else if old == 5 {
        t.closed = None;
        t.closed_by = None;
    }
    if t.status == 3 && t.started.is_none() {
        t.started = Some(now);
    }
}

fn blank(id: u64, creator: u64, now: i64) -> Task {
    Task {
        id,
        parent_id: None,
        title: String::new(),
        description: String::new(),
        description_in_bbcode: true,
        chat_id: Some(2000 + id),
        mark: None,
        priority: 1,
        multitask: false,
        replicate: false,
        stage_id: None,
        sprint_id: None,
        backlog_id: None,
        epic_id: None,
        story_points: None,
        created_by: creator,
        created: now,
        responsible_id: 0,
        accomplices: Vec::new(),
        auditors: Vec::new(),
        changed_by: creator,
        changed: now,
        status_changed_by: None,
        status_changed: now,
        closed_by: None,
        closed: None,
        activity: now,
        started: None,
        deadline: None,
        start_plan: None,
        end_plan: None,
        guid: guid_for(id),
        xml_id: None,
        allow_change_deadline: false,
        allow_time_tracking: false,
        task_control: false,
        add_in_report: false,
        forked_by_template_id: None,
        time_estimate: 0,
        time_spent: None,
        match_work_time: false,
        forum_topic_id: None,
        forum_id: None,
        site_id: "s1".into(),
        exchange_modified: None,
        exchange_id: None,
        outlook_version: 1,
        sorting: None,
        duration_plan: None,
        duration_fact: None,
        duration_type: "days".into(),
        muted_by: Vec::new(),
        pinned_by: Vec::new(),
        pinned_in_group_by: Vec::new(),
        favorite_of: Vec::new(),
        viewed: Vec::new(),
        flow_id: None,
        status: 2,
        group_id: None,
        crm_items: Vec::new(),
        files: Vec::new(),
        mail_message: None,
        require_result: false,
        matches_subtasks_time: false,
        autocomplete_subtasks: false,
        allows_change_date_plan: false,
        checklist: Vec::new(),
        comments: Vec::new(),
        tags: Vec::new(),
        depends_on: Vec::new(),
        contains_placements: false,
        reminders: 0,
        crm_scenario: false,
    }
}

/// Creates a task; `creator` is used when the changes name none.
pub fn create(store: &mut Store, c: &Changes, creator: u64) -> Result<u64, Biz> {
    let id = store.counters.task + 1;
    let now = store.now + 60;
    let mut t = blank(id, c.created_by.unwrap_or(creator), now);
    // check on a scratch copy first so a refused write leaves no trace (tags, files)
    let mut scratch = store.clone_light();
    apply(&mut scratch, &mut t, c);
    check(store, &t, c, true)?;
    let mut t = blank(id, c.created_by.unwrap_or(creator), now);
    apply(store, &mut t, c);
    t.changed_by = t.created_by;
    t.crm_scenario = !t.crm_items.is_empty();
    if t.status != 2 {
        let by = t.created_by;
        status_moved(store, &mut t, 2, now, by);
    }
    if t.stage_id.is_some() && t.group_id.is_none() {
        t.stage_id = None;
    }
    store.now = now;
    store.counters.task = id;
    store.tasks.insert(id, t);
    Ok(id)
}

/// Applies `c` to task `id` (rights already checked by the caller).
pub fn update(store: &mut Store, id: u64, c: &Changes, by: u64) -> Result<(), Biz> {
    let Some(old) = store.tasks.get(&id).cloned() else {
        return Ok(());
    };
    let mut t = old.clone();
    let mut scratch = store.clone_light();
    apply(&mut scratch, &mut t, c);
    check(store, &t, c, false)?;
    if c.is_empty() {
        return Ok(());
    }
    let mut t = old.clone();
    apply(store, &mut t, c);
    let now = store.tick();
    t.changed = now;
    t.changed_by = by;
    t.activity = now;
    t.outlook_version += 1;
    status_moved(store, &mut t, old.status, now, by);
    store.tasks.insert(id, t);
    Ok(())
}

/// Moves a task to `status` on behalf of `by` (start, complete).
pub fn set_status(store: &mut Store, id: u64, status: u8, by: u64) {
    let c = Changes {
        status: Some(status),
        ..Changes::default()
    };
    let _ = update(store, id, &c, by);
}

/// Deletes a task with its results; subtasks lose their parent.
pub fn delete(store: &mut Store, id: u64) {
    store.tasks.remove(&id);
    store.results.remove(&id);
    for t in store.tasks.values_mut() {
        if t.parent_id == Some(id) {
            t.parent_id = None;
        }
        t.depends_on.retain(|d| *d != id);
    }
    store.tick();
}

impl Store {
    /// A copy with the counters and tag list only: enough for [`apply`] to run on.
    fn clone_light(&self) -> Store {
        Store {
            users: self.users.clone(),
            groups: Vec::new(),
            stages: Vec::new(),
            flows: Vec::new(),
            tags: self.tags.clone(),
            tasks: Default::default(),
            results: Default::default(),
            counters: self.counters.clone(),
            now: self.now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_task(title: &str, responsible: u64) -> Changes {
        Changes {
            title: Some(title.into()),
            responsible_id: Some(responsible),
            ..Changes::default()
        }
    }

    #[test]
    fn create_checks_title_and_responsible() {
        let mut s = Store::seeded(1, 20);
        let before = s.clone();
        assert_eq!(create(&mut s, &new_task(" ", 2), 1), Err(Biz::TitleMissing));
        assert_eq!(
            create(
                &mut s,
                &Changes {
                    title: Some("x".into()),
                    ..Changes::default()
                },
                1
            ),
            Err(Biz::ResponsibleMissing)
        );
        assert_eq!(
            create(&mut s, &new_task("x", 99), 1),
            Err(Biz::ResponsibleNotFound)
        );
        let mut with_tag = new_task("x", 99);
        with_tag.tags = Some(vec!["brand-new".into()]);
        assert!(create(&mut s, &with_tag, 1).is_err());
        assert_eq!(s, before, "a refused write changes nothing");
        let id = create(&mut s, &new_task("x", 2), 1).unwrap_or(0);
        assert_eq!(id, before.counters.task + 1);
        let t = &s.tasks[&id];
        assert_eq!((t.created_by, t.responsible_id, t.status), (1, 2, 2));
        assert_eq!(t.status_changed_by, None);
        assert!(!t.not_viewed_by(1) && t.not_viewed_by(2));
    }

    #[test]
    fn update_checks_parents_plans_and_status() {
        let mut s = Store::seeded(1, 20);
        let a = create(&mut s, &new_task("a", 2), 1).unwrap_or(0);
        let mut child = new_task("b", 2);
        child.parent_id = Some(Some(a));
        let b = create(&mut s, &child, 1).unwrap_or(0);
        let set_parent = |p| Changes {
            parent_id: Some(Some(p)),
            ..Changes::default()
        };
        assert_eq!(update(&mut s, a, &set_parent(a), 1), Err(Biz::ParentIsSelf));
        assert_eq!(update(&mut s, a, &set_parent(b), 1), Err(Biz::ParentCycle));
        assert_eq!(
            update(&mut s, a, &set_parent(999_999), 1),
            Err(Biz::ParentNotFound)
        );
        let plan = |s0, e0| Changes {
            start_plan: Some(Some(s0)),
            end_plan: Some(Some(e0)),
            ..Changes::default()
        };
        assert_eq!(
            update(&mut s, a, &plan(100, 50), 1),
            Err(Biz::PlanEndBeforeStart)
        );
        assert_eq!(
            update(&mut s, a, &plan(0, MAX_PLAN_SECONDS + 1), 1),
            Err(Biz::PlanTooLong)
        );
        let bad = Changes {
            status: Some(9),
            ..Changes::default()
        };
        assert_eq!(update(&mut s, a, &bad, 1), Err(Biz::BadStatus));
        set_status(&mut s, a, 5, 7);
        let t = &s.tasks[&a];
        assert_eq!(
            (t.status, t.closed_by, t.status_changed_by),
            (5, Some(7), Some(7))
        );
        set_status(&mut s, a, 3, 1);
        let t = &s.tasks[&a];
        assert_eq!((t.closed, t.closed_by), (None, None));
        assert!(t.started.is_some());
    }

    #[test]
    fn drive_files_get_new_attachment_ids_and_delete_unlinks() {
        let mut s = Store::seeded(1, 20);
        let mut c = new_task("files", 2);
        c.files = Some(vec![FileRef::Drive(12345), FileRef::Drive(67890)]);
        let id = create(&mut s, &c, 1).unwrap_or(0);
        let files = s.tasks[&id].files.clone();
        assert_eq!(files.len(), 2);
        assert!(files[0] < files[1]);
        let mut child = new_task("child", 2);
        child.parent_id = Some(Some(id));
        let kid = create(&mut s, &child, 1).unwrap_or(0);
        delete(&mut s, id);
        assert!(!s.tasks.contains_key(&id));
        assert_eq!(s.tasks[&kid].parent_id, None);
    }
}
