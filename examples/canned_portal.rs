//! A fast canned Bitrix24 portal for the load benchmark (`scripts/bench-load`).
//!
//! ```sh
//! cargo run --release --example canned_portal -- --listen 127.0.0.1:18090
//! ```
//!
//! Every answer except the rare ones is built once at start-up, so the upstream costs as
//! little CPU as possible and the benchmark measures the proxy in front of it. It serves a
//! consistent data set of 108 tasks (ids 1000 down to 893):
//!
//! - `/rest/api/…/tasks.task.get`: one task, `{"result":{"item":{…}},"time":{…}}`;
//! - `/rest/api/…/tasks.task.list`: the page the request's `pagination` asks for, so a v2
//!   call for the first page gets 51 items (one more than v2's 50, which makes the bridge
//!   emit `next`), `start=-1` gets 50, and the counting request (`select: ["id"]`,
//!   offset 51) gets a short page of 57 ids: a full v2 page with `total` therefore costs
//!   exactly two upstream requests, and `total` is 108;
//! - `/rest/api/…/tasks.task.add`, `.update`, `.delete` and `/rest/api/…/batch`: small
//!   v3 answers, so the request count of writes and batches can be measured;
//! - `/rest/{user}/{code}/tasks.task.list` (v2, for the bridge configured with
//!   `mode = "v2"`): the very v2 answer the bridge renders from the v3 pages above, so the
//!   translated and the passed-through list carry the same payload;
//! - `/rest/…/batch` (v2): a v2 batch answer for the commands sent;
//! - any other `/rest/…` path: a fixed ~2 KB v2 answer (a `user.current`-like profile);
//! - `GET /__canned/stats`: how many requests of each kind were served, to count the
//!   upstream requests one v2 call costs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{json, Map, Value};

use b24bridge::body::{self, Body};
use b24bridge::config::{Config, RawConfig};
use b24bridge::listener::{self, ServeOptions};
use b24bridge::rules::MethodRoute;
use b24bridge::translate::{self, render, Context, Plan};

#[path = "../benches/support/v3_tasks.rs"]
mod v3_tasks;

/// Size of the canned data set.
const TOTAL_TASKS: u64 = 108;
/// The highest task id; ids go down from here (v2's default order is `ID DESC`).
const TOP_ID: u64 = 1000;

/// Request counters, by what was asked.
#[derive(Default)]
struct Counters {
    v3_get: AtomicU64,
    v3_list_page: AtomicU64,
    v3_list_count: AtomicU64,
    v3_add: AtomicU64,
    v3_update: AtomicU64,
    v3_delete: AtomicU64,
    v3_batch: AtomicU64,
    v3_other: AtomicU64,
    v2_list: AtomicU64,
    v2_batch: AtomicU64,
    v2_other: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> Value {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let fields = [
            ("v3_get", get(&self.v3_get)),
            ("v3_list_page", get(&self.v3_list_page)),
            ("v3_list_count", get(&self.v3_list_count)),
            ("v3_add", get(&self.v3_add)),
            ("v3_update", get(&self.v3_update)),
            ("v3_delete", get(&self.v3_delete)),
            ("v3_batch", get(&self.v3_batch)),
            ("v3_other", get(&self.v3_other)),
            ("v2_list", get(&self.v2_list)),
            ("v2_batch", get(&self.v2_batch)),
            ("v2_other", get(&self.v2_other)),
        ];
        let total: u64 = fields.iter().map(|(_, n)| n).sum();
        let mut out: Map<String, Value> = fields
            .iter()
            .map(|(k, n)| ((*k).to_owned(), Value::from(*n)))
            .collect();
        out.insert("total".into(), Value::from(total));
        Value::Object(out)
    }
}

/// Answers built at start-up.
struct Canned {
    v3_get: Bytes,
    v3_page_50: Bytes,
    v3_page_51: Bytes,
    v3_count_51: Bytes,
    v2_list: Bytes,
    v2_fixed: Bytes,
    counters: Counters,
}

fn to_bytes(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).expect("canned answers serialise"))
}

