//! The seeded portal: fixed people and groups (scripts rely on them), and a deterministic
//! mix of tasks drawn from the seed: every status, priorities, deadlines or none, groups,
//! stages and scrum sprints, accomplices and auditors, per-user view marks, favourites,
//! pins and mutes, comments with forum topics, time logs, checklists, CRM links, Drive
//! files, mail-created tasks, tags, dependencies, subtasks, and task results.
//!
//! Generation is linear in the number of tasks, so 20,000 tasks are seeded in milliseconds.

use super::{
    guid_for, ChecklistItem, Comment, Counters, File, Flow, Group, GroupKind, Mark, Stage, Store,
    Tag, Task, TaskResult, User,
};
use crate::clock::{portal_ts, LOGICAL_BASE};
use std::collections::BTreeMap;

/// splitmix64: small, fast and fully determined by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = usize::try_from(self.below(items.len() as u64)).ok()?;
        items.get(i)
    }
}

fn photo(id: u64, sub: &str, name: &str) -> File {
    File {
        id,
        name: name.into(),
        sub_dir: sub.into(),
        content_type: "image/jpeg".into(),
        size: 20_000 + id * 37,
        width: 200,
        height: 200,
    }
}

fn user(
    id: u64,
    name: &str,
    last_name: &str,
    position: &str,
    gender: char,
    manager: Option<u64>,
    with_photo: bool,
) -> User {
    User {
        id,
        name: name.into(),
        last_name: last_name.into(),
        email: format!("user{id}@example.test"),
        work_position: position.into(),
        gender: Some(gender),
        photo: with_photo.then(|| {
            photo(
                100 + id,
                &format!("main/a{id}f"),
                &format!("avatar{id}.jpg"),
            )
        }),
        manager,
        active: true,
        registered: portal_ts(2024, 1, 10, 9, 0, 0) + id as i64 * 86_400,
        last_login: LOGICAL_BASE - id as i64 * 3600,
    }
}

fn people() -> Vec<User> {
    vec![
        user(1, "Anna", "Petrova", "Head of operations", 'F', None, true),
        user(2, "Igor", "Smirnov", "Analyst", 'M', Some(1), false),
        user(3, "Olga", "Ivanova", "", 'F', Some(1), true),
        user(4, "Pavel", "Orlov", "Developer", 'M', Some(7), true),
        user(5, "Мария", "Кузнецова", "Бухгалтер", 'F', Some(1), false),
        user(6, "Dmitry", "Volkov", "", 'M', Some(1), false),
        user(
            7,
            "Elena",
            "Sokolova",
            "Project manager",
            'F',
            Some(1),
            true,
        ),
        user(8, "Sergey", "Morozov", "Designer", 'M', Some(7), false),
    ]
}

fn groups() -> Vec<Group> {
    vec![
        Group {
            id: 1,
            name: "Marketing".into(),
            opened: true,
            visible: true,
            kind: GroupKind::Group,
            members: vec![1, 2, 3, 5, 7],
            image: Some(photo(201, "socialnetwork/g1", "marketing.png")),
        },
        Group {
            id: 2,
            name: "Development".into(),
            opened: false,
            visible: false,
            kind: GroupKind::Scrum,
            members: vec![1, 4, 6, 8],
            image: None,
        },
        Group {
            id: 3,
            name: "Проект Альфа".into(),
            opened: true,
            visible: true,
            kind: GroupKind::Project,
            members: vec![1, 3, 7],
            image: Some(photo(203, "socialnetwork/g3", "alpha.png")),
        },
    ]
}

fn stages() -> Vec<Stage> {
    let s = |id, group_id, title: &str, color: &str| Stage {
        id,
        group_id,
        title: title.into(),
        color: color.into(),
    };
    vec![
        s(11, 1, "New", "00C4FB"),
        s(12, 1, "In work", "47D1E2"),
        s(13, 1, "Done", "75D900"),
        s(31, 3, "Backlog", "ACE9FB"),
        s(32, 3, "Review", "FFA900"),
    ]
}

