//! SIGTERM as Kubernetes and Docker send it: the real binary in front of a slow mock portal.
//! Readiness turns 503 while connections are still accepted (pre-drain), then the listener
//! closes, in-flight requests finish with their full answers, and the process exits 0 —
//! within the drain deadline even when a request would take longer.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::process::BridgeProcess;
use support::{send, Behaviour, MockPortal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CALL: &str = "/rest/1/hook1/user.current.json";

/// Waits until the portal has received `count` requests: they are then in flight.
async fn wait_received(portal: &MockPortal, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while portal.received().len() < count {
        assert!(
            Instant::now() < deadline,
            "only {} of {count} requests reached the portal",
            portal.received().len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls `/readyz` on fresh connections until it answers 503 or `limit` passes.
async fn wait_not_ready(addr: SocketAddr, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if send(addr, "GET", "/readyz", &[], "").await.status == 503 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// One GET on a fresh connection, read until the server closes; "" if it never answers.
async fn raw_get(addr: SocketAddr, target: &str, limit: Duration) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {target} HTTP/1.1\r\nHost: bridge\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish_and_new_connections_are_refused_after_the_pre_drain() {
    const PRE_DRAIN: Duration = Duration::from_secs(2);
    const PORTAL_DELAY: Duration = Duration::from_secs(4);
    const IN_FLIGHT: usize = 4;
    let portal = MockPortal::start(Behaviour::Slow(PORTAL_DELAY)).await;
    let mut bridge = BridgeProcess::spawn(&[
        ("B24BRIDGE_UPSTREAM", &portal.url()),
        ("B24BRIDGE_SHUTDOWN__PRE_DRAIN_DELAY", "2s"),
        ("B24BRIDGE_SHUTDOWN__DRAIN_TIMEOUT", "15s"),
    ]);
    let addr = bridge.addr;
    assert_eq!(send(addr, "GET", "/readyz", &[], "").await.status, 200);

    let calls: Vec<_> = (0..IN_FLIGHT)
        .map(|_| tokio::spawn(async move { send(addr, "GET", CALL, &[], "").await }))
        .collect();
    wait_received(&portal, IN_FLIGHT).await;

    let signalled = Instant::now();
    bridge.signal("TERM");

    // Pre-drain: readiness is 503, yet new connections are accepted and served.
    assert!(
        wait_not_ready(addr, Duration::from_secs(1)).await,
        "/readyz never turned 503 after SIGTERM"
    );
    assert_eq!(send(addr, "GET", "/healthz", &[], "").await.status, 200);
    assert!(
        signalled.elapsed() < PRE_DRAIN,
        "the checks above must run inside the pre-drain delay; the machine is too slow"
    );

    // Drain: the listener closes while the slow requests are still running.
    let refused_after = loop {
        match tokio::net::TcpStream::connect(addr).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                break signalled.elapsed()
            }
            Err(e) => panic!("unexpected connect error: {e}"),
            Ok(_) => {}
        }
        assert!(
            signalled.elapsed() < PORTAL_DELAY + PRE_DRAIN,
            "new connections were still accepted after the pre-drain delay"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        refused_after >= PRE_DRAIN,
        "connections refused after {refused_after:?}, before the {PRE_DRAIN:?} pre-drain delay ended"
    );
    assert!(
        calls.iter().all(|c| !c.is_finished()),
        "the slow requests must still be in flight when the listener closes"
    );

    for call in calls {
        let answer = call.await.expect("request task");
        assert_eq!(answer.status, 200);
        assert_eq!(&answer.body[..], b"{\"result\":true}");
    }
    let status = bridge
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("the bridge exits once drained");
    assert!(status.success(), "exit status {status:?}");
    let log = bridge.output().join("\n");
    assert!(log.contains("drained; exiting"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_longer_than_the_drain_deadline_does_not_hold_the_exit() {
    const DRAIN: Duration = Duration::from_secs(1);
    let portal = MockPortal::start(Behaviour::Slow(Duration::from_secs(30))).await;
    let mut bridge = BridgeProcess::spawn(&[
        ("B24BRIDGE_UPSTREAM", &portal.url()),
        ("B24BRIDGE_SHUTDOWN__DRAIN_TIMEOUT", "1s"),
    ]);
    let addr = bridge.addr;
    let call = tokio::spawn(raw_get(addr, CALL, Duration::from_secs(10)));
    wait_received(&portal, 1).await;

    let signalled = Instant::now();
    bridge.signal("TERM");
    let status = bridge
        .wait_exit(DRAIN + Duration::from_secs(4))
        .await
        .expect("the bridge exits within the drain deadline plus a margin");
    let took = signalled.elapsed();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took >= DRAIN,
        "exited after {took:?}, without waiting to drain"
    );

    let answer = call.await.unwrap();
    assert!(
        !answer.contains("200 OK"),
        "the abandoned request cannot have been answered: {answer:?}"
    );
    let log = bridge.output().join("\n");
    assert!(log.contains("drain deadline passed"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_cuts_the_pre_drain_delay_short() {
    let portal = MockPortal::start(Behaviour::Fixed {
        status: 200,
        headers: vec![],
        body: b"{\"result\":true}",
    })
    .await;
    let mut bridge = BridgeProcess::spawn(&[
        ("B24BRIDGE_UPSTREAM", &portal.url()),
        ("B24BRIDGE_SHUTDOWN__PRE_DRAIN_DELAY", "60s"),
    ]);
    bridge.signal("TERM");
    assert!(wait_not_ready(bridge.addr, Duration::from_secs(5)).await);
    bridge.signal("INT");
    let status = bridge
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("a second signal ends the pre-drain delay");
    assert!(status.success(), "exit status {status:?}");
}
