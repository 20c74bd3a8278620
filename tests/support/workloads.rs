//! The workloads of the cost table (issue #13, README "What a call costs the portal"):
//! what real clients do, written as a client would, against any v2 endpoint. Each one is
//! run once straight against an emulator's v2 and once through the bridge in front of a
//! second emulator; both emulators count the HTTP requests they receive, which is what
//! the portal's rate limit counts (a batch is one).
//!
//! Shared by `tests/portal_cost.rs`, which asserts the counts, and the `cost_table`
//! example (`scripts/bench-cost`), which prints them with timings.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use serde_json::{json, Value};

use super::{send, Answer};

/// One v2 exchange of a workload: what was asked and what came back.
pub struct Exchange {
    pub what: String,
    pub answer: Answer,
}

/// A v2 client of one endpoint, recording every exchange.
pub struct Client {
    addr: SocketAddr,
    pub exchanges: Vec<Exchange>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            exchanges: Vec::new(),
        }
    }

    /// POSTs `params` as JSON to `method` with the administrator's webhook.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let target = format!("/rest/1/hook1/{method}.json");
        let body = params.to_string();
        let answer = send(
            self.addr,
            "POST",
            &target,
            &[("content-type", "application/json")],
            body.clone(),
        )
        .await;
        let json = answer.json();
        self.exchanges.push(Exchange {
            what: format!("{method} {body}"),
            answer,
        });
        json
    }

    /// A v2 batch of `commands` (key, `method?query`), halt off.
    pub async fn batch(&mut self, commands: &[(String, String)]) -> Value {
        let cmd: serde_json::Map<String, Value> = commands
            .iter()
            .map(|(k, c)| (k.clone(), Value::String(c.clone())))
            .collect();
        self.call("batch", json!({"halt": 0, "cmd": cmd})).await
    }
}

pub type Run = for<'c> fn(&'c mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + 'c>>;

/// A workload: a name for the table, the tasks the portal holds, the client's steps.
pub struct Workload {
    pub name: &'static str,
    pub tasks: usize,
    pub run: Run,
    /// At most this many portal requests through the bridge, whatever v2 costs.
    pub ceiling: Option<u64>,
}

const PAGE: &str = "select[]=ID&select[]=TITLE&order[ID]=asc";

fn page_command(start: u64) -> String {
    format!("tasks.task.list?{PAGE}&start={start}")
}

/// The first page of a list, as any client asks it.
fn first_page(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        c.call(
            "tasks.task.list",
            json!({"select": ["ID", "TITLE"], "order": {"ID": "asc"}}),
        )
        .await;
    })
}

/// Every page by `start`, following `next` until there is none (a paging client).
fn sync_by_total(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        let mut start = 0u64;
        loop {
            let page = c
                .call(
                    "tasks.task.list",
                    json!({"select": ["ID", "TITLE"], "order": {"ID": "asc"}, "start": start}),
                )
                .await;
            match page.get("next").and_then(Value::as_u64) {
                Some(next) => start = next,
                None => break,
            }
        }
    })
}

/// fast_bitrix24's `get_all`: the first page for `total`, then the other pages in
/// batches of 50 page commands.
fn get_all(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        let first = c
            .call(
                "tasks.task.list",
                json!({"select": ["ID", "TITLE"], "order": {"ID": "asc"}}),
            )
            .await;
        let total = first["total"].as_u64().expect("a first page has total");
        let starts: Vec<u64> = (1..total.div_ceil(50)).map(|p| p * 50).collect();
        for chunk in starts.chunks(50) {
            let commands: Vec<(String, String)> = chunk
                .iter()
                .map(|s| (format!("cmd{s:010}"), page_command(*s)))
                .collect();
            c.batch(&commands).await;
        }
    })
}

/// One batch of the first 50 pages.
fn batch_of_pages(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        let commands: Vec<(String, String)> = (0..50u64)
            .map(|p| (format!("p{p}"), page_command(p * 50)))
            .collect();
        c.batch(&commands).await;
    })
}