const VERBS: [&str; 12] = [
    "Prepare", "Review", "Call", "Update", "Fix", "Order", "Plan", "Write", "Check", "Send",
    "Renew", "Archive",
];
const OBJECTS: [&str; 12] = [
    "Q3 report",
    "supplier contract",
    "office chairs",
    "SSL certificate",
    "landing page",
    "budget draft",
    "release notes",
    "team meeting",
    "client invoice",
    "backup policy",
    "onboarding guide",
    "price list",
];
const CYRILLIC: [&str; 4] = [
    "Подготовить отчёт",
    "Позвонить клиенту",
    "Проверить счёт",
    "Обновить прайс-лист",
];
const CRM_PREFIXES: [&str; 6] = ["D", "C", "CO", "L", "SI", "T88"];
const TAGS: [&str; 5] = ["urgent", "client", "internal", "Q4", "срочно"];
const CHECK_ITEMS: [&str; 6] = [
    "Collect data",
    "Draft",
    "Get approval",
    "Send to client",
    "Проверить",
    "Archive copies",
];

/// Users drawn with probability `percent` each, in id order.
fn some_users(rng: &mut Rng, ids: &[u64], percent: u64) -> Vec<u64> {
    ids.iter()
        .copied()
        .filter(|_| rng.chance(percent))
        .collect()
}

pub fn generate(seed: u64, count: usize) -> Store {
    let users = people();
    let ids: Vec<u64> = users.iter().map(|u| u.id).collect();
    let groups = groups();
    let mut rng = Rng::new(seed);
    let mut counters = Counters {
        tag: 34 + TAGS.len() as u64,
        ..Counters::default()
    };
    let tags: Vec<Tag> = TAGS
        .iter()
        .enumerate()
        .map(|(i, t)| Tag {
            id: 35 + i as u64,
            title: (*t).into(),
        })
        .collect();
    let n = count as i64;
    // spread creation dates over about five weeks before the logical now
    let step = (35 * 86_400 / n.max(1)).max(60);
    let mut tasks: BTreeMap<u64, Task> = BTreeMap::new();
    let mut results: BTreeMap<u64, Vec<TaskResult>> = BTreeMap::new();
    let mut id = 0u64;
    let mut last_ids: Vec<u64> = Vec::with_capacity(8);
    for i in 0..n {
        // ids grow by one, sometimes two: the gaps are tasks deleted before the snapshot
        id += if rng.chance(8) { 2 } else { 1 };
        let created = LOGICAL_BASE - (n - i) * step - rng.below(300) as i64 * 60;
        let task = one_task(
            &mut rng,
            id,
            i,
            created,
            &ids,
            &groups,
            &last_ids,
            &mut counters,
        );
        if rng.chance(9) {
            let rs = task_results(&mut rng, &task, &mut counters);
            if !rs.is_empty() {
                results.insert(id, rs);
            }
        }
        if last_ids.len() == 8 {
            last_ids.remove(0);
        }
        last_ids.push(id);
        tasks.insert(id, task);
    }
    counters.task = id;
    Store {
        users,
        groups,
        stages: stages(),
        flows: vec![Flow {
            id: 1,
            name: "Support requests".into(),
        }],
        tags,
        tasks,
        results,
        counters,
        now: LOGICAL_BASE,
    }
}

