//! Configuration: built-in defaults ← TOML file ← `B24BRIDGE_*` environment.
//!
//! Loading follows raw → validated → immutable: [`RawConfig`] is what figment extracts
//! (every field optional-with-default, unknown keys refused), [`Config::validate`] turns it
//! into a [`Config`] whose values are already parsed and checked, and the running bridge
//! only ever sees an `Arc<Config>`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::decode::DecodeLimits;
use crate::rules::{
    RawEntity, RawErrorRule, RawMethod, RawRules, RawTranslation, RuleError, RuleSet, BUILTIN_RULES,
};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "b24bridge.toml";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bitrix24 cloud cuts a request off after 60 s; wait a little longer than that.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(70);
/// Below the usual 75 s keep-alive of nginx front ends, so the pool never reuses a
/// connection the portal is about to close.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client's keep-alive connection may sit idle. Above the 60 s idle timeout of
/// common load balancers, so the balancer, not the bridge, closes a connection first and
/// never sends a request on one the bridge is closing.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// Under Kubernetes' default 30 s termination grace period.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(20);
/// No pause by default: a local process should stop at once. Kubernetes deployments set a
/// few seconds so endpoint controllers forget the pod before its listener closes.
pub const DEFAULT_PRE_DRAIN_DELAY: Duration = Duration::ZERO;
pub const ENV_PREFIX: &str = "B24BRIDGE_";
/// A translated list that reads 1,000 full rows ahead holds about 5 MB while it runs
/// (measured, README "Deadlines and limits"); 16 at once keep a sidecar under its 128 MiB
/// limit, and the portal's 2 requests per second leave more no work to do anyway.
pub const DEFAULT_MAX_CONCURRENT_TRANSLATIONS: usize = 16;
/// Translated calls that may wait for a slot; more are refused at once with a 503.
pub const DEFAULT_MAX_QUEUED_TRANSLATIONS: usize = 256;
/// How long a pass-through answer's body may take once its head was relayed.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a client may take to send a body the bridge reads itself.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Requests to the portal in flight at once (hyper-util's pool has no cap of its own).
pub const DEFAULT_MAX_CONNECTIONS: usize = 128;
/// The admin listener (`/metrics`, `/healthz`, `/readyz`): loopback, a port of its own.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9464";

/// The configuration as written by the operator, before any check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub listen: String,
    pub upstream: Option<String>,
    pub tls: RawTls,
    pub client: RawClient,
    pub limits: RawLimits,
    pub log: RawLog,
    pub shutdown: RawShutdown,
    pub schema: RawSchema,
    pub admin: RawAdmin,
    pub shadow: RawShadow,
    /// Rewrite rules per v2 method; the built-in ones come first, see `crate::rules`.
    pub methods: std::collections::BTreeMap<String, RawMethod>,
    pub entities: std::collections::BTreeMap<String, RawEntity>,
    pub enums: std::collections::BTreeMap<String, Vec<[String; 2]>>,
    pub translation: RawTranslation,
    pub errors: Vec<RawErrorRule>,
}

impl RawConfig {
    /// Built-in defaults with the built-in rules: what an empty configuration file gives.
    pub fn builtin() -> Result<RawConfig, ConfigError> {
        Figment::from(Serialized::defaults(RawConfig::default()))
            .merge(Toml::string(BUILTIN_RULES))
            .extract::<RawConfig>()
            .map_err(|e| ConfigError::Parse(e.to_string()))
    }

