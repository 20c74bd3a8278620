//! The cost table: every workload of `tests/support/workloads.rs` run straight against an
//! emulated portal's v2 and through the bridge, printing the HTTP requests each cost the
//! portal (what its rate limit counts) and the wall time of both runs.
//!
//! ```sh
//! scripts/bench-cost            # release build, all workloads
//! ```
//!
//! The counts are deterministic (tests/portal_cost.rs asserts them); the timings are of
//! this machine and loopback, with the emulator's own work included. "Wait at 2/s" is what
//! the requests alone cost a portal that allows bursts of 50 and then 2 per second.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use support::differential::Pair;
use support::workloads::{self, Client};

/// Seconds a client waits for `requests` against a bucket of 50 leaking 2 per second.
fn wait_at_two_per_second(requests: u64) -> f64 {
    requests.saturating_sub(50) as f64 / 2.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    println!("| workload | tasks | straight to v2 | through the bridge | wait at 2/s (v2 → bridge) | wall time (v2 → bridge) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for workload in workloads::all() {
        let pair = Pair::with_tasks(Some(workload.tasks)).await;
        pair.direct.emulator().reset_http_requests();
        pair.behind.emulator().reset_http_requests();
        let started = Instant::now();
        (workload.run)(&mut Client::new(pair.direct.local_addr())).await;
        let direct_time = started.elapsed();
        let started = Instant::now();
        (workload.run)(&mut Client::new(pair.bridge_addr())).await;
        let bridge_time = started.elapsed();
        let v2 = pair.direct.emulator().http_requests().total;
        let bridge = pair.behind.emulator().http_requests().total;
        println!(
            "| {} | {} | {v2} | {bridge} | {:.0} s → {:.0} s | {:.2} s → {:.2} s |",
            workload.name,
            workload.tasks,
            wait_at_two_per_second(v2),
            wait_at_two_per_second(bridge),
            direct_time.as_secs_f64(),
            bridge_time.as_secs_f64(),
        );
    }
}
