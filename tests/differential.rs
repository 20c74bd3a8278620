//! The compatibility oracle: for each v2 request, the answer through the bridge (served by
//! REST 3.0 where v3 can express the call) equals the answer of the v2 endpoint itself.
//!
//! Every case runs twice against emulators with the same seed: directly on the v2
//! endpoint, and through the bridge in front of the second emulator. The served-by log
//! of the bridged emulator proves which API answered.

mod support;

use support::differential::{assert_same, Pair};

/// How the bridge must have served a case.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Via {
    /// Translated: REST 3.0 answered.
    V3,
    /// Not expressible in REST 3.0: passed to v2 unchanged.
    Fallback,
    /// A malformed call v2 answers with its own error before doing anything: the bridge
    /// gives the same answer without asking the portal.
    Local,
}

/// A v2 request in one of the body forms clients use.
struct Case {
    what: &'static str,
    http: &'static str,
    target: String,
    content_type: Option<String>,
    body: String,
    via: Via,
}

const HOOK: &str = "/rest/1/hook1";

fn method_of(target: &str) -> String {
    let path = target.split('?').next().unwrap_or(target);
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    last.trim_end_matches(".json").to_ascii_lowercase()
}

fn get(what: &'static str, method: &str, query: &str, via: Via) -> Case {
    Case {
        what,
        http: "GET",
        target: format!("{HOOK}/{method}?{query}"),
        content_type: None,
        body: String::new(),
        via,
    }
}

fn form(what: &'static str, method: &str, body: &str, via: Via) -> Case {
    Case {
        what,
        http: "POST",
        target: format!("{HOOK}/{method}"),
        content_type: Some("application/x-www-form-urlencoded".into()),
        body: body.into(),
        via,
    }
}

fn json(what: &'static str, method: &str, body: &str, via: Via) -> Case {
    Case {
        what,
        http: "POST",
        target: format!("{HOOK}/{method}"),
        content_type: Some("application/json".into()),
        body: body.into(),
        via,
    }
}

fn multipart(what: &'static str, method: &str, fields: &[(&str, &str)], via: Via) -> Case {
    let boundary = "b24bridgeBoundary7MA4YWxk";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    Case {
        what,
        http: "POST",
        target: format!("{HOOK}/{method}"),
        content_type: Some(format!("multipart/form-data; boundary={boundary}")),
        body,
        via,
    }
}

fn at(mut case: Case, target_prefix: &str) -> Case {
    case.target = case.target.replacen(HOOK, target_prefix, 1);
    case
}

/// Runs the cases; returns how many rows both renderers were compared on.
async fn run(pair: &Pair, cases: Vec<Case>) -> usize {
    let mut rows_compared = 0;
    let mut reads = 0;
    for case in cases {
        let mut headers = Vec::new();
        if let Some(ct) = &case.content_type {
            headers.push(("content-type", ct.as_str()));
        }
        let (direct, bridged) = pair
            .both(case.http, &case.target, &headers, &case.body)
            .await;
        let what = format!("{} ({} {})", case.what, case.http, case.target);
        assert_same(&what, &direct, &bridged);
        let method = method_of(&case.target);
        match case.via {
            Via::V3 => {
                pair.assert_served_by_v3(&what, &method);
                // Both renderers, on the rows this call reads.
                if method.ends_with(".get") || method.ends_with(".list") {
                    reads += 1;
                }
                rows_compared += support::renderers::assert_renderers_agree(
                    pair.behind.local_addr(),
                    &case.target,
                    case.content_type.as_deref(),
                    &case.body,
                )
                .await;
            }
            Via::Fallback => pair.assert_fell_back(&what, &method, &bridged),
            Via::Local => pair.assert_answered_locally(&what, &bridged),
        }
    }
    if reads > 0 {
        assert!(rows_compared > 0, "no rows were rendered both ways");
    }
    rows_compared
}

use Via::{Fallback, Local, V3};

