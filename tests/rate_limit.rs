//! The portal's rate limit as v2 clients know it: a request over the limit is refused as a
//! whole with `503 QUERY_LIMIT_EXCEEDED`, which every client retries. A batch through the
//! bridge must be refused the same way, never answered 200 with QUERY_LIMIT_EXCEEDED per
//! command (fast_bitrix24 raises on that, b24pysdk silently drops the pages: found by
//! tests/clients/run.sh).

mod support;

use b24emu::RateLimit;
use support::differential::{assert_same, Pair};
use support::send;

/// A bucket that, once full, stays full for the length of a test.
const STUCK: RateLimit = RateLimit {
    burst: 3.0,
    per_second: 0.001,
};

const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

/// Switches the limit on for both emulators and fills both buckets.
async fn fill(pair: &Pair) {
    for emulator in [&pair.direct, &pair.behind] {
        emulator.faults().set_rate_limit(Some(STUCK));
        let mut refused = false;
        for _ in 0..10 {
            let answer = send(
                emulator.local_addr(),
                "GET",
                "/rest/1/hook1/server.time",
                &[],
                "",
            )
            .await;
            if answer.status == 503 {
                refused = true;
                break;
            }
        }
        assert!(refused, "the emulator's bucket never filled");
    }
}

fn lift(pair: &Pair) {
    pair.direct.faults().set_rate_limit(None);
    pair.behind.faults().set_rate_limit(None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_reads_over_the_limit_is_refused_whole() {
    let pair = Pair::start().await;
    fill(&pair).await;
    let body = r#"{"halt":0,"cmd":{
        "a":"tasks.task.get?taskId=1&select[0]=ID&select[1]=TITLE",
        "b":"tasks.task.list?select[0]=ID&filter[>ID]=140&start=0",
        "c":"tasks.task.get?taskId=2"}}"#;
    let (direct, bridged) = pair.both("POST", "/rest/1/hook1/batch", &JSON, body).await;
    assert_eq!(direct.status, 503);
    assert_eq!(direct.json()["error"], "QUERY_LIMIT_EXCEEDED");
    assert_same("batch of reads over the limit", &direct, &bridged);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_refused_at_its_first_write_is_refused_whole_and_writes_nothing() {
    let pair = Pair::start().await;
    fill(&pair).await;
    let body = r#"{"halt":0,"cmd":[
        "tasks.task.add?fields[TITLE]=Over%20the%20limit&fields[RESPONSIBLE_ID]=1",
        "tasks.task.get?taskId=1&select[0]=ID"]}"#;
    let (direct, bridged) = pair.both("POST", "/rest/1/hook1/batch", &JSON, body).await;
    assert_eq!(direct.status, 503);
    assert_same("batch with a write over the limit", &direct, &bridged);

    // Retried once the bucket has room, as the client would: one task, the same on both.
    lift(&pair);
    let (direct, bridged) = pair.both("POST", "/rest/1/hook1/batch", &JSON, body).await;
    assert_eq!(direct.status, 200);
    assert_same("the retried batch", &direct, &bridged);
    let list = r#"{"select":["ID","TITLE"],"filter":{">ID":140},"order":{"ID":"ASC"}}"#;
    let (direct, bridged) = pair
        .both("POST", "/rest/1/hook1/tasks.task.list", &JSON, list)
        .await;
    assert_same("the tasks after the retry", &direct, &bridged);
}
