//! Configuration: defaults ← TOML file ← B24BRIDGE_* environment, validated at start-up
//! with errors that name the key, the value and the fix.

use std::process::Command;

use b24bridge::config::{self, Config, RawConfig};

fn check(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_b24bridge"));
    cmd.arg("check")
        .args(args)
        .current_dir(std::env::temp_dir());
    for (k, _) in std::env::vars() {
        if k.starts_with("B24BRIDGE_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn two_environment_variables_are_enough() {
    let (ok, stdout, stderr) = check(
        &[],
        &[
            ("B24BRIDGE_LISTEN", "127.0.0.1:18111"),
            ("B24BRIDGE_UPSTREAM", "http://127.0.0.1:18112"),
        ],
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("listen:           http://127.0.0.1:18111"),
        "{stdout}"
    );
    assert!(
        stdout.contains("upstream portal:  http://127.0.0.1:18112"),
        "{stdout}"
    );
}

#[test]
fn environment_overrides_the_file_and_the_file_overrides_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bridge.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:18120\"\nupstream = \"https://portal.example.com\"\n[limits]\nmax_vars = 77\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (ok, stdout, stderr) = check(&["--config", path], &[("B24BRIDGE_LIMITS__MAX_VARS", "55")]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("http://127.0.0.1:18120"),
        "file value used: {stdout}"
    );
    assert!(stdout.contains("https://portal.example.com"), "{stdout}");
    assert!(
        stdout.contains("55 variables"),
        "environment wins over the file: {stdout}"
    );
}

#[test]
fn invalid_values_are_refused_naming_key_value_and_fix() {
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Env, &[&str])] = &[
        (&[], &["upstream is required", "B24BRIDGE_UPSTREAM"]),
        (
            &[("B24BRIDGE_UPSTREAM", "ftp://x")],
            &["upstream", "ftp://x", "Fix:"],
        ),
        (
            &[("B24BRIDGE_UPSTREAM", "https://p.example/rest/")],
            &["upstream", "path", "Fix:"],
        ),
        (
            &[
                ("B24BRIDGE_UPSTREAM", "http://x"),
                ("B24BRIDGE_LISTEN", "nowhere"),
            ],
            &["listen", "nowhere", "Fix:"],
        ),
        (
            &[
                ("B24BRIDGE_UPSTREAM", "http://x"),
                ("B24BRIDGE_CLIENT__CONNECT_TIMEOUT", "soon"),
            ],
            &["client.connect_timeout", "soon", "Fix:"],
        ),
        (
            &[
                ("B24BRIDGE_UPSTREAM", "http://x"),
                ("B24BRIDGE_LIMITS__MAX_DEPTH", "0"),
            ],
            &["limits.max_depth", "Fix:"],
        ),
        (
            &[
                ("B24BRIDGE_UPSTREAM", "http://x"),
                ("B24BRIDGE_LOG__FORMAT", "xml"),
            ],
            &["log.format", "xml", "Fix:"],
        ),
        (
            &[
                ("B24BRIDGE_UPSTREAM", "http://x"),
                ("B24BRIDGE_TLS__CERT", "/etc/hostname"),
            ],
            &["tls.key", "Fix:"],
        ),
        (
            &[
                ("B24BRIDGE_UPSTREAM", "http://x"),
                ("B24BRIDGE_CLIENT__CA_FILE", "/no/such/ca.pem"),
            ],
            &["client.ca_file", "/no/such/ca.pem", "Fix:"],
        ),
        (
            &[("B24BRIDGE_UPSTREAM", "http://x"), ("B24BRIDGE_LISTN", "1")],
            &["listn", "Fix:"],
        ),
    ];
    for (env, needles) in cases {
        let (ok, _, stderr) = check(&[], env);
        assert!(!ok, "{env:?} must be refused");
        for needle in *needles {
            assert!(
                stderr.contains(needle),
                "{env:?}: {stderr:?} lacks {needle:?}"
            );
        }
    }
}

#[test]
fn an_explicit_config_file_that_is_missing_is_an_error() {
    let (ok, _, stderr) = check(
        &["--config", "/no/such/b24bridge.toml"],
        &[("B24BRIDGE_UPSTREAM", "http://x")],
    );
    assert!(!ok);
    assert!(stderr.contains("/no/such/b24bridge.toml"), "{stderr}");
}

#[test]
fn the_example_configuration_is_valid_and_documents_every_key() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    let raw = config::load_raw_from(
        Some(std::path::Path::new(example)),
        figment::providers::Env::prefixed("B24BRIDGE_EXAMPLE_TEST_UNSET_"),
    )
    .expect("config.example.toml parses");
    Config::validate(&raw).expect("config.example.toml validates");
    let text = std::fs::read_to_string(example).unwrap();
    let defaults = serde_json::to_value(RawConfig::default()).unwrap();
    // Rule tables are documented by the built-in rules file and the README; the example
    // shows how to override them.
    let rule_tables = ["methods", "entities", "enums", "errors"];
    assert!(
        text.contains("[methods.\"tasks.task.get\"]"),
        "a method override example is shown"
    );
    for (section, value) in defaults.as_object().unwrap() {
        if rule_tables.contains(&section.as_str()) {
            continue;
        }
        match value.as_object() {
            Some(table) => {
                assert!(
                    text.contains(&format!("[{section}]")),
                    "[{section}] not documented"
                );
                for key in table.keys() {
                    assert!(
                        text.contains(&format!("{key} =")),
                        "{section}.{key} not documented"
                    );
                }
            }
            None => assert!(
                text.contains(&format!("{section} =")),
                "{section} not documented"
            ),
        }
    }
}
