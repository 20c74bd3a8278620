//! `Idempotency-Key` (rest-v3.md#idempotency) for add/update/delete: the key is scoped to
//! caller × method; the first successful answer is kept for 24 hours with the body it
//! answered; the same key with the same body gets that answer back with
//! `Idempotent-Replayed: true` without running the method; with another body it is 422
//! `IDEMPOTENCYKEYREUSEDEXCEPTION`; a key that is not 1–255 printable ASCII characters is
//! 400 `INVALIDIDEMPOTENCYKEYEXCEPTION`. Errors are not kept. Every answer to a call that
//! carried a key echoes it in `Idempotency-Key`.
//!
//! Bodies compare as JSON values (object key order does not matter).

use super::V3Err;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const KEEP_FOR: Duration = Duration::from_secs(24 * 3600);

/// A stored answer: status, body, headers.
pub type Stored = (u16, Value, Vec<(String, String)>);

#[derive(Default)]
pub struct Registry {
    entries: HashMap<(u64, String, String), (Value, Stored, Instant)>,
}

pub fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

pub enum Decision {
    /// Run the method, then [`Registry::remember`] a success.
    Run,
    /// Answer this instead.
    Answer(Stored),
}

impl Registry {
    pub fn check(&mut self, user: u64, method: &str, key: &str, body: &Value) -> Decision {
        if !valid_key(key) {
            let e = V3Err::new(
                400,
                "INVALIDIDEMPOTENCYKEYEXCEPTION",
                "The Idempotency-Key value must be 1 to 255 printable ASCII characters",
            );
            return Decision::Answer((e.status, e.body(), Vec::new()));
        }
        let slot = (user, method.to_string(), key.to_string());
        self.entries.retain(|_, (_, _, at)| at.elapsed() < KEEP_FOR);
        match self.entries.get(&slot) {
            None => Decision::Run,
            Some((stored_body, _, _)) if stored_body != body => {
                let e = V3Err::new(
                    422,
                    "IDEMPOTENCYKEYREUSEDEXCEPTION",
                    "The Idempotency-Key was already used with a different request body",
                );
                Decision::Answer((
                    e.status,
                    e.body(),
                    vec![("Idempotency-Key".into(), key.into())],
                ))
            }
            Some((_, (status, answer, headers), _)) => {
                let mut headers = headers.clone();
                headers.push(("Idempotent-Replayed".into(), "true".into()));
                Decision::Answer((*status, answer.clone(), headers))
            }
        }
    }

    pub fn remember(&mut self, user: u64, method: &str, key: &str, body: &Value, answer: Stored) {
        if answer.0 == 200 {
            self.entries.insert(
                (user, method.to_string(), key.to_string()),
                (body.clone(), answer, Instant::now()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_printable_ascii_of_bounded_length() {
        assert!(valid_key("9f1c1a7e-5f1b-4a1e-9a2c-2f5f2b6c7d80"));
        assert!(valid_key(" "));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(!valid_key("ключ"));
        assert!(!valid_key("a\tb"));
    }

    #[test]
    fn replay_reuse_and_errors_not_kept() {
        let mut r = Registry::default();
        let body = json!({"fields": {"title": "x"}});
        assert!(matches!(r.check(1, "m", "k", &body), Decision::Run));
        r.remember(1, "m", "k", &body, (400, json!({}), Vec::new()));
        assert!(matches!(r.check(1, "m", "k", &body), Decision::Run));
        r.remember(
            1,
            "m",
            "k",
            &body,
            (
                200,
                json!({"result": 1}),
                vec![("Idempotency-Key".into(), "k".into())],
            ),
        );
        let same = json!({"fields": {"title": "x"}});
        match r.check(1, "m", "k", &same) {
            Decision::Answer((200, b, h)) => {
                assert_eq!(b, json!({"result": 1}));
                assert!(h.contains(&("Idempotent-Replayed".to_string(), "true".to_string())));
            }
            _ => panic!("expected a replay"),
        }
        assert!(matches!(
            r.check(1, "m", "k", &json!({"other": 1})),
            Decision::Answer((422, _, _))
        ));
        assert!(matches!(r.check(2, "m", "k", &body), Decision::Run));
        assert!(matches!(r.check(1, "other", "k", &body), Decision::Run));
    }
}
