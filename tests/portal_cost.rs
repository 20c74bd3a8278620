//! What a call costs the portal, straight to v2 and through the bridge: the workloads of
//! the cost table (tests/support/workloads.rs), each against emulators holding thousands
//! of tasks. Both emulators count the HTTP requests they receive, which is what the
//! portal's rate limit counts. The answers must be equal, and the bridge must never cost
//! more than v2 for a read, nor more than the workload's ceiling for writes.

mod support;

use support::differential::{assert_same, Pair};
use support::workloads::{self, Client, Workload};

/// Runs workload `index` both ways; returns (v2 requests, bridge requests).
async fn measure(index: usize) -> (u64, u64) {
    let workload: Workload = workloads::all().swap_remove(index);
    let pair = Pair::with_tasks(Some(workload.tasks)).await;
    pair.direct.emulator().reset_http_requests();
    pair.behind.emulator().reset_http_requests();
    let mut direct = Client::new(pair.direct.local_addr());
    (workload.run)(&mut direct).await;
    let mut bridged = Client::new(pair.bridge_addr());
    (workload.run)(&mut bridged).await;
    assert_eq!(
        direct.exchanges.len(),
        bridged.exchanges.len(),
        "{}: the client made other calls through the bridge",
        workload.name
    );
    for (d, b) in direct.exchanges.iter().zip(&bridged.exchanges) {
        assert_same(
            &format!("{}: {}", workload.name, d.what),
            &d.answer,
            &b.answer,
        );
    }
    let v2 = pair.direct.emulator().http_requests().total;
    let bridge = pair.behind.emulator().http_requests().total;
    match workload.ceiling {
        None => assert!(
            bridge <= v2,
            "{} over {} tasks: {bridge} portal requests through the bridge, {v2} straight to v2",
            workload.name,
            workload.tasks
        ),
        Some(ceiling) => assert!(
            bridge <= ceiling,
            "{} over {} tasks: {bridge} portal requests through the bridge, at most {ceiling} allowed",
            workload.name,
            workload.tasks
        ),
    }
    (v2, bridge)
}

macro_rules! cost {
    ($($test:ident: $index:expr => ($v2:expr, $bridge:expr);)*) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $test() {
            let (v2, bridge) = measure($index).await;
            assert_eq!((v2, bridge), ($v2, $bridge), "(v2, bridge) portal requests");
        }
    )*
        #[test]
        fn every_workload_of_the_table_has_a_test() {
            assert_eq!([$($index),*].len(), workloads::all().len());
        }
    };
}

cost! {
    first_page_of_5000: 0 => (1, 1);
    first_page_of_20000: 1 => (1, 1);
    // The first page counts the total in the same batch and reads 1,000 rows ahead; the
    // next 19 pages come from that, the total from memory.
    sync_by_total_5000: 2 => (100, 6);
    sync_by_total_20000: 3 => (400, 21);
    get_all_5000: 4 => (3, 3);
    batch_of_50_pages: 5 => (1, 1);
    keyset_5000: 6 => (101, 6);
    keyset_20000: 7 => (401, 21);
    batch_of_50_gets: 8 => (2, 2);
    // Fifty adds and their fifty re-reads: two REST 3.0 batches of 50.
    batch_of_50_adds: 9 => (1, 2);
    batch_of_50_updates: 10 => (2, 3);
    // An add and an update cost their write and its re-read, a delete one request.
    single_writes: 11 => (3, 5);
}
