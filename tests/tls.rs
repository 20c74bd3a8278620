//! The TLS listener: the official SDKs only speak https, so this is how they reach the bridge.

mod support;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use support::{raw_config, start_bridge, Behaviour, MockPortal};

const ANSWER: &[u8] = br#"{"result":{"ID":"1"},"time":{"start":1}}"#;

fn https_client(
    ca: Option<&std::path::Path>,
) -> Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
> {
    let tls = b24bridge::tls::client_config(ca).unwrap();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(connector)
}

#[tokio::test]
async fn a_client_trusting_the_test_ca_is_served_over_tls() {
    let pki = support::test_pki();
    let portal = MockPortal::start(Behaviour::Fixed {
        status: 200,
        headers: vec![("content-type", "application/json")],
        body: ANSWER,
    })
    .await;
    let mut raw = raw_config(&portal.url());
    raw.tls.cert = Some(pki.cert.clone());
    raw.tls.key = Some(pki.key.clone());
    let bridge = start_bridge(raw).await;
    let port = bridge.local_addr().port();

    for host in ["localhost", "127.0.0.1"] {
        let uri = format!("https://{host}:{port}/rest/1/hook1/user.current.json");
        let response = https_client(Some(&pki.ca))
            .get(uri.parse().unwrap())
            .await
            .expect("TLS handshake with the test CA succeeds");
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], ANSWER);
    }
    assert_eq!(portal.received().len(), 2);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let pki = support::test_pki();
    let portal = MockPortal::start(Behaviour::Fixed {
        status: 200,
        headers: vec![],
        body: ANSWER,
    })
    .await;
    let mut raw = raw_config(&portal.url());
    raw.tls.cert = Some(pki.cert.clone());
    raw.tls.key = Some(pki.key.clone());
    let bridge = start_bridge(raw).await;
    let uri = format!(
        "https://localhost:{}/rest/1/hook1/user.current",
        bridge.local_addr().port()
    );
    assert!(https_client(None).get(uri.parse().unwrap()).await.is_err());
    assert!(portal.received().is_empty());
}

#[tokio::test]
async fn an_upstream_behind_a_private_ca_is_reached_with_client_ca_file() {
    // The bridge itself (with TLS) stands in for an https portal behind a private CA.
    let pki = support::test_pki();
    let portal = MockPortal::start(Behaviour::Fixed {
        status: 200,
        headers: vec![],
        body: ANSWER,
    })
    .await;
    let mut tls_raw = raw_config(&portal.url());
    tls_raw.tls.cert = Some(pki.cert.clone());
    tls_raw.tls.key = Some(pki.key.clone());
    let https_portal = start_bridge(tls_raw).await;

    let mut raw = raw_config(&format!(
        "https://localhost:{}",
        https_portal.local_addr().port()
    ));
    raw.client.ca_file = Some(pki.ca.clone());
    let bridge = start_bridge(raw).await;
    let answer = support::send(
        bridge.local_addr(),
        "GET",
        "/rest/1/hook1/user.current",
        &[],
        "",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], ANSWER);

    let untrusting = start_bridge(raw_config(&format!(
        "https://localhost:{}",
        https_portal.local_addr().port()
    )))
    .await;
    let answer = support::send(
        untrusting.local_addr(),
        "GET",
        "/rest/1/hook1/user.current",
        &[],
        "",
    )
    .await;
    assert_eq!(
        answer.status, 502,
        "an untrusted portal certificate is a v2 502, never a panic"
    );
    assert_eq!(answer.json()["error"], "ERROR_UPSTREAM_UNAVAILABLE");
}