    /// The rule tables of this configuration.
    pub fn rules(&self) -> RawRules {
        RawRules {
            methods: self.methods.clone(),
            entities: self.entities.clone(),
            enums: self.enums.clone(),
            translation: self.translation.clone(),
            errors: self.errors.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSchema {
    /// `USER_ID/CODE` of a webhook the bridge may use at start-up to ask the portal which
    /// REST 3.0 methods and field attributes it offers. Unset: the built-in knowledge.
    pub webhook: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTls {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawClient {
    pub connect_timeout: String,
    pub response_timeout: String,
    pub body_timeout: String,
    pub pool_idle_timeout: String,
    pub max_connections: u64,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawShadow {
    /// JSON-lines file of shadow comparisons; "" keeps none.
    pub log: String,
    /// Share of comparisons written to the log (mismatches always are).
    pub sample: f64,
}

impl Default for RawShadow {
    fn default() -> Self {
        RawShadow {
            log: String::new(),
            sample: 1.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAdmin {
    /// Address of the admin listener; "" turns it off.
    pub listen: String,
}

impl Default for RawAdmin {
    fn default() -> Self {
        RawAdmin {
            listen: DEFAULT_ADMIN_LISTEN.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLimits {
    pub max_body_bytes: u64,
    pub max_vars: u64,
    pub max_depth: u64,
    pub header_read_timeout: String,
    /// A keep-alive connection with no request in flight and no bytes moved for this
    /// long is closed.
    pub idle_timeout: String,
    pub body_read_timeout: String,
    /// Translated calls (and bridge-run batches) served at once; more wait their turn.
    pub max_concurrent_translations: u64,
    pub max_queued_translations: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    pub format: String,
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawShutdown {
    pub drain_timeout: String,
    pub pre_drain_delay: String,
}

fn duration_text(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            listen: DEFAULT_LISTEN.to_owned(),
            upstream: None,
            tls: RawTls::default(),
            client: RawClient::default(),
            limits: RawLimits::default(),
            log: RawLog::default(),
            shutdown: RawShutdown::default(),
            schema: RawSchema::default(),
            admin: RawAdmin::default(),
            shadow: RawShadow::default(),
            methods: Default::default(),
            entities: Default::default(),
            enums: Default::default(),
            translation: RawTranslation::default(),
            errors: Vec::new(),
        }
    }
}

impl Default for RawClient {
    fn default() -> Self {
        RawClient {
            connect_timeout: duration_text(DEFAULT_CONNECT_TIMEOUT),
            response_timeout: duration_text(DEFAULT_RESPONSE_TIMEOUT),
            body_timeout: duration_text(DEFAULT_BODY_TIMEOUT),
            pool_idle_timeout: duration_text(DEFAULT_POOL_IDLE_TIMEOUT),
            max_connections: DEFAULT_MAX_CONNECTIONS as u64,
            ca_file: None,
        }
    }
}

impl Default for RawLimits {
    fn default() -> Self {
        let d = DecodeLimits::default();
        RawLimits {
            max_body_bytes: d.max_body_bytes as u64,
            max_vars: d.max_vars as u64,
            max_depth: d.max_depth as u64,
            header_read_timeout: duration_text(DEFAULT_HEADER_READ_TIMEOUT),
            idle_timeout: duration_text(DEFAULT_IDLE_TIMEOUT),
            body_read_timeout: duration_text(DEFAULT_BODY_READ_TIMEOUT),
            max_concurrent_translations: DEFAULT_MAX_CONCURRENT_TRANSLATIONS as u64,
            max_queued_translations: DEFAULT_MAX_QUEUED_TRANSLATIONS as u64,
        }
    }
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: "text".to_owned(),
            level: "info".to_owned(),
        }
    }
}

impl Default for RawShutdown {
    fn default() -> Self {
        RawShutdown {
            drain_timeout: duration_text(DEFAULT_DRAIN_TIMEOUT),
            pre_drain_delay: duration_text(DEFAULT_PRE_DRAIN_DELAY),
        }
    }
}

/// A configuration problem: which key, what value, and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{key} = {value:?} is invalid: {problem}. Fix: {fix}")]
    Invalid {
        key: &'static str,
        value: String,
        problem: String,
        fix: &'static str,
    },
    #[error("{key} is required. Fix: {fix}")]
    Missing {
        key: &'static str,
        fix: &'static str,
    },
    #[error("cannot read configuration file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("configuration cannot be parsed: {0}. Fix: check the key names and value types against config.example.toml")]
    Parse(String),
    #[error("{} rule problem(s):\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Rules(Vec<RuleError>),
}

/// Where the upstream portal lives; parsed once so the hot path only joins strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub scheme: http::uri::Scheme,
    pub authority: http::uri::Authority,
}

impl Upstream {
    /// The upstream URI for a request target (`/rest/...?...`).
    pub fn uri_for(&self, path_and_query: &str) -> Result<http::Uri, http::Error> {
        http::Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
    }

    pub fn is_https(&self) -> bool {
        self.scheme == http::uri::Scheme::HTTPS
    }

    /// Host and port to dial, for readiness probes.
    pub fn host_port(&self) -> (String, u16) {
        let default = if self.is_https() { 443 } else { 80 };
        (
            self.authority.host().to_owned(),
            self.authority.port_u16().unwrap_or(default),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The validated, immutable configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub upstream: Upstream,
    pub tls: Option<TlsFiles>,
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
    pub body_timeout: Duration,
    pub pool_idle_timeout: Duration,
    pub max_connections: usize,
    pub ca_file: Option<PathBuf>,
    pub limits: DecodeLimits,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub body_read_timeout: Duration,
    pub max_concurrent_translations: usize,
    pub max_queued_translations: usize,
    /// Where `/metrics` and the probes are served besides the main listener; `None`: off.
    pub admin_listen: Option<SocketAddr>,
    /// The shadow diff log, and the share of matches written to it.
    pub shadow_log: Option<PathBuf>,
    pub shadow_sample: f64,
    pub log_format: LogFormat,
    pub log_level: String,
    pub drain_timeout: Duration,
    pub rules: std::sync::Arc<RuleSet>,
    /// The webhook for learning the portal's schema at start-up.
    pub schema_webhook: Option<crate::route::Webhook>,
    /// After SIGTERM, how long readiness answers 503 while connections are still accepted.
    pub pre_drain_delay: Duration,
}

/// Which file, if any, the configuration is read from.
pub fn config_file(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(path) => Some(path.to_owned()),
        None => {
            let default = PathBuf::from(DEFAULT_CONFIG_FILE);
            default.exists().then_some(default)
        }
    }
}

/// Loads defaults ← file ← environment into a [`RawConfig`].
pub fn load_raw(file: Option<&Path>) -> Result<RawConfig, ConfigError> {
    load_raw_from(file, Env::prefixed(ENV_PREFIX).split("__"))
}

/// As [`load_raw`], with the environment provider given (tests inject their own).
pub fn load_raw_from(file: Option<&Path>, env: Env) -> Result<RawConfig, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(RawConfig::default()))
        .merge(Toml::string(BUILTIN_RULES));
    if let Some(path) = file {
        // figment silently skips missing files; an explicit path that is not there is an error.
        std::fs::metadata(path).map_err(|source| ConfigError::File {
            path: path.display().to_string(),
            source,
        })?;
        figment = figment.merge(Toml::file(path));
    }
    figment = figment.merge(env);
    figment
        .extract::<RawConfig>()
        .map_err(|e| ConfigError::Parse(e.to_string()))
}

/// A duration where zero is meaningful (a pause that can be switched off).
fn parse_duration_or_zero(key: &'static str, value: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(value).map_err(|e| ConfigError::Invalid {
        key,
        value: value.to_owned(),
        problem: e.to_string(),
        fix: "write a duration such as \"0s\", \"500ms\" or \"5s\"",
    })
}

fn parse_duration(key: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let d = humantime::parse_duration(value).map_err(|e| ConfigError::Invalid {
        key,
        value: value.to_owned(),
        problem: e.to_string(),
        fix: "write a duration such as \"500ms\", \"5s\" or \"1m\"",
    })?;
    if d.is_zero() {
        return Err(ConfigError::Invalid {
            key,
            value: value.to_owned(),
            problem: "a zero duration would fail every request".to_owned(),
            fix: "use a positive duration such as \"5s\"",
        });
    }
    Ok(d)
}

/// `limits.idle_timeout`: positive, since a zero one would close every keep-alive
/// connection as soon as its answer is written.
fn parse_idle_timeout(value: &str) -> Result<Duration, ConfigError> {
    let key = "limits.idle_timeout";
    let d = humantime::parse_duration(value).map_err(|e| ConfigError::Invalid {
        key,
        value: value.to_owned(),
        problem: e.to_string(),
        fix: "write a duration such as \"30s\" or \"75s\"",
    })?;
    if d.is_zero() {
        return Err(ConfigError::Invalid {
            key,
            value: value.to_owned(),
            problem: "a zero idle timeout would close every keep-alive connection after one answer"
                .to_owned(),
            fix: "use a positive duration such as \"75s\"",
        });
    }
    Ok(d)
}

fn positive(key: &'static str, value: u64, fix: &'static str) -> Result<usize, ConfigError> {
    if value == 0 {
        return Err(ConfigError::Invalid {
            key,
            value: value.to_string(),
            problem: "zero would refuse every request".to_owned(),
            fix,
        });
    }
    usize::try_from(value).map_err(|_| ConfigError::Invalid {
        key,
        value: value.to_string(),
        problem: "too large for this platform".to_owned(),
        fix,
    })
}

/// Parses and checks the upstream portal URL.
pub fn parse_upstream(value: &str) -> Result<Upstream, ConfigError> {
    let invalid = |problem: &str| {
        ConfigError::Invalid {
        key: "upstream",
        value: value.to_owned(),
        problem: problem.to_owned(),
        fix: "give the portal's base URL, e.g. \"https://portal.bitrix24.com\" or \"http://127.0.0.1:9000\"",
    }
    };
    let uri: http::Uri = value
        .parse()
        .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))?;
    let scheme = uri
        .scheme()
        .cloned()
        .ok_or_else(|| invalid("the URL has no scheme"))?;
    if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
        return Err(invalid("only http and https are supported"));
    }
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| invalid("the URL has no host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid(
            "credentials in the URL would be sent to the portal",
        ));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(invalid(
            "the URL has a path or query; the bridge appends /rest/... itself",
        ));
    }
    Ok(Upstream { scheme, authority })
}

