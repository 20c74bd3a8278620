//! Micro-benchmarks of the pure steps a translated call goes through: decoding the v2
//! request, translating its filter, planning the v3 requests, and rebuilding a 50-task v3
//! list answer in the v2 shape. Each reports time per operation and bytes per second of
//! the input it works on.
//!
//! `cargo bench --bench hot_path` measures; `cargo test --benches` (run by
//! `scripts/test-all`) runs every benchmark once so they never rot.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{Map, Value};

use b24bridge::config::{Config, RawConfig};
use b24bridge::decode::{decode_request, DecodeLimits};
use b24bridge::rules::{MethodRoute, MethodRule};
use b24bridge::translate::reply::V3Body;
use b24bridge::translate::{self, filter, render, Context, Plan};

#[path = "support/v3_tasks.rs"]
mod v3_tasks;

fn rule(method: &str) -> Arc<MethodRule> {
    let mut raw = RawConfig::builtin().expect("built-in rules parse");
    raw.upstream = Some("http://127.0.0.1:1".into());
    let config = Config::validate(&raw).expect("built-in configuration is valid");
    match config.rules.route(method) {
        Some(MethodRoute::V3(rule)) => rule.clone(),
        other => panic!("{method} has no v3 rule: {other:?}"),
    }
}

fn context() -> Context {
    Context {
        caller: Some(1),
        sdk_filter_groups: false,
    }
}

fn decoding(c: &mut Criterion) {
    let limits = DecodeLimits::default();
    let mut group = c.benchmark_group("decode");
    let form = v3_tasks::LIST_FORM_BODY.as_bytes();
    group.throughput(Throughput::Bytes(form.len() as u64));
    group.bench_function("form_body", |b| {
        b.iter(|| {
            decode_request(
                black_box(None),
                black_box(Some("application/x-www-form-urlencoded")),
                black_box(form),
                &limits,
            )
            .expect("decodes")
        })
    });
    let json = v3_tasks::LIST_JSON_BODY.as_bytes();
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("json_body", |b| {
        b.iter(|| {
            decode_request(
                black_box(None),
                black_box(Some("application/json")),
                black_box(json),
                &limits,
            )
            .expect("decodes")
        })
    });
    group.finish();
}

fn filtering(c: &mut Criterion) {
    let rule = rule("tasks.task.list");
    let filter_value = v3_tasks::typical_filter();
    let options = filter::FilterOptions::default();
    let mut group = c.benchmark_group("filter");
    group.throughput(Throughput::Bytes(filter_value.to_string().len() as u64));
    group.bench_function("task_ids", |b| {
        b.iter(|| filter::translate(black_box(&filter_value), &rule.entity, options).expect("ok"))
    });
    group.finish();
}

fn planning(c: &mut Criterion) {
    let list = rule("tasks.task.list");
    let get = rule("tasks.task.get");
    let limits = DecodeLimits::default();
    let body = v3_tasks::LIST_JSON_BODY.as_bytes();
    let decoded = decode_request(None, Some("application/json"), body, &limits).expect("decodes");
    let mut group = c.benchmark_group("plan");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("list_with_filter", |b| {
        b.iter(|| translate::plan(&list, black_box(&decoded.params), context()).expect("ok"))
    });
    let get_params = decode_request(Some("taskId=1000"), None, b"", &limits)
        .expect("decodes")
        .params;
    group.throughput(Throughput::Bytes("taskId=1000".len() as u64));
    group.bench_function("get_default_select", |b| {
        b.iter(|| translate::plan(&get, black_box(&get_params), context()).expect("ok"))
    });
    group.finish();
}

/// The plan of a default `tasks.task.list` call: the select the canned items answer.
fn list_shape(rule: &MethodRule) -> translate::select::Shape {
    match translate::plan(rule, &Map::new(), context()).expect("plans") {
        Plan::List { shape, .. } => shape,
        other => panic!("not a list plan: {other:?}"),
    }
}

fn render_rows(rule: &MethodRule, shape: &translate::select::Shape, items: &[Value]) -> Value {
    let empty = Map::new();
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            render::entity(
                &rule.entity,
                shape,
                item.as_object().unwrap_or(&empty),
                Some(1),
            )
        })
        .collect();
    let result = render::wrap(rule.wrap.as_deref(), Value::Array(rows));
    render::envelope(result, Some(50), Some(58), v3_tasks::time_block())
}

fn rendering(c: &mut Criterion) {
    let rule = rule("tasks.task.list");
    let shape = list_shape(&rule);
    let answer = v3_tasks::list_answer(50);
    let answer_bytes = serde_json::to_vec(&answer).expect("serialises");
    let items: Vec<Value> = answer["result"]["items"].as_array().expect("items").clone();
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Bytes(answer_bytes.len() as u64));
    group.bench_function("list_50_tasks", |b| {
        b.iter(|| render_rows(&rule, &shape, black_box(&items)))
    });
    group.bench_function("parse_v3_page", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&answer_bytes)).expect("parses"))
    });
    let v2 = render_rows(&rule, &shape, &items);
    group.bench_function("serialise_v2_list", |b| {
        b.iter(|| serde_json::to_vec(black_box(&v2)).expect("serialises"))
    });
    // What the executor does around it: parse the v3 bytes, render, serialise the v2 answer.
    group.bench_function("list_50_tasks_from_bytes_to_bytes", |b| {
        b.iter(|| {
            let v3: Value = serde_json::from_slice(black_box(&answer_bytes)).expect("parses");
            let items = v3["result"]["items"].as_array().expect("items");
            let v2 = render_rows(&rule, &shape, items);
            serde_json::to_vec(&v2).expect("serialises")
        })
    });
    // What the bridge does now: rows kept as text, v2 bytes written in one pass.
    let style = b24bridge::rules::JsonStyle::default();
    group.bench_function("list_50_tasks_one_pass_bytes_to_bytes", |b| {
        b.iter(|| {
            let body = V3Body::parse(black_box(&answer_bytes)).expect("parses");
            let result = body.result.expect("a result").into_one();
            let rows = render::rows_json(
                rule.wrap.as_deref(),
                &rule.entity,
                &shape,
                result.rows(),
                Some(1),
                style,
            );
            render::envelope_json(rows, Some(50), Some(58), &v3_tasks::time_block(), style)
        })
    });
    group.bench_function("parse_v3_page_rows_as_text", |b| {
        b.iter(|| V3Body::parse(black_box(&answer_bytes)).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, decoding, filtering, planning, rendering);
criterion_main!(benches);
