//! The in-memory data both API versions render: users, groups, tasks and task results,
//! seeded deterministically, plus the rights computation shared by v2 `action` and v3
//! `rights`.

use super::clock::logical_base;
#[cfg(test)]
use super::clock::portal_ts;
use std::collections::BTreeMap;

/// The portal administrator: every right on every task.
pub const ADMIN_ID: u64 = 1;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub last_name: String,
    pub work_position: String,
    pub email: String,
    pub active: bool,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.name, self.last_name)
            .trim()
            .to_string()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: u64,
    pub name: String,
    pub opened: bool,
    pub members_count: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: u64,
    pub parent_id: Option<u64>,
    pub title: String,
    pub description: String,
    pub chat_id: Option<u64>,
    /// `'P'` positive, `'N'` negative, `None` unrated.
    pub mark: Option<char>,
    pub priority: u8,
    pub multitask: bool,
    pub replicate: bool,
    pub stage_id: Option<u64>,
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
    pub match_work_time: bool,
    pub site_id: String,
    pub exchange_modified: Option<i64>,
    pub exchange_id: Option<String>,
    pub outlook_version: i64,
    pub duration_plan: Option<i64>,
    pub duration_fact: Option<i64>,
    pub duration_type: String,
    pub muted_by: Vec<u64>,
    pub pinned_by: Vec<u64>,
    pub pinned_in_group_by: Vec<u64>,
    pub favorite_of: Vec<u64>,
    pub flow_id: Option<u64>,
    /// Real status 2..=7.
    pub status: u8,
    pub group_id: Option<u64>,
    pub crm_items: Vec<String>,
    pub require_result: bool,
    pub matches_subtasks_time: bool,
    pub autocomplete_subtasks: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskResult {
    pub id: u64,
    pub task_id: u64,
    pub author_id: u64,
    pub created_at: i64,
    pub updated_at: i64,
    /// 0 open, 1 closed.
    pub status: u8,
    pub text: String,
    pub files: Vec<u64>,
    pub message_id: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub tasks: BTreeMap<u64, Task>,
    pub results: Vec<TaskResult>,
    /// Highest task id ever issued (deleted ids are never reused).
    pub last_task_id: u64,
    pub last_result_id: u64,
    /// Logical clock, unix seconds; every write advances it by one minute.
    pub now: i64,
}

/// splitmix64: small, fast and fully determined by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[i.min(items.len().saturating_sub(1))]
    }
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

/// Number of seeded tasks.
pub const SEED_TASKS: u64 = 140;

