//! Where each v2 path goes. Method names are case-insensitive, `.json`/`.xml` pick the
//! format, one trailing slash is tolerated, `/rest/api/` is REST 3.0, and nothing outside
//! `/rest/` is ever forwarded.

use b24bridge::route::{route, Format, Route, V2Auth, V2Call};

fn webhook(user_id: u64, code: &str, method: &str, format: Format) -> Route {
    Route::V2(V2Call {
        auth: V2Auth::Webhook {
            user_id,
            code: code.into(),
        },
        method: method.into(),
        format,
    })
}

fn oauth(method: &str, format: Format) -> Route {
    Route::V2(V2Call {
        auth: V2Auth::OAuth,
        method: method.into(),
        format,
    })
}

#[test]
fn routing_table() {
    use Format::{Json, Xml};
    let table: Vec<(&str, &str, Route)> = vec![
        (
            "webhook call",
            "/rest/1/abc123/tasks.task.get",
            webhook(1, "abc123", "tasks.task.get", Json),
        ),
        (
            "webhook with .json",
            "/rest/1/abc123/tasks.task.get.json",
            webhook(1, "abc123", "tasks.task.get", Json),
        ),
        (
            "webhook with .xml",
            "/rest/7/k3y/batch.xml",
            webhook(7, "k3y", "batch", Xml),
        ),
        (
            "suffix in upper case",
            "/rest/7/k3y/user.current.JSON",
            webhook(7, "k3y", "user.current", Json),
        ),
        (
            "trailing slash (b24phpsdk)",
            "/rest/1/abc/crm.item.list/",
            webhook(1, "abc", "crm.item.list", Json),
        ),
        (
            "method case folded",
            "/rest/1/abc/Tasks.Task.List",
            webhook(1, "abc", "tasks.task.list", Json),
        ),
        (
            "code with dash and underscore",
            "/rest/12/a-b_c/profile",
            webhook(12, "a-b_c", "profile", Json),
        ),
        (
            "oauth call",
            "/rest/tasks.task.get",
            oauth("tasks.task.get", Json),
        ),
        (
            "oauth with .json",
            "/rest/crm.deal.add.json",
            oauth("crm.deal.add", Json),
        ),
        ("oauth batch", "/rest/batch", oauth("batch", Json)),
        (
            "oauth with trailing slash",
            "/rest/user.current/",
            oauth("user.current", Json),
        ),
        (
            "oauth download link",
            "/rest/download.json",
            oauth("download", Json),
        ),
        ("v3 webhook", "/rest/api/1/abc/tasks.task.get", Route::V3),
        ("v3 oauth", "/rest/api/tasks.task.list", Route::V3),
        ("v3 in any case", "/rest/API/documentation", Route::V3),
        ("health", "/healthz", Route::Health),
        ("readiness", "/readyz", Route::Ready),
        ("root", "/", Route::Outside),
        ("admin page", "/bitrix/admin/", Route::Outside),
        ("rest without slash", "/rest", Route::Outside),
        ("lookalike prefix", "/restore/1/a/b", Route::Outside),
    ];
    for (what, path, expected) in table {
        assert_eq!(route(path), expected, "{what}: {path}");
    }
}

#[test]
fn malformed_rest_paths_are_refused_not_forwarded() {
    for path in [
        "/rest/",
        "/rest//tasks.task.get",
        "/rest/1/abc",
        "/rest/1/abc/../../admin",
        "/rest/x/abc/tasks.task.get",
        "/rest/1/abc/tasks.task.get/extra",
        "/rest/1/a%2Fb/tasks.task.get",
        "/rest/1/abc/.json",
        "/rest/tasks task",
    ] {
        assert!(
            matches!(route(path), Route::Malformed(_)),
            "{path} -> {:?}",
            route(path)
        );
    }
}

#[test]
fn the_webhook_code_never_prints() {
    let printed = format!("{:?}", route("/rest/1/s3cr3t/user.current"));
    assert!(!printed.contains("s3cr3t"), "{printed}");
}
