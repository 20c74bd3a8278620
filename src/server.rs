//! Start-up and shutdown of a bridge: bind, serve, drain.
//!
//! The order follows what a sidecar needs: everything that can fail (TLS files, upstream
//! client, the listening socket) is done before the first connection is accepted, and on
//! shutdown readiness turns 503 first, the listener keeps accepting for
//! `shutdown.pre_drain_delay`, then it closes and in-flight requests finish within
//! `shutdown.drain_timeout`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Config, ConfigError};
use crate::listener::{self, DrainOutcome, ServeOptions};
use crate::service::Bridge;
use crate::tls::{self, TlsSetupError};
use crate::upstream::UpstreamClient;

/// Why the bridge could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    #[error("cannot listen on {addr}: {source}. Fix: choose a free address with `listen` or B24BRIDGE_LISTEN")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr} for /metrics: {source}. Fix: choose a free address with `admin.listen` or B24BRIDGE_ADMIN__LISTEN, or \"\" to turn it off")]
    AdminBind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A bridge that is accepting connections.
pub struct RunningBridge {
    local_addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    bridge: Arc<Bridge>,
    stop: oneshot::Sender<()>,
    admin_stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<DrainOutcome>,
}

impl RunningBridge {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The admin listener's address (`/metrics`, probes), when it is on.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    pub fn bridge(&self) -> &Arc<Bridge> {
        &self.bridge
    }

    /// Puts a new configuration in force for calls that start from now on, its rules
    /// refined by the portal's schema when it names a schema webhook. Keys that only take
    /// effect at start (listen, tls, upstream, client, admin, the translation slots) are
    /// named in a warning when they changed.
    pub async fn reload(&self, mut config: Config) {
        let old = self.bridge.config();
        let fixed = [
            ("listen", old.listen != config.listen),
            ("tls", old.tls != config.tls),
            ("upstream", old.upstream != config.upstream),
            (
                "client",
                old.connect_timeout != config.connect_timeout
                    || old.response_timeout != config.response_timeout
                    || old.body_timeout != config.body_timeout
                    || old.pool_idle_timeout != config.pool_idle_timeout
                    || old.max_connections != config.max_connections
                    || old.ca_file != config.ca_file,
            ),
            ("admin.listen", old.admin_listen != config.admin_listen),
            (
                "limits.header_read_timeout, limits.idle_timeout",
                old.header_read_timeout != config.header_read_timeout
                    || old.idle_timeout != config.idle_timeout,
            ),
            (
                "limits.max_concurrent_translations",
                old.max_concurrent_translations != config.max_concurrent_translations,
            ),
        ];
        for (key, changed) in fixed {
            if changed {
                tracing::warn!(
                    key,
                    "changed in the reloaded configuration; it takes effect after a restart"
                );
            }
        }
        if let Some(hook) = config.schema_webhook.clone() {
            let webhook = crate::upstream::Credentials::Webhook(hook);
            let client = self.bridge.client();
            config.rules = Arc::new(learn_schema(client, &webhook, &config.rules).await);
        }
        self.bridge.replace_config(Arc::new(config));
        self.bridge.client().metrics().reload(true);
        tracing::info!("configuration reloaded; calls from now on use it");
    }

    /// Counts and logs a reload that was refused (the old configuration keeps serving).
    pub fn refuse_reload(&self, error: &ConfigError) {
        self.bridge.client().metrics().reload(false);
        tracing::error!("configuration error: {error}; the reload is refused and the running configuration keeps serving");
    }

    /// The whole stop sequence after a signal: readiness turns 503 while the listener keeps
    /// accepting for `shutdown.pre_drain_delay` (cut short when `interrupt` resolves, e.g.
    /// on a second signal), then [`RunningBridge::shutdown`].
    pub async fn stop(self, interrupt: impl Future<Output = ()>) -> DrainOutcome {
        self.bridge.start_draining();
        let delay = self.bridge.config().pre_drain_delay;
        if !delay.is_zero() {
            tracing::info!(
                pre_drain_delay = %humantime::format_duration(delay),
                "readiness is 503; still accepting connections during the pre-drain delay"
            );
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = interrupt => tracing::info!("interrupted; skipping the rest of the pre-drain delay"),
            }
        }
        tracing::info!(
            drain_timeout = %humantime::format_duration(self.bridge.config().drain_timeout),
            "closing the listener; draining in-flight requests"
        );
        self.shutdown().await
    }

    /// Drains at once: readiness turns 503, the listener closes, in-flight requests finish.
    pub async fn shutdown(self) -> DrainOutcome {
        self.bridge.start_draining();
        if let Some(admin) = self.admin_stop {
            let _ = admin.send(());
        }
        let _ = self.stop.send(());
        self.task.await.unwrap_or(DrainOutcome::TimedOut)
    }
}

