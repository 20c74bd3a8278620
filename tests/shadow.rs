//! Shadow mode: v2 answers the client untouched, reads are also run through REST 3.0 and
//! compared, within a budget; the evidence is in the metrics and the diff log.

mod support;

use std::time::Duration;

use b24bridge::config::RawConfig;
use b24emu::ApiVersion;
use support::differential::{assert_same, Pair};
use support::send;

const READS: [&str; 8] = [
    "/rest/1/hook1/tasks.task.get?taskId=1",
    "/rest/1/hook1/tasks.task.get?taskId=2&select[]=ID&select[]=TITLE&select[]=STATUS",
    "/rest/1/hook1/tasks.task.get?taskId=999999",
    "/rest/1/hook1/tasks.task.list?select[]=ID&select[]=TITLE&order[ID]=asc",
    "/rest/1/hook1/tasks.task.list?select[]=ID&filter%5B%3EID%5D=20&order[ID]=desc&start=50",
    "/rest/1/hook1/tasks.task.list?select[]=ID&select[]=PRIORITY&filter[ID][]=3&filter[ID][]=4",
    "/rest/1/hook1/tasks.task.result.list?taskId=1",
    "/rest/7/hook7/tasks.task.get?taskId=5&select[]=ID&select[]=TITLE",
];

fn shadow_everything(raw: &mut RawConfig, log: &std::path::Path) {
    for method in [
        "tasks.task.get",
        "tasks.task.list",
        "tasks.task.result.list",
        "tasks.task.update",
    ] {
        raw.methods.entry(method.into()).or_default().mode = Some("shadow".into());
    }
    raw.shadow.log = log.display().to_string();
}

/// A pair whose bridge shadows every tasks method, the reads with budget to spare.
async fn shadowing_without_budget(log: &std::path::Path) -> Pair {
    Pair::configured(None, |raw| {
        shadow_everything(raw, log);
        for method in [
            "tasks.task.get",
            "tasks.task.list",
            "tasks.task.result.list",
        ] {
            raw.methods.entry(method.into()).or_default().shadow_rate = Some(1000.0);
        }
    })
    .await
}

async fn metrics(pair: &Pair) -> String {
    let admin = pair.bridge.admin_addr().unwrap();
    String::from_utf8(send(admin, "GET", "/metrics", &[], "").await.body.to_vec()).unwrap()
}

