//! `b24bridge report` over recorded logs (tests/data/report/): the figures it prints, its
//! recommendations, and its answer to files it cannot read.

use std::fmt::Write as _;
use std::process::Command;

/// Runs the binary from the crate root, so the recorded logs are found as the help text
/// names them.
fn report(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_b24bridge"))
        .arg("report")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const DIFF: &str = "tests/data/report/diff.jsonl";
const ACCESS: &str = "tests/data/report/access.jsonl";

/// The block of lines printed for one method, from its name to the blank line after it.
fn block<'a>(out: &'a str, method: &str) -> &'a str {
    let start = out
        .find(&format!("\n{method}\n"))
        .unwrap_or_else(|| panic!("no block for {method} in:\n{out}"))
        + 1;
    let end = out[start..]
        .find("\n\n")
        .map_or(out.len(), |e| start + e + 1);
    &out[start..end]
}

#[test]
fn the_recorded_logs_give_these_figures() {
    let (code, out, err) = report(&[
        "--diff-log",
        DIFF,
        "--access-log",
        ACCESS,
        "--min-comparisons",
        "10",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "");

    // What was read: malformed lines are counted, the blank line is not, the start-up
    // line of the access log is another log line.
    assert!(
        out.starts_with(
            "diff log: 33 records, 3 malformed lines skipped, 2026-12-02T08:00:00Z to 2026-12-02T08:00:32Z\n\
             access log: 62 requests, 1 other line ignored, 2 malformed lines skipped (2 without a v2 method)\n"
        ),
        "{out}"
    );

    // Methods in name order.
    let names: Vec<&str> = out
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(' ') && !l.contains(": "))
        .collect();
    assert_eq!(
        names,
        [
            "crm.deal.list",
            "task.commentitem.getlist",
            "tasks.task.add",
            "tasks.task.get",
            "tasks.task.list",
            "user.get"
        ]
    );

    assert_eq!(
        block(&out, "tasks.task.list"),
        "tasks.task.list\n\
         \x20 calls: 10, served by REST 3.0: 6 (60.0%)\n\
         \x20 routes: v3 6, v2-shadow 1, v2-fallback 3\n\
         \x20 fallbacks to v2:\n\
         \x20        2  REST 3.0 cannot filter on TITLE\n\
         \x20        1  REST 3.0 cannot sort by CREATED_BY\n\
         \x20 portal requests per call: 1.33 through REST 3.0 (v2: 1)\n\
         \x20 shadow: 10 comparisons, 7 matches, 3 mismatches, match rate 70.0%\n\
         \x20 shadow REST 3.0 requests per comparison: 1.20\n\
         \x20 skipped: 3 (budget 2, error 1)\n\
         \x20 top mismatching paths (comparisons):\n\
         \x20        3  $.result.tasks[*].title  e.g. v2 \"Report\" / v3 \"report\"\n\
         \x20        1  $.result.tasks[*].deadline  e.g. v2 \"2026-12-01T18:00:00+03:00\" / v3 \"2026-12-01T15:00:00+00:00\"\n\
         \x20        1  $.total  e.g. v2 \"140\" / v3 \"139\"\n\
         \x20 recommendation: keep mode = \"shadow\": 3 mismatches in 10 comparisons (top path $.result.tasks[*].title)\n"
    );

    let get = block(&out, "tasks.task.get");
    assert!(
        get.contains("  calls: 20, served by REST 3.0: 20 (100.0%)\n"),
        "{get}"
    );
    assert!(
        get.contains("  portal requests per call: 1.00 through REST 3.0 (v2: 1)\n"),
        "{get}"
    );
    assert!(
        get.contains("  shadow: 12 comparisons, 12 matches, 0 mismatches, match rate 100.0%\n"),
        "{get}"
    );
    assert!(get.contains("  skipped: 1 (budget 1)\n"), "{get}");
    assert!(
        get.contains("  recommendation: ready for mode = \"v3\" (12 comparisons, 0 mismatches)\n"),
        "{get}"
    );

    let user = block(&out, "user.get");
    assert!(
        user.contains("  recommendation: keep mode = \"shadow\": only 4 comparisons, 10 needed\n"),
        "{user}"
    );
    assert!(
        !user.contains("calls:"),
        "user.get is not in the access log: {user}"
    );

    let add = block(&out, "tasks.task.add");
    assert!(
        add.contains("  shadow: 0 comparisons, 0 matches, 0 mismatches, match rate -\n"),
        "{add}"
    );
    assert!(add.contains("  skipped: 3 (write 3)\n"), "{add}");
    assert!(
        add.contains("  recommendation: keep mode = \"shadow\": only 0 comparisons, 10 needed\n"),
        "{add}"
    );

    let comments = block(&out, "task.commentitem.getlist");
    assert!(
        comments.contains("       1  REST 3.0 cannot filter on AUTHOR_ID\n"),
        "{comments}"
    );
    assert!(
        comments.contains("  portal requests per call: 1.04 through REST 3.0 (v2: 1)\n"),
        "{comments}"
    );
    assert!(
        comments.contains(
            "  recommendation: no shadow data; served by REST 3.0 in 96.0% of 25 calls\n"
        ),
        "{comments}"
    );

    let deals = block(&out, "crm.deal.list");
    assert!(deals.contains("  routes: v2 5\n"), "{deals}");
    assert!(
        !deals.contains("portal requests per call"),
        "no call went to REST 3.0: {deals}"
    );
    assert!(
        deals.contains("  recommendation: no shadow data; served by REST 3.0 in 0.0% of 5 calls\n"),
        "{deals}"
    );

    assert!(
        out.ends_with(
            "\ntotals: 6 methods; shadow: 26 comparisons, 3 mismatches, match rate 88.5%; \
             ready for mode = \"v3\": 1 of 4 shadowed; 60 calls, served by REST 3.0 83.3%\n"
        ),
        "{out}"
    );
}

