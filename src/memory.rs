//! What the bridge remembers between calls, for a short while: counted totals and rows
//! read ahead, per caller and query (rule settings `total_ttl`, `read_ahead_ttl`). A write
//! the bridge makes to an entity forgets everything known of that entity's queries.
//!
//! Bounded: at most [`MAX_TOTALS`] counts and [`MAX_WINDOW_BYTES`] of rows read ahead in
//! all, counted as the rows weigh (their JSON text and index); the oldest go first. What
//! has outlived its rule's TTL is dropped as new knowledge comes in (at most once per
//! [`PURGE_EVERY`]), so memory follows what is in use rather than filling up to the bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::rules::MethodRule;
use crate::translate::answer::{Keys, Known, Learned, Window};
use crate::translate::reply::Row;

/// Most remembered counts.
pub const MAX_TOTALS: usize = 10_000;
/// Most bytes of rows kept read ahead, over all windows. Rows are kept as the JSON text
/// the portal sent plus the places of their fields: a full task row weighs 2–3 kB, so
/// this holds some 8,000 of them (README, "Deadlines and limits").
pub const MAX_WINDOW_BYTES: usize = 24 << 20;

/// How often stale entries are looked for.
pub const PURGE_EVERY: Duration = Duration::from_secs(1);

struct Entry<T> {
    value: T,
    entity: String,
    at: Instant,
    /// When it stops being fresh (`at` + the rule's TTL).
    expires: Instant,
}

#[derive(Default)]
struct Inner {
    totals: HashMap<String, Entry<u64>>,
    windows: HashMap<String, Entry<Arc<Window>>>,
    window_bytes: usize,
    purged: Option<Instant>,
}

/// Counts and windows, shared by every call of a running bridge.
#[derive(Default)]
pub struct Memory {
    inner: Mutex<Inner>,
}

/// Counters of how memory served, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recall {
    pub total_hit: bool,
    pub window_hit: bool,
}

fn key(scope: &str, name: &str) -> String {
    format!("{scope}|{name}")
}

impl Memory {
    /// What is known of a call's query for `scope` (the caller), still fresh.
    pub fn known(&self, scope: &str, keys: &Keys, rule: &MethodRule) -> (Known, Recall) {
        let Ok(mut inner) = self.inner.lock() else {
            return (Known::default(), Recall::default());
        };
        let now = Instant::now();
        let total = fresh(
            &mut inner.totals,
            &key(scope, &keys.count),
            rule.total_ttl,
            now,
        )
        .copied();
        let window_key = key(scope, &keys.window);
        let stale = inner
            .windows
            .get(&window_key)
            .is_some_and(|e| now.duration_since(e.at) > rule.read_ahead_ttl);
        if stale {
            if let Some(old) = inner.windows.remove(&window_key) {
                inner.window_bytes -= weight(&old.value);
            }
        }
        let window = inner.windows.get(&window_key).map(|e| e.value.clone());
        let recall = Recall {
            total_hit: total.is_some(),
            window_hit: window.is_some(),
        };
        (Known { total, window }, recall)
    }

    /// Keeps what a finished call learned.
    pub fn learn(
        &self,
        scope: &str,
        keys: Option<&Keys>,
        rule: &MethodRule,
        learned: Vec<Learned>,
    ) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let entity = rule.entity.name.clone();
        let now = Instant::now();
        if inner
            .purged
            .is_none_or(|at| now.duration_since(at) >= PURGE_EVERY)
        {
            inner.purge(now);
        }
        for item in learned {
            match item {
                Learned::Forget(entity) => inner.forget(&entity),
                Learned::Total(total) if !rule.total_ttl.is_zero() => {
                    if let Some(keys) = keys {
                        if inner.totals.len() >= MAX_TOTALS {
                            evict_oldest(&mut inner.totals);
                        }
                        inner.totals.insert(
                            key(scope, &keys.count),
                            Entry {
                                value: total,
                                entity: entity.clone(),
                                at: now,
                                expires: now + rule.total_ttl,
                            },
                        );
                    }
                }
                Learned::Window(window) if !rule.read_ahead_ttl.is_zero() => {
                    let Some(keys) = keys else { continue };
                    let bytes = weight(&window);
                    if bytes > MAX_WINDOW_BYTES {
                        continue;
                    }
                    let name = key(scope, &keys.window);
                    if let Some(old) = inner.windows.remove(&name) {
                        inner.window_bytes -= weight(&old.value);
                    }
                    while inner.window_bytes + bytes > MAX_WINDOW_BYTES {
                        let Some(oldest) = oldest_key(&inner.windows) else {
                            break;
                        };
                        if let Some(old) = inner.windows.remove(&oldest) {
                            inner.window_bytes -= weight(&old.value);
                        }
                    }
                    inner.window_bytes += bytes;
                    inner.windows.insert(
                        name,
                        Entry {
                            value: Arc::new(window),
                            entity: entity.clone(),
                            at: now,
                            expires: now + rule.read_ahead_ttl,
                        },
                    );
                }
                Learned::Total(_) | Learned::Window(_) => {}
            }
        }
    }

    /// Forgets everything known of an entity's queries (a write the bridge did not make
    /// itself, such as a passed-through method, may have changed them).
    pub fn forget(&self, entity: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.forget(entity);
        }
    }
}