/// Parses the `listen` address.
pub fn parse_listen(value: &str) -> Result<SocketAddr, ConfigError> {
    value
        .parse::<SocketAddr>()
        .map_err(|e| ConfigError::Invalid {
            key: "listen",
            value: value.to_owned(),
            problem: e.to_string(),
            fix: "give an address and port such as \"127.0.0.1:8080\"",
        })
}

impl Config {
    /// Checks every value and builds the immutable configuration.
    pub fn validate(raw: &RawConfig) -> Result<Config, ConfigError> {
        let listen = parse_listen(&raw.listen)?;
        let upstream = match raw.upstream.as_deref() {
            Some(u) if !u.trim().is_empty() => parse_upstream(u.trim())?,
            _ => {
                return Err(ConfigError::Missing {
                    key: "upstream",
                    fix: "set `upstream = \"https://your-portal.bitrix24.com\"` in the file or B24BRIDGE_UPSTREAM in the environment",
                })
            }
        };
        let tls = match (&raw.tls.cert, &raw.tls.key) {
            (None, None) => None,
            (Some(cert), Some(key)) => {
                for (k, path) in [("tls.cert", cert), ("tls.key", key)] {
                    readable_file(k, path)?;
                }
                Some(TlsFiles {
                    cert: cert.clone(),
                    key: key.clone(),
                })
            }
            (Some(_), None) => {
                return Err(ConfigError::Missing {
                    key: "tls.key",
                    fix: "TLS needs both tls.cert and tls.key (PEM files); set tls.key or remove tls.cert",
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::Missing {
                    key: "tls.cert",
                    fix: "TLS needs both tls.cert and tls.key (PEM files); set tls.cert or remove tls.key",
                })
            }
        };
        if let Some(ca) = &raw.client.ca_file {
            readable_file("client.ca_file", ca)?;
        }
        let log_format = match raw.log.format.to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "log.format",
                    value: raw.log.format.clone(),
                    problem: "unknown format".to_owned(),
                    fix: "use \"text\" or \"json\"",
                })
            }
        };
        if tracing_subscriber::EnvFilter::try_new(&raw.log.level).is_err() {
            return Err(ConfigError::Invalid {
                key: "log.level",
                value: raw.log.level.clone(),
                problem: "not a level or filter directive".to_owned(),
                fix: "use error, warn, info, debug or trace (or a directive such as \"b24bridge=debug\")",
            });
        }
        Ok(Config {
            listen,
            upstream,
            tls,
            connect_timeout: parse_duration("client.connect_timeout", &raw.client.connect_timeout)?,
            response_timeout: parse_duration(
                "client.response_timeout",
                &raw.client.response_timeout,
            )?,
            body_timeout: parse_duration("client.body_timeout", &raw.client.body_timeout)?,
            pool_idle_timeout: parse_duration(
                "client.pool_idle_timeout",
                &raw.client.pool_idle_timeout,
            )?,
            max_connections: positive(
                "client.max_connections",
                raw.client.max_connections,
                "use a positive count such as 128",
            )?,
            ca_file: raw.client.ca_file.clone(),
            limits: DecodeLimits {
                max_body_bytes: positive(
                    "limits.max_body_bytes",
                    raw.limits.max_body_bytes,
                    "use a positive byte count such as 33554432 (32 MiB)",
                )?,
                max_vars: positive(
                    "limits.max_vars",
                    raw.limits.max_vars,
                    "use a positive count such as 10000",
                )?,
                max_depth: positive(
                    "limits.max_depth",
                    raw.limits.max_depth,
                    "use a positive depth such as 64",
                )?,
            },
            max_concurrent_translations: positive(
                "limits.max_concurrent_translations",
                raw.limits.max_concurrent_translations,
                "use a positive count such as 64",
            )?,
            header_read_timeout: parse_duration(
                "limits.header_read_timeout",
                &raw.limits.header_read_timeout,
            )?,
            idle_timeout: parse_idle_timeout(&raw.limits.idle_timeout)?,
            body_read_timeout: parse_duration(
                "limits.body_read_timeout",
                &raw.limits.body_read_timeout,
            )?,
            max_queued_translations: usize::try_from(raw.limits.max_queued_translations)
                .unwrap_or(usize::MAX),
            shadow_log: match raw.shadow.log.trim() {
                "" => None,
                path => Some(PathBuf::from(path)),
            },
            shadow_sample: if (0.0..=1.0).contains(&raw.shadow.sample) {
                raw.shadow.sample
            } else {
                return Err(ConfigError::Invalid {
                    key: "shadow.sample",
                    value: raw.shadow.sample.to_string(),
                    problem: "not a share".to_owned(),
                    fix: "use a number from 0 (no matches logged) to 1 (every comparison)",
                });
            },
            admin_listen: match raw.admin.listen.trim() {
                "" => None,
                text => Some(text.parse().map_err(|_| ConfigError::Invalid {
                    key: "admin.listen",
                    value: text.to_owned(),
                    problem: "not an IP address and port".to_owned(),
                    fix: "use e.g. \"127.0.0.1:9464\", or \"\" to turn the admin listener off",
                })?),
            },
            log_format,
            log_level: raw.log.level.clone(),
            drain_timeout: parse_duration("shutdown.drain_timeout", &raw.shutdown.drain_timeout)?,
            schema_webhook: match raw.schema.webhook.as_deref() {
                None | Some("") => None,
                Some(w) => Some(crate::route::parse_webhook(w).ok_or_else(|| {
                    ConfigError::Invalid {
                    key: "schema.webhook",
                    value: crate::redact::MARKER.to_owned(),
                    problem: "not of the form USER_ID/CODE".to_owned(),
                    fix: "give the part of an incoming webhook URL after /rest/, e.g. \"1/abc123\"",
                }
                })?),
            },
            rules: std::sync::Arc::new(
                RuleSet::validate(&raw.rules()).map_err(ConfigError::Rules)?,
            ),
            pre_drain_delay: parse_duration_or_zero(
                "shutdown.pre_drain_delay",
                &raw.shutdown.pre_drain_delay,
            )?,
        })
    }
}

fn readable_file(key: &'static str, path: &Path) -> Result<(), ConfigError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(ConfigError::Invalid {
            key,
            value: path.display().to_string(),
            problem: "not a regular file".to_owned(),
            fix: "point it at a PEM file",
        }),
        Err(e) => Err(ConfigError::Invalid {
            key,
            value: path.display().to_string(),
            problem: e.to_string(),
            fix: "point it at a readable PEM file",
        }),
    }
}