impl Store {
    pub fn seeded(seed: u64) -> Store {
        let users = vec![
            user(1, "Anna", "Petrova", "Head of operations"),
            user(2, "Igor", "Smirnov", "Analyst"),
            user(3, "Olga", "Ivanova", ""),
            user(4, "Pavel", "Orlov", "Developer"),
            user(5, "Мария", "Кузнецова", "Бухгалтер"),
            user(6, "Dmitry", "Volkov", ""),
            user(7, "Elena", "Sokolova", "Project manager"),
            user(8, "Sergey", "Morozov", "Designer"),
        ];
        let groups = vec![
            Group {
                id: 1,
                name: "Marketing".into(),
                opened: true,
                members_count: 5,
            },
            Group {
                id: 2,
                name: "Development".into(),
                opened: false,
                members_count: 4,
            },
            Group {
                id: 3,
                name: "Проект Альфа".into(),
                opened: true,
                members_count: 3,
            },
        ];
        let mut rng = Rng::new(seed);
        let base = logical_base();
        let ids: Vec<u64> = users.iter().map(|u| u.id).collect();
        let mut tasks = BTreeMap::new();
        let mut id = 0u64;
        for i in 0..SEED_TASKS {
            // ids grow by 1, sometimes 2: the gaps are tasks deleted before the snapshot
            id += if rng.chance(8) { 2 } else { 1 };
            let title = if i % 11 == 5 {
                CYRILLIC[usize::try_from(i / 11 % 4).unwrap_or(0)].to_string()
            } else {
                let mut t = format!("{} {}", rng.pick(&VERBS), rng.pick(&OBJECTS));
                if rng.chance(30) {
                    t.push_str(&format!(" #{}", rng.below(90) + 10));
                }
                t
            };
            let created_by = *rng.pick(&ids);
            let responsible_id = *rng.pick(&ids);
            let mut accomplices = Vec::new();
            for _ in 0..rng.below(3) {
                let u = *rng.pick(&ids);
                if u != responsible_id && !accomplices.contains(&u) {
                    accomplices.push(u);
                }
            }
            let mut auditors = Vec::new();
            for _ in 0..rng.below(3) {
                let u = *rng.pick(&ids);
                if u != responsible_id && !auditors.contains(&u) && !accomplices.contains(&u) {
                    auditors.push(u);
                }
            }
            let status = [2u8, 2, 3, 3, 4, 5, 5, 6, 7][usize::try_from(rng.below(9)).unwrap_or(0)];
            let created = base - (SEED_TASKS - i) as i64 * 6 * 3600 - rng.below(300) as i64 * 60;
            let changed = created + rng.below(72 * 60) as i64 * 60;
            let deadline = if rng.chance(35) {
                None
            } else {
                Some(created + (1 + rng.below(40)) as i64 * 86_400 / 2 - created % 3600)
            };
            let started = (status != 2).then_some(created + 3600);
            let closed = (status == 5).then_some(changed);
            let group_id = match rng.below(5) {
                0 => Some(1),
                1 => Some(2),
                2 => Some(3),
                _ => None,
            };
            let plan = rng.chance(25);
            let start_plan = plan.then_some(created + 86_400);
            let end_plan = plan.then_some(created + 3 * 86_400);
            let mark = if status == 5 && rng.chance(50) {
                Some(if rng.chance(70) { 'P' } else { 'N' })
            } else {
                None
            };
            let member = |rng: &mut Rng, p: u64| {
                let mut v: Vec<u64> = ids.iter().copied().filter(|_| rng.chance(p)).collect();
                v.sort_unstable();
                v
            };
            let favorite_of = member(&mut rng, 12);
            let pinned_by = member(&mut rng, 6);
            let muted_by = member(&mut rng, 4);
            let pinned_in_group_by = if group_id.is_some() {
                member(&mut rng, 5)
            } else {
                Vec::new()
            };
            let task = Task {
                id,
                parent_id: if id > 10 && rng.chance(10) {
                    let back = usize::try_from(rng.below(5)).unwrap_or(0);
                    tasks.keys().rev().nth(back).copied()
                } else {
                    None
                },
                description: if rng.chance(40) {
                    String::new()
                } else {
                    format!(
                        "Details for task {id}: see [B]{}[/B].",
                        OBJECTS[(id % 12) as usize]
                    )
                },
                title,
                chat_id: Some(3000 + id),
                mark,
                priority: u8::try_from(rng.below(3)).unwrap_or(1),
                multitask: rng.chance(10),
                replicate: rng.chance(5),
                stage_id: if group_id.is_some() && rng.chance(50) {
                    Some(10 + rng.below(4))
                } else {
                    None
                },
                created_by,
                created,
                responsible_id,
                accomplices,
                auditors,
                changed_by: created_by,
                changed,
                status_changed_by: Some(if status == 2 {
                    created_by
                } else {
                    responsible_id
                }),
                status_changed: changed,
                closed_by: closed.map(|_| responsible_id),
                closed,
                activity: changed,
                started,
                deadline,
                start_plan,
                end_plan,
                guid: guid_for(id),
                xml_id: if rng.chance(10) {
                    Some(format!("EXT-{id}"))
                } else {
                    None
                },
                allow_change_deadline: rng.chance(50),
                allow_time_tracking: rng.chance(30),
                task_control: rng.chance(40),
                add_in_report: rng.chance(20),
                forked_by_template_id: None,
                time_estimate: if rng.chance(30) {
                    rng.below(16) as i64 * 1800
                } else {
                    0
                },
                match_work_time: rng.chance(15),
                site_id: "s1".into(),
                exchange_modified: None,
                exchange_id: None,
                outlook_version: 1 + rng.below(3) as i64,
                duration_plan: None,
                duration_fact: None,
                duration_type: "days".into(),
                muted_by,
                pinned_by,
                pinned_in_group_by,
                favorite_of,
                flow_id: None,
                status,
                group_id,
                crm_items: if rng.chance(15) {
                    vec![format!("D_{}", 80 + rng.below(20))]
                } else {
                    Vec::new()
                },
                require_result: rng.chance(10),
                matches_subtasks_time: false,
                autocomplete_subtasks: false,
            };
            tasks.insert(id, task);
        }
        // task results on a handful of tasks
        let mut results = Vec::new();
        let mut rid = 0;
        let with_results: Vec<u64> = tasks.keys().copied().filter(|k| k % 17 == 3).collect();
        for tid in with_results {
            let (resp, created) = match tasks.get(&tid) {
                Some(t) => (t.responsible_id, t.created),
                None => continue,
            };
            for n in 0..(1 + rng.below(3)) {
                rid += 1;
                let at = created + (n as i64 + 1) * 7200;
                results.push(TaskResult {
                    id: rid,
                    task_id: tid,
                    author_id: resp,
                    created_at: at,
                    updated_at: at + if n == 0 { 0 } else { 600 },
                    status: u8::from(n > 0),
                    text: if n == 0 {
                        format!("Result {rid}: done [B]on time[/B]")
                    } else {
                        format!("Result {rid} & follow-up <check>")
                    },
                    files: if rng.chance(30) {
                        vec![500 + rid]
                    } else {
                        Vec::new()
                    },
                    message_id: 800 + rid,
                });
            }
        }
        Store {
            users,
            groups,
            last_task_id: id,
            tasks,
            last_result_id: rid,
            results,
            now: base,
        }
    }

    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn group(&self, id: u64) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// Advances the logical clock by one minute and returns the new time.
    pub fn tick(&mut self) -> i64 {
        self.now += 60;
        self.now
    }