fn v3_items(offset: u64, limit: u64, ids_only: bool) -> Vec<Value> {
    let end = TOTAL_TASKS.min(offset.saturating_add(limit));
    (offset..end.max(offset))
        .map(|i| {
            let id = TOP_ID - i;
            if ids_only {
                json!({"id": id})
            } else {
                v3_tasks::task(id)
            }
        })
        .collect()
}

fn v3_list(offset: u64, limit: u64, ids_only: bool) -> Value {
    json!({"result": {"items": v3_items(offset, limit, ids_only)}, "time": v3_tasks::time_block()})
}

/// The v2 answer of a default first-page `tasks.task.list`, rendered by the bridge's own
/// code from the same v3 items the translated call gets.
fn v2_list_answer() -> Value {
    let mut raw = RawConfig::builtin().expect("built-in rules parse");
    raw.upstream = Some("http://127.0.0.1:1".into());
    let config = Config::validate(&raw).expect("built-in configuration is valid");
    let Some(MethodRoute::V3(rule)) = config.rules.route("tasks.task.list") else {
        panic!("tasks.task.list has no v3 rule");
    };
    let ctx = Context {
        caller: Some(1),
        sdk_filter_groups: false,
    };
    let Ok(Plan::List { shape, .. }) = translate::plan(rule, &Map::new(), ctx) else {
        panic!("a default tasks.task.list call plans as a list");
    };
    let empty = Map::new();
    let rows: Vec<Value> = v3_items(0, 50, false)
        .iter()
        .map(|item| {
            render::entity(
                &rule.entity,
                &shape,
                item.as_object().unwrap_or(&empty),
                Some(1),
            )
        })
        .collect();
    let time = render::merge_times(&[v3_tasks::time_block(), v3_tasks::time_block()]);
    render::envelope(
        render::wrap(rule.wrap.as_deref(), Value::Array(rows)),
        Some(50),
        Some(TOTAL_TASKS),
        time,
    )
}

/// The `result` of a `user.current`-like v2 answer; with its `time` about 2 KB.
const PROFILE: &str = r#"{
    "ID": "1",
    "XML_ID": "d4b6c9b2-61f7-4f2c-9c8e-3f0d6a1e7b21",
    "ACTIVE": true,
    "NAME": "Anna",
    "LAST_NAME": "Smirnova",
    "SECOND_NAME": "Sergeevna",
    "EMAIL": "anna.smirnova@example.com",
    "LAST_LOGIN": "2025-03-14T11:20:41+03:00",
    "DATE_REGISTER": "2021-09-01T00:00:00+03:00",
    "TIME_ZONE": "Europe/Moscow",
    "IS_ONLINE": "Y",
    "TIMESTAMP_X": {},
    "LAST_ACTIVITY_DATE": {},
    "PERSONAL_GENDER": "F",
    "PERSONAL_PROFESSION": "",
    "PERSONAL_WWW": "",
    "PERSONAL_BIRTHDAY": "1990-04-12T03:00:00+04:00",
    "PERSONAL_PHOTO": "https://cdn.example.com/b123456/main/6a1/6a1f2d9e0c8b7a65/avatar.jpg",
    "PERSONAL_ICQ": "",
    "PERSONAL_PHONE": "",
    "PERSONAL_FAX": "",
    "PERSONAL_MOBILE": "+7 900 123-45-67",
    "PERSONAL_PAGER": "",
    "PERSONAL_STREET": "Tverskaya, 7",
    "PERSONAL_CITY": "Moscow",
    "PERSONAL_STATE": "",
    "PERSONAL_ZIP": "125009",
    "PERSONAL_COUNTRY": "1",
    "PERSONAL_MAILBOX": "",
    "PERSONAL_NOTES": "",
    "WORK_PHONE": "+7 495 123-45-67",
    "WORK_COMPANY": "Example Trading LLC",
    "WORK_POSITION": "Head of sales",
    "WORK_DEPARTMENT": "Sales",
    "WORK_WWW": "https://example.com",
    "WORK_FAX": "",
    "WORK_PAGER": "",
    "WORK_STREET": "Leningradsky prospekt, 39",
    "WORK_MAILBOX": "",
    "WORK_CITY": "Moscow",
    "WORK_STATE": "",
    "WORK_ZIP": "125167",
    "WORK_COUNTRY": "1",
    "WORK_PROFILE": "Wholesale of office equipment and supplies to corporate customers",
    "WORK_NOTES": "",
    "UF_EMPLOYMENT_DATE": "2021-09-01T03:00:00+03:00",
    "UF_DEPARTMENT": [
        1,
        5,
        12
    ],
    "UF_INTERESTS": "",
    "UF_SKILLS": "negotiation, CRM, forecasting",
    "UF_WEB_SITES": "",
    "UF_XING": "",
    "UF_LINKEDIN": "",
    "UF_FACEBOOK": "",
    "UF_TWITTER": "",
    "UF_SKYPE": "",
    "UF_DISTRICT": "",
    "UF_PHONE_INNER": "1204",
    "USER_TYPE": "employee"
}"#;

