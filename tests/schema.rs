//! Schema awareness: what the portal says about REST 3.0 refines the built-in rules.

mod support;

use b24bridge::config::{Config, RawConfig};
use b24bridge::rules::MethodRoute;
use b24bridge::schema::{self, Severity};
use b24bridge::translate::{self, Context};
use serde_json::json;
use support::differential::Pair;

fn config(upstream: &str) -> Config {
    let mut raw = RawConfig::builtin().unwrap();
    raw.upstream = Some(upstream.into());
    Config::validate(&raw).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_builtin_rules_match_the_emulated_portal() {
    let pair = Pair::start().await;
    let config = config(&format!("http://{}", pair.behind.local_addr()));
    let client = b24bridge::upstream::UpstreamClient::new(&config).unwrap();
    let webhook = b24bridge::upstream::Credentials::Webhook(
        b24bridge::route::parse_webhook("1/hook1").unwrap(),
    );
    let portal = schema::fetch(&client, &webhook, &config.rules)
        .await
        .unwrap();
    assert!(
        portal.methods.contains("tasks.task.list")
            && portal.methods.contains("tasks.task.result.list")
    );
    let problems: Vec<_> = schema::compare(&config.rules, &portal)
        .into_iter()
        .filter(|f| f.severity == Severity::Problem)
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_portal_without_a_method_or_a_filterable_field_narrows_the_rules() {
    let config = config("http://127.0.0.1:1");
    let mut portal = schema::PortalSchema {
        methods: ["tasks.task.list", "tasks.task.get"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..Default::default()
    };
    portal.fields.insert(
        "task".into(),
        schema::fields_from_field_list(&json!({"result": {"items": [
            {"name": "id", "filterable": false, "sortable": true, "editable": false}
        ]}})),
    );
    let findings = schema::compare(&config.rules, &portal);
    assert!(findings
        .iter()
        .any(|f| f.severity == Severity::Problem && f.key.contains("tasks.task.add")));
    assert!(findings.iter().any(|f| f.message.contains("filterable")));

    let learned = schema::apply(&config.rules, &portal);
    assert_eq!(
        learned.route("tasks.task.add"),
        Some(&MethodRoute::V2),
        "a method the portal lacks goes to v2"
    );
    let Some(MethodRoute::V3(list)) = learned.route("tasks.task.list") else {
        panic!("list stays translated")
    };
    let params = json!({"filter": {">ID": 5}}).as_object().unwrap().clone();
    assert!(
        translate::plan(list, &params, Context::default()).is_err(),
        "an id filter the portal cannot apply now falls back"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bridge_with_schema_webhook_learns_at_start_up_and_still_translates() {
    let pair = Pair::start().await;
    let mut raw = support::raw_config(&format!("http://{}", pair.behind.local_addr()));
    raw.schema.webhook = Some("1/hook1".into());
    let bridge = support::start_bridge(raw).await;
    pair.behind.emulator().clear_served_log();
    let answer = support::send(
        bridge.local_addr(),
        "GET",
        "/rest/1/hook1/tasks.task.get?taskId=1",
        &[],
        "",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(pair
        .served()
        .iter()
        .any(|s| s.version == b24emu::ApiVersion::V3 && s.method == "tasks.task.get"));
}
