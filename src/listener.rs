//! Accepting connections: TCP, optional TLS, HTTP/1.1 with keep-alive, graceful drain.
//!
//! Used by the bridge (its client and admin listeners) and by the benchmark and test
//! portals; the emulator crate has its own. The accept loop runs until `shutdown`
//! resolves; then the listening socket is closed, in-flight requests finish (keep-alive
//! connections are closed after their current response), and whatever is still running
//! after `drain_timeout` is abandoned.
//!
//! Client-side deadlines are kept by one watchdog per connection (see [`drive`]), not by
//! hyper: hyper's `header_read_timeout` restarts when a keep-alive connection goes idle,
//! so it would also be the idle timeout. Here they are two:
//!
//! - `header_read_timeout`: from the accept (a new connection) or from the first byte of a
//!   later request, until its head is complete; past it the connection is closed, as hyper
//!   does, without an answer.
//! - `idle_timeout`: a keep-alive connection with no request in flight that read and wrote
//!   nothing for that long is closed (hyper's graceful shutdown: at once when idle, after
//!   the answer being written otherwise).
//!
//! Per request this costs two counter increments and a clock read when the connection
//! goes idle; the watchdog's one timer is moved only when a deadline comes nearer (a
//! partial head), else it is checked when it fires and set to the later deadline then.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::body::Body;

/// How long a client may take to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct ServeOptions {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// From the accept, or the first byte of a later request, to the end of its head.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may sit with nothing in flight and nothing sent.
    pub idle_timeout: Duration,
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
    // Every connection holds a receiver; the drain signals through it, then waits until
    // all are dropped.
    let (stop, _) = tokio::sync::watch::channel(());
    let acceptor = options.tls.clone().map(TlsAcceptor::from);
    let deadlines = Deadlines {
        header_read: options.header_read_timeout,
        idle: options.idle_timeout,
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    // The watchdog keeps the header read timeout (hyper's would also cut idle
    // connections); the timer stays for anything else of hyper's that needs one.
    http.timer(TokioTimer::new())
        .header_read_timeout(None)
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
        let accepted = Instant::now();
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::default());
        let handler = handler.clone();
        let counted = activity.clone();
        let service = service_fn(move |req| {
            let handler = handler.clone();
            let ended = InFlight::start(counted.clone());
            // Boxed: hyper keeps room for one request's future for as long as the
            // connection lives, so a pointer here saves its size on every idle connection.
            let answer = Box::pin(handler(req, peer));
            async move {
                let response = answer.await;
                drop(ended);
                Ok::<_, Infallible>(response)
            }
        });
        let http = http.clone();
        let stopped = stop.subscribe();
        match &acceptor {
            None => {
                let io = TokioIo::new(WatchedIo::new(stream, activity.clone()));
                let conn = http.serve_connection(io, service);
                tokio::spawn(drive(conn, activity, deadlines, accepted, stopped, peer));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
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
                    let io = TokioIo::new(WatchedIo::new(tls, activity.clone()));
                    let conn = http.serve_connection(io, service);
                    drive(conn, activity, deadlines, Instant::now(), stopped, peer).await;
                });
            }
        }
    }

    drop(listener);
    let _ = stop.send(());
    match tokio::time::timeout(options.drain_timeout, stop.closed()).await {
        Ok(()) => DrainOutcome::Complete,
        Err(_) => DrainOutcome::TimedOut,
    }
}

#[derive(Clone, Copy)]
struct Deadlines {
    header_read: Duration,
    idle: Duration,
}

/// What a connection's watchdog reads. Written by [`WatchedIo`] and the service wrapper,
/// read by [`drive`], all within the connection's one task: relaxed ordering suffices.
#[derive(Default)]
struct Activity {
    /// Requests whose head was read (the service was called).
    started: AtomicU32,
    /// Requests whose handler finished (the answer's head went to hyper).
    finished: AtomicU32,
    /// Bytes were read since the watchdog last looked.
    read: AtomicBool,
    /// Bytes were written since the watchdog last looked.
    wrote: AtomicBool,
}

impl Activity {
    fn take(flag: &AtomicBool) -> bool {
        // A load first: the common "nothing happened" case writes nothing.
        flag.load(Relaxed) && {
            flag.store(false, Relaxed);
            true
        }
    }
}

/// Counts a request as in flight until dropped (its handler finished or was abandoned).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> InFlight {
        activity.started.fetch_add(1, Relaxed);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Relaxed);
    }
}

/// The client's stream, noting that bytes moved (one relaxed store per read or write).
struct WatchedIo<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> WatchedIo<T> {
    fn new(inner: T, activity: Arc<Activity>) -> Self {
        WatchedIo { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WatchedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read.store(true, Relaxed);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WatchedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote.store(true, Relaxed);
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote.store(true, Relaxed);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Where a connection is, for its deadlines.
#[derive(Clone, Copy)]
enum Phase {
    /// Waiting for a request head since then (a new connection, or a first byte came).
    Head(Instant),
    /// Nothing in flight and nothing moved since then.
    Idle(Instant),
    /// A handler is running: no deadline of the listener's applies.
    Busy,
}

/// Runs one connection under its watchdog until it ends, the drain closes it, or a
/// deadline does.
async fn drive<I, S>(
    conn: hyper::server::conn::http1::Connection<TokioIo<WatchedIo<I>>, S>,
    activity: Arc<Activity>,
    deadlines: Deadlines,
    since: Instant,
    mut stopped: tokio::sync::watch::Receiver<()>,
    peer: SocketAddr,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = Body>,
{
    let mut conn = std::pin::pin!(conn);
    let mut stop = std::pin::pin!(stopped.changed());
    let mut timer = std::pin::pin!(tokio::time::sleep_until(since + deadlines.header_read));
    let mut phase = Phase::Head(since);
    let mut seen = 0u32;
    let mut closing = false;
    let ended = std::future::poll_fn(|cx| loop {
        if let Poll::Ready(result) = conn.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(|e| e.to_string()));
        }
        if closing {
            return Poll::Pending;
        }
        if stop.as_mut().poll(cx).is_ready() {
            closing = true;
            conn.as_mut().graceful_shutdown();
            continue;
        }
        let started = activity.started.load(Relaxed);
        let read = Activity::take(&activity.read);
        let wrote = Activity::take(&activity.wrote);
        if started != activity.finished.load(Relaxed) {
            phase = Phase::Busy;
            seen = started;
            return Poll::Pending;
        }
        phase = match phase {
            // A request ended (or came and went within one poll), or an answer is still
            // being written: idle from now.
            _ if started != seen => Phase::Idle(Instant::now()),
            Phase::Busy => Phase::Idle(Instant::now()),
            Phase::Idle(_) if read => Phase::Head(Instant::now()),
            Phase::Idle(_) if wrote => Phase::Idle(Instant::now()),
            other => other,
        };
        seen = started;
        let due = match phase {
            Phase::Head(t) => t + deadlines.header_read,
            Phase::Idle(t) => t + deadlines.idle,
            Phase::Busy => unreachable!("a busy connection returned above"),
        };
        if due < timer.deadline() {
            timer.as_mut().reset(due);
        }
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        if timer.deadline() < due {
            // Fired at an older deadline; the connection was active since.
            timer.as_mut().reset(due);
            continue;
        }
        match phase {
            Phase::Head(_) => return Poll::Ready(Err("header read timeout".to_owned())),
            _ => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    })
    .await;
    if let Err(e) = ended {
        tracing::debug!(error = %e, %peer, "connection ended with an error");
    }
}
