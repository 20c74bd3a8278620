//! The operator's commands behind the `b24bridge` binary. Each takes its parsed arguments,
//! does its work, prints what the operator needs, and returns the process exit status.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{self, Config, ConfigError, LogFormat};
use crate::upstream::{Credentials, UpstreamClient};
use crate::{check, demo, explain, healthcheck, listener, logging, route, rules, server, tls};

/// Exit status for a configuration the bridge refuses (sysexits EX_CONFIG).
pub const EXIT_CONFIG: u8 = 78;
/// Exit status for a failure while running.
pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_SUCCESS: u8 = 0;

fn load_config(file: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
    let file = config::config_file(file);
    let raw = config::load_raw(file.as_deref())?;
    Ok((Config::validate(&raw)?, file))
}

/// The worker threads asked for: `TOKIO_WORKER_THREADS` when it is a number, else one per
/// CPU the process may use. An unreadable value is left to tokio, which refuses it.
fn worker_threads() -> Option<usize> {
    match std::env::var("TOKIO_WORKER_THREADS") {
        Ok(text) => text.trim().parse().ok(),
        Err(_) => std::thread::available_parallelism().ok().map(|n| n.get()),
    }
}

/// One worker runs on the calling thread (tokio's current-thread scheduler: no work
/// stealing, no cross-thread wake-ups: 13 % less CPU per pass-through request measured);
/// more run on tokio's multi-thread scheduler, which reads `TOKIO_WORKER_THREADS` itself.
fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    let mut builder = if worker_threads() == Some(1) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all().build().map_err(|e| {
        eprintln!("b24bridge: cannot start the runtime: {e}");
        EXIT_FAILURE
    })
}

/// `b24bridge serve`: runs until SIGTERM or SIGINT, then drains.
pub fn serve(config_file: Option<&Path>) -> u8 {
    let (config, _) = match load_config(config_file) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("b24bridge: configuration error: {e}");
            return EXIT_CONFIG;
        }
    };
    logging::init(config.log_format, &config.log_level);
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let config_file = config_file.map(Path::to_path_buf);
    runtime.block_on(async move {
        let mut signals = server::ShutdownSignals::install();
        let upstream = format!("{}://{}", config.upstream.scheme, config.upstream.authority);
        let tls = config.tls.is_some();
        let running = match server::start(config).await {
            Ok(running) => running,
            Err(e) => {
                tracing::error!("cannot start: {e}");
                eprintln!("b24bridge: cannot start: {e}");
                return EXIT_CONFIG;
            }
        };
        tracing::info!(listen = %running.local_addr(), tls, upstream = %upstream, "b24bridge is serving");
        let mut reloads = server::ReloadSignal::install();
        loop {
            tokio::select! {
                () = signals.recv() => break,
                () = reloads.recv() => {
                    tracing::info!("SIGHUP: reloading the configuration");
                    match load_config(config_file.as_deref()) {
                        Ok((config, _)) => running.reload(config).await,
                        Err(e) => running.refuse_reload(&e),
                    }
                }
            }
        }
        tracing::info!("shutdown signal received");
        match running.stop(signals.recv()).await {
            listener::DrainOutcome::Complete => tracing::info!("drained; exiting"),
            listener::DrainOutcome::TimedOut => {
                tracing::warn!("drain deadline passed with requests still open; exiting")
            }
        }
        EXIT_SUCCESS
    })
}

/// `b24bridge check`: validates the configuration and prints what would run; with a
/// webhook (`USER_ID/CODE`), also compares the rules with what the portal offers.
pub fn check(config_file: Option<&Path>, portal_webhook: Option<&str>) -> u8 {
    let (config, file) = match load_config(config_file) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("b24bridge: configuration error: {e}");
            return EXIT_CONFIG;
        }
    };
    print!("{}", check::describe(&config, file.as_deref()));
    println!("configuration OK");
    let Some(webhook) = portal_webhook else {
        return EXIT_SUCCESS;
    };
    let Some(hook) = route::parse_webhook(webhook) else {
        eprintln!("b24bridge: --webhook must be USER_ID/CODE, e.g. 1/abc123");
        return EXIT_CONFIG;
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let client = match UpstreamClient::new(&config) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("b24bridge: {e}");
                return EXIT_CONFIG;
            }
        };
        match check::against_portal(&config, &client, &Credentials::Webhook(hook)).await {
            Ok(report) => {
                print!("{}", report.text());
                if report.has_problems() {
                    EXIT_FAILURE
                } else {
                    EXIT_SUCCESS
                }
            }
            Err(e) => {
                eprintln!("b24bridge: the portal could not be asked: {e}");
                EXIT_FAILURE
            }
        }
    })
}

/// `b24bridge translate`: how one v2 call would be served, without sending anything.
pub fn translate(
    config_file: Option<&Path>,
    method: &str,
    params: Option<&str>,
    user_id: u64,
) -> u8 {
    let file = config::config_file(config_file);
    let rules = match config::load_raw(file.as_deref())
        .and_then(|raw| rules::RuleSet::validate(&raw.rules()).map_err(ConfigError::Rules))
    {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("b24bridge: configuration error: {e}");
            return EXIT_CONFIG;
        }
    };
    match explain::explain(&rules, method, params, user_id) {
        Ok(text) => {
            print!("{text}");
            EXIT_SUCCESS
        }
        Err(e) => {
            eprintln!("b24bridge: {e}");
            EXIT_FAILURE
        }
    }
}