impl Inner {
    /// Drops what is no longer fresh.
    fn purge(&mut self, now: Instant) {
        self.purged = Some(now);
        self.totals.retain(|_, e| e.expires > now);
        let mut freed = 0;
        self.windows.retain(|_, e| {
            let keep = e.expires > now;
            if !keep {
                freed += weight(&e.value);
            }
            keep
        });
        self.window_bytes -= freed;
    }

    fn forget(&mut self, entity: &str) {
        self.totals.retain(|_, e| e.entity != entity);
        let mut freed = 0;
        self.windows.retain(|_, e| {
            let keep = e.entity != entity;
            if !keep {
                freed += weight(&e.value);
            }
            keep
        });
        self.window_bytes -= freed;
    }
}

/// What a window's rows weigh in memory.
fn weight(window: &Window) -> usize {
    window.rows.iter().map(Row::weight).sum()
}

fn fresh<'a, T>(
    map: &'a mut HashMap<String, Entry<T>>,
    key: &str,
    ttl: Duration,
    now: Instant,
) -> Option<&'a T> {
    let stale = map.get(key).is_some_and(|e| now.duration_since(e.at) > ttl);
    if stale {
        map.remove(key);
    }
    map.get(key).map(|e| &e.value)
}

fn oldest_key<T>(map: &HashMap<String, Entry<T>>) -> Option<String> {
    map.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| k.clone())
}

fn evict_oldest<T>(map: &mut HashMap<String, Entry<T>>) {
    if let Some(k) = oldest_key(map) {
        map.remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, RawConfig};
    use crate::rules::MethodRoute;
    use crate::translate::answer::WindowStart;
    use serde_json::json;

    fn list_rule() -> Arc<MethodRule> {
        let mut raw = RawConfig::builtin().expect("built-in rules");
        raw.upstream = Some("http://127.0.0.1:1".into());
        let config = Config::validate(&raw).expect("valid");
        match config.rules.route("tasks.task.list") {
            Some(MethodRoute::V3(rule)) => rule.clone(),
            _ => panic!("tasks.task.list has a v3 rule"),
        }
    }

    fn window(rows: usize) -> Window {
        Window {
            start: WindowStart::Offset(0),
            rows: (0..rows)
                .map(|i| Row::from_value(&json!({"id": i, "title": "x".repeat(100)})))
                .collect(),
            complete: true,
        }
    }

    fn keys(n: usize) -> Keys {
        Keys {
            count: format!("count {n}"),
            window: format!("window {n}"),
        }
    }

    #[test]
    fn stale_windows_and_counts_are_dropped_when_new_ones_come_in() {
        let mut rule = (*list_rule()).clone();
        rule.read_ahead_ttl = Duration::from_millis(30);
        rule.total_ttl = Duration::from_millis(30);
        let memory = Memory::default();
        for n in 0..20 {
            let learned = vec![Learned::Total(5), Learned::Window(window(10))];
            memory.learn("caller", Some(&keys(n)), &rule, learned);
        }
        let held = memory.inner.lock().unwrap().window_bytes;
        assert!(held > 0);
        std::thread::sleep(Duration::from_millis(30) + PURGE_EVERY);
        memory.learn(
            "caller",
            Some(&keys(99)),
            &rule,
            vec![Learned::Window(window(1))],
        );
        let inner = memory.inner.lock().unwrap();
        assert_eq!(inner.windows.len(), 1, "only the new window is left");
        assert!(inner.totals.is_empty());
        assert_eq!(inner.window_bytes, weight(&window(1)));
    }

    #[test]
    fn windows_are_bounded_by_what_their_rows_weigh() {
        let rule = list_rule();
        let memory = Memory::default();
        let one = weight(&window(1_000));
        let fit = MAX_WINDOW_BYTES / one;
        for n in 0..fit + 5 {
            memory.learn(
                "caller",
                Some(&keys(n)),
                &rule,
                vec![Learned::Window(window(1_000))],
            );
        }
        let inner = memory.inner.lock().unwrap();
        assert!(inner.window_bytes <= MAX_WINDOW_BYTES);
        assert_eq!(inner.windows.len(), fit, "the oldest went first");
        let newest = format!("caller|window {}", fit + 4);
        assert!(inner.windows.contains_key(&newest));
    }
}