/// Keyset paging: `>ID` the last id seen, `start=-1` (no count), until a short page.
fn keyset(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        let mut last = 0u64;
        loop {
            let page = c
                .call(
                    "tasks.task.list",
                    json!({"select": ["ID", "TITLE"], "order": {"ID": "asc"},
                           "filter": {">ID": last}, "start": -1}),
                )
                .await;
            let rows = page["result"]["tasks"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            match rows.last().and_then(|r| r["id"].as_str()) {
                Some(id) if rows.len() == 50 => last = id.parse().expect("ids are numbers"),
                _ => break,
            }
        }
    })
}

/// A page of ids (one request), then one batch of `command(id)` for each.
async fn batch_over_a_page(c: &mut Client, command: fn(&str) -> (String, String)) {
    let page = c
        .call(
            "tasks.task.list",
            json!({"select": ["ID"], "order": {"ID": "asc"}, "start": -1}),
        )
        .await;
    let commands: Vec<(String, String)> = page["result"]["tasks"]
        .as_array()
        .expect("a page of tasks")
        .iter()
        .map(|t| command(t["id"].as_str().expect("a v2 id is a string")))
        .collect();
    c.batch(&commands).await;
}

/// One batch of 50 gets of ids that exist.
fn batch_of_gets(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(batch_over_a_page(c, |id| {
        (
            format!("g{id}"),
            format!("tasks.task.get?taskId={id}&select[]=ID&select[]=TITLE"),
        )
    }))
}

/// One batch of 50 adds.
fn batch_of_adds(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        let commands: Vec<(String, String)> = (0..50)
            .map(|i| {
                (
                    format!("a{i}"),
                    format!("tasks.task.add?fields[TITLE]=cost%20{i}&fields[RESPONSIBLE_ID]=1"),
                )
            })
            .collect();
        c.batch(&commands).await;
    })
}

/// One batch of 50 updates of tasks that exist.
fn batch_of_updates(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(batch_over_a_page(c, |id| {
        (
            format!("u{id}"),
            format!("tasks.task.update?taskId={id}&fields[PRIORITY]=2"),
        )
    }))
}

/// One add, one update of it, one delete of it: three single writes.
fn single_writes(c: &mut Client) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        let added = c
            .call(
                "tasks.task.add",
                json!({"fields": {"TITLE": "cost", "RESPONSIBLE_ID": 1}}),
            )
            .await;
        let id = added["result"]["task"]["id"]
            .as_str()
            .expect("an id")
            .to_owned();
        c.call(
            "tasks.task.update",
            json!({"taskId": id, "fields": {"PRIORITY": 2}}),
        )
        .await;
        c.call("tasks.task.delete", json!({"taskId": id})).await;
    })
}

/// Every workload of the table, in its order.
pub fn all() -> Vec<Workload> {
    let w = |name, tasks, run: Run, ceiling| Workload {
        name,
        tasks,
        run,
        ceiling,
    };
    vec![
        w("tasks.task.list first page", 5_000, first_page, None),
        w("tasks.task.list first page", 20_000, first_page, None),
        w(
            "full sync by total (start/next)",
            5_000,
            sync_by_total,
            None,
        ),
        w(
            "full sync by total (start/next)",
            20_000,
            sync_by_total,
            None,
        ),
        w(
            "fast_bitrix24 get_all (batches of 50 pages)",
            5_000,
            get_all,
            None,
        ),
        w("one batch of 50 list pages", 5_000, batch_of_pages, Some(2)),
        w("keyset paging (>ID, start=-1)", 5_000, keyset, None),
        w("keyset paging (>ID, start=-1)", 20_000, keyset, None),
        w(
            "a page of ids, then one batch of 50 gets",
            5_000,
            batch_of_gets,
            None,
        ),
        w(
            "one batch of 50 tasks.task.add",
            5_000,
            batch_of_adds,
            Some(2),
        ),
        w(
            "a page of ids, then one batch of 50 updates",
            5_000,
            batch_of_updates,
            Some(3),
        ),
        w(
            "add, update, delete (single writes)",
            5_000,
            single_writes,
            Some(6),
        ),
    ]
}
