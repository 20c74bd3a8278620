//! `b24bridge demo`: the emulator and the bridge in front of it, in one process, with
//! ready-to-paste calls that show what the bridge does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use b24emu::{EmulatorOptions, RateLimit, RunningEmulator};

use crate::config::{Config, ConfigError, RawConfig};
use crate::server::{self, StartupError};

/// The demo's listen addresses.
pub struct DemoOptions {
    pub bridge: SocketAddr,
    pub portal: SocketAddr,
    pub seed: u64,
}

/// The calls the demo prints, each with what it exercises. `{bridge}` is replaced.
const CALLS: &[(&str, &str)] = &[
    (
        "a list with paging: page 2 of the tasks, newest first; REST 3.0 serves it, `next` and `total` are v2's",
        "curl -s 'http://{bridge}/rest/1/hook1/tasks.task.list?select[]=ID&select[]=TITLE&select[]=STATUS&start=50'",
    ),
    (
        "a filtered list: an id range and an OR group, translated to the REST 3.0 filter grammar",
        "curl -s 'http://{bridge}/rest/1/hook1/tasks.task.list.json' --data 'filter%5B%3E%3DID%5D=100&filter%5B%3CID%5D=120&filter%5B0%5D%5Blogic%5D=OR&filter%5B0%5D%5B0%5D%5BID%5D=101&filter%5B0%5D%5B1%5D%5B%3EID%5D=110&select[]=ID&select[]=RESPONSIBLE_ID'",
    ),
    (
        "a get with the creator and responsible objects, from one REST 3.0 request with related fields",
        "curl -s 'http://{bridge}/rest/1/hook1/tasks.task.get?taskId=5&select[]=ID&select[]=TITLE&select[]=CREATED_BY&select[]=RESPONSIBLE_ID'",
    ),
    (
        "an add from a JSON body: written through REST 3.0 with an Idempotency-Key, then re-read for v2's full answer",
        "curl -s -H 'Content-Type: application/json' --data '{\"fields\":{\"TITLE\":\"Demo task\",\"RESPONSIBLE_ID\":1,\"PRIORITY\":2}}' 'http://{bridge}/rest/1/hook1/tasks.task.add'",
    ),
    (
        "a batch mixing a translated get, a pass-through method and a $result reference",
        "curl -s 'http://{bridge}/rest/1/hook1/batch' --data 'halt=0&cmd[task]=tasks.task.get%3FtaskId%3D1%26select%5B%5D%3DRESPONSIBLE_ID&cmd[me]=user.current&cmd[same]=tasks.task.get%3FtaskId%3D%24result%5Btask%5D%5Btask%5D%5Bid%5D'",
    ),
    (
        "a filter REST 3.0 cannot express (LIKE on TITLE): passed through to v2 unchanged",
        "curl -s 'http://{bridge}/rest/1/hook1/tasks.task.list' --data 'filter[%25TITLE]=report&select[]=ID&select[]=TITLE'",
    ),
];

/// Starts the emulated portal (`tasks`: how many tasks it holds; the default 140).
pub async fn start_emulator(
    listen: SocketAddr,
    seed: u64,
    tasks: Option<usize>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<RunningEmulator, DemoError> {
    let mut options = EmulatorOptions::new(listen, seed);
    options.tasks = tasks;
    options.tls = tls;
    b24emu::start(options)
        .await
        .map_err(|source| DemoError::Bind {
            addr: listen,
            source,
        })
}

/// Prints which API served each call, one line per call, as the emulator serves them.
pub fn print_served_calls(running: &RunningEmulator) -> tokio::task::JoinHandle<()> {
    let emulator = running.emulator().clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            for served in emulator.take_served_log() {
                let api = match served.version {
                    b24emu::ApiVersion::V2 => "v2",
                    b24emu::ApiVersion::V3 => "v3",
                };
                tracing::info!(target: "b24emu", api, method = %served.method, in_batch = served.in_batch, "served");
            }
        }
    })
}

/// Switches on the faults `b24bridge emulate` was asked for.
pub fn set_faults(running: &RunningEmulator, rate_limit: bool, latency: Duration, fail_every: u64) {
    if rate_limit {
        running.faults().set_rate_limit(Some(RateLimit::STANDARD));
    }
    running.faults().set_latency(latency);
    running.faults().set_fail_every(fail_every);
}

/// Starts both, prints the calls, and serves until SIGTERM/SIGINT.
pub async fn run(options: DemoOptions) -> Result<(), DemoError> {
    let mut signals = server::ShutdownSignals::install();
    let portal = start_emulator(options.portal, options.seed, None, None).await?;
    let printing = print_served_calls(&portal);
    let mut raw = RawConfig::builtin()?;
    raw.listen = options.bridge.to_string();
    raw.upstream = Some(format!("http://{}", portal.local_addr()));
    let bridge = server::start(Config::validate(&raw)?).await?;
    let addr = bridge.local_addr().to_string();
    println!("b24bridge demo");
    println!(
        "  emulated portal (v2 and REST 3.0): http://{}  webhook /rest/1/hook1/",
        portal.local_addr()
    );
    println!("  bridge:                            http://{addr}");
    println!();
    println!("Paste these into another terminal; this one logs which API served each call.");
    for (what, call) in CALLS {
        println!();
        println!("# {what}");
        println!("{}", call.replace("{bridge}", &addr));
    }
    println!();
    println!(
        "Compare with the emulator's own v2 answer by replacing {addr} with {}.",
        portal.local_addr()
    );
    println!("Ctrl-C stops the demo.");
    signals.recv().await;
    bridge.shutdown().await;
    printing.abort();
    portal.shutdown().await;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "cannot listen on {addr}: {source}. Fix: choose a free address (--listen, --portal-listen)"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
}