#[allow(clippy::too_many_arguments)]
fn one_task(
    rng: &mut Rng,
    id: u64,
    index: i64,
    created: i64,
    ids: &[u64],
    groups: &[Group],
    recent: &[u64],
    counters: &mut Counters,
) -> Task {
    let pick_user = |rng: &mut Rng| rng.pick(ids).copied().unwrap_or(1);
    let title = if index % 11 == 5 {
        CYRILLIC[(index / 11 % 4) as usize].to_string()
    } else {
        let verb = rng.pick(&VERBS).copied().unwrap_or("Plan");
        let object = rng.pick(&OBJECTS).copied().unwrap_or("report");
        let mut t = format!("{verb} {object}");
        if rng.chance(30) {
            t.push_str(&format!(" #{}", rng.below(90) + 10));
        }
        t
    };
    let created_by = pick_user(rng);
    let responsible_id = pick_user(rng);
    let mut accomplices = Vec::new();
    for _ in 0..rng.below(3) {
        let u = pick_user(rng);
        if u != responsible_id && !accomplices.contains(&u) {
            accomplices.push(u);
        }
    }
    let mut auditors = Vec::new();
    for _ in 0..rng.below(3) {
        let u = pick_user(rng);
        if u != responsible_id && !auditors.contains(&u) && !accomplices.contains(&u) {
            auditors.push(u);
        }
    }
    let status = [2u8, 2, 3, 3, 4, 5, 5, 6, 7][rng.below(9) as usize];
    let changed = (created + rng.below(72 * 60) as i64 * 60).min(LOGICAL_BASE - 60);
    let deadline = if rng.chance(35) {
        None
    } else {
        // some deadlines fall after the logical now, a few within the next day
        Some(created + (1 + rng.below(40)) as i64 * 43_200 - created.rem_euclid(3600))
    };
    let group = match rng.below(5) {
        0 => groups.first(),
        1 => groups.get(1),
        2 => groups.get(2),
        _ => None,
    };
    let group_id = group.map(|g| g.id);
    let scrum = group.is_some_and(|g| g.kind == GroupKind::Scrum);
    let stage_id = match group_id {
        Some(1) if rng.chance(60) => Some(11 + rng.below(3)),
        Some(3) if rng.chance(50) => Some(31 + rng.below(2)),
        _ => None,
    };
    let plan = rng.chance(25);
    let mark = (status == 5 && rng.chance(50)).then(|| {
        if rng.chance(70) {
            Mark::Positive
        } else {
            Mark::Negative
        }
    });
    let members: Vec<u64> = [created_by, responsible_id]
        .into_iter()
        .chain(accomplices.iter().copied())
        .chain(auditors.iter().copied())
        .collect();
    // view marks: most members other than the creator opened the task at some point
    let mut viewed = Vec::new();
    for m in &members {
        if *m != created_by && !viewed.iter().any(|(u, _)| u == m) && rng.chance(70) {
            viewed.push((*m, created + rng.below(48 * 60) as i64 * 60));
        }
    }
    if rng.chance(50) {
        viewed.push((created_by, created + 60));
    }
    let with_forum = rng.chance(60);
    let mut comments = Vec::new();
    if with_forum {
        for _ in 0..rng.below(7) {
            let author = members
                .get(rng.below(members.len() as u64) as usize)
                .copied()
                .unwrap_or(created_by);
            comments.push(Comment {
                author,
                at: created + rng.below(96 * 60) as i64 * 60,
                service: rng.chance(35),
            });
        }
        comments.sort_by_key(|c| c.at);
    }
    let allow_time_tracking = rng.chance(30);
    let time_spent = (allow_time_tracking && rng.chance(60)).then(|| rng.below(40) as i64 * 900);
    let checklist = if rng.chance(20) {
        checklist(rng, created_by, counters, created)
    } else {
        Vec::new()
    };
    let crm_items: Vec<String> = if rng.chance(15) {
        (0..1 + rng.below(3))
            .map(|_| {
                let p = rng.pick(&CRM_PREFIXES).copied().unwrap_or("D");
                format!("{p}_{}", 10 + rng.below(90))
            })
            .collect()
    } else {
        Vec::new()
    };
    let files: Vec<u64> = if rng.chance(15) {
        (0..1 + rng.below(3))
            .map(|_| {
                counters.file += 1;
                1000 + counters.file
            })
            .collect()
    } else {
        Vec::new()
    };
    let tags: Vec<u64> = if rng.chance(20) {
        let mut t = vec![35 + rng.below(TAGS.len() as u64)];
        if rng.chance(30) {
            let other = 35 + rng.below(TAGS.len() as u64);
            if !t.contains(&other) {
                t.push(other);
            }
        }
        t
    } else {
        Vec::new()
    };
    let closed = (status == 5).then_some(changed);
    let started = (status != 2).then_some(created + 3600);
    let parent_id = if id > 10 && rng.chance(10) {
        rng.pick(recent).copied()
    } else {
        None
    };
    let depends_on = if rng.chance(5) {
        rng.pick(recent).copied().into_iter().collect()
    } else {
        Vec::new()
    };
    Task {
        id,
        parent_id,
        description: if rng.chance(40) {
            String::new()
        } else {
            format!(
                "Details for task {id}: see [B]{}[/B] & the notes.",
                OBJECTS[(id % 12) as usize]
            )
        },
        description_in_bbcode: rng.chance(95),
        title,
        chat_id: Some(2000 + id),
        mark,
        priority: rng.below(3) as u8,
        multitask: rng.chance(10),
        replicate: rng.chance(5),
        stage_id,
        sprint_id: (scrum && rng.chance(70)).then(|| 201 + rng.below(2)),
        backlog_id: scrum.then_some(20),
        epic_id: (scrum && rng.chance(40)).then(|| 41 + rng.below(2)),
        story_points: (scrum && rng.chance(50)).then(|| [1, 2, 3, 5, 8][rng.below(5) as usize]),
        created_by,
        created,
        responsible_id,
        accomplices,
        auditors,
        changed_by: created_by,
        changed,
        status_changed_by: (status != 2).then_some(responsible_id),
        status_changed: changed,
        closed_by: closed.map(|_| responsible_id),
        closed,
        activity: changed,
        started,
        deadline,
        start_plan: plan.then_some(created + 86_400),
        end_plan: plan.then_some(created + 3 * 86_400),
        guid: guid_for(id),
        xml_id: rng.chance(10).then(|| format!("EXT-{id}")),
        allow_change_deadline: rng.chance(50),
        allow_time_tracking,
        task_control: rng.chance(40),
        add_in_report: rng.chance(20),
        forked_by_template_id: rng.chance(5).then(|| 1 + rng.below(3)),
        time_estimate: if rng.chance(30) {
            rng.below(16) as i64 * 1800
        } else {
            0
        },
        time_spent,
        match_work_time: rng.chance(15),
        forum_topic_id: with_forum.then_some(1000 + id),
        forum_id: with_forum.then_some(11),
        site_id: "s1".into(),
        exchange_modified: None,
        exchange_id: None,
        outlook_version: 1 + rng.below(5) as i64,
        sorting: rng.chance(5).then(|| rng.below(2000) as i64),
        duration_plan: plan.then_some(2),
        duration_fact: time_spent.map(|s| s / 60),
        duration_type: "days".into(),
        muted_by: some_users(rng, ids, 4),
        pinned_by: some_users(rng, ids, 6),
        pinned_in_group_by: if group_id.is_some() {
            some_users(rng, ids, 5)
        } else {
            Vec::new()
        },
        favorite_of: some_users(rng, ids, 12),
        viewed,
        flow_id: (group_id == Some(1) && rng.chance(20)).then_some(1),
        status,
        group_id,
        crm_scenario: !crm_items.is_empty() && rng.chance(50),
        crm_items,
        files,
        mail_message: rng.chance(3).then(|| 700 + id),
        require_result: rng.chance(10),
        matches_subtasks_time: rng.chance(5),
        autocomplete_subtasks: rng.chance(5),
        allows_change_date_plan: rng.chance(20),
        checklist,
        comments,
        tags,
        depends_on,
        contains_placements: rng.chance(30),
        reminders: if rng.chance(10) {
            1 + rng.below(2) as u32
        } else {
            0
        },
    }
}

