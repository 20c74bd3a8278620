//! The `b24bridge` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use b24bridge::config::{self, Config};
use b24bridge::{healthcheck, logging, server};

/// musl's own allocator is slow under multi-threaded load; the static
/// build uses mimalloc instead.
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status for a configuration the bridge refuses (sysexits EX_CONFIG).
const EXIT_CONFIG: u8 = 78;
/// Exit status for a failure while running.
const EXIT_FAILURE: u8 = 1;

#[derive(Parser)]
#[command(
    name = "b24bridge",
    version,
    about = "Serves legacy Bitrix24 REST (v2) integrations from REST 3.0",
    long_about = "b24bridge is a reverse proxy for Bitrix24 REST. Integrations keep calling the v2 API; \
                  the bridge answers them exactly as v2 would, from REST 3.0 where rules say so and by \
                  passing calls through otherwise."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the proxy until SIGTERM or SIGINT, then drain and exit.
    Serve(ConfigArgs),
    /// Load and validate the configuration, print what would run, and exit.
    Check(CheckArgs),
    /// Explain how the bridge would serve one v2 call, without sending anything.
    ///
    /// Prints the route decision with its reason and the exact REST 3.0 requests.
    /// Example: b24bridge translate tasks.task.list 'filter[>=ID]=10&select[]=TITLE&start=50'
    Translate(TranslateArgs),
    /// Run the built-in Bitrix24 emulator: v2 and REST 3.0 over one in-memory store.
    ///
    /// Webhooks /rest/1/hook1/ and /rest/7/hook7/, OAuth tokens token-user-1 and
    /// token-user-7. The same seed always gives the same data.
    Emulate(EmulateArgs),
    /// Start the emulator and the bridge in front of it, and print calls to try.
    ///
    /// Needs no portal: the main job of b24bridge, shown offline.
    Demo(DemoArgs),
    /// Probe a running bridge: exit 0 when /healthz answers 200 in time, 1 otherwise.
    #[command(
        long_about = "Probe a running bridge, for container health checks (the image has \
                  no shell or curl). Sends GET /healthz and exits 0 on a 200 answer within the \
                  timeout; otherwise prints one line with the reason (connection refused, \
                  status 503, timed out...) on stderr and exits 1.\n\n\
                  Without --url the target comes from the same configuration `serve` reads \
                  (--config, ./b24bridge.toml, B24BRIDGE_*): the `listen` address, with 0.0.0.0 \
                  or [::] probed on loopback, over https when [tls] is set, in which case the \
                  server must present the configured tls.cert."
    )]
    Healthcheck(HealthcheckArgs),
}

#[derive(Args)]
struct EmulateArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: std::net::SocketAddr,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Serve https with this PEM certificate (needs --tls-key).
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    tls_key: Option<PathBuf>,
    /// Enforce Bitrix24's leaky bucket (50 requests burst, 2 per second): excess gets
    /// 503 QUERY_LIMIT_EXCEEDED.
    #[arg(long)]
    rate_limit: bool,
    /// Delay every answer by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Answer 500 INTERNAL_SERVER_ERROR to every Nth request (0: never).
    #[arg(long, default_value_t = 0)]
    fail_every: u64,
}

#[derive(Args)]
struct DemoArgs {
    /// Where the bridge listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Where the emulated portal listens.
    #[arg(long, default_value = "127.0.0.1:9000")]
    portal_listen: std::net::SocketAddr,
    /// Seed of the emulator's data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args)]
struct TranslateArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The v2 method, as in the URL (`tasks.task.get`, `tasks.task.list.json`).
    method: String,
    /// Parameters: a JSON object, or a query string as a client would send it
    /// (`taskId=5&select[]=ID`). Default: none.
    params: Option<String>,
    /// The calling user's id (the webhook's user).
    #[arg(long, default_value_t = 1)]
    user_id: u64,
}

#[derive(Args)]
struct HealthcheckArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// URL to probe instead of the one derived from the configuration,
    /// e.g. http://127.0.0.1:8080/readyz.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Longest wait for the whole exchange (connect, TLS, answer).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = humantime::parse_duration)]
    timeout: std::time::Duration,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Also ask the portal which REST 3.0 methods and field attributes it offers
    /// (rest.documentation.openapi, *.field.list) and report where the rules differ.
    #[arg(long, requires = "webhook")]
    portal: bool,
    /// The webhook to ask the portal with, as USER_ID/CODE (the part of the webhook URL
    /// after /rest/). Never printed.
    #[arg(long, value_name = "USER_ID/CODE")]
    webhook: Option<String>,
}

