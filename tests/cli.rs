//! The operator's commands: `translate` explains a call, `check` reports every rule problem
//! and compares rules with a portal, `demo` prints calls that work when pasted.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use b24emu::EmulatorOptions;
use support::process::command;

fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = command()
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn translate_explains_a_translated_call_and_a_fallback() {
    let (ok, out, err) = run(
        &[
            "translate",
            "tasks.task.list",
            "filter%5B%3E%3DID%5D=10&select[]=TITLE&start=50",
        ],
        &[],
    );
    assert!(ok, "{err}");
    assert!(out.contains("route:      v3"), "{out}");
    assert!(
        out.contains("POST /rest/api/{user_id}/{code}/tasks.task.list"),
        "{out}"
    );
    assert!(
        out.contains("\">=\""),
        "the translated filter is shown: {out}"
    );
    // The page is read as a whole cell of 1000 rows, its total counted in the same
    // request: the whole round is one REST 3.0 batch.
    assert!(
        out.contains(r#""pagination":{"offset":0,"limit":1000}"#),
        "{out}"
    );
    assert!(out.contains(": 1 request(s) to the portal"), "{out}");
    let (ok, out, _) = run(
        &[
            "translate",
            "tasks.task.add",
            r#"{"fields":{"TITLE":"x","RESPONSIBLE_ID":1}}"#,
        ],
        &[],
    );
    assert!(ok);
    assert!(
        out.contains("the write with an Idempotency-Key: 2 request(s)"),
        "{out}"
    );

    let (ok, out, _) = run(
        &[
            "translate",
            "tasks.task.list",
            r#"{"filter":{"%TITLE":"report"}}"#,
        ],
        &[],
    );
    assert!(ok);
    assert!(out.contains("fallback") && out.contains("TITLE"), "{out}");

    let (ok, out, _) = run(&["translate", "crm.deal.list", "filter[ID]=1"], &[]);
    assert!(ok);
    assert!(out.contains("no rule"), "{out}");
}

#[test]
fn check_reports_every_rule_problem_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b24bridge.toml");
    std::fs::write(
        &file,
        r#"
upstream = "http://127.0.0.1:1"
[methods."tasks.task.get"]
kind = "gett"
[methods."tasks.task.list"]
default_order = [["title", "SIDEWAYS"]]
[methods."crm.deal.list"]
mode = "deny"
[methods."my.method"]
mode = "v3"
"#,
    )
    .unwrap();
    let (ok, _, err) = run(&["check", "--config", file.to_str().unwrap()], &[]);
    assert!(!ok);
    for needle in [
        "methods.\"tasks.task.get\".kind",
        "\"gett\"",
        "methods.\"tasks.task.list\".default_order",
        "SIDEWAYS",
        "methods.\"my.method\".entity",
        "methods.\"my.method\".v3_method",
        "Fix:",
    ] {
        assert!(err.contains(needle), "{needle} missing in: {err}");
    }
}

#[test]
fn a_method_set_to_deny_is_refused_and_mode_v2_passes_through() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b24bridge.toml");
    std::fs::write(&file, "upstream = \"http://127.0.0.1:1\"\n[methods.\"tasks.task.get\"]\nmode = \"v2\"\n[methods.\"crm.deal.list\"]\nmode = \"deny\"\n").unwrap();
    let (ok, out, err) = run(&["check", "--config", file.to_str().unwrap()], &[]);
    assert!(ok, "{err}");
    assert!(out.contains("tasks.task.get: v2 (pass through)"), "{out}");
    assert!(out.contains("crm.deal.list: deny"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_portal_compares_the_rules_with_the_emulator() {
    let portal = b24emu::start(EmulatorOptions::new("127.0.0.1:0".parse().unwrap(), 42))
        .await
        .unwrap();
    let upstream = format!("http://{}", portal.local_addr());
    let out = tokio::task::spawn_blocking(move || {
        run(
            &["check", "--portal", "--webhook", "1/hook1"],
            &[("B24BRIDGE_UPSTREAM", upstream.as_str())],
        )
    })
    .await
    .unwrap();
    let (ok, stdout, stderr) = out;
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("the rules match the portal"), "{stdout}");
    assert!(
        !stdout.contains("hook1"),
        "the webhook code is never printed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_prints_calls_that_work_when_pasted() {
    let bridge_port = free_port().await;
    let portal_port = free_port().await;
    let mut child = command()
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{bridge_port}"),
            "--portal-listen",
            &format!("127.0.0.1:{portal_port}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let lines = tokio::time::timeout(Duration::from_secs(30), lines)
        .await
        .unwrap()
        .unwrap();
    let calls: Vec<&String> = lines.iter().filter(|l| l.starts_with("curl ")).collect();
    assert!(calls.len() >= 5, "{lines:#?}");
    for call in calls {
        let call = call.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(&call)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        assert!(
            body.get("result").is_some() && body.get("error").is_none(),
            "{body}"
        );
        assert!(body.get("time").is_some());
    }
    let _ = child.kill();
    let _ = child.wait();
}

async fn free_port() -> u16 {
    support::refused_addr().await.port()
}

/// Splits a shell command line of plain words and single-quoted words, as the examples
/// in `--help` are written.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').expect("a closing quote");
            words.push(quoted[..end].to_owned());
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            words.push(rest[..end].to_owned());
            rest = rest[end..].trim_start();
        }
    }
    words
}

#[test]
fn every_example_in_help_works_as_printed() {
    let (ok, top, _) = run(&["--help"], &[]);
    assert!(ok);
    let subcommands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect();
    assert!(subcommands.contains(&"translate".to_owned()), "{top}");
    let mut examples = Vec::new();
    for sub in &subcommands {
        let (ok, help, err) = run(&[sub, "--help"], &[]);
        assert!(ok, "{sub} --help: {err}");
        for line in help.lines() {
            if let Some(example) = line.trim().strip_prefix("Example: b24bridge ") {
                examples.push(shell_words(example));
            }
        }
    }
    assert!(examples.len() >= 2, "the help text shows examples");
    for args in examples {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, out, err) = run(&argv, &[]);
        assert!(ok, "{argv:?} failed: {err}");
        assert!(
            !out.contains("note:"),
            "{argv:?} is not read as written:\n{out}"
        );
        if argv[0] == "translate" {
            let params = argv.get(2).copied().unwrap_or("");
            let shown = out
                .lines()
                .find_map(|l| l.strip_prefix("parameters: "))
                .expect("translate prints the parameters it read");
            let shown: serde_json::Value = serde_json::from_str(shown).unwrap();
            if params.starts_with('{') {
                let given: serde_json::Value = serde_json::from_str(params).unwrap();
                assert_eq!(shown, given, "{argv:?} reads other parameters than given");
            } else {
                let names: Vec<&str> = params
                    .split('&')
                    .map(|p| p.split(['=', '%', '[']).next().unwrap())
                    .collect();
                for name in names {
                    assert!(shown.get(name).is_some(), "{argv:?} lost {name}: {shown}");
                }
            }
        }
    }
}
