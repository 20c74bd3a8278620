//! Client-side deadlines of the listener: the idle timeout of keep-alive connections and
//! the header read timeout are separate (`limits.idle_timeout`, `limits.header_read_timeout`).
//!
//! Short durations, every wait bounded: a failing test fails, it never hangs.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{raw_config, start_bridge, Behaviour, MockPortal};

/// The longest any single read in these tests may wait.
const BOUND: Duration = Duration::from_secs(5);

async fn bridge(header_read: &str, idle: &str, upstream: &str) -> b24bridge::server::RunningBridge {
    let mut raw = raw_config(upstream);
    raw.limits.header_read_timeout = header_read.into();
    raw.limits.idle_timeout = idle.into();
    start_bridge(raw).await
}

/// Reads one answer (head and `Content-Length` body) off a keep-alive connection and
/// returns its status line.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("the answer has a Content-Length");
            while buf.len() < end + 4 + length {
                let n = tokio::time::timeout(BOUND, stream.read(&mut chunk))
                    .await
                    .expect("the body comes in time")
                    .unwrap();
                assert!(n > 0, "the connection closed within an answer");
                buf.extend_from_slice(&chunk[..n]);
            }
            return head.lines().next().unwrap_or("").to_owned();
        }
        let n = tokio::time::timeout(BOUND, stream.read(&mut chunk))
            .await
            .expect("the answer comes in time")
            .unwrap();
        assert!(n > 0, "the connection closed before an answer");
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn health(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: bridge\r\n\r\n")
        .await
        .unwrap();
    read_answer(stream).await
}

/// Waits for the bridge to close the connection; how long that took. Panics on any byte
/// read or past [`BOUND`].
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut chunk = [0u8; 256];
    let read = tokio::time::timeout(BOUND, stream.read(&mut chunk))
        .await
        .expect("the bridge closes the connection within the bound");
    match read {
        Ok(0) => {}
        Ok(n) => panic!(
            "read {n} bytes instead of the end of the connection: {}",
            String::from_utf8_lossy(&chunk[..n])
        ),
        // A reset is a close too.
        Err(_) => {}
    }
    started.elapsed()
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.unwrap()
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let portal = MockPortal::start(Behaviour::Slow(Duration::ZERO)).await;
    let bridge = bridge("30s", "300ms", &portal.url()).await;
    let mut stream = connect(bridge.local_addr()).await;
    assert!(health(&mut stream).await.contains("200"));
    let waited = closed_after(&mut stream).await;
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(3),
        "closed after {waited:?}, idle_timeout is 300ms"
    );
}

#[tokio::test]
async fn requests_within_the_idle_timeout_keep_the_connection_open() {
    let portal = MockPortal::start(Behaviour::Slow(Duration::ZERO)).await;
    let bridge = bridge("30s", "400ms", &portal.url()).await;
    let mut stream = connect(bridge.local_addr()).await;
    // 1.2 s in all, three times the idle timeout, never 400 ms without a request.
    for _ in 0..8 {
        assert!(health(&mut stream).await.contains("200"));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(health(&mut stream).await.contains("200"));
}

#[tokio::test]
async fn an_idle_connection_outlives_a_shorter_header_read_timeout() {
    let portal = MockPortal::start(Behaviour::Slow(Duration::ZERO)).await;
    let bridge = bridge("200ms", "5s", &portal.url()).await;
    let mut stream = connect(bridge.local_addr()).await;
    assert!(health(&mut stream).await.contains("200"));
    // Idle for three header read timeouts: the connection is still usable.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(health(&mut stream).await.contains("200"));
}

#[tokio::test]
async fn a_slow_request_head_is_cut_by_the_header_read_timeout() {
    let portal = MockPortal::start(Behaviour::Slow(Duration::ZERO)).await;
    let bridge = bridge("300ms", "10s", &portal.url()).await;

    // A new connection that never completes its head.
    let mut stream = connect(bridge.local_addr()).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let waited = closed_after(&mut stream).await;
    assert!(waited < Duration::from_secs(3), "cut after {waited:?}");

    // A keep-alive connection: idle first (longer than the header read timeout), then a
    // head that starts and stalls; its timer runs from its first byte.
    let mut stream = connect(bridge.local_addr()).await;
    assert!(health(&mut stream).await.contains("200"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let waited = closed_after(&mut stream).await;
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(3),
        "cut after {waited:?}, header_read_timeout is 300ms"
    );
}

#[tokio::test]
async fn a_long_request_in_flight_is_not_cut_by_the_idle_timer() {
    let portal = MockPortal::start(Behaviour::Slow(Duration::from_millis(900))).await;
    let bridge = bridge("30s", "200ms", &portal.url()).await;
    let mut stream = connect(bridge.local_addr()).await;
    let body = "a=1";
    let request = format!(
        "POST /rest/1/c0de/user.current HTTP/1.1\r\nHost: bridge\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let started = Instant::now();
    let status = read_answer(&mut stream).await;
    assert!(status.contains("200"), "{status}");
    assert!(started.elapsed() >= Duration::from_millis(800));
    // And once idle, the connection is closed by the idle timer.
    let waited = closed_after(&mut stream).await;
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
}
