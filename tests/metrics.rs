//! `/metrics` on the admin listener after a known workload, series by series.

mod support;

use support::differential::Pair;
use support::send;

fn scrape_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_known_workload_shows_in_every_series_and_no_secret_does() {
    let pair = Pair::start().await;
    let bridge = pair.bridge_addr();
    // Two translated gets, one list that falls back (a filter REST 3.0 cannot express),
    // one pass-through call.
    for id in [1, 2] {
        let answer = send(
            bridge,
            "GET",
            &format!("/rest/1/hook1/tasks.task.get?taskId={id}"),
            &[],
            "",
        )
        .await;
        assert_eq!(answer.status, 200);
    }
    let fallback = send(
        bridge,
        "GET",
        "/rest/1/hook1/tasks.task.list?filter%5B%25TITLE%5D=x",
        &[],
        "",
    )
    .await;
    assert_eq!(fallback.status, 200);
    let pass = send(bridge, "GET", "/rest/1/hook1/user.current", &[], "").await;
    assert_eq!(pass.status, 200);

    let admin = pair.bridge.admin_addr().expect("the admin listener is on");
    let scraped = send(admin, "GET", "/metrics", &[], "").await;
    assert_eq!(scraped.status, 200);
    let text = String::from_utf8(scraped.body.to_vec()).unwrap();

    let calls = |method: &str, route: &str| {
        scrape_value(
            &text,
            &format!(r#"b24bridge_calls_total{{method="{method}",route="{route}",status="200"}}"#),
        )
    };
    assert_eq!(calls("tasks.task.get", "v3"), 2.0);
    assert_eq!(calls("tasks.task.list", "v2-fallback"), 1.0);
    assert_eq!(calls("user.current", "v2"), 1.0);
    assert_eq!(
        scrape_value(
            &text,
            r#"b24bridge_fallbacks_total{method="tasks.task.list",reason="REST 3.0 cannot filter on TITLE"}"#
        ),
        1.0
    );
    let portal = |api: &str, method: &str| {
        scrape_value(
            &text,
            &format!(
                r#"b24bridge_portal_requests_total{{api="{api}",method="{method}",outcome="2xx"}}"#
            ),
        )
    };
    assert_eq!(portal("v3", "tasks.task.get"), 2.0);
    assert_eq!(portal("v2", "tasks.task.list"), 1.0);
    assert_eq!(portal("v2", "user.current"), 1.0);
    assert_eq!(
        scrape_value(&text, "b24bridge_portal_latency_seconds_count"),
        4.0
    );
    assert_eq!(
        scrape_value(&text, "b24bridge_added_latency_seconds_count"),
        4.0
    );
    assert_eq!(scrape_value(&text, "b24bridge_in_flight_calls"), 0.0);
    assert!(
        !text.contains("hook1"),
        "a webhook code in the metrics:\n{text}"
    );

    // The probes answer on the admin listener too.
    assert_eq!(send(admin, "GET", "/healthz", &[], "").await.status, 200);
    assert_eq!(send(admin, "GET", "/readyz", &[], "").await.status, 200);
}