#[derive(Args)]
struct ConfigArgs {
    /// TOML configuration file (default: ./b24bridge.toml when it exists).
    /// Environment variables B24BRIDGE_* override the file (nested keys with `__`,
    /// e.g. B24BRIDGE_TLS__CERT).
    #[arg(long, short = 'c', value_name = "PATH")]
    config: Option<PathBuf>,
}

fn load_config(args: &ConfigArgs) -> Result<(Config, Option<PathBuf>), config::ConfigError> {
    let file = config::config_file(args.config.as_deref());
    let raw = config::load_raw(file.as_deref())?;
    Ok((Config::validate(&raw)?, file))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Serve(args) => serve(&args),
        Command::Translate(args) => translate_command(&args),
        Command::Emulate(args) => emulate_command(&args),
        Command::Demo(args) => demo_command(&args),
        Command::Healthcheck(args) => healthcheck(&args),
    }
}

fn healthcheck(args: &HealthcheckArgs) -> ExitCode {
    // Only `listen` and `tls.cert` matter here: a probe must not fail because, say, the
    // upstream is set in an environment the probe does not share.
    let file = config::config_file(args.config.config.as_deref());
    let raw = match config::load_raw(file.as_deref()) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("b24bridge healthcheck: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let cert = raw.tls.cert.as_deref();
    let probe = match &args.url {
        Some(url) => healthcheck::Probe::for_url(url, cert),
        None => match config::parse_listen(&raw.listen) {
            Ok(listen) => healthcheck::Probe::for_listener(listen, cert),
            Err(e) => {
                eprintln!("b24bridge healthcheck: configuration error: {e}");
                return ExitCode::from(EXIT_CONFIG);
            }
        },
    };
    let probe = match probe {
        Ok(probe) => probe,
        Err(e) => {
            eprintln!("b24bridge healthcheck: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(probe.run(args.timeout)) {
        Ok(()) => {
            println!("healthy: {} answered 200", probe.url);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("b24bridge healthcheck: {}: {e}", probe.url);
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let (config, file) = match load_config(&args.config) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("b24bridge: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    print!("{}", describe(&config, file.as_deref()));
    println!("configuration OK");
    if !args.portal {
        return ExitCode::SUCCESS;
    }
    let Some(prefix) = args
        .webhook
        .as_deref()
        .and_then(b24bridge::schema::webhook_prefix)
    else {
        eprintln!("b24bridge: --webhook must be USER_ID/CODE, e.g. 1/abc123");
        return ExitCode::from(EXIT_CONFIG);
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let client = match b24bridge::upstream::UpstreamClient::new(&config) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("b24bridge: {e}");
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        let schema = match b24bridge::schema::fetch(&client, &prefix, &config.rules).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("b24bridge: the portal could not be asked: {e}");
                return ExitCode::from(EXIT_FAILURE);
            }
        };
        let findings = b24bridge::schema::compare(&config.rules, &schema);
        println!(
            "portal: {} REST 3.0 methods, field lists for {} entities",
            schema.methods.len(),
            schema.fields.len()
        );
        for f in &findings {
            let tag = match f.severity {
                b24bridge::schema::Severity::Problem => "problem",
                b24bridge::schema::Severity::Note => "note",
            };
            println!("  {tag}: {}: {}", f.key, f.message);
        }
        if findings
            .iter()
            .any(|f| f.severity == b24bridge::schema::Severity::Problem)
        {
            println!("the rules rely on things this portal does not offer");
            ExitCode::from(EXIT_FAILURE)
        } else {
            println!("the rules match the portal");
            ExitCode::SUCCESS
        }
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("b24bridge: cannot start the runtime: {e}");
            ExitCode::from(EXIT_FAILURE)
        })
}

fn emulate_command(args: &EmulateArgs) -> ExitCode {
    logging::init(b24bridge::config::LogFormat::Text, "info");
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => match b24bridge::tls::server_config(cert, key) {
            Ok(tls) => Some(tls),
            Err(e) => {
                eprintln!("b24bridge emulate: {e}");
                return ExitCode::from(EXIT_CONFIG);
            }
        },
        _ => None,
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let mut signals = server::ShutdownSignals::install();
        let options = b24bridge::emulate::EmulatorOptions {
            listen: args.listen,
            seed: args.seed,
            tls: tls.clone(),
        };
        let running = match b24bridge::emulate::start(options).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("b24bridge emulate: cannot listen on {}: {e}", args.listen);
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        if args.rate_limit {
            running.faults().set_rate_limit(Some(b24bridge::emulate::RateLimit::STANDARD));
        }
        running.faults().set_latency(std::time::Duration::from_millis(args.latency_ms));
        running.faults().set_fail_every(args.fail_every);
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(listen = %running.local_addr(), seed = args.seed, "emulator is serving");
        println!(
            "emulated portal on {scheme}://{}  (webhooks /rest/1/hook1/ and /rest/7/hook7/, REST 3.0 under /rest/api/)",
            running.local_addr()
        );
        signals.recv().await;
        running.shutdown().await;
        ExitCode::SUCCESS
    })
}

fn demo_command(args: &DemoArgs) -> ExitCode {
    logging::init(b24bridge::config::LogFormat::Text, "info");
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let options = b24bridge::demo::DemoOptions {
        bridge: args.listen,
        portal: args.portal_listen,
        seed: args.seed,
    };
    match runtime.block_on(b24bridge::demo::run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("b24bridge demo: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

fn translate_command(args: &TranslateArgs) -> ExitCode {
    let file = config::config_file(args.config.config.as_deref());
    let rules = match config::load_raw(file.as_deref()).and_then(|raw| {
        b24bridge::rules::RuleSet::validate(&raw.rules()).map_err(config::ConfigError::Rules)
    }) {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("b24bridge: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    match b24bridge::explain::explain(&rules, &args.method, args.params.as_deref(), args.user_id) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("b24bridge: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn describe(config: &Config, file: Option<&std::path::Path>) -> String {
    let upstream = format!("{}://{}", config.upstream.scheme, config.upstream.authority);
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let mut out = String::new();
    out.push_str(&format!(
        "config file:      {}\n",
        file.map(|f| f.display().to_string())
            .unwrap_or_else(|| "(none, defaults and environment)".into())
    ));
    out.push_str(&format!("listen:           {scheme}://{}\n", config.listen));
    out.push_str(&format!("upstream portal:  {upstream}\n"));
    if let Some(tls) = &config.tls {
        out.push_str(&format!(
            "tls:              cert {} key {}\n",
            tls.cert.display(),
            tls.key.display()
        ));
    }
    if let Some(ca) = &config.ca_file {
        out.push_str(&format!("extra CA:         {}\n", ca.display()));
    }
    out.push_str(&format!(
        "timeouts:         connect {}, response {}, pool idle {}, header read {}\n",
        humantime::format_duration(config.connect_timeout),
        humantime::format_duration(config.response_timeout),
        humantime::format_duration(config.pool_idle_timeout),
        humantime::format_duration(config.header_read_timeout),
    ));
    out.push_str(&format!(
        "shutdown:         pre-drain delay {}, drain {}\n",
        humantime::format_duration(config.pre_drain_delay),
        humantime::format_duration(config.drain_timeout),
    ));
    out.push_str(&format!(
        "limits:           body {} bytes, {} variables, depth {}\n",
        config.limits.max_body_bytes, config.limits.max_vars, config.limits.max_depth
    ));
    out.push_str(&format!(
        "log:              {:?} at {}\n",
        config.log_format, config.log_level
    ));
    out.push_str("routes:           methods without a rule pass through to the portal\n");
    for name in config.rules.method_names() {
        let route = match config.rules.route(name) {
            Some(b24bridge::rules::MethodRoute::V3(rule)) => {
                format!("v3 via {} (fallback {:?})", rule.v3_method, rule.fallback).to_lowercase()
            }
            Some(b24bridge::rules::MethodRoute::V2) => "v2 (pass through)".into(),
            Some(b24bridge::rules::MethodRoute::Deny) => "deny".into(),
            None => continue,
        };
        out.push_str(&format!("                  {name}: {route}\n"));
    }
    out
}

fn serve(args: &ConfigArgs) -> ExitCode {
    let (config, _) = match load_config(args) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("b24bridge: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    logging::init(config.log_format, &config.log_level);
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let mut signals = server::ShutdownSignals::install();
        let upstream = format!("{}://{}", config.upstream.scheme, config.upstream.authority);
        let tls = config.tls.is_some();
        let running = match server::start(config).await {
            Ok(running) => running,
            Err(e) => {
                tracing::error!("cannot start: {e}");
                eprintln!("b24bridge: cannot start: {e}");
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        tracing::info!(
            listen = %running.local_addr(),
            tls,
            upstream = %upstream,
            "b24bridge is serving"
        );
        signals.recv().await;
        tracing::info!("shutdown signal received");
        match running.stop(signals.recv()).await {
            b24bridge::listener::DrainOutcome::Complete => {
                tracing::info!("drained; exiting");
            }
            b24bridge::listener::DrainOutcome::TimedOut => {
                tracing::warn!("drain deadline passed with requests still open; exiting");
            }
        }
        ExitCode::SUCCESS
    })
}
