//! Shared test fixtures: an in-process mock portal, a bridge on a loopback port, and a
//! small HTTP client. One mock behaviour per fault, in the spirit of sozu's e2e mocks.

#![allow(dead_code)]

pub mod differential;

pub mod php_bytes;

pub mod process;

pub mod renderers;

pub mod workloads;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use b24bridge::body::{self, Body};
use b24bridge::config::{Config, RawConfig};
use b24bridge::listener::{self, ServeOptions};
use b24bridge::server::{self, RunningBridge};
use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

/// A request as the mock portal received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What the mock portal does with each request.
#[derive(Clone)]
pub enum Behaviour {
    /// Answers with this status, extra headers and body.
    Fixed {
        status: u16,
        headers: Vec<(&'static str, &'static str)>,
        body: &'static [u8],
    },
    /// Waits this long before answering 200 `{"result":true}`.
    Slow(Duration),
    /// Answers requests in turn with these (delay, status, body); the last one repeats.
    Sequence(Arc<Mutex<Vec<Step>>>),
    /// Sends a 200 head announcing 1,000 bytes, the first bytes of a JSON answer, and
    /// then nothing more, ever.
    StallAfterHead,
}

/// One scripted answer: (delay, status, body).
pub type Step = (Duration, u16, &'static str);

impl Behaviour {
    pub fn sequence(steps: Vec<Step>) -> Behaviour {
        Behaviour::Sequence(Arc::new(Mutex::new(steps)))
    }
}

pub struct MockPortal {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl MockPortal {
    pub async fn start(behaviour: Behaviour) -> MockPortal {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let log = received.clone();
        let options = ServeOptions {
            tls: None,
            header_read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(75),
            drain_timeout: Duration::from_secs(1),
        };
        tokio::spawn(listener::serve(
            listener,
            options,
            move |req: Request<hyper::body::Incoming>, _peer| {
                let log = log.clone();
                let behaviour = behaviour.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    log.lock().unwrap().push(Received {
                        method: parts.method.to_string(),
                        target: parts
                            .uri
                            .path_and_query()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        headers: parts.headers,
                        body,
                    });
                    answer(&behaviour).await
                }
            },
            async move {
                let _ = stopped.await;
            },
        ));
        MockPortal {
            addr,
            received,
            stop: Some(stop),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for MockPortal {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn answer(behaviour: &Behaviour) -> Response<Body> {
    match behaviour {
        Behaviour::Fixed {
            status,
            headers,
            body: bytes,
        } => {
            let mut response = Response::new(body::full(Bytes::from_static(bytes)));
            *response.status_mut() = StatusCode::from_u16(*status).unwrap();
            for (name, value) in headers {
                response.headers_mut().append(*name, value.parse().unwrap());
            }
            response
        }
        Behaviour::Slow(delay) => {
            tokio::time::sleep(*delay).await;
            body::json_response(StatusCode::OK, &b"{\"result\":true}"[..])
        }
        Behaviour::StallAfterHead => {
            use futures_util::StreamExt;
            let start = http_body::Frame::data(Bytes::from_static(b"{\"result\":{\"item\":"));
            let frames = futures_util::stream::iter([Ok::<_, body::BoxError>(start)])
                .chain(futures_util::stream::pending());
            let mut response = Response::new(http_body_util::StreamBody::new(frames).boxed());
            response
                .headers_mut()
                .insert(http::header::CONTENT_LENGTH, "1000".parse().unwrap());
            response
        }
        Behaviour::Sequence(steps) => {
            let (delay, status, text) = {
                let mut steps = steps.lock().unwrap();
                if steps.len() > 1 {
                    steps.remove(0)
                } else {
                    steps[0]
                }
            };
            tokio::time::sleep(delay).await;
            let mut response = Response::new(body::full(Bytes::from_static(text.as_bytes())));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            response
        }
    }
}

/// A configuration for a bridge on a free loopback port in front of `upstream`.
pub fn raw_config(upstream: &str) -> RawConfig {
    let mut raw = RawConfig {
        listen: "127.0.0.1:0".into(),
        upstream: Some(upstream.into()),
        ..RawConfig::builtin().expect("built-in rules parse")
    };
    // A free port for /metrics too: tests run side by side.
    raw.admin.listen = "127.0.0.1:0".into();
    raw
}

pub async fn start_bridge(raw: RawConfig) -> RunningBridge {
    let config = Config::validate(&raw).expect("test configuration is valid");
    server::start(config).await.expect("bridge starts")
}

/// An answer as a client saw it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request over plain HTTP and collects the answer.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Answer {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{target}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body.into())).unwrap();
    let response = client.request(request).await.expect("bridge answers");
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// An address nothing listens on.
pub async fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

pub fn infallible<T>(t: T) -> Result<T, Infallible> {
    Ok(t)
}

/// Sends raw bytes on a fresh connection and returns everything read until the server closes
/// or a second passes; for requests an HTTP client library refuses to form.
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A throwaway CA and a server certificate for `localhost` and 127.0.0.1, as PEM files.
pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub ca: std::path::PathBuf,
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

pub fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "b24bridge test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca_cert, &ca_key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    TestPki {
        ca: write("ca.pem", ca_cert.pem()),
        cert: write("server.pem", cert.pem()),
        key: write("server.key", key.serialize_pem()),
        dir,
    }
}