/// A `user.current`-like v2 answer of about 2 KB.
fn v2_fixed_answer() -> Value {
    let profile: Value = serde_json::from_str(PROFILE).expect("the canned profile is JSON");
    json!({"result": profile, "time": v3_tasks::time_block()})
}

impl Canned {
    fn new() -> Canned {
        let task =
            json!({"result": {"item": v3_tasks::task(TOP_ID)}, "time": v3_tasks::time_block()});
        Canned {
            v3_get: to_bytes(&task),
            v3_page_50: to_bytes(&v3_list(0, 50, false)),
            v3_page_51: to_bytes(&v3_list(0, 51, false)),
            v3_count_51: to_bytes(&v3_list(51, 1000, true)),
            v2_list: to_bytes(&v2_list_answer()),
            v2_fixed: to_bytes(&v2_fixed_answer()),
            counters: Counters::default(),
        }
    }

    async fn answer(&self, request: Request<Incoming>) -> Response<Body> {
        let path = request.uri().path().to_owned();
        if path == "/__canned/stats" {
            return ok(to_bytes(&self.counters.snapshot()));
        }
        let Some(rest) = path.strip_prefix("/rest/") else {
            return json_answer(StatusCode::NOT_FOUND, json!({"error": "NOT_FOUND"}));
        };
        let method = rest
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(".json")
            .to_ascii_lowercase();
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let c = &self.counters;
        if rest.starts_with("api/") {
            match method.as_str() {
                "tasks.task.get" => {
                    c.v3_get.fetch_add(1, Ordering::Relaxed);
                    ok(self.v3_get.clone())
                }
                "tasks.task.list" => {
                    let query = parse(&body);
                    let (bytes, count) = self.list(&query);
                    let counter = if count {
                        &c.v3_list_count
                    } else {
                        &c.v3_list_page
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    ok(bytes)
                }
                "tasks.task.add" => {
                    c.v3_add.fetch_add(1, Ordering::Relaxed);
                    ok(to_bytes(&json!({
                        "result": {"item": {"id": TOP_ID + 1}},
                        "time": v3_tasks::time_block()
                    })))
                }
                "tasks.task.update" => {
                    c.v3_update.fetch_add(1, Ordering::Relaxed);
                    ok(to_bytes(
                        &json!({"result": {"result": true}, "time": v3_tasks::time_block()}),
                    ))
                }
                "tasks.task.delete" => {
                    c.v3_delete.fetch_add(1, Ordering::Relaxed);
                    ok(to_bytes(
                        &json!({"result": {"result": true}, "time": v3_tasks::time_block()}),
                    ))
                }
                "batch" => {
                    c.v3_batch.fetch_add(1, Ordering::Relaxed);
                    ok(to_bytes(&self.v3_batch(&parse(&body))))
                }
                _ => {
                    c.v3_other.fetch_add(1, Ordering::Relaxed);
                    json_answer(
                        StatusCode::NOT_FOUND,
                        json!({"error": {"code": "BITRIX_REST_V3_EXCEPTION_UNKNOWNMETHODEXCEPTION", "message": "Method not found"}}),
                    )
                }
            }
        } else {
            match method.as_str() {
                "tasks.task.list" => {
                    c.v2_list.fetch_add(1, Ordering::Relaxed);
                    ok(self.v2_list.clone())
                }
                "batch" => {
                    c.v2_batch.fetch_add(1, Ordering::Relaxed);
                    ok(to_bytes(&self.v2_batch(&parse(&body))))
                }
                _ => {
                    c.v2_other.fetch_add(1, Ordering::Relaxed);
                    ok(self.v2_fixed.clone())
                }
            }
        }
    }

    /// A list page or counting page; true when it was a counting request.
    fn list(&self, query: &Value) -> (Bytes, bool) {
        let pagination = query.get("pagination");
        let num = |k: &str, default: u64| {
            pagination
                .and_then(|p| p.get(k))
                .and_then(Value::as_u64)
                .unwrap_or(default)
        };
        let (offset, limit) = (num("offset", 0), num("limit", 50));
        let ids_only = query.get("select") == Some(&json!(["id"]));
        let count = ids_only && offset > 0;
        let bytes = match (offset, limit, count) {
            (0, 50, false) => self.v3_page_50.clone(),
            (0, 51, false) => self.v3_page_51.clone(),
            (51, 1000, true) => self.v3_count_51.clone(),
            _ => to_bytes(&v3_list(offset, limit, ids_only)),
        };
        (bytes, count)
    }

    /// A v3 batch: an array of `{method, query}` answered by an array of results.
    fn v3_batch(&self, elements: &Value) -> Value {
        let results: Vec<Value> = elements
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|e| {
                let method = e.get("method").and_then(Value::as_str).unwrap_or_default();
                let query = e.get("query").cloned().unwrap_or(Value::Null);
                match method {
                    "tasks.task.get" => json!({"item": v3_tasks::task(TOP_ID)}),
                    "tasks.task.list" => {
                        let (bytes, _) = self.list(&query);
                        parse(&bytes).get("result").cloned().unwrap_or(Value::Null)
                    }
                    _ => json!({"result": true}),
                }
            })
            .collect();
        json!({"result": results, "time": v3_tasks::time_block()})
    }

