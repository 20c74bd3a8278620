//! v2 `batch` through the bridge: the same answer as v2's own batch, translated commands
//! served by REST 3.0, and no more upstream requests than the plan allows.

mod support;

use b24emu::ApiVersion;
use support::differential::{assert_same, Pair};

const BATCH: &str = "/rest/1/hook1/batch";

/// Runs one batch both ways, asserts equal answers, and returns the upstream requests the
/// bridge made: (total, REST 3.0 ones, v2 ones).
async fn same(pair: &Pair, what: &str, content_type: &str, body: &str) -> (usize, usize, usize) {
    same_at(pair, what, "POST", BATCH, content_type, body).await
}

async fn same_at(
    pair: &Pair,
    what: &str,
    http: &str,
    target: &str,
    content_type: &str,
    body: &str,
) -> (usize, usize, usize) {
    let headers: Vec<(&str, &str)> = if content_type.is_empty() {
        vec![]
    } else {
        vec![("content-type", content_type)]
    };
    let (direct, bridged) = pair.both(http, target, &headers, body).await;
    assert_same(what, &direct, &bridged);
    let requests: Vec<_> = pair.served().into_iter().filter(|s| !s.in_batch).collect();
    let v3 = requests
        .iter()
        .filter(|s| s.version == ApiVersion::V3)
        .count();
    (requests.len(), v3, requests.len() - v3)
}

