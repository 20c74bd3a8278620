//! Who is calling: the user behind a credential, and keys that are stable per call.
//!
//! A webhook URL names its user. An OAuth token does not, so the bridge asks the portal
//! once per token (v2 `user.current`) and remembers the answer. Tokens are remembered only
//! as hashes.

use std::collections::hash_map::{DefaultHasher, RandomState};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::Map;

use crate::decode::value::int_value;
use crate::upstream::{Credentials, UpstreamClient};

/// Tokens live an hour; a bounded map is enough and never grows without end.
const MAX_REMEMBERED_TOKENS: usize = 10_000;

#[derive(Default)]
pub struct CallerCache {
    users: Mutex<HashMap<u64, u64>>,
}

fn token_hash(token: &str) -> u64 {
    let mut h = DefaultHasher::new();
    token.hash(&mut h);
    h.finish()
}

impl CallerCache {
    /// The user id of an OAuth token, asking the portal on first sight.
    pub async fn user_of_token(&self, client: &UpstreamClient, token: &str) -> Option<u64> {
        let key = token_hash(token);
        if let Some(id) = self.users.lock().ok().and_then(|m| m.get(&key).copied()) {
            return Some(id);
        }
        let id = ask_portal(client, token).await?;
        if let Ok(mut users) = self.users.lock() {
            if users.len() >= MAX_REMEMBERED_TOKENS {
                users.clear();
            }
            users.insert(key, id);
        }
        Some(id)
    }
}

/// The user behind a token: v2 `user.current`, asked with the token itself.
async fn ask_portal(client: &UpstreamClient, token: &str) -> Option<u64> {
    let request = Credentials::OAuth(token.to_owned()).v2_call("user.current", Map::new());
    let reply = client.post_json::<serde_json::Value>(&request).await.ok()?;
    if !(200..300).contains(&reply.status) {
        return None;
    }
    let id = reply.body.get("result")?.get("ID")?;
    int_value(id).and_then(|i| u64::try_from(i).ok())
}

/// The `Idempotency-Key` of a translated write. Derived from the client's own request id
/// when it sends one, so the client's retry of the same call is also deduplicated;
/// otherwise unique per call.
pub fn idempotency_key(
    credentials: &Credentials,
    method: &str,
    request_id: Option<&str>,
) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = DefaultHasher::new();
    match credentials {
        Credentials::Webhook(hook) => (hook.user_id, &hook.code).hash(&mut h),
        Credentials::OAuth(token) => Some(token.as_str()).hash(&mut h),
    }
    method.hash(&mut h);
    let identity = h.finish();
    let unique = match request_id {
        Some(id) => {
            let mut h = DefaultHasher::new();
            (identity, id).hash(&mut h);
            h.finish()
        }
        None => {
            let mut h = RandomState::new().build_hasher();
            COUNTER.fetch_add(1, Ordering::Relaxed).hash(&mut h);
            std::time::SystemTime::now().hash(&mut h);
            h.finish()
        }
    };
    format!("b24bridge-{identity:016x}{unique:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_client_request_id_and_are_otherwise_unique() {
        let hook = Credentials::Webhook(crate::route::Webhook {
            user_id: 1,
            code: "c".into(),
        });
        let a = idempotency_key(&hook, "tasks.task.add", Some("r1"));
        assert_eq!(a, idempotency_key(&hook, "tasks.task.add", Some("r1")));
        assert_ne!(a, idempotency_key(&hook, "tasks.task.add", Some("r2")));
        assert_ne!(
            idempotency_key(&hook, "tasks.task.add", None),
            idempotency_key(&hook, "tasks.task.add", None)
        );
        assert!(a.len() <= 255 && a.bytes().all(|b| b.is_ascii_graphic()));
    }
}
