//! What a user may do with a task. One computation feeds both the v2 `action` map and the
//! v3 `rights` object; the rules are the emulator's (the pages only give examples), chosen
//! so the documented examples come out as printed:
//!
//! * the *director* of a task is the administrator, its creator, or a manager of its creator;
//!   a *doer* is its responsible person or an accomplice;
//! * directors edit, delete, rate, approve and change the plan; doers and directors move the
//!   status along (start from pending or deferred, pause in progress, defer pending,
//!   complete while open), directors renew completed, declined or awaiting tasks;
//! * everyone who can read a task may add it to favourites, log time, comment-like actions
//!   (`create`, `elapsedtime.add`, …); `take` (flows) is never offered; `accept`/`decline` are
//!   deprecated and always false.

use super::{Store, Task, ADMIN_ID};

/// True when `head` is `user`'s manager, directly or further up; the administrator heads
/// everyone.
pub fn is_manager_of(store: &Store, head: u64, user: u64) -> bool {
    if head == user {
        return false;
    }
    if head == ADMIN_ID {
        return true;
    }
    let mut current = user;
    for _ in 0..store.users.len() {
        match store.user(current).and_then(|u| u.manager) {
            Some(m) if m == head => return true,
            Some(m) => current = m,
            None => return false,
        }
    }
    false
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights {
    pub read: bool,
    pub edit: bool,
    pub remove: bool,
    pub complete: bool,
    pub approve: bool,
    pub disapprove: bool,
    pub start: bool,
    pub pause: bool,
    pub delegate: bool,
    pub defer: bool,
    pub renew: bool,
    pub create_subtask: bool,
    pub change_deadline: bool,
    pub checklist_add: bool,
    pub checklist_edit: bool,
    pub checklist_toggle: bool,
    pub favorite: bool,
    pub in_favorite: bool,
    pub rate: bool,
    pub take: bool,
    pub change_director: bool,
    pub change_responsible: bool,
    pub change_accomplices: bool,
    pub elapsed_time: bool,
    pub timer: bool,
    pub edit_plan: bool,
    pub change_status: bool,
    pub create_result: bool,
    pub result_edit: bool,
    pub result_read: bool,
    pub complete_result: bool,
    pub attach_file: bool,
    pub detach_parent: bool,
    pub automate: bool,
    pub gantt: bool,
    pub sort: bool,
    pub admin: bool,
}

/// The rights of `user` on `task`.
pub fn rights(store: &Store, task: &Task, user: u64) -> Rights {
    let read = store.can_read(task, user);
    if !read {
        return Rights::default();
    }
    let admin = user == ADMIN_ID;
    let director = admin || task.created_by == user || is_manager_of(store, user, task.created_by);
    let responsible = task.responsible_id == user;
    let doer = responsible || task.accomplices.contains(&user);
    let actor = director || doer;
    let st = task.status;
    let has_results = !store.results_of(task.id).is_empty();
    let in_favorite = task.favorite_of.contains(&user);
    Rights {
        read,
        edit: director,
        remove: director,
        complete: actor && task.is_open(),
        approve: director && st == 4,
        disapprove: director && st == 4,
        start: actor && matches!(st, 2 | 6),
        pause: actor && st == 3,
        delegate: (director || responsible) && task.is_open(),
        defer: actor && st == 2,
        renew: director && matches!(st, 4 | 5 | 7),
        create_subtask: read,
        change_deadline: director || (responsible && task.allow_change_deadline),
        checklist_add: actor,
        checklist_edit: actor,
        checklist_toggle: actor,
        favorite: read,
        in_favorite,
        rate: director,
        take: false,
        change_director: task.created_by != user && is_manager_of(store, user, task.created_by),
        change_responsible: director,
        change_accomplices: director,
        elapsed_time: read,
        timer: doer && task.allow_time_tracking && task.is_open(),
        edit_plan: director || responsible,
        change_status: actor,
        create_result: actor,
        result_edit: has_results && director,
        result_read: has_results,
        complete_result: actor,
        attach_file: actor,
        detach_parent: director,
        automate: director,
        gantt: director,
        sort: director && task.group_id.is_some(),
        admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_administrator_heads_everyone_and_managers_their_teams() {
        let s = Store::seeded(42, 30);
        assert!(is_manager_of(&s, 1, 7));
        assert!(is_manager_of(&s, 7, 4) && is_manager_of(&s, 7, 8));
        assert!(!is_manager_of(&s, 7, 2) && !is_manager_of(&s, 4, 7) && !is_manager_of(&s, 7, 7));
    }

    #[test]
    fn unreadable_means_no_rights_at_all() {
        let s = Store::seeded(42, 140);
        let hidden = s.tasks.values().find(|t| !s.can_read(t, 6));
        if let Some(t) = hidden {
            assert_eq!(rights(&s, t, 6), Rights::default());
        }
        for t in s.tasks.values() {
            let r = rights(&s, t, ADMIN_ID);
            assert!(r.read && r.edit && r.admin);
            assert_eq!(r.start, matches!(t.status, 2 | 6));
        }
    }
}