#[tokio::test(flavor = "multi_thread")]
async fn get_in_every_body_form() {
    let pair = Pair::start().await;
    let cases = vec![
        get("get, default select", "tasks.task.get", "taskId=1", V3),
        get("get with .json suffix", "tasks.task.get.json", "taskId=2", V3),
        get("get, select list", "tasks.task.get", "taskId=3&select[]=ID&select[]=TITLE&select[]=STATUS", V3),
        get("get, select with creator and responsible", "tasks.task.get", "taskId=4&select[]=ID&select[]=CREATED_BY&select[]=RESPONSIBLE_ID", V3),
        get("get, select with accomplices and auditors", "tasks.task.get", "taskId=98&select[]=ACCOMPLICES&select[]=AUDITORS", V3),
        get("get, select *", "tasks.task.get", "taskId=5&select[]=*", V3),
        get("get, lower-case select names", "tasks.task.get", "taskId=6&select[]=id&select[]=title", V3),
        get("get, select with indices", "tasks.task.get", "taskId=7&select[0]=ID&select[1]=DEADLINE", V3),
        get("get, a task in a group", "tasks.task.get", "taskId=98", V3),
        get("get, missing task is an empty result", "tasks.task.get", "taskId=999999", V3),
        get("get, taskId in upper case", "tasks.task.get", "TASKID=8", V3),
        get("get, percent-encoded brackets", "tasks.task.get", "taskId=9&select%5B%5D=ID&select%5B%5D=PRIORITY", V3),
        form("get, form body", "tasks.task.get", "taskId=10&select[]=ID&select[]=TITLE", V3),
        form("get, form body with + in nothing that matters", "tasks.task.get", "taskId=11&select[]=MARK&select[]=GROUP_ID", V3),
        json("get, JSON body (b24pysdk)", "tasks.task.get.json", r#"{"taskId": 12}"#, V3),
        json("get, JSON id as string", "tasks.task.get", r#"{"taskId": "13", "select": ["ID", "TITLE", "CREATED_BY"]}"#, V3),
        multipart("get, multipart body", "tasks.task.get", &[("taskId", "14"), ("select[]", "ID"), ("select[]", "STATUS")], V3),
        get("get, flags and dates", "tasks.task.get", "taskId=15&select[]=ALLOW_CHANGE_DEADLINE&select[]=TASK_CONTROL&select[]=DEADLINE&select[]=CLOSED_DATE", V3),
        get("get, favourite and pins", "tasks.task.get", "taskId=16&select[]=FAVORITE&select[]=IS_PINNED&select[]=IS_MUTED", V3),
        get("get, CRM bindings", "tasks.task.get", "taskId=17&select[]=UF_CRM_TASK", V3),
        get("get, without taskId: v2's own error", "tasks.task.get", "select[]=ID", Local),
        get("get, taskId not a number: v2's own error", "tasks.task.get", "taskId=abc", Local),
        get("get, one system UF field brings all three", "tasks.task.get", "taskId=18&select[]=UF_TASK_WEBDAV_FILES", V3),
        json("get, broken JSON is v2's to answer", "tasks.task.get", r#"{"taskId": 1"#, Fallback),
    ];
    run(&pair, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_paging_matches_v2_arithmetic() {
    let pair = Pair::start().await;
    let cases = vec![
        get(
            "first page, default order ID desc",
            "tasks.task.list",
            "select[]=ID&select[]=TITLE",
            V3,
        ),
        get("start=0", "tasks.task.list", "select[]=ID&start=0", V3),
        get("start=50", "tasks.task.list", "select[]=ID&start=50", V3),
        get("start=100", "tasks.task.list", "select[]=ID&start=100", V3),
        get("last page", "tasks.task.list", "select[]=ID&start=130", V3),
        get(
            "past the end",
            "tasks.task.list",
            "select[]=ID&start=1000",
            V3,
        ),
        get(
            "start=-1: no count, no next",
            "tasks.task.list",
            "select[]=ID&start=-1",
            V3,
        ),
        get("odd start", "tasks.task.list", "select[]=ID&start=7", V3),
        json(
            "JSON start as number",
            "tasks.task.list",
            r#"{"select":["ID","TITLE"],"start":50}"#,
            V3,
        ),
        json(
            "keyset paging (b24jssdk)",
            "tasks.task.list",
            r#"{"select":["ID","TITLE"],"order":{"ID":"ASC"},"filter":{">ID":50},"start":-1}"#,
            V3,
        ),
        json(
            "keyset paging, next chunk",
            "tasks.task.list",
            r#"{"select":["ID","TITLE"],"order":{"ID":"ASC"},"filter":{">ID":100},"start":-1}"#,
            V3,
        ),
        get(
            "default select: all standard fields",
            "tasks.task.list",
            "start=50",
            V3,
        ),
        get("select *", "tasks.task.list", "select[]=*&start=100", V3),
        get(
            "start not a number: v2 decides",
            "tasks.task.list",
            "select[]=ID&start=abc",
            Fallback,
        ),
    ];
    run(&pair, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_and_orders() {
    let pair = Pair::start().await;
    let cases = vec![
        get(
            "ID equals",
            "tasks.task.list",
            "filter[ID]=5&select[]=ID",
            V3,
        ),
        get("=ID", "tasks.task.list", "filter[%3DID]=5&select[]=ID", V3),
        get(
            "!ID",
            "tasks.task.list",
            "filter[!ID]=5&select[]=ID&start=-1",
            V3,
        ),
        get(
            "!=ID",
            "tasks.task.list",
            "filter[!%3DID]=5&select[]=ID",
            V3,
        ),
        get(
            ">ID",
            "tasks.task.list",
            "filter[%3EID]=100&select[]=ID",
            V3,
        ),
        get(
            ">=ID and <ID",
            "tasks.task.list",
            "filter[%3E%3DID]=10&filter[%3CID]=20&select[]=ID&select[]=TITLE",
            V3,
        ),
        get(
            "<=ID",
            "tasks.task.list",
            "filter[%3C%3DID]=30&select[]=ID",
            V3,
        ),
        get(
            "ID in a list",
            "tasks.task.list",
            "filter[ID][]=3&filter[ID][]=7&filter[ID][]=11&select[]=ID",
            V3,
        ),
        get(
            "@ID",
            "tasks.task.list",
            "filter[%40ID][]=4&filter[%40ID][]=8&select[]=ID",
            V3,
        ),
        get(
            "!@ID",
            "tasks.task.list",
            "filter[!%40ID][]=4&filter[!%40ID][]=8&filter[%3CID]=12&select[]=ID",
            V3,
        ),
        get(
            "><ID between",
            "tasks.task.list",
            "filter[%3E%3CID][]=10&filter[%3E%3CID][]=15&select[]=ID",
            V3,
        ),
        get(
            "!><ID not between",
            "tasks.task.list",
            "filter[!%3E%3CID][]=10&filter[!%3E%3CID][]=130&select[]=ID",
            V3,
        ),
        get(
            "OR group",
            "tasks.task.list",
            "filter[0][logic]=OR&filter[0][0][ID]=3&filter[0][1][%3EID]=135&select[]=ID",
            V3,
        ),
        json(
            "OR group in JSON",
            "tasks.task.list",
            r#"{"filter":{"0":{"logic":"OR","0":{"ID":1},"1":{">=ID":138}}},"select":["ID","TITLE"]}"#,
            V3,
        ),
        json(
            "nested OR groups",
            "tasks.task.list",
            r#"{"filter":{"0":{"logic":"OR","0":{"ID":2},"1":{"logic":"OR","0":{"ID":4},"1":{"ID":6}}}},"select":["ID"]}"#,
            V3,
        ),
        json(
            "AND group inside AND",
            "tasks.task.list",
            r#"{"filter":{"0":{"logic":"AND",">ID":5,"<ID":9},"!ID":7},"select":["ID"]}"#,
            V3,
        ),
        json(
            "logic at the root",
            "tasks.task.list",
            r#"{"filter":{"logic":"OR","ID":3,">ID":137},"select":["ID"]}"#,
            V3,
        ),
        json(
            "filter values as strings",
            "tasks.task.list",
            r#"{"filter":{">=ID":"20","<=ID":"25"},"select":["ID"]}"#,
            V3,
        ),
        multipart(
            "filter in a multipart body",
            "tasks.task.list",
            &[("filter[>ID]", "120"), ("select[]", "ID")],
            V3,
        ),
        form(
            "filter in a form body",
            "tasks.task.list",
            "filter%5B%3EID%5D=125&select%5B%5D=ID&select%5B%5D=STATUS",
            V3,
        ),
        get(
            "order by TITLE asc",
            "tasks.task.list",
            "order[TITLE]=asc&select[]=ID&select[]=TITLE",
            V3,
        ),
        get(
            "order by DEADLINE desc",
            "tasks.task.list",
            "order[DEADLINE]=desc&select[]=ID&select[]=DEADLINE",
            V3,
        ),
        get(
            "order by REAL_STATUS and ID",
            "tasks.task.list",
            "order[REAL_STATUS]=asc&order[ID]=desc&select[]=ID&select[]=STATUS",
            V3,
        ),
        get(
            "order by PRIORITY",
            "tasks.task.list",
            "order[PRIORITY]=desc&select[]=ID&select[]=PRIORITY&start=50",
            V3,
        ),
        get(
            "order by CREATED_DATE",
            "tasks.task.list",
            "order[CREATED_DATE]=asc&select[]=ID",
            V3,
        ),
        get(
            "order direction in upper case",
            "tasks.task.list",
            "order[ID]=ASC&select[]=ID",
            V3,
        ),
        get(
            "filter and order and paging",
            "tasks.task.list",
            "filter[%3EID]=40&order[ID]=asc&select[]=ID&start=50",
            V3,
        ),
        get(
            "LIKE on TITLE",
            "tasks.task.list",
            "filter[%25TITLE]=report&select[]=ID&select[]=TITLE",
            Fallback,
        ),
        get(
            "filter by RESPONSIBLE_ID (fast_bitrix24)",
            "tasks.task.list",
            "filter[RESPONSIBLE_ID]=1&select[]=ID",
            Fallback,
        ),
        get(
            "filter by STATUS",
            "tasks.task.list",
            "filter[STATUS]=2&select[]=ID",
            Fallback,
        ),
        get(
            "filter by REAL_STATUS",
            "tasks.task.list",
            "filter[REAL_STATUS]=3&select[]=ID",
            Fallback,
        ),
        get(
            "filter by GROUP_ID",
            "tasks.task.list",
            "filter[GROUP_ID]=2&select[]=ID",
            Fallback,
        ),
        get(
            "filter by DEADLINE",
            "tasks.task.list",
            "filter[%3CDEADLINE]=2026-11-10T00:00:00%2B03:00&select[]=ID",
            Fallback,
        ),
        get(
            "filter by CREATED_BY",
            "tasks.task.list",
            "filter[CREATED_BY]=7&select[]=ID",
            Fallback,
        ),
        get(
            "LIKE pattern",
            "tasks.task.list",
            "filter[%3D%25TITLE]=Check%25&select[]=ID",
            Fallback,
        ),
        get(
            "NOT LIKE",
            "tasks.task.list",
            "filter[!%25TITLE]=report&select[]=ID",
            Fallback,
        ),
        get(
            "order by a key REST 3.0 cannot sort",
            "tasks.task.list",
            "order[RESPONSIBLE_LAST_NAME]=asc&select[]=ID",
            Fallback,
        ),
        get(
            "params WITH_RESULT_INFO",
            "tasks.task.list",
            "params[WITH_RESULT_INFO]=Y&select[]=ID",
            Fallback,
        ),
        get(
            "ID not a number",
            "tasks.task.list",
            "filter[ID]=abc&select[]=ID",
            Fallback,
        ),
        json(
            "an OR member with two conditions",
            "tasks.task.list",
            r#"{"filter":{"0":{"logic":"OR","0":{">ID":1,"<ID":5},"1":{"ID":9}}},"select":["ID"]}"#,
            Fallback,
        ),
    ];
    run(&pair, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_followed_by_reads() {
    let pair = Pair::start().await;
    let cases = vec![
        json("add from JSON", "tasks.task.add", r#"{"fields":{"TITLE":"Call the supplier","RESPONSIBLE_ID":3,"DEADLINE":"2026-12-10T17:00:00+03:00","PRIORITY":2,"ACCOMPLICES":[2],"AUDITORS":["5"],"TASK_CONTROL":"Y","ALLOW_CHANGE_DEADLINE":"N"}}"#, V3),
        get("read it back", "tasks.task.get", "taskId=141", V3),
        form("add from a form", "tasks.task.add", "fields[TITLE]=Hello+%26+%5Bx%5D&fields[RESPONSIBLE_ID]=1&fields[DESCRIPTION]=Two+words", V3),
        get("read the second back", "tasks.task.get", "taskId=142&select[]=ID&select[]=TITLE&select[]=DESCRIPTION&select[]=CREATED_BY", V3),
        multipart("add from multipart", "tasks.task.add", &[("fields[TITLE]", "Multipart task"), ("fields[RESPONSIBLE_ID]", "4"), ("fields[GROUP_ID]", "2")], V3),
        get("add from a GET query", "tasks.task.add", "fields[TITLE]=Query+task&fields[RESPONSIBLE_ID]=2&fields[CREATED_BY]=7", V3),
        json("add with junk parameter (fast_bitrix24)", "tasks.task.add", r#"{"__order":"order0000000000","fields":{"TITLE":"Junk kept out","RESPONSIBLE_ID":1}}"#, V3),
        json("add requiring a result (SE_PARAMETER)", "tasks.task.add", r#"{"fields":{"TITLE":"With result","RESPONSIBLE_ID":1,"SE_PARAMETER":[{"CODE":3,"VALUE":"Y"}]}}"#, V3),
        get("list shows the new tasks first", "tasks.task.list", "select[]=ID&select[]=TITLE&select[]=RESPONSIBLE_ID", V3),
        json("update title and priority", "tasks.task.update", r#"{"taskId":141,"fields":{"TITLE":"Call the supplier (2nd try)","PRIORITY":"0"}}"#, V3),
        form("update plan dates and flags", "tasks.task.update", "taskId=141&fields[START_DATE_PLAN]=2026-12-02T09:00:00%2B03:00&fields[END_DATE_PLAN]=2026-12-02T18:00:00%2B03:00&fields[ALLOW_TIME_TRACKING]=Y&fields[AUDITORS][]=5&fields[AUDITORS][]=6", V3),
        json("update status", "tasks.task.update", r#"{"taskId":142,"fields":{"STATUS":3}}"#, V3),
        get("read the updates back", "tasks.task.get", "taskId=141", V3),
        json("delete", "tasks.task.delete", r#"{"taskId":142}"#, V3),
        get("deleted task reads as empty", "tasks.task.get", "taskId=142", V3),
        form("delete again: v2's not-found error", "tasks.task.delete", "taskId=142", V3),
        json("update a missing task", "tasks.task.update", r#"{"taskId":999999,"fields":{"TITLE":"x"}}"#, V3),
        json("add without TITLE: v2's own error", "tasks.task.add", r#"{"fields":{"RESPONSIBLE_ID":1}}"#, Fallback),
        json("add without fields", "tasks.task.add", r#"{"TITLE":"x"}"#, Local),
        json("add with a custom field REST 3.0 lacks", "tasks.task.add", r#"{"fields":{"TITLE":"x","RESPONSIBLE_ID":1,"UF_AUTO_1":"y"}}"#, Fallback),
        json("update CREATED_BY, which REST 3.0 refuses", "tasks.task.update", r#"{"taskId":141,"fields":{"CREATED_BY":2}}"#, Fallback),
        json("update with no fields", "tasks.task.update", r#"{"taskId":141,"fields":{}}"#, Local),
        json("delete without taskId", "tasks.task.delete", r#"{}"#, Local),
        get("the list after all writes", "tasks.task.list", "select[]=ID&select[]=TITLE&select[]=STATUS&select[]=PRIORITY", V3),
    ];
    run(&pair, cases).await;
}

/// The write cases of the official pages' fields table: dates cleared in every body form,
/// CRM bindings as a string or an array, fields v2 ignores, and v2's business errors.
#[tokio::test(flavor = "multi_thread")]
async fn writes_as_the_fields_table_describes_them() {
    let pair = Pair::start().await;
    let cases = vec![
        json(
            "add with a deadline",
            "tasks.task.add",
            r#"{"fields":{"TITLE":"Dated","RESPONSIBLE_ID":1,"DEADLINE":"2026-12-10T17:00:00+03:00","START_DATE_PLAN":"2026-12-01T09:00:00+03:00"}}"#,
            V3,
        ),
        form(
            "clear the deadline with an empty form value",
            "tasks.task.update",
            "taskId=141&fields[DEADLINE]=",
            V3,
        ),
        get(
            "it reads back as null",
            "tasks.task.get",
            "taskId=141&select[]=ID&select[]=DEADLINE",
            V3,
        ),
        json(
            "clear a plan date with JSON null",
            "tasks.task.update",
            r#"{"taskId":141,"fields":{"START_DATE_PLAN":null}}"#,
            V3,
        ),
        json(
            "set the deadline again",
            "tasks.task.update",
            r#"{"taskId":141,"fields":{"DEADLINE":"2026-12-11T17:00:00+03:00"}}"#,
            V3,
        ),
        json(
            "clear it with false",
            "tasks.task.update",
            r#"{"taskId":141,"fields":{"DEADLINE":false}}"#,
            V3,
        ),
        json(
            "and once more",
            "tasks.task.update",
            r#"{"taskId":141,"fields":{"DEADLINE":"2026-12-12T17:00:00+03:00"}}"#,
            V3,
        ),
        multipart(
            "clear it from multipart",
            "tasks.task.update",
            &[("taskId", "141"), ("fields[DEADLINE]", "")],
            V3,
        ),
        get(
            "all cleared",
            "tasks.task.get",
            "taskId=141&select[]=ID&select[]=DEADLINE&select[]=START_DATE_PLAN",
            V3,
        ),
        json(
            "a CRM binding as a string",
            "tasks.task.add",
            r#"{"fields":{"TITLE":"Bound","RESPONSIBLE_ID":1,"UF_CRM_TASK":"D_1"}}"#,
            V3,
        ),
        form(
            "CRM bindings as an array",
            "tasks.task.update",
            "taskId=142&fields[UF_CRM_TASK][]=D_1&fields[UF_CRM_TASK][]=C_2",
            V3,
        ),
        get(
            "the bindings read back",
            "tasks.task.get",
            "taskId=142&select[]=ID&select[]=UF_CRM_TASK",
            V3,
        ),
        form(
            "a field v2 ignores is dropped, the add still served by REST 3.0",
            "tasks.task.add",
            "fields[TITLE]=Allowed&fields[RESPONSIBLE_ID]=1&fields[ALLOW]=1",
            V3,
        ),
        json(
            "an unknown responsible",
            "tasks.task.add",
            r#"{"fields":{"TITLE":"Nobody's","RESPONSIBLE_ID":999}}"#,
            V3,
        ),
        json(
            "an unknown parent",
            "tasks.task.add",
            r#"{"fields":{"TITLE":"Orphan","RESPONSIBLE_ID":1,"PARENT_ID":999999}}"#,
            V3,
        ),
        json(
            "a task as its own parent",
            "tasks.task.update",
            r#"{"taskId":141,"fields":{"PARENT_ID":141}}"#,
            V3,
        ),
        json(
            "delete a missing task",
            "tasks.task.delete",
            r#"{"taskId":999999}"#,
            V3,
        ),
    ];
    run(&pair, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn results_and_permissions() {
    let pair = Pair::start().await;
    let mut cases = Vec::new();
    for task in [1, 2, 3, 5, 8, 13, 21] {
        cases.push(json(
            "result list",
            "tasks.task.result.list",
            &format!(r#"{{"taskId":{task}}}"#),
            V3,
        ));
    }
    cases.push(get(
        "result list from a query",
        "tasks.task.result.list",
        "taskId=3",
        V3,
    ));
    cases.push(get(
        "result list without taskId",
        "tasks.task.result.list",
        "",
        Fallback,
    ));
    // A user who is not the administrator sees fewer tasks and fewer rights.
    cases.push(at(
        get("another user's get", "tasks.task.get", "taskId=1", V3),
        "/rest/7/hook7",
    ));
    cases.push(at(
        get(
            "another user's list",
            "tasks.task.list",
            "select[]=ID&select[]=TITLE",
            V3,
        ),
        "/rest/7/hook7",
    ));
    cases.push(at(
        get(
            "another user's list, page 2",
            "tasks.task.list",
            "select[]=ID&start=50",
            V3,
        ),
        "/rest/7/hook7",
    ));
    cases.push(at(
        json(
            "another user deletes a task they cannot",
            "tasks.task.delete",
            r#"{"taskId":2}"#,
            V3,
        ),
        "/rest/7/hook7",
    ));
    cases.push(at(
        json(
            "another user updates a task they cannot",
            "tasks.task.update",
            r#"{"taskId":2,"fields":{"TITLE":"x"}}"#,
            V3,
        ),
        "/rest/7/hook7",
    ));
    run(&pair, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_calls_carry_the_token_in_query_or_body() {
    let pair = Pair::start().await;
    let cases = vec![
        at(
            get(
                "OAuth get, token in the query",
                "tasks.task.get",
                "taskId=1&auth=token-user-1",
                V3,
            ),
            "/rest",
        ),
        at(
            form(
                "OAuth get, token in a form body",
                "tasks.task.get",
                "taskId=2&auth=token-user-7",
                V3,
            ),
            "/rest",
        ),
        at(
            json(
                "OAuth list, token in JSON",
                "tasks.task.list",
                r#"{"auth":"token-user-1","select":["ID","TITLE"],"start":50}"#,
                V3,
            ),
            "/rest",
        ),
        at(
            json(
                "OAuth add",
                "tasks.task.add",
                r#"{"auth":"token-user-7","fields":{"TITLE":"From an app","RESPONSIBLE_ID":7}}"#,
                V3,
            ),
            "/rest",
        ),
        at(
            get(
                "OAuth get with the favourite flag",
                "tasks.task.get",
                "taskId=141&auth=token-user-7",
                V3,
            ),
            "/rest",
        ),
        at(
            json(
                "OAuth delete",
                "tasks.task.delete",
                r#"{"auth":"token-user-1","taskId":141}"#,
                V3,
            ),
            "/rest",
        ),
        at(
            get(
                "OAuth without a token: v2's auth error",
                "tasks.task.get",
                "taskId=1",
                Fallback,
            ),
            "/rest",
        ),
    ];
    run(&pair, cases).await;
    // A wrong token is answered by whichever side is asked, in the v2 shape.
    let (direct, bridged) = pair
        .both("GET", "/rest/tasks.task.get?taskId=1&auth=wrong", &[], "")
        .await;
    assert_same("a wrong token", &direct, &bridged);
    assert_eq!(bridged.status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_webhook_is_v2s_401() {
    let pair = Pair::start().await;
    let (direct, bridged) = pair
        .both("GET", "/rest/1/wrongcode/tasks.task.get?taskId=1", &[], "")
        .await;
    assert_same("a wrong webhook code", &direct, &bridged);
    assert_eq!(bridged.status, 401);
    assert_eq!(bridged.json()["error"], "NO_AUTH_FOUND");
}