fn checklist(
    rng: &mut Rng,
    author: u64,
    counters: &mut Counters,
    created: i64,
) -> Vec<ChecklistItem> {
    let mut items = Vec::new();
    for list in 0..1 + rng.below(2) {
        counters.checklist += 1;
        let root = counters.checklist;
        items.push(ChecklistItem {
            id: root,
            parent_id: 0,
            created_by: author,
            title: format!("Checklist {}", list + 1),
            sort_index: list as i64,
            complete: false,
            important: false,
            toggled_by: None,
            toggled_at: None,
        });
        for k in 0..2 + rng.below(3) {
            counters.checklist += 1;
            let done = rng.chance(40);
            items.push(ChecklistItem {
                id: counters.checklist,
                parent_id: root,
                created_by: author,
                title: rng
                    .pick(&CHECK_ITEMS)
                    .copied()
                    .unwrap_or("Item")
                    .to_string(),
                sort_index: k as i64,
                complete: done,
                important: rng.chance(15),
                toggled_by: done.then_some(author),
                toggled_at: done.then_some(created + 7200),
            });
        }
    }
    items
}

fn task_results(rng: &mut Rng, task: &Task, counters: &mut Counters) -> Vec<TaskResult> {
    let mut out = Vec::new();
    for k in 0..1 + rng.below(3) {
        counters.result += 1;
        let rid = counters.result;
        let at = task.created + (k as i64 + 1) * 7200;
        out.push(TaskResult {
            id: rid,
            task_id: task.id,
            author_id: task.responsible_id,
            created_at: at,
            updated_at: at + if k == 0 { 0 } else { 600 },
            closed: task.status == 5 || (k > 0 && rng.chance(50)),
            text: if k == 0 {
                format!("Result {rid}: done [B]on time[/B]")
            } else {
                format!("Result {rid} & follow-up <check> [I]next[/I]")
            },
            files: if rng.chance(30) {
                vec![5000 + rid, 5001 + rid]
            } else {
                Vec::new()
            },
            // results of tasks without a forum topic come from chat messages only
            comment_id: task.forum_topic_id.map(|_| 3000 + rid),
            message_id: rng.chance(50).then_some(8000 + rid),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_portal_other_seed_other_tasks() {
        assert_eq!(generate(42, 140), generate(42, 140));
        assert_ne!(generate(42, 140).tasks, generate(43, 140).tasks);
    }

    #[test]
    fn the_default_portal_has_the_promised_variety() {
        let s = generate(42, 140);
        assert_eq!(s.tasks.len(), 140);
        assert_eq!(s.users.len(), 8);
        assert_eq!(s.groups.len(), 3);
        let any = |p: &dyn Fn(&Task) -> bool| s.tasks.values().any(p);
        for st in [2u8, 3, 4, 5, 6, 7] {
            assert!(any(&|t| t.status == st), "status {st}");
        }
        assert!(any(&|t| t.deadline.is_none()) && any(&|t| t.deadline.is_some()));
        assert!(any(&|t| !t.checklist.is_empty()));
        assert!(any(&|t| !t.crm_items.is_empty()));
        assert!(any(&|t| !t.files.is_empty()));
        assert!(any(&|t| !t.comments.is_empty()));
        assert!(any(&|t| !t.viewed.is_empty()) && any(&|t| t.not_viewed_by(t.responsible_id)));
        assert!(any(&|t| t.sprint_id.is_some()));
        assert!(any(&|t| !t.tags.is_empty()));
        assert!(any(&|t| t.parent_id.is_some()));
        assert!(any(&|t| t.title.starts_with('П')));
        assert!(s.results.len() >= 5);
        let visible = s.tasks.values().filter(|t| s.can_read(t, 7)).count();
        assert!(visible > 10 && visible < s.tasks.len(), "{visible}");
    }

    #[test]
    fn twenty_thousand_tasks_are_quick_and_ordered() {
        let started = std::time::Instant::now();
        let s = generate(42, 20_000);
        assert_eq!(s.tasks.len(), 20_000);
        assert!(started.elapsed().as_secs() < 10);
        let first = s.tasks.values().next().map(|t| t.created).unwrap_or(0);
        let last = s.tasks.values().last().map(|t| t.created).unwrap_or(0);
        assert!(first < last && last < LOGICAL_BASE);
    }
}