fn commands_served_by_v3(pair: &Pair, method: &str) -> usize {
    pair.served()
        .iter()
        .filter(|s| s.version == ApiVersion::V3 && s.method == method)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn translated_reads_travel_together_and_pass_through_commands_together() {
    let pair = Pair::start().await;
    let body = r#"{"halt":0,"cmd":{
        "t1":"tasks.task.get?taskId=1&select[]=ID&select[]=TITLE",
        "t2":"tasks.task.get?taskId=2&select[]=ID&select[]=TITLE",
        "l":"tasks.task.list?select[]=ID&filter[>ID]=130",
        "me":"user.current",
        "now":"server.time"}}"#;
    let (total, v3, v2) = same(&pair, "mixed object batch", "application/json", body).await;
    assert_eq!(
        (total, v3, v2),
        (2, 1, 1),
        "one v3 batch for the reads, one v2 batch for the rest"
    );
    // Packed gets travel as one-row lists (a missing id then cannot fail the batch); the
    // list page rides with the calls that count its total, in the same batch.
    assert_eq!(commands_served_by_v3(&pair, "tasks.task.get"), 0);
    assert!(commands_served_by_v3(&pair, "tasks.task.list") >= 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn cmd_as_a_list_is_keyed_0_to_n() {
    let pair = Pair::start().await;
    let body = r#"{"halt":1,"cmd":["tasks.task.get?taskId=2","tasks.task.list?select%5B0%5D=ID","user.current"]}"#;
    let (total, v3, v2) = same(&pair, "array batch (b24jssdk)", "application/json", body).await;
    assert_eq!((total, v3, v2), (2, 1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_body_form() {
    let pair = Pair::start().await;
    let cmd = "cmd[a]=tasks.task.get%3FtaskId%3D3%26select%5B%5D%3DID&cmd[b]=user.current&halt=0";
    same(
        &pair,
        "form batch",
        "application/x-www-form-urlencoded",
        cmd,
    )
    .await;
    same_at(&pair, "GET batch", "GET", &format!("{BATCH}?{cmd}"), "", "").await;
    let boundary = "XbatchX";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"cmd[a]\"\r\n\r\ntasks.task.get?taskId=4&select[]=ID\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"cmd[b]\"\r\n\r\nserver.time\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"halt\"\r\n\r\n0\r\n--{boundary}--\r\n"
    );
    same(
        &pair,
        "multipart batch",
        &format!("multipart/form-data; boundary={boundary}"),
        &multipart,
    )
    .await;
    same(
        &pair,
        "JSON batch with .json sub-methods",
        "application/json",
        r#"{"cmd":{"a":"tasks.task.get.json?taskId=5","b":"user.current.json"}}"#,
    )
    .await;
    same_at(
        &pair,
        "batch.json with an OAuth token",
        "POST",
        "/rest/batch.json",
        "application/json",
        r#"{"auth":"token-user-1","halt":0,"cmd":{"a":"tasks.task.get?taskId=6","b":"user.current"}}"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn halt_stops_at_the_first_error_and_no_halt_goes_on() {
    let pair = Pair::start().await;
    for halt in ["0", "1", "true", "false"] {
        let body = format!(
            r#"{{"halt":{halt},"cmd":{{"ok":"tasks.task.get?taskId=1&select[]=ID","bad":"tasks.task.update?taskId=999999&fields[TITLE]=x","after":"tasks.task.list?select[]=ID&start=-1","me":"user.current"}}}}"#
        );
        let halt_json = if halt == "true" || halt == "false" {
            body.clone()
        } else {
            body.replace(&format!("\"halt\":{halt}"), &format!("\"halt\":\"{halt}\""))
        };
        same(
            &pair,
            &format!("halt={halt}"),
            "application/json",
            &halt_json,
        )
        .await;
    }
    let failing_v2 = r#"{"halt":1,"cmd":{"a":"tasks.task.get?taskId=1","b":"no.such.method","c":"tasks.task.get?taskId=2"}}"#;
    same(
        &pair,
        "halt at a failing pass-through command",
        "application/json",
        failing_v2,
    )
    .await;
    let nested =
        r#"{"halt":0,"cmd":{"a":"batch?cmd[x]=user.current","b":"tasks.task.get?taskId=3"}}"#;
    same(
        &pair,
        "a nested batch is refused per command",
        "application/json",
        nested,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn result_references_into_get_and_list_results() {
    let pair = Pair::start().await;
    let body = r#"{"halt":0,"cmd":{
        "list":"tasks.task.list?select[]=ID&select[]=RESPONSIBLE_ID&order[ID]=asc",
        "first":"tasks.task.get?taskId=$result[list][tasks][0][id]&select[]=ID&select[]=TITLE",
        "again":"tasks.task.get?taskId=$result[first][task][id]",
        "text":"tasks.task.list?select[]=ID&filter[>ID]=$result[list][tasks][49][id]",
        "missing":"tasks.task.get?taskId=$result[nope][task][id]",
        "user":"user.get?ID=$result[list][tasks][0][responsibleId]"}}"#;
    let (total, _, _) = same(&pair, "references", "application/json", body).await;
    assert!(total <= 6, "{total}");
    // Percent-encoded references, as b24pysdk sends them.
    let encoded = r#"{"cmd":{"1":"tasks.task.list?select%5B0%5D=ID&select%5B1%5D=TITLE&order%5BID%5D=ASC&filter%5B%3EID%5D=50&start=-1",
        "2":"tasks.task.list?select%5B0%5D=ID&select%5B1%5D=TITLE&order%5BID%5D=ASC&filter%5B%3EID%5D=%24result%5B1%5D%5Btasks%5D%5B49%5D%5Bid%5D&start=-1"},"halt":true}"#;
    let (total, v3, v2) = same(
        &pair,
        "b24pysdk as_list_fast chain",
        "application/json",
        encoded,
    )
    .await;
    // The second page is the read-ahead of the first: one request, no v2.
    assert_eq!((total, v3, v2), (1, 1, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_run_alone_with_their_idempotency_key() {
    let pair = Pair::start().await;
    let body = r#"{"halt":0,"cmd":{"order0000000000":"tasks.task.add?__order=order0000000000&fields[TITLE]=Hello%20%26%20%5Bx%5D&fields[RESPONSIBLE_ID]=1&",
        "read":"tasks.task.get?taskId=$result[order0000000000][task][id]",
        "upd":"tasks.task.update?taskId=$result[order0000000000][task][id]&fields[PRIORITY]=2",
        "del":"tasks.task.delete?taskId=1"}}"#;
    same(
        &pair,
        "fast_bitrix24 add with junk, then dependent reads and writes",
        "application/json",
        body,
    )
    .await;
    assert_eq!(commands_served_by_v3(&pair, "tasks.task.add"), 1);
    assert_eq!(commands_served_by_v3(&pair, "tasks.task.delete"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn fast_bitrix24_get_all_pages_and_get_by_id() {
    let pair = Pair::start().await;
    let mut cmd = Vec::new();
    for (i, start) in [50, 100].iter().enumerate() {
        cmd.push(format!(
            r#""cmd{i:010}":"tasks.task.list?select[0]=ID&select[1]=TITLE&filter[>ID]=10&order[ID]=ASC&start={start}&""#
        ));
    }
    let body = format!(r#"{{"halt":0,"cmd":{{{}}}}}"#, cmd.join(","));
    let (total, v3, _) = same(
        &pair,
        "fast_bitrix24 get_all pages",
        "application/json",
        &body,
    )
    .await;
    assert_eq!(v3, total, "every page served by REST 3.0");
    let by_id = r#"{"halt":0,"cmd":{"1":"tasks.task.get?taskId=1&","2":"tasks.task.get?taskId=2&","3":"tasks.task.get?taskId=3&"}}"#;
    let (total, v3, v2) = same(&pair, "fast_bitrix24 get_by_ID", "application/json", by_id).await;
    assert_eq!((total, v3, v2), (1, 1, 0), "three gets in one v3 batch");
    let unfiltered = r#"{"halt":0,"cmd":{"cmd0000000000":"tasks.task.list?select[0]=ID&select[1]=TITLE&filter[RESPONSIBLE_ID]=1&order[ID]=ASC&start=50&"}}"#;
    let (_, v3, v2) = same(
        &pair,
        "a page REST 3.0 cannot filter",
        "application/json",
        unfiltered,
    )
    .await;
    assert_eq!((v3, v2), (0, 1), "passed to v2 as a v2 batch");
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_commands_run_and_fifty_one_are_refused_as_v2_does() {
    let pair = Pair::start().await;
    let ids = existing_ids(&pair).await;
    let fifty: Vec<String> = ids
        .iter()
        .take(50)
        .map(|i| format!(r#""c{i}":"tasks.task.get?taskId={i}&select[]=ID""#))
        .collect();
    let body = format!(r#"{{"halt":0,"cmd":{{{}}}}}"#, fifty.join(","));
    let (total, v3, _) = same(&pair, "50 commands", "application/json", &body).await;
    assert_eq!(
        (total, v3),
        (1, 1),
        "50 reads in one v3 batch: one upstream request"
    );
    let fifty_one: Vec<String> = (1..=51)
        .map(|i| format!(r#""c{i}":"tasks.task.get?taskId={i}""#))
        .collect();
    let body = format!(r#"{{"halt":0,"cmd":{{{}}}}}"#, fifty_one.join(","));
    let (_, v3, _) = same(&pair, "51 commands", "application/json", &body).await;
    assert_eq!(v3, 0, "v2 answers an over-long batch itself");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_read_in_a_v3_batch_still_gets_its_own_v2_outcome() {
    let pair = Pair::start().await;
    // REST 3.0 fails a whole batch for one bad call. Packed gets travel as one-row lists,
    // so a missing task answers no row (v2's `[]`) and the others their own results.
    let body = r#"{"halt":0,"cmd":{"a":"tasks.task.get?taskId=1&select[]=ID","missing":"tasks.task.get?taskId=999999","c":"tasks.task.list?select[]=ID&start=-1"}}"#;
    let (total, v3, v2) = same(
        &pair,
        "a missing task among reads",
        "application/json",
        body,
    )
    .await;
    assert_eq!((total, v3, v2), (1, 1, 0), "one batch, nothing to recover");
}

/// Ids of the first 50 tasks that exist (the seed leaves gaps).
async fn existing_ids(pair: &Pair) -> Vec<u64> {
    let (direct, _) = pair
        .both(
            "GET",
            "/rest/1/hook1/tasks.task.list?order[ID]=asc&select[]=ID&start=-1",
            &[],
            "",
        )
        .await;
    direct.json()["result"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_add_in_a_v3_batch_leaves_the_others_their_own_outcome() {
    let pair = Pair::start().await;
    // The add for a responsible who does not exist fails the whole REST 3.0 batch. The
    // bridge finds out with one read what ran (the first add did; the others did not),
    // sends the first write that did not run alone (its own reply is v2's error), and the
    // rest packed again: each add is created once, with the ids v2 gives them.
    let body = r#"{"halt":0,"cmd":{
        "first":"tasks.task.add?fields[TITLE]=first&fields[RESPONSIBLE_ID]=1",
        "read":"tasks.task.get?taskId=1&select[]=ID",
        "bad":"tasks.task.add?fields[TITLE]=bad&fields[RESPONSIBLE_ID]=999",
        "second":"tasks.task.add?fields[TITLE]=second&fields[RESPONSIBLE_ID]=1"}}"#;
    let (total, v3, v2) = same(&pair, "a failing add among adds", "application/json", body).await;
    assert_eq!(
        (total, v3, v2),
        (4, 4, 0),
        "the failed batch, one read to find out, the suspect alone, the rest again"
    );
    // first and bad in the failed batch (it stops at bad), bad alone, second once.
    assert_eq!(commands_served_by_v3(&pair, "tasks.task.add"), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_with_a_reference_the_bridge_cannot_resolve_is_v2s_to_answer() {
    let pair = Pair::start().await;
    // What v2 makes of `$result[nope]` (no such command) is v2's business: the command
    // goes to v2 as it is, never to REST 3.0 with the reference as a literal title.
    let body = r#"{"halt":0,"cmd":{
        "read":"tasks.task.get?taskId=1&select[]=ID",
        "add":"tasks.task.add?fields[TITLE]=$result[nope][task][title]&fields[RESPONSIBLE_ID]=1"}}"#;
    let (_, _, v2) = same(
        &pair,
        "an unresolved reference in a write",
        "application/json",
        body,
    )
    .await;
    assert_eq!(v2, 1);
    assert_eq!(commands_served_by_v3(&pair, "tasks.task.add"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_date_cleared_inside_a_batch_is_written_as_null() {
    let pair = Pair::start().await;
    let body = r#"{"halt":0,"cmd":{
        "set":"tasks.task.update?taskId=3&fields[DEADLINE]=2026-12-10T17:00:00%2B03:00",
        "clear":"tasks.task.update?taskId=3&fields[DEADLINE]=",
        "read":"tasks.task.get?taskId=3&select[]=ID&select[]=DEADLINE"}}"#;
    let (_, _, v2) = same(
        &pair,
        "clearing a deadline in a batch",
        "application/json",
        body,
    )
    .await;
    assert_eq!(v2, 0, "served by REST 3.0");
}
