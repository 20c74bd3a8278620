//! The two renderers side by side: for a v2 call the bridge translates, the REST 3.0
//! answer its plan reads is fetched from the emulator and rendered both ways — by the
//! value renderer (`render::entity` on a parsed tree, written by `php_json`) and by the
//! one-pass renderer the bridge serves from (`render::rows_json` / `entity_json` on rows
//! kept as text). Their bytes must be equal.

use std::net::SocketAddr;

use b24bridge::config::Config;
use b24bridge::decode::{decode_request, DecodeLimits};
use b24bridge::rules::{MethodRoute, MethodRule};
use b24bridge::translate::reply::{V3Body, V3Result};
use b24bridge::translate::{self, render, Context, Plan};
use serde_json::{json, Map, Value};

use super::{raw_config, send};

/// The webhook user of the corpus (`/rest/1/…`), the caller member flags are checked for.
const CALLER: Option<u64> = Some(1);

/// Compares both renderers for one v2 call, against the REST 3.0 endpoint of the
/// emulator at `portal`. Returns the number of rows compared (0 for calls that render no
/// entity: writes, deletes, refusals).
pub async fn assert_renderers_agree(
    portal: SocketAddr,
    target: &str,
    content_type: Option<&str>,
    body: &str,
) -> usize {
    let config = Config::validate(&raw_config(&format!("http://{portal}"))).expect("valid");
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let method = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_end_matches(".json")
        .to_ascii_lowercase();
    let Some(MethodRoute::V3(rule)) = config.rules.route(&method) else {
        return 0;
    };
    let Ok(decoded) = decode_request(
        query,
        content_type,
        body.as_bytes(),
        &DecodeLimits::default(),
    ) else {
        return 0;
    };
    let context = Context {
        caller: CALLER,
        sdk_filter_groups: config.rules.sdk_filter_groups,
    };
    let Ok(plan) = translate::plan(rule, &decoded.params, context) else {
        return 0;
    };
    let style = config.rules.json;
    match plan {
        Plan::Get { request, shape } => {
            let answer = v3(portal, &rule.v3_method, request).await;
            let tree: Value = serde_json::from_slice(&answer).expect("a JSON answer");
            let Some(item) = tree.pointer("/result/item") else {
                return 0;
            };
            let by_value = render::wrap(rule.wrap.as_deref(), value_entity(rule, &shape, item));
            let rows = one_pass_result(&answer);
            let one_pass = render::entity_json(
                rule.wrap.as_deref(),
                &rule.entity,
                &shape,
                rows.item.as_ref(),
                CALLER,
                style,
            );
            assert_bytes(
                target,
                render::V2Json::of(&by_value, style).bytes(),
                one_pass.bytes(),
            );
            1
        }
        Plan::List {
            mut request,
            shape,
            start,
        } => {
            let offset = start.unwrap_or(0);
            request.insert(
                "pagination".into(),
                json!({"offset": offset, "limit": rule.page_size + 1}),
            );
            let answer = v3(portal, &rule.v3_method, request).await;
            let tree: Value = serde_json::from_slice(&answer).expect("a JSON answer");
            let Some(items) = tree.pointer("/result/items").and_then(Value::as_array) else {
                return 0;
            };
            let by_value = value_rows(rule, &shape, items);
            let result = one_pass_result(&answer);
            let one_pass = render::rows_json(
                rule.wrap.as_deref(),
                &rule.entity,
                &shape,
                result.rows(),
                CALLER,
                style,
            );
            assert_bytes(
                target,
                render::V2Json::of(&by_value, style).bytes(),
                one_pass.bytes(),
            );
            items.len()
        }
        _ => 0,
    }
}

/// The answer's result as the bridge reads it: rows kept as text.
fn one_pass_result(answer: &[u8]) -> V3Result {
    V3Body::parse(answer)
        .and_then(|b| b.result)
        .map(|r| r.into_one())
        .expect("a result")
}

/// One v3 item rendered by the value renderer.
fn value_entity(rule: &MethodRule, shape: &translate::select::Shape, item: &Value) -> Value {
    let empty = Map::new();
    render::entity(
        &rule.entity,
        shape,
        item.as_object().unwrap_or(&empty),
        CALLER,
    )
}

fn value_rows(rule: &MethodRule, shape: &translate::select::Shape, items: &[Value]) -> Value {
    let rows = items
        .iter()
        .map(|item| value_entity(rule, shape, item))
        .collect();
    render::wrap(rule.wrap.as_deref(), Value::Array(rows))
}

async fn v3(portal: SocketAddr, method: &str, request: Map<String, Value>) -> bytes::Bytes {
    let answer = send(
        portal,
        "POST",
        &format!("/rest/api/1/hook1/{method}"),
        &[("content-type", "application/json")],
        serde_json::to_vec(&request).expect("serialises"),
    )
    .await;
    answer.body
}

fn assert_bytes(what: &str, by_value: &[u8], one_pass: &[u8]) {
    if by_value != one_pass {
        let at = by_value
            .iter()
            .zip(one_pass)
            .position(|(a, b)| a != b)
            .unwrap_or(by_value.len().min(one_pass.len()));
        let from = at.saturating_sub(80);
        panic!(
            "{what}: the renderers differ at byte {at}\n value renderer: …{}\n one-pass:       …{}",
            String::from_utf8_lossy(&by_value[from..(at + 80).min(by_value.len())]),
            String::from_utf8_lossy(&one_pass[from..(at + 80).min(one_pass.len())]),
        );
    }
}