/// Binds the listener and starts serving in the background.
pub async fn start(mut config: Config) -> Result<RunningBridge, StartupError> {
    let tls = match &config.tls {
        Some(files) => Some(tls::server_config(&files.cert, &files.key)?),
        None => None,
    };
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let client = UpstreamClient::new(&config)?.with_metrics(metrics);
    if let Some(hook) = config.schema_webhook.clone() {
        let webhook = crate::upstream::Credentials::Webhook(hook);
        config.rules = Arc::new(learn_schema(&client, &webhook, &config.rules).await);
    }
    let config = Arc::new(config);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartupError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartupError::Bind {
        addr: config.listen,
        source,
    })?;
    let options = ServeOptions {
        tls,
        header_read_timeout: config.header_read_timeout,
        idle_timeout: config.idle_timeout,
        drain_timeout: config.drain_timeout,
    };
    let admin_listener = match config.admin_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartupError::AdminBind { addr, source })?,
        ),
        None => None,
    };
    let admin_addr = admin_listener.as_ref().and_then(|l| l.local_addr().ok());
    let bridge = Arc::new(Bridge::new(config, client));
    let admin_stop = admin_listener.map(|listener| {
        let (stop, stopped) = oneshot::channel::<()>();
        let admin_bridge = bridge.clone();
        let options = ServeOptions {
            tls: None,
            header_read_timeout: admin_bridge.config().header_read_timeout,
            idle_timeout: admin_bridge.config().idle_timeout,
            drain_timeout: std::time::Duration::from_secs(1),
        };
        tokio::spawn(listener::serve(
            listener,
            options,
            move |req, _peer| admin_bridge.clone().admin(req),
            async move {
                let _ = stopped.await;
            },
        ));
        stop
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let handler_bridge = bridge.clone();
    let task = tokio::spawn(listener::serve(
        listener,
        options,
        move |req, peer| handler_bridge.clone().handle(req, peer),
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(RunningBridge {
        local_addr,
        admin_addr,
        bridge,
        stop,
        admin_stop,
        task,
    })
}

/// The rules narrowed to what the portal says it offers; the built-in knowledge when the
/// portal cannot be asked.
async fn learn_schema(
    client: &UpstreamClient,
    webhook: &crate::upstream::Credentials,
    rules: &crate::rules::RuleSet,
) -> crate::rules::RuleSet {
    match crate::schema::fetch(client, webhook, rules).await {
        Ok(schema) => {
            for finding in crate::schema::compare(rules, &schema) {
                tracing::info!(key = %finding.key, "portal schema: {}", finding.message);
            }
            tracing::info!(
                methods = schema.methods.len(),
                "rules refined by the portal's REST 3.0 schema"
            );
            crate::schema::apply(rules, &schema)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the portal's REST 3.0 schema could not be read; using the built-in rules");
            rules.clone()
        }
    }
}

/// SIGTERM and SIGINT, both meaning "drain and exit" for a sidecar. The handlers are
/// installed when this is created, so create it before announcing that the bridge serves:
/// a signal that arrives earlier would otherwise kill the process with the default action.
pub struct ShutdownSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    pub fn install() -> ShutdownSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            ShutdownSignals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        ShutdownSignals {}
    }

    /// Resolves on the next SIGTERM or SIGINT.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = next(&mut self.term) => {}
                () = next(&mut self.int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// SIGHUP: re-read the configuration. Never resolves where there is no such signal.
pub struct ReloadSignal {
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
}

impl ReloadSignal {
    pub fn install() -> ReloadSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            ReloadSignal {
                hup: signal(SignalKind::hangup()).ok(),
            }
        }
        #[cfg(not(unix))]
        ReloadSignal {}
    }

    pub async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(hup) = self.hup.as_mut() {
            if hup.recv().await.is_some() {
                return;
            }
        }
        std::future::pending::<()>().await
    }
}
