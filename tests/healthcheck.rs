//! `b24bridge healthcheck`, the probe container images run: exit 0 on a 200 from /healthz
//! within the timeout, else exit 1 with a one-line reason; target from --url or from the
//! same configuration `serve` reads.

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use support::process::command;
use support::{raw_config, start_bridge, Behaviour, MockPortal};

async fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = command();
    cmd.arg("healthcheck").args(args).envs(env.iter().copied());
    tokio::task::spawn_blocking(move || cmd.output().expect("binary runs"))
        .await
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_fails_with(out: &Output, reason: &str) {
    let text = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().count(), 1, "one line: {text:?}");
    assert!(text.contains(reason), "expected {reason:?}: {text:?}");
}

async fn portal() -> MockPortal {
    MockPortal::start(Behaviour::Fixed {
        status: 200,
        headers: vec![],
        body: b"{\"result\":true}",
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_target_comes_from_listen_in_the_environment_or_the_file() {
    let portal = portal().await;
    let bridge = start_bridge(raw_config(&portal.url())).await;
    let listen = bridge.local_addr().to_string();

    let out = healthcheck(&[], &[("B24BRIDGE_LISTEN", &listen)]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("http://{listen}/healthz")));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b24bridge.toml");
    // A wildcard listen address is probed on loopback; upstream is not needed by the probe.
    let wildcard = format!("0.0.0.0:{}", bridge.local_addr().port());
    std::fs::write(&file, format!("listen = \"{wildcard}\"\n")).unwrap();
    let out = healthcheck(&["--config", file.to_str().unwrap()], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_url_is_probed_and_a_non_200_status_fails() {
    let refused = support::refused_addr().await;
    let bridge = start_bridge(raw_config(&format!("http://{refused}"))).await;
    let base = format!("http://{}", bridge.local_addr());

    let out = healthcheck(&["--url", &format!("{base}/healthz")], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    // The portal is down, so readiness is 503.
    let out = healthcheck(&["--url", &format!("{base}/readyz")], &[]).await;
    assert_fails_with(&out, "status 503");
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_listening_is_connection_refused() {
    let refused = support::refused_addr().await;
    let out = healthcheck(&[], &[("B24BRIDGE_LISTEN", &refused.to_string())]).await;
    assert_fails_with(&out, "connection refused");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out_after_two_seconds() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let started = Instant::now();
    let out = healthcheck(&[], &[("B24BRIDGE_LISTEN", &addr.to_string())]).await;
    let took = started.elapsed();
    assert_fails_with(&out, "timed out after 2s");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "{took:?}"
    );
    let out = healthcheck(
        &["--timeout", "300ms"],
        &[("B24BRIDGE_LISTEN", &addr.to_string())],
    )
    .await;
    assert_fails_with(&out, "timed out after 300ms");
    held.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn with_tls_the_probe_speaks_https_and_requires_the_configured_certificate() {
    let pki = support::test_pki();
    let other = support::test_pki();
    let portal = portal().await;
    let mut raw = raw_config(&portal.url());
    raw.tls.cert = Some(pki.cert.clone());
    raw.tls.key = Some(pki.key.clone());
    let bridge = start_bridge(raw).await;
    let listen = bridge.local_addr().to_string();

    // The server certificate is issued by a CA the probe is never told about: it is pinned.
    let out = healthcheck(
        &[],
        &[
            ("B24BRIDGE_LISTEN", &listen),
            ("B24BRIDGE_TLS__CERT", pki.cert.to_str().unwrap()),
            ("B24BRIDGE_TLS__KEY", pki.key.to_str().unwrap()),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("https://"));

    // A server presenting any other certificate is not the configured bridge.
    let out = healthcheck(
        &[],
        &[
            ("B24BRIDGE_LISTEN", &listen),
            ("B24BRIDGE_TLS__CERT", other.cert.to_str().unwrap()),
        ],
    )
    .await;
    assert_fails_with(&out, "TLS handshake failed");
    // Plain http against the TLS listener is not a 200 either.
    let out = healthcheck(&[], &[("B24BRIDGE_LISTEN", &listen)]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[tokio::test]
async fn a_listen_port_of_zero_cannot_be_probed_and_says_to_pass_url() {
    let out = healthcheck(&[], &[("B24BRIDGE_LISTEN", "127.0.0.1:0")]).await;
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("--url"), "{}", stderr(&out));
}
