//! The `b24bridge` command: argument parsing and dispatch to `b24bridge::commands`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use b24bridge::commands::{self, EmulateOptions};
use b24bridge::demo::DemoOptions;

/// Every build links mimalloc. musl's own allocator is slow under multi-threaded load, and
/// glibc's cost a translated call dearly in the load benchmark: some 20 page faults per
/// 50-task page (buffers over 128 kB come from fresh `mmap`s) and heap consolidation on
/// each large buffer. With mimalloc a translated `tasks.task.get` took 17–24 % less CPU
/// than with glibc's allocator, a list 5–9 % less, pass-through up to 7 % less, and peak
/// RSS with 1,000 open connections stayed the same.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    ///
    /// Example: b24bridge translate tasks.task.list '{"filter":{">=ID":10},"select":["TITLE"],"start":50}'
    ///
    /// Example: b24bridge translate tasks.task.get 'taskId=5&select%5B%5D=TITLE'
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
    /// Summarise the shadow diff log (and the access log) per v2 method: ready for mode = "v3"?
    ///
    /// Per method, sorted by name: calls and the share served by REST 3.0, fallbacks to v2 by
    /// reason and portal requests per call (access log); shadow comparisons, match rate,
    /// skips by reason and the top mismatching paths (diff log); and a recommendation.
    /// Malformed lines are counted and skipped; an unreadable file exits 2.
    ///
    /// Example: b24bridge report --diff-log /dev/null
    ///
    /// Sample logs, from the source tree: b24bridge report --diff-log tests/data/report/diff.jsonl
    /// --access-log tests/data/report/access.jsonl --min-comparisons 10
    Report(ReportArgs),
}

#[derive(Args)]
struct ReportArgs {
    /// The shadow diff log (JSON lines, one record per comparison or skip).
    #[arg(long, value_name = "FILE")]
    diff_log: PathBuf,
    /// The bridge's JSON access log (log.format = "json"); other log lines are ignored.
    #[arg(long, value_name = "FILE")]
    access_log: Option<PathBuf>,
    /// Comparisons without a mismatch a method needs to be called ready.
    #[arg(long, value_name = "N", default_value_t = b24bridge::report::DEFAULT_MIN_COMPARISONS)]
    min_comparisons: u64,
}

#[derive(Args)]
struct EmulateArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: std::net::SocketAddr,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How many tasks the portal holds (default 140).
    #[arg(long)]
    tasks: Option<usize>,
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
    /// Parameters: a JSON object, or a query string as a client would send it, with
    /// brackets and operators percent-encoded (`taskId=5&select%5B%5D=ID`). Default: none.
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
    timeout: Duration,
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

fn main() -> ExitCode {
    let status = match Cli::parse().command {
        Command::Serve(args) => commands::serve(args.config.as_deref()),
        Command::Check(args) => commands::check(
            args.config.config.as_deref(),
            args.webhook.as_deref().filter(|_| args.portal),
        ),
        Command::Translate(args) => commands::translate(
            args.config.config.as_deref(),
            &args.method,
            args.params.as_deref(),
            args.user_id,
        ),
        Command::Emulate(args) => commands::emulate(EmulateOptions {
            listen: args.listen,
            seed: args.seed,
            tasks: args.tasks,
            tls: args.tls_cert.zip(args.tls_key),
            rate_limit: args.rate_limit,
            latency: Duration::from_millis(args.latency_ms),
            fail_every: args.fail_every,
        }),
        Command::Demo(args) => commands::demo(DemoOptions {
            bridge: args.listen,
            portal: args.portal_listen,
            seed: args.seed,
        }),
        Command::Healthcheck(args) => commands::healthcheck(
            args.config.config.as_deref(),
            args.url.as_deref(),
            args.timeout,
        ),
        Command::Report(args) => commands::report(
            &args.diff_log,
            args.access_log.as_deref(),
            args.min_comparisons,
        ),
    };
    ExitCode::from(status)
}