    pub fn can_read(&self, task: &Task, user: u64) -> bool {
        user == ADMIN_ID
            || is_participant(task, user)
            || task
                .group_id
                .and_then(|g| self.group(g))
                .is_some_and(|g| g.opened)
    }
}

fn user(id: u64, name: &str, last: &str, pos: &str) -> User {
    User {
        id,
        name: name.into(),
        last_name: last.into(),
        work_position: pos.into(),
        email: format!("user{id}@example.test"),
        active: true,
    }
}

pub fn guid_for(id: u64) -> String {
    format!("{{0f6a2c1e-0000-4000-8000-{id:012}}}")
}

pub fn is_participant(task: &Task, user: u64) -> bool {
    task.created_by == user
        || task.responsible_id == user
        || task.accomplices.contains(&user)
        || task.auditors.contains(&user)
}

/// The v3 `rights` keys in the order they are rendered; v2 `action` is derived from these
/// (see `fields::ACTION_MAP`).
pub const RIGHTS: [&str; 22] = [
    "read",
    "edit",
    "remove",
    "complete",
    "start",
    "pause",
    "delegate",
    "defer",
    "renew",
    "approve",
    "disapprove",
    "take",
    "deadline",
    "datePlan",
    "changeDirector",
    "mark",
    "elapsedTime",
    "favorite",
    "checklistAdd",
    "checklistEdit",
    "createSubtask",
    "timeTracking",
];

/// What `user` may do with `task`, in [`RIGHTS`] order.
pub fn rights(store: &Store, task: &Task, user: u64) -> Vec<(&'static str, bool)> {
    let read = store.can_read(task, user);
    let admin = user == ADMIN_ID;
    let director = admin || task.created_by == user;
    let doer = admin || task.responsible_id == user || task.accomplices.contains(&user);
    let st = task.status;
    let open = matches!(st, 2 | 3 | 6);
    let values = [
        read,
        director,
        director,
        (doer || director) && open,
        doer && matches!(st, 2 | 6),
        doer && st == 3,
        (director || task.responsible_id == user) && open,
        (doer || director) && matches!(st, 2 | 3),
        director && matches!(st, 4..=7),
        director && st == 4,
        director && st == 4,
        false,
        director || (task.responsible_id == user && task.allow_change_deadline),
        director || task.responsible_id == user,
        director,
        director && st == 5,
        read && task.allow_time_tracking,
        read,
        director || doer,
        director,
        read,
        doer && task.allow_time_tracking && open,
    ];
    RIGHTS.iter().copied().zip(values).collect()
}

pub fn right(store: &Store, task: &Task, user: u64, name: &str) -> bool {
    rights(store, task, user)
        .into_iter()
        .any(|(k, v)| k == name && v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_store_other_seed_other_store() {
        assert_eq!(Store::seeded(42), Store::seeded(42));
        assert_ne!(Store::seeded(42).tasks, Store::seeded(43).tasks);
    }

    #[test]
    fn seed_has_the_promised_variety() {
        let s = Store::seeded(7);
        assert!(s.tasks.len() >= 130);
        assert!((6..=8).contains(&s.users.len()));
        assert_eq!(s.groups.len(), 3);
        for st in 2..=7u8 {
            assert!(s.tasks.values().any(|t| t.status == st), "status {st}");
        }
        for p in 0..=2u8 {
            assert!(s.tasks.values().any(|t| t.priority == p));
        }
        assert!(s.tasks.values().any(|t| t.deadline.is_none()));
        assert!(s.tasks.values().any(|t| t.group_id.is_none()));
        assert!(s.tasks.values().any(|t| !t.accomplices.is_empty()));
        assert!(s.tasks.values().any(|t| t.title.starts_with('П')));
        assert!(s.tasks.values().any(|t| t.mark.is_some()));
        assert!(
            s.results
                .iter()
                .map(|r| r.task_id)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                >= 3
        );
        assert!(s.users.iter().any(|u| u.work_position.is_empty()));
        // user 7 sees some tasks but not all
        let visible = s.tasks.values().filter(|t| s.can_read(t, 7)).count();
        assert!(visible > 10 && visible < s.tasks.len());
        assert_eq!(s.last_task_id, *s.tasks.keys().max().unwrap_or(&0));
        assert!(portal_ts(2026, 1, 1, 0, 0, 0) < s.now);
    }
}