/// `b24bridge healthcheck`: probes a running bridge; 0 when it answers 200 in time.
pub fn healthcheck(config_file: Option<&Path>, url: Option<&str>, timeout: Duration) -> u8 {
    // Only `listen` and `tls.cert` matter here: a probe must not fail because, say, the
    // upstream is set in an environment the probe does not share.
    let file = config::config_file(config_file);
    let raw = match config::load_raw(file.as_deref()) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("b24bridge healthcheck: configuration error: {e}");
            return EXIT_CONFIG;
        }
    };
    let cert = raw.tls.cert.as_deref();
    let probe = match url {
        Some(url) => healthcheck::Probe::for_url(url, cert),
        None => match config::parse_listen(&raw.listen) {
            Ok(listen) => healthcheck::Probe::for_listener(listen, cert),
            Err(e) => {
                eprintln!("b24bridge healthcheck: configuration error: {e}");
                return EXIT_CONFIG;
            }
        },
    };
    let probe = match probe {
        Ok(probe) => probe,
        Err(e) => {
            eprintln!("b24bridge healthcheck: {e}");
            return EXIT_CONFIG;
        }
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(probe.run(timeout)) {
        Ok(()) => {
            println!("healthy: {} answered 200", probe.url);
            EXIT_SUCCESS
        }
        Err(e) => {
            eprintln!("b24bridge healthcheck: {}: {e}", probe.url);
            EXIT_FAILURE
        }
    }
}

/// How `b24bridge emulate` runs the emulator.
pub struct EmulateOptions {
    pub listen: SocketAddr,
    pub seed: u64,
    /// How many tasks the portal holds (`None`: the default 140).
    pub tasks: Option<usize>,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub rate_limit: bool,
    pub latency: Duration,
    pub fail_every: u64,
}

/// `b24bridge emulate`: the built-in Bitrix24 emulator until SIGTERM or SIGINT.
pub fn emulate(options: EmulateOptions) -> u8 {
    logging::init(LogFormat::Text, "info");
    let tls = match &options.tls {
        Some((cert, key)) => match tls::server_config(cert, key) {
            Ok(tls) => Some(tls),
            Err(e) => {
                eprintln!("b24bridge emulate: {e}");
                return EXIT_CONFIG;
            }
        },
        None => None,
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let mut signals = server::ShutdownSignals::install();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let running = match demo::start_emulator(options.listen, options.seed, options.tasks, tls).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("b24bridge emulate: {e}");
                return EXIT_CONFIG;
            }
        };
        demo::set_faults(&running, options.rate_limit, options.latency, options.fail_every);
        let printing = demo::print_served_calls(&running);
        tracing::info!(listen = %running.local_addr(), seed = options.seed, "emulator is serving");
        println!(
            "emulated portal on {scheme}://{}  (webhooks /rest/1/hook1/ and /rest/7/hook7/, REST 3.0 under /rest/api/)",
            running.local_addr()
        );
        signals.recv().await;
        printing.abort();
        running.shutdown().await;
        EXIT_SUCCESS
    })
}

/// `b24bridge demo`: the emulator and the bridge in front of it, with calls to try.
pub fn demo(options: demo::DemoOptions) -> u8 {
    logging::init(LogFormat::Text, "info");
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(demo::run(options)) {
        Ok(()) => EXIT_SUCCESS,
        Err(e) => {
            eprintln!("b24bridge demo: {e}");
            EXIT_CONFIG
        }
    }
}

/// `b24bridge report`: summarises a shadow diff log and, optionally, an access log per v2
/// method, with a recommendation each; [`crate::report::EXIT_UNREADABLE`] when a file
/// cannot be read.
pub fn report(diff_log: &Path, access_log: Option<&Path>, min_comparisons: u64) -> u8 {
    use std::io::BufRead;

    use crate::report::{self, Summary};

    fn read_lines(file: &Path, what: &str, mut add: impl FnMut(&[u8])) -> Result<(), u8> {
        let unreadable = |e: std::io::Error| {
            eprintln!(
                "b24bridge report: cannot read the {what} {}: {e}",
                file.display()
            );
            report::EXIT_UNREADABLE
        };
        let mut reader = std::io::BufReader::new(std::fs::File::open(file).map_err(unreadable)?);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(unreadable)? == 0 {
                return Ok(());
            }
            add(line.strip_suffix(b"\n").unwrap_or(&line));
        }
    }

    let mut summary = Summary::default();
    if let Err(code) = read_lines(diff_log, "diff log", |line| summary.add_diff_line(line)) {
        return code;
    }
    if let Some(access_log) = access_log {
        summary.start_access_log();
        if let Err(code) = read_lines(access_log, "access log", |line| {
            summary.add_access_line(line)
        }) {
            return code;
        }
    }
    print!("{}", report::render(&summary, min_comparisons));
    EXIT_SUCCESS
}