    /// A v2 batch: every command answered with the fixed v2 result.
    fn v2_batch(&self, request: &Value) -> Value {
        let fixed = parse(&self.v2_fixed);
        let result = fixed.get("result").cloned().unwrap_or(Value::Null);
        let mut results = Map::new();
        let mut times = Map::new();
        if let Some(cmd) = request.get("cmd").and_then(Value::as_object) {
            for key in cmd.keys() {
                results.insert(key.clone(), result.clone());
                times.insert(key.clone(), v3_tasks::time_block());
            }
        }
        json!({
            "result": {
                "result": results,
                "result_error": [],
                "result_total": [],
                "result_next": [],
                "result_time": times,
            },
            "time": v3_tasks::time_block(),
        })
    }
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn ok(bytes: Bytes) -> Response<Body> {
    body::json_response(StatusCode::OK, bytes)
}

fn json_answer(status: StatusCode, value: Value) -> Response<Body> {
    body::json_response(status, to_bytes(&value))
}

fn listen_arg() -> Result<SocketAddr, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let listen = listen.ok_or("usage: canned_portal --listen 127.0.0.1:PORT")?;
    let addr: SocketAddr = listen
        .parse()
        .map_err(|e| format!("--listen {listen}: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "--listen {addr}: the canned portal only listens on loopback"
        ));
    }
    Ok(addr)
}

fn main() -> std::process::ExitCode {
    let addr = match listen_arg() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("canned_portal: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // One thread: the benchmark pins the upstream to one core.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime starts");
    runtime.block_on(async move {
        let canned = Arc::new(Canned::new());
        eprintln!(
            "canned_portal: listening on {addr}; v3 page of 51 tasks {} bytes, v2 list {} bytes, fixed v2 answer {} bytes",
            canned.v3_page_51.len(),
            canned.v2_list.len(),
            canned.v2_fixed.len()
        );
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("canned_portal: cannot listen on {addr}: {e}");
                return std::process::ExitCode::from(1);
            }
        };
        let options = ServeOptions {
            tls: None,
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            drain_timeout: Duration::from_secs(1),
        };
        let mut signals = b24bridge::server::ShutdownSignals::install();
        listener::serve(
            listener,
            options,
            move |request, _peer| {
                let canned = canned.clone();
                async move { canned.answer(request).await }
            },
            async move { signals.recv().await },
        )
        .await;
        std::process::ExitCode::SUCCESS
    })
}
