//! REST 3.0 `Idempotency-Key` on add/update/delete: scope caller × method × key; the first
//! successful answer is stored with the body it answered; a replay with the same body gets
//! it back marked `Idempotent-Replayed: true`; another body gets 422; errors are not stored.

use super::{Answer, V3Err};
use serde_json::Value;
use std::collections::HashMap;

#[derive(Default)]
pub struct Registry {
    entries: HashMap<(u64, String, String), (String, Answer)>,
}

/// 1–255 printable ASCII characters (space through tilde).
pub fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// The body as text with object keys sorted, so key order does not make bodies differ.
pub fn canonical(v: &Value) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String((*k).clone()).to_string());
                    out.push(':');
                    if let Some(x) = m.get(*k) {
                        walk(x, out);
                    }
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    walk(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    walk(v, &mut s);
    s
}

impl Registry {
    pub fn handle(
        &mut self,
        user: u64,
        method: &str,
        key: &str,
        body: &Value,
        run: impl FnOnce() -> Answer,
    ) -> Answer {
        if !valid_key(key) {
            return V3Err::new(
                400,
                "INVALIDIDEMPOTENCYKEYEXCEPTION",
                "Idempotency-Key must be 1-255 printable ASCII characters",
            )
            .answer();
        }
        let slot = (user, method.to_string(), key.to_string());
        let text = canonical(body);
        if let Some((stored_body, answer)) = self.entries.get(&slot) {
            if *stored_body != text {
                let mut a = V3Err::new(
                    422,
                    "IDEMPOTENCYKEYREUSEDEXCEPTION",
                    "This Idempotency-Key was already used with a different request body",
                )
                .answer();
                a.headers.push(("Idempotency-Key".into(), key.into()));
                return a;
            }
            let mut a = answer.clone();
            a.headers
                .push(("Idempotent-Replayed".into(), "true".into()));
            return a;
        }
        let mut a = run();
        a.headers.push(("Idempotency-Key".into(), key.into()));
        if a.status == 200 {
            self.entries.insert(slot, (text, a.clone()));
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::Emulator;
    use super::*;
    use serde_json::json;

    fn header<'a>(a: &'a Answer, name: &str) -> Option<&'a str> {
        a.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn replay_returns_the_stored_answer_without_running_again() {
        let e = Emulator::new(1);
        let body = json!({"fields": {"title": "Once", "creatorId": 1, "responsibleId": 2}});
        let first = e.call_v3("tasks.task.add", &body, &ADMIN, Some("key-1"));
        assert_eq!(first.status, 200);
        assert_eq!(header(&first, "Idempotency-Key"), Some("key-1"));
        assert_eq!(header(&first, "Idempotent-Replayed"), None);
        // same body, keys in another order
        let again = json!({"fields": {"responsibleId": 2, "creatorId": 1, "title": "Once"}});
        let second = e.call_v3("tasks.task.add", &again, &ADMIN, Some("key-1"));
        assert_eq!(second.body, first.body);
        assert_eq!(header(&second, "Idempotent-Replayed"), Some("true"));
        assert_eq!(header(&second, "Idempotency-Key"), Some("key-1"));
        let n = e.call_v2(
            "tasks.task.list",
            &obj(json!({"filter": {"TITLE": "Once"}})),
            &ADMIN,
        );
        assert_eq!(n.body["total"], 1);
        // another caller or method has its own scope
        let other = e.call_v3("tasks.task.add", &body, &USER7, Some("key-1"));
        assert_eq!(header(&other, "Idempotent-Replayed"), None);
    }

    #[test]
    fn reuse_with_another_body_is_422_and_bad_keys_400() {
        let e = Emulator::new(1);
        let a = e.call_v3(
            "tasks.task.update",
            &json!({"id": 2, "fields": {"title": "A"}}),
            &ADMIN,
            Some("k"),
        );
        assert_eq!(a.status, 200);
        let b = e.call_v3(
            "tasks.task.update",
            &json!({"id": 2, "fields": {"title": "B"}}),
            &ADMIN,
            Some("k"),
        );
        assert_eq!(
            (b.status, b.body["error"]["code"].as_str()),
            (
                422,
                Some("BITRIX_REST_V3_EXCEPTION_IDEMPOTENCYKEYREUSEDEXCEPTION")
            )
        );
        for bad in ["", "caf\u{e9}", "tab\there", &"x".repeat(256)] {
            let c = e.call_v3("tasks.task.delete", &json!({"id": 3}), &ADMIN, Some(bad));
            assert_eq!(
                (c.status, c.body["error"]["code"].as_str()),
                (
                    400,
                    Some("BITRIX_REST_V3_EXCEPTION_INVALIDIDEMPOTENCYKEYEXCEPTION")
                )
            );
        }
        // reads ignore the key
        let g = e.call_v3("tasks.task.get", &json!({"id": 3}), &ADMIN, Some(""));
        assert_eq!(g.status, 200);
    }

    #[test]
    fn errors_are_not_stored() {
        let e = Emulator::new(1);
        let body = json!({"id": 999_999});
        let a = e.call_v3("tasks.task.delete", &body, &ADMIN, Some("k2"));
        assert_eq!(a.status, 400);
        let b = e.call_v3("tasks.task.delete", &json!({"id": 3}), &ADMIN, Some("k2"));
        assert_eq!(b.status, 200);
    }
}