fn sum(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Waits until the background comparisons and skips reach `n`.
async fn settled(pair: &Pair, n: f64) -> String {
    for _ in 0..200 {
        let text = metrics(pair).await;
        if sum(&text, "b24bridge_shadow_comparisons_total")
            + sum(&text, "b24bridge_shadow_skips_total")
            >= n
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("shadow work did not finish:\n{}", metrics(pair).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn shadowed_reads_answer_as_v2_and_all_match() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("diff.jsonl");
    let pair = shadowing_without_budget(&log).await;
    for target in READS {
        let (direct, bridged) = pair.both("GET", target, &[], "").await;
        // The client's answer is v2's, as mode = "v2" gives it.
        assert_same(target, &direct, &bridged);
    }
    let text = settled(&pair, READS.len() as f64).await;
    assert_eq!(
        sum(
            &text,
            "b24bridge_shadow_comparisons_total{method=\"tasks.task.get\",outcome=\"match\"}"
        ),
        4.0,
        "{text}"
    );
    assert_eq!(
        sum(
            &text,
            "b24bridge_shadow_comparisons_total{method=\"tasks.task.list\",outcome=\"match\"}"
        ),
        3.0,
        "{text}"
    );
    assert_eq!(sum(&text, "b24bridge_shadow_comparisons_total{method=\"tasks.task.result.list\",outcome=\"match\"}"), 1.0, "{text}");
    assert_eq!(
        sum(&text, "b24bridge_shadow_mismatches_total"),
        0.0,
        "{text}"
    );
    let records = std::fs::read_to_string(&log).unwrap();
    assert_eq!(records.lines().count(), READS.len());
    assert!(
        records.lines().all(|l| l.contains(r#""outcome":"match""#)),
        "{records}"
    );
    assert!(
        !records.contains("hook1") && !records.contains("hook7"),
        "{records}"
    );
}

/// The translated GET reads of the differential corpus (tests/differential.rs), taken from
/// its source so the two never drift apart: `get("what", "method", "query", V3)`.
fn corpus_reads() -> Vec<String> {
    let source = include_str!("differential.rs");
    source
        .split("get(\"")
        .skip(1)
        .filter_map(|case| {
            let end = case.find(')')?;
            let parts: Vec<&str> = case[..end].split("\", \"").collect();
            let (method, rest) = (parts.get(1)?, parts.get(2)?);
            let (query, via) = rest.split_once("\", ")?;
            (via == "V3" && method.starts_with("tasks.task.") && !method.contains("add"))
                .then(|| format!("/rest/1/hook1/{method}?{query}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_read_of_the_differential_corpus_matches_in_shadow() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("diff.jsonl");
    let pair = shadowing_without_budget(&log).await;
    let reads = corpus_reads();
    assert!(reads.len() >= 25, "{reads:?}");
    for target in &reads {
        let (direct, bridged) = pair.both("GET", target, &[], "").await;
        assert_same(target, &direct, &bridged);
    }
    let text = settled(&pair, reads.len() as f64).await;
    assert_eq!(
        sum(&text, "b24bridge_shadow_mismatches_total"),
        0.0,
        "{text}"
    );
    assert_eq!(
        sum(&text, "b24bridge_shadow_comparisons_total"),
        reads.len() as f64,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_mapping_shows_as_mismatches_on_exactly_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("diff.jsonl");
    let pair = Pair::configured(None, |raw| {
        shadow_everything(raw, &log);
        raw.methods
            .entry("tasks.task.list".into())
            .or_default()
            .shadow_rate = Some(1000.0);
        // Average and high swapped: a wrong table.
        raw.enums.insert(
            "task_priority".into(),
            vec![
                ["0".into(), "low".into()],
                ["2".into(), "average".into()],
                ["1".into(), "high".into()],
            ],
        );
    })
    .await;
    let target = "/rest/1/hook1/tasks.task.list?select[]=ID&select[]=PRIORITY&order[ID]=asc";
    let (direct, bridged) = pair.both("GET", target, &[], "").await;
    assert_same("the client still gets v2's answer", &direct, &bridged);
    let text = settled(&pair, 1.0).await;
    let paths: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("b24bridge_shadow_mismatches_total{"))
        .collect();
    assert_eq!(paths.len(), 1, "{text}");
    assert!(
        paths[0].contains(r#"path="$.result.tasks[*].priority""#),
        "{text}"
    );
    let records = std::fs::read_to_string(&log).unwrap();
    assert!(records.contains(r#""outcome":"mismatch""#), "{records}");
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_budget_reads_are_skipped_and_writes_are_never_shadowed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("diff.jsonl");
    let pair = Pair::configured(None, |raw| {
        shadow_everything(raw, &log);
        // One request now, then one every 1,000 s.
        raw.methods
            .entry("tasks.task.get".into())
            .or_default()
            .shadow_rate = Some(0.001);
    })
    .await;
    for _ in 0..3 {
        let (direct, bridged) = pair.both("GET", READS[0], &[], "").await;
        assert_same("a get", &direct, &bridged);
    }
    let update = "/rest/1/hook1/tasks.task.update?taskId=3&fields[TITLE]=renamed";
    let (direct, bridged) = pair.both("POST", update, &[], "").await;
    assert_same("an update", &direct, &bridged);
    assert!(
        pair.served().iter().all(|s| s.version == ApiVersion::V2),
        "a write reaches only v2: {:?}",
        pair.served()
    );
    let text = settled(&pair, 4.0).await;
    assert_eq!(
        sum(
            &text,
            "b24bridge_shadow_comparisons_total{method=\"tasks.task.get\""
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sum(
            &text,
            "b24bridge_shadow_skips_total{method=\"tasks.task.get\",reason=\"budget\"}"
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        sum(
            &text,
            "b24bridge_shadow_skips_total{method=\"tasks.task.update\",reason=\"write\"}"
        ),
        1.0,
        "{text}"
    );
}