#[test]
fn the_default_threshold_is_100_comparisons() {
    let (code, out, _) = report(&["--diff-log", DIFF]);
    assert_eq!(code, Some(0));
    assert!(
        block(&out, "tasks.task.get")
            .contains("recommendation: keep mode = \"shadow\": only 12 comparisons, 100 needed\n"),
        "{out}"
    );
    assert!(
        !out.contains("calls:"),
        "no access log, no call figures: {out}"
    );
    assert!(
        out.contains("ready for mode = \"v3\": 0 of 4 shadowed\n"),
        "{out}"
    );
}

/// A day of shadowing, written by a loop: one method ready, one that differs on titles.
#[test]
fn a_long_log_gives_a_ready_and_a_mismatching_method() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("diff.jsonl");
    let mut log = String::new();
    for i in 0..1000u32 {
        let ts = format!(
            "2026-12-02T{:02}:{:02}:{:02}Z",
            i / 3600,
            (i / 60) % 60,
            i % 60
        );
        let _ = writeln!(
            log,
            r#"{{"ts":"{ts}","method":"tasks.task.get","params_hash":"{i:016x}","outcome":"match","v3_requests":1}}"#
        );
        if i % 2 == 0 {
            let outcome = if i % 100 == 0 {
                format!(
                    r#""mismatch","mismatches":[{{"path":"$.result.tasks[{}].title","v2":"Report {i}","v3":"report {i}"}}]"#,
                    i % 7
                )
            } else {
                r#""match""#.to_owned()
            };
            let _ = writeln!(
                log,
                r#"{{"ts":"{ts}","method":"tasks.task.list","outcome":{outcome},"v3_requests":2}}"#
            );
        }
        if i % 10 == 0 {
            let _ = writeln!(
                log,
                r#"{{"ts":"{ts}","method":"tasks.task.list","outcome":"skip","reason":"budget"}}"#
            );
        }
    }
    std::fs::write(&file, log).unwrap();
    let (code, out, err) = report(&["--diff-log", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("diff log: 1600 records, 2026-12-02T00:00:00Z to 2026-12-02T00:16:39Z\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "  recommendation: ready for mode = \"v3\" (1000 comparisons, 0 mismatches)\n"
        ),
        "{out}"
    );
    let list = block(&out, "tasks.task.list");
    assert!(
        list.contains("  shadow: 500 comparisons, 490 matches, 10 mismatches, match rate 98.0%\n"),
        "{list}"
    );
    assert!(list.contains("  skipped: 100 (budget 100)\n"), "{list}");
    assert!(
        list.contains(
            "       10  $.result.tasks[*].title  e.g. v2 \"Report 0\" / v3 \"report 0\"\n"
        ),
        "{list}"
    );
    assert!(
        list.contains("  recommendation: keep mode = \"shadow\": 10 mismatches in 500 comparisons (top path $.result.tasks[*].title)\n"),
        "{list}"
    );
}

#[test]
fn an_unreadable_file_exits_2_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-diff.jsonl");
    let missing = missing.to_str().unwrap();
    let (code, out, err) = report(&["--diff-log", missing]);
    assert_eq!(code, Some(2));
    assert_eq!(out, "");
    assert!(
        err.contains("cannot read the diff log") && err.contains(missing),
        "{err}"
    );

    let missing_access = dir.path().join("no-such-access.jsonl");
    let missing_access = missing_access.to_str().unwrap();
    let (code, out, err) = report(&["--diff-log", DIFF, "--access-log", missing_access]);
    assert_eq!(code, Some(2));
    assert_eq!(out, "");
    assert!(
        err.contains("cannot read the access log") && err.contains(missing_access),
        "{err}"
    );

    // A folder opens but does not read.
    let (code, _, err) = report(&["--diff-log", dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains(dir.path().to_str().unwrap()), "{err}");
}

#[test]
fn bytes_that_are_not_text_are_malformed_lines_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("diff.jsonl");
    let mut bytes = br#"{"method":"user.get","outcome":"match"}"#.to_vec();
    bytes.extend_from_slice(b"\r\n\xff\xfe{\"method\":\"user.get\"}\n");
    bytes.extend_from_slice(
        br#"{"method":"user.get","outcome":"mismatch","mismatches":"not a list"}"#,
    );
    std::fs::write(&file, bytes).unwrap();
    let (code, out, err) = report(&[
        "--diff-log",
        file.to_str().unwrap(),
        "--min-comparisons",
        "1",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("diff log: 2 records, 1 malformed line skipped\n"),
        "{out}"
    );
    assert!(
        out.contains("  recommendation: keep mode = \"shadow\": 1 mismatch in 2 comparisons\n"),
        "{out}"
    );
}
