//! Accepting connections: TCP, optional TLS, HTTP/1.1 with keep-alive, graceful drain.
//!
//! Shared by the bridge and the emulator. The accept loop runs until `shutdown` resolves;
//! then the listening socket is closed, in-flight requests finish (keep-alive connections
//! are closed after their current response), and whatever is still running after
//! `drain_timeout` is abandoned.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::body::Body;

/// How long a client may take to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct ServeOptions {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub header_read_timeout: Duration,
    pub drain_timeout: Duration,
}

/// What the drain ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum DrainOutcome {
    /// Every connection finished within the deadline.
    Complete,
    /// The deadline passed with connections still open; they were abandoned.
    TimedOut,
}

/// Serves `handler` on `listener` until `shutdown` resolves, then drains.
pub async fn serve<H, F>(
    listener: TcpListener,
    options: ServeOptions,
    handler: H,
    shutdown: impl Future<Output = ()>,
) -> DrainOutcome
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let acceptor = options.tls.clone().map(TlsAcceptor::from);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let service = service_fn(move |req| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(handler(req, peer).await) }
        });
        match &acceptor {
            None => {
                let conn = http.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = watched.await {
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let http = http.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let tls =
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls)) => tls,
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, %peer, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let conn = http.serve_connection(TokioIo::new(tls), service);
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                });
            }
        }
    }

    drop(listener);
    match tokio::time::timeout(options.drain_timeout, graceful.shutdown()).await {
        Ok(()) => DrainOutcome::Complete,
        Err(_) => DrainOutcome::TimedOut,
    }
}
